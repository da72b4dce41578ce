"""C and C++ coverage (`evaluate --coverage`, `--min-coverage`): gcov's figures for the candidate's own lines.

A planted under-tested C and C++ candidate (a branch the tests never reach) is `passed_undertested` at
`--min-coverage 1.0`; the figures equal what gcov reports when the same program is compiled and run by hand on the
same inputs (its text report, `gcov -b -c`, read line by line); a failing candidate is not measured; a rerun
measures nothing again; other languages are `unsupported` and never gated.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from execeval.coverage.gcov import candidate_figures
from execeval.evaluate import EvalConfig, evaluate
from execeval.judges.endmarker import END_TOKEN_ENV, add_end_marker, new_token
from execeval.judges.program_tests import assemble
from execeval.languages import BuildCache, get_language
from execeval.languages.build import build_key
from execeval.runs.files import read_results

_MISSING = [tool for tool in ("gcc", "g++", "gcov") if shutil.which(tool) is None]
needs_gcc = pytest.mark.skipif(bool(_MISSING), reason=f"{', '.join(_MISSING)} not installed (apt-get install g++)")

C_PROMPT = "#include <assert.h>\n#include <stdlib.h>\n\nint sign(int x) {\n"
C_TESTS = "}\n\nint main() {\n    assert(sign(3) == 1);\n    assert(sign(-2) == -1);\n    return 0;\n}\n"
CPP_PROMPT = "#include <cassert>\n#include <vector>\n\nstd::vector<long> evens(std::vector<long> xs) {\n"
CPP_TESTS = ("}\nint main() {\n    auto candidate = evens;\n"
             "    assert((candidate({1, 2, 3, 4}) == std::vector<long>{2, 4}));\n"
             "    assert((candidate({5}) == std::vector<long>{}));\n}\n")
STDIO_C = ("#include <stdio.h>\n\nint main(void) {\n    long a, b;\n    if (scanf(\"%ld %ld\", &a, &b) != 2) {\n"
           "        printf(\"bad input\\n\");\n        return 0;\n    }\n    if (a < 0)\n        a = -a;\n"
           "    printf(\"%ld\\n\", a + b);\n    return 0;\n}\n")
STDIO_INPUTS = ["1 2\n", "-3 4\n"]
# passes, then leaves through _exit from an exit handler, before libgcov writes its counts: unmeasured, not 0%
STDIO_NO_COUNTS = ("#include <stdio.h>\n#include <stdlib.h>\n#include <unistd.h>\n\n"
                   "static void leave(void) { fflush(stdout); _exit(0); }\n\nint main(void) {\n    long a, b;\n"
                   "    atexit(leave);\n    if (scanf(\"%ld %ld\", &a, &b) != 2)\n        return 1;\n"
                   "    printf(\"%ld\\n\", (a < 0 ? -a : a) + b);\n    return 0;\n}\n")

# (task, completion, expected status at --min-coverage 1.0)
SAMPLES = [
    # `return 0` is never reached: sign(0) is not tested
    ("cov_c_sign", "    if (x > 0)\n        return 1;\n    if (x < 0)\n        return -1;\n    return 0;\n",
     "passed_undertested"),
    ("cov_c_sign", "    return (x > 0) - (x < 0);\n", "passed"),  # one line, no branch: all of it runs
    ("cov_c_sign", "    return x > 0 ? 1 : 0;\n", "failed"),  # sign(-2) is -1: fails, never measured
    # the long-input path is never taken by the tests (push_back's exception edges are not counted)
    # (nothing on the line never run can throw: gcov's text report marks exception edges only on lines that ran)
    ("cov_cpp_evens", "    std::vector<long> out;\n    int big = 0;\n    if (xs.size() > 1000)\n        big = 1;\n"
                      "    for (long x : xs) {\n        if (x % 2 == 0 || big)\n            out.push_back(x);\n    }\n"
                      "    return out;\n", "passed_undertested"),
    ("cov_cpp_evens", "    std::vector<long> out;\n    for (long x : xs) {\n        if (x % 2 == 0)\n"
                      "            out.push_back(x);\n    }\n    return out;\n", "passed"),
]


def _write(tmp: Path) -> tuple[Path, Path, Path, Path]:
    """A MultiPL-E task file (C and C++), its samples, and a stdin/stdout task file with one C sample."""
    tasks = [{"name": "cov_c_sign", "language": "c", "prompt": C_PROMPT, "tests": C_TESTS, "stop_tokens": ["\n}"]},
             {"name": "cov_cpp_evens", "language": "cpp", "prompt": CPP_PROMPT, "tests": CPP_TESTS,
              "stop_tokens": ["\n}"]}]
    samples = [{"task_id": t, "completion_id": i, "completion": c} for i, (t, c, _) in enumerate(SAMPLES)]
    stdio = {"task_id": "cov_sum", "prompt": "Print |a| + b.", "language": "c",
             "tests": [{"input": i, "output": f"{abs(int(i.split()[0])) + int(i.split()[1])}\n"} for i in STDIO_INPUTS]}
    paths = tmp / "tasks.jsonl", tmp / "samples.jsonl", tmp / "stdio.jsonl", tmp / "stdio_samples.jsonl"
    paths[0].write_text("".join(json.dumps(t) + "\n" for t in tasks))
    paths[1].write_text("".join(json.dumps(s) + "\n" for s in samples))
    paths[2].write_text(json.dumps(stdio) + "\n")
    paths[3].write_text("".join(json.dumps({"task_id": "cov_sum", "solution": p}) + "\n"
                                for p in (STDIO_C, STDIO_NO_COUNTS)))
    return paths


@pytest.fixture(scope="module")
def gated(tmp_path_factory, sandbox):
    if _MISSING:
        pytest.skip(f"{', '.join(_MISSING)} not installed (apt-get install g++)")
    tmp = tmp_path_factory.mktemp("coverage-c")
    tasks, samples, stdio, stdio_samples = _write(tmp)
    config = EvalConfig(k=(1,), min_coverage=1.0, build_cache=BuildCache(tmp / "builds"))
    summary = evaluate(samples, tasks, tmp / "run", config, sandbox=sandbox)
    stdio_summary = evaluate(stdio_samples, stdio, tmp / "run-stdio", config, sandbox=sandbox)
    rows = {r["completion_id"]: r for r in read_results(tmp / "run")}
    stdio_rows = {r["program"]: r for r in read_results(tmp / "run-stdio")}
    return tmp, config, summary, rows, stdio_summary, stdio_rows


# ---------------------------------------------------------------- gcov by hand: its text report, line by line
_LINE = re.compile(r"^\s*([^:]+):\s*(\d+):")
_BRANCH = re.compile(r"^branch\s+\d+\s+(taken (\d+)|never executed)(.*)$")


def _gcov_by_hand(work: Path, source_name: str, last_line: int | None) -> dict:
    """Run `gcov -b -c` on what a hand run left in `work` and count its text report: executable lines (a count,
    `#####` or `=====`), covered lines (a count above 0), branches not marked (throw), and those taken."""
    subprocess.run(["gcov", "-b", "-c", "main.gcda"], cwd=work, check=True, capture_output=True)
    lines, covered, branches, taken, missing, current = 0, 0, 0, 0, [], None
    for text in (work / f"{source_name}.gcov").read_text().splitlines():
        if (m := _LINE.match(text)) is not None:
            count, number = m.group(1).strip(), int(m.group(2))
            current = number if number > 0 and (last_line is None or number <= last_line) else None
            if current is None or count == "-":
                continue
            lines += 1
            if count.rstrip("*").isdigit() and int(count.rstrip("*")) > 0:
                covered += 1
            else:
                missing.append(number)
        elif current is not None and (b := _BRANCH.match(text)) is not None and "(throw)" not in b.group(3):
            branches += 1
            taken += b.group(2) is not None and int(b.group(2)) > 0
    return {"covered_lines": covered, "total_lines": lines, "covered_branches": taken, "total_branches": branches,
            "missing_lines": missing}


def _compile_by_hand(work: Path, language: str, source: str) -> None:
    lang = get_language(language)
    compiler = "gcc" if language == "c" else "g++"
    std = "-std=c17" if language == "c" else "-std=c++17"
    (work / lang.source_name).write_text(source)
    subprocess.run([compiler, std, "-O0", "--coverage", "-o", "main", lang.source_name, "-lm"], cwd=work, check=True)


def _by_hand_test_program(tmp: Path, language: str, program: str, tests: str) -> dict:
    work = tmp / f"hand-{language}-{abs(hash(program))}"
    work.mkdir()
    lang = get_language(language)
    _compile_by_hand(work, language, add_end_marker(language, assemble(program, tests), source_name=lang.source_name))
    token = new_token()
    out = subprocess.run(["./main"], cwd=work, env={**os.environ, END_TOKEN_ENV: token}, capture_output=True)
    assert out.returncode == 0 and token in out.stdout.decode()
    return _gcov_by_hand(work, lang.source_name, program.count("\n") + 1)


FIGURES = ("covered_lines", "total_lines", "covered_branches", "total_branches", "missing_lines")


@needs_gcc
@pytest.mark.slow
def test_undertested_c_and_cpp_passes_are_gated(gated):
    _, _, summary, rows, _, _ = gated
    assert {i: rows[i]["status"] for i in rows} == {i: want for i, (_, _, want) in enumerate(SAMPLES)}
    assert rows[0]["coverage"]["missing_lines"] == [9]  # `return 0;`: the prompt's 4 lines, then the body
    assert rows[3]["coverage"]["line_coverage"] < 1.0 and rows[3]["coverage"]["branch_coverage"] < 1.0
    assert all(not r["passed"] for r in rows.values() if r["status"] == "passed_undertested")
    cov = summary["coverage"]
    assert (cov["measured"], cov["passed_undertested"], cov["unsupported"], cov["unmeasured"]) == (4, 2, 0, 0)
    assert summary["pass_at_k_ungated"]["base"]["pass@1"] == pytest.approx((2 / 3 + 1) / 2)
    assert summary["pass_at_k"]["base"]["pass@1"] == pytest.approx((1 / 3 + 1 / 2) / 2)


@needs_gcc
@pytest.mark.slow
def test_figures_match_gcov_run_by_hand(gated):
    tmp, _, _, rows, _, _ = gated
    prompts = {"cov_c_sign": ("c", C_PROMPT, C_TESTS), "cov_cpp_evens": ("cpp", CPP_PROMPT, CPP_TESTS)}
    checked = 0
    for i, (task, completion, status) in enumerate(SAMPLES):
        if status == "failed":
            assert "coverage" not in rows[i] or rows[i]["coverage"] is None  # a failing candidate: not measured
            continue
        language, prompt, tests = prompts[task]
        want = _by_hand_test_program(tmp, language, prompt + completion, tests)
        assert {k: rows[i]["coverage"][k] for k in FIGURES} == want, (task, i)
        assert rows[i]["coverage"]["total_branches"] > 0 or i == 1
        checked += 1
    assert checked == 4


@needs_gcc
@pytest.mark.slow
def test_stdio_program_counts_every_line(gated):
    tmp, _, _, _, stdio_summary, rows = gated
    row = rows[STDIO_C]
    work = tmp / "hand-stdio"
    work.mkdir()
    _compile_by_hand(work, "c", STDIO_C)
    for stdin in STDIO_INPUTS:  # each run adds its counts to main.gcda, as the sandbox's runs do
        subprocess.run(["./main"], cwd=work, input=stdin.encode(), check=True, capture_output=True)
    want = _gcov_by_hand(work, "main.c", None)
    assert {k: row["coverage"][k] for k in FIGURES} == want
    assert want["missing_lines"] == [6, 7]  # the bad-input branch; `a = -a` ran for -3
    assert row["status"] == "passed_undertested" and stdio_summary["coverage"]["measured"] == 1


@needs_gcc
@pytest.mark.slow
def test_a_pass_whose_counts_never_arrive_is_unmeasured_not_gated(gated):
    _, _, _, _, stdio_summary, rows = gated
    row = rows[STDIO_NO_COUNTS]
    assert row["status"] == "passed" and row["coverage"]["status"] == "unmeasured"
    assert "main.gcda" in row["coverage"]["why"]
    assert stdio_summary["coverage"]["unmeasured"] == 1


@needs_gcc
@pytest.mark.slow
def test_rerun_measures_nothing_again(gated, sandbox, monkeypatch):
    import execeval.coverage.gcov as gcov

    tmp, config, first, _, _, _ = gated
    monkeypatch.setattr(gcov, "measure", lambda *a: pytest.fail("coverage measured again"))
    again = evaluate(tmp / "samples.jsonl", tmp / "tasks.jsonl", tmp / "run", config, sandbox=sandbox)
    assert again["coverage"] == first["coverage"]


@pytest.mark.slow
def test_other_languages_are_unsupported_and_never_gated(tmp_path, sandbox):
    task = {"task_id": "echo", "prompt": "Print the input.", "language": "python",
            "tests": [{"input": "7\n", "output": "7\n"}]}
    (tmp_path / "t.jsonl").write_text(json.dumps(task) + "\n")
    (tmp_path / "s.jsonl").write_text(json.dumps({"task_id": "echo", "solution": "print(input())\n"}) + "\n")
    summary = evaluate(tmp_path / "s.jsonl", tmp_path / "t.jsonl", tmp_path / "run",
                       EvalConfig(k=(1,), min_coverage=1.0), sandbox=sandbox)
    [row] = read_results(tmp_path / "run")
    assert row["status"] == "passed" and row["coverage"]["status"] == "unsupported"
    assert "python stdin/stdout" in row["coverage"]["why"]
    assert summary["coverage"]["unsupported"] == 1 and summary["coverage"]["passed_undertested"] == 0


def test_only_the_candidates_lines_and_no_exception_edges_count():
    report = {"files": [
        {"file": "/usr/include/c++/12/bits/stl_vector.h", "lines": [{"line_number": 3, "count": 0, "branches": []}]},
        {"file": "main.cpp", "lines": [
            {"line_number": 2, "count": 4, "branches": [{"count": 3, "throw": False}, {"count": 0, "throw": False},
                                                         {"count": 0, "throw": True}]},
            {"line_number": 3, "count": 0, "branches": []},
            {"line_number": 9, "count": 0, "branches": [{"count": 0, "throw": False}]}]}]}  # a test line
    second_run = {"files": [{"file": "main.cpp", "lines": [
        {"line_number": 3, "count": 1, "branches": []},
        {"line_number": 2, "count": 1, "branches": [{"count": 0, "throw": False}, {"count": 0, "throw": False}]}]}]}
    one = candidate_figures([report], "main.cpp", last_line=5)
    assert (one.covered_lines, one.total_lines, one.covered_branches, one.total_branches) == (1, 2, 1, 2)
    assert one.missing_lines == (3,)
    both = candidate_figures([report, second_run], "main.cpp", last_line=5)  # a line run in either run is covered
    assert (both.covered_lines, both.total_lines, both.covered_branches, both.total_branches) == (2, 2, 1, 2)
    whole = candidate_figures([report], "main.cpp", last_line=None)
    assert (whole.total_lines, whole.total_branches) == (3, 3)


@needs_gcc
def test_coverage_builds_key_apart_and_plain_builds_are_unchanged():
    for name in ("c", "cpp"):
        plain, variant = get_language(name), get_language(name).coverage_variant()
        source = b"int main(void) { return 0; }\n"
        command = plain.build_command(plain.toolchain(), source)
        assert "--coverage" not in command.argv and "-O2" in command.argv and command.collect == ("main",)
        covered = variant.build_command(variant.toolchain(), source)
        assert "--coverage" in covered.argv and "-O2" not in covered.argv and "main.gcno" in covered.collect
        assert build_key(plain, plain.toolchain(), command, source) != \
            build_key(variant, variant.toolchain(), covered, source)
        assert get_language(name).coverage_variant().flags == variant.flags  # the registered language is untouched
    for name in ("java", "javascript", "bash", "sql", "python"):
        assert get_language(name).coverage_variant() is None
