"""Coverage of passing candidates (`evaluate --coverage`, `--min-coverage`): figures equal to `coverage run
--branch` on the same code and tests, the gate turns an under-tested pass into `passed_undertested`, and pass@k
is reported both ways."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("coverage")

from execeval.coverage import Figures, figures  # noqa: E402
from execeval.evaluate import EvalConfig, evaluate  # noqa: E402
from execeval.runs.files import read_results  # noqa: E402

# Six candidates, each passing its task's tests, chosen to exercise what a tracer gets wrong: a branch the tests
# never reach, a loop with an early exit, a generator (resumes are not entries), try/except, a nested function
# and a class, a while/else. Tests are asserts or inputs (called with the arguments).
CASES = {
    "cov/sign": ("sign", "def sign(x):\n    if x > 0:\n        return 1\n    if x < 0:\n        return -1\n"
                 "    return 0\n", {"tests": ["assert sign(3) == 1", "assert sign(-2) == -1"]}),
    "cov/first_even": ("first_even", "def first_even(xs):\n    for x in xs:\n        if x % 2 == 0:\n"
                       "            return x\n    return None\n", {"inputs": [[[1, 3, 4]], [[2]]]}),
    "cov/squares": ("squares", "def gen(n):\n    for i in range(n):\n        yield i * i\n\n\ndef squares(n):\n"
                    "    total = 0\n    for v in gen(n):\n        total += v\n    return total\n",
                    {"tests": ["assert squares(3) == 5"]}),
    "cov/parse": ("parse", "def parse(s):\n    try:\n        return int(s)\n    except ValueError:\n"
                  "        return None\n    finally:\n        pass\n\n\nclass Box:\n    def __init__(self, v):\n"
                  "        self.v = v\n\n    def get(self):\n        return self.v\n",
                  {"tests": ["assert parse('12') == 12", "assert parse('x') is None"]}),
    "cov/collatz": ("collatz", "def collatz(n):\n    def step(m):\n        return m // 2 if m % 2 == 0 else 3 * m + 1\n"
                    "    steps = 0\n    while n != 1:\n        n = step(n)\n        steps += 1\n    else:\n"
                    "        steps += 0\n    if steps > 1000:\n        raise ValueError('long')\n    return steps\n",
                    {"inputs": [[6], [1]]}),
    # the helper is fully covered by the first call (and then runs untraced), the caller never is: a function
    # whose own lines and arcs are all seen stops being traced, the figures must not change
    "cov/total": ("total", "def add_all(xs):\n    s = 0\n    for x in xs:\n        s += x\n    return s\n\n\n"
                  "def total(xs):\n    if xs is None:\n        return 0\n    return add_all(xs) + add_all(\n"
                  "        [1,\n         2])\n", {"inputs": [[[1, 2, 3]], [list(range(2000))], [[5]]]}),
}


def _tasks_and_samples(tmp: Path) -> tuple[Path, Path]:
    tasks, samples = [], []
    for tid, (entry, code, tests) in CASES.items():
        tasks.append({"task_id": tid, "prompt": f"def {entry}(...):\n", "entry_point": entry, "reference": code,
                      **tests})
        samples.append({"task_id": tid, "solution": code})
    samples.append({"task_id": "cov/sign", "solution": "def sign(x):\n    return (x > 0) - (x < 0)\n"})
    (tmp / "tasks.jsonl").write_text("".join(json.dumps(t) + "\n" for t in tasks))
    (tmp / "samples.jsonl").write_text("".join(json.dumps(s) + "\n" for s in samples))
    return tmp / "tasks.jsonl", tmp / "samples.jsonl"


def _coverage_run(tmp: Path, entry: str, code: str, tests: dict) -> dict:
    """What `coverage run --branch` says of the same program under the same tests (its JSON report)."""
    work = tmp / entry
    work.mkdir()
    (work / "candidate.py").write_text(code)
    calls = tests.get("tests") or [f"{entry}(*{json.dumps(args)})" for args in tests["inputs"]]
    (work / "drive.py").write_text(f"from candidate import *\n" + "\n".join(calls) + "\n")
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(work)}
    subprocess.run([sys.executable, "-m", "coverage", "run", "--branch", "--include=candidate.py", "drive.py"],
                   cwd=work, check=True, env=env)
    subprocess.run([sys.executable, "-m", "coverage", "json", "-o", "cov.json"], cwd=work, check=True, env=env,
                   capture_output=True)
    report = json.loads((work / "cov.json").read_text())["files"]["candidate.py"]
    return {**report["summary"], "missing_lines": report["missing_lines"]}


@pytest.fixture(scope="module")
def gated_run(tmp_path_factory, sandbox):
    tmp = tmp_path_factory.mktemp("coverage")
    tasks, samples = _tasks_and_samples(tmp)
    out = tmp / "run"
    summary = evaluate(samples, tasks, out, EvalConfig(k=(1,), min_coverage=1.0), sandbox=sandbox)
    return tmp, out, summary


@pytest.mark.slow
def test_figures_match_coverage_run(gated_run):
    tmp, out, _ = gated_run
    rows = {r["task_id"]: r for r in read_results(out) if r["program"] == CASES[r["task_id"]][1]}
    assert set(rows) == set(CASES)
    for tid, (entry, code, tests) in CASES.items():
        want = _coverage_run(tmp, entry, code, tests)
        got = rows[tid]["coverage"]
        assert (got["covered_lines"], got["total_lines"], got["covered_branches"], got["total_branches"]) == (
            want["covered_lines"], want["num_statements"], want["covered_branches"], want["num_branches"]), tid
        assert got["missing_lines"] == want["missing_lines"], tid


@pytest.mark.slow
def test_gate_turns_undertested_passes_aside(gated_run):
    _, out, summary = gated_run
    rows = read_results(out)
    status = {(r["task_id"], r["program"] == CASES[r["task_id"]][1]): r["status"] for r in rows}
    assert status[("cov/sign", True)] == "passed_undertested"  # `return 0` is never reached
    assert status[("cov/sign", False)] == "passed"  # one line, run: fully covered
    assert status[("cov/squares", True)] == "passed"
    assert all(not r["passed"] for r in rows if r["status"] == "passed_undertested")
    cov = summary["coverage"]
    assert cov["passed_undertested"] == summary["status_counts"]["passed_undertested"] >= 3
    assert cov["measured"] == len(rows)
    # pass@1 counts only the passes the gate kept; the ungated figure counts every pass
    n_passed = summary["status_counts"]["passed"]
    assert summary["pass_at_k"]["base"]["pass@1"] == pytest.approx((0.5 * (status[("cov/sign", False)] == "passed")
                                                                    + n_passed - 1) / len(CASES))
    assert summary["pass_at_k_ungated"]["base"]["pass@1"] == pytest.approx(1.0)


@pytest.mark.slow
def test_c_tracer_fallback_gives_the_same_figures(gated_run, sandbox, monkeypatch):
    tmp, out, _ = gated_run
    import execeval.coverage.python as cov

    monkeypatch.setattr(cov, "_SLOW_EVENTS", 3)  # every unsaturated program starts over under the C tracer
    monkeypatch.setattr(cov, "METHOD", "/fallback-test")  # not the first run's cached figures
    evaluate(tmp / "samples.jsonl", tmp / "tasks.jsonl", tmp / "run-c", EvalConfig(k=(1,), min_coverage=1.0),
             sandbox=sandbox)
    keys = ("covered_lines", "total_lines", "covered_branches", "total_branches", "missing_lines")
    first = {(r["task_id"], r["program"]): r["coverage"] for r in read_results(out)}
    again = {(r["task_id"], r["program"]): r["coverage"] for r in read_results(tmp / "run-c")}
    assert {k: [v[f] for f in keys] for k, v in again.items()} == {k: [v[f] for f in keys] for k, v in first.items()}
    assert {v["tracer"] for v in again.values()} == {"ctracer"}  # all of them took the fallback


@pytest.mark.slow
def test_rerun_measures_nothing_again(gated_run, sandbox, monkeypatch):
    tmp, out, first = gated_run
    import execeval.coverage.python as cov

    monkeypatch.setattr(cov, "measure", lambda *a: pytest.fail("coverage measured again"))
    again = evaluate(tmp / "samples.jsonl", tmp / "tasks.jsonl", out, EvalConfig(k=(1,), min_coverage=1.0),
                     sandbox=sandbox)
    assert again["coverage"] == first["coverage"]


def test_figures_of_arcs_by_hand():
    code = "def f(x):\n    if x:\n        return 1\n    return 2\n"
    # f(1) only: entry, line 2, line 3, exit. Line 4 and the arc 2->4 are missed.
    got = figures(code, [(-1, 1), (1, -1), (-1, 2), (2, 3), (3, -1)])
    assert got == Figures(covered_lines=3, total_lines=4, covered_branches=1, total_branches=2, missing_lines=(4,))
    assert got.coverage == pytest.approx(4 / 6)
    assert figures("x = 1\n", [(-1, 1), (1, -1)]).coverage == 1.0


@pytest.mark.slow
def test_terminal_summary_says_both_readings(gated_run):
    from rich.console import Console

    from execeval.report.terminal import print_summary

    _, out, summary = gated_run
    console = Console(record=True, width=200, color_system=None)
    print_summary(summary, out, console)
    text = console.export_text()
    assert "passed_undertested" in text and "coverage of passes:" in text
    assert "without the gate: pass@1 1.0000" in text
