"""Issue #24's harness-side classes: nothing a candidate sends may crash the harness or hide a verdict. Real
sandbox, real `evaluate` runs in tmp dirs; the service's side (malformed and half-sent requests, the same hostile
jobs through /v1/verify) is tests/test_hostile_service.py.

6. what a job reports is untrusted data: any shape of a case line's fields is the job's error, never a crash;
7. lone surrogates in a sample, a job's output or a request survive store, results.jsonl, report and service;
9. a program's `def abs` never stands in for the tests' `abs`;
and a lifted check's repeated passing part never stands for a missing one.

Needs only the standard library and execeval's sandbox and evaluation (tests/test_hostile_unprivileged.py runs it
as nobody with Debian's python3); the report and the CLI parts skip where jinja2 or typer are missing.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from execeval.evaluate import EvalConfig, evaluate
from execeval.evaluation.programs import TimePolicy
from execeval.runs.files import read_results
from execeval.sandbox.base import Assert, Call, CaseStatus, PythonTests
from execeval.sandbox.grading import grade_case
from execeval.sandbox.python.lifting.plan import lift_job
from execeval.sandbox.server.reportlines import ResultLines

CONFIG = EvalConfig(policy=TimePolicy(speed=1.0))
RIGHT = "    return \" \".join(text.split())\n"  # demo/0
WRONG = "    return text\n"


def _raising(attr: str) -> str:
    """A completion raising an exception whose class carries `remote_type = <attr>`."""
    return f"    class E(Exception):\n        remote_type = {attr}\n    raise E('boom')\n"


REMOTE_TYPES = ("[1, 2]", "{'a': 1}", "{1, 2}", "3", "None", "object()", "b'x'", "'T' * 100000")


def _evaluate(tmp: Path, completions: list[str], sandbox, name: str = "run") -> tuple[list[dict], dict]:
    samples = tmp / f"{name}.jsonl"
    samples.write_text("".join(json.dumps({"task_id": "demo/0", "completion": c}) + "\n" for c in completions))
    summary = evaluate(samples, "demo", tmp / name, CONFIG, sandbox=sandbox)
    return read_results(tmp / name), summary


def _intact(tmp: Path, completions: list[str], sandbox, name: str = "run") -> list[dict]:
    """Run, check the run is whole (every row, right and wrong judged as alone), resume, and return the rows."""
    rows, summary = _evaluate(tmp, [RIGHT, *completions, WRONG], sandbox, name)
    assert len(rows) == len(completions) + 2
    assert (rows[0]["status"], rows[-1]["status"]) == ("passed", "failed"), (rows[0], rows[-1])
    assert not [r for r in rows if r["status"] == "sandbox_error"], rows
    again, resumed = _evaluate(tmp, [RIGHT, *completions, WRONG], sandbox, name)
    assert resumed["jobs"]["executed"] == 0
    assert [(r["status"], r["first_failure"]) for r in again] == [(r["status"], r["first_failure"]) for r in rows]
    return rows[1:-1]


# ---------------------------------------------------------------- 6. a job's report is untrusted data
def test_an_exception_attribute_of_any_shape_is_the_candidates_error(tmp_path, sandbox):
    rows = _intact(tmp_path, [_raising(a) for a in REMOTE_TYPES], sandbox)
    assert [r["status"] for r in rows] == ["error"] * len(REMOTE_TYPES), rows
    assert all(isinstance(r["error_type"], str) and len(r["error_type"]) <= 200 for r in rows), rows
    assert rows[-1]["error_type"] == "T" * 200  # a str is kept (the split path's real type name), capped


def _program(n: int = 2) -> PythonTests:
    return PythonTests("", "f", tuple(Call(json.dumps([i])) for i in range(n)) + (Assert("assert f(0) == 0"),))


@pytest.mark.parametrize("raw", [
    {"i": "0", "s": "passed", "c": 0.0}, {"i": [0], "s": "error"}, {"i": 1.0, "s": "error"}, {"i": 10 ** 400},
    {"i": 2, "s": ["passed"], "c": 0.0}, {"i": 2, "s": {"x": 1}}, {"i": 2, "s": "error", "t": [1], "c": 0.0},
    {"i": 2, "s": "error", "t": {"a": 1}, "c": 0.0}, {"i": 2, "s": "failed", "m": ["x"], "c": 0.0},
    {"i": 2, "s": "passed", "c": "1"}, {"i": 2, "s": "passed", "c": 10 ** 400}, {"i": 2, "s": "passed", "c": [1]},
    {"i": 2, "s": "passed", "c": float("nan")}, {"i": 2, "s": "passed", "c": float("inf")},
    {"i": 2, "s": "passed", "c": -1.0}, {"i": 0, "s": "returned", "o": [1], "c": 0.0},
    {"i": 0, "s": "returned", "o": {"a": 1}, "c": 0.0}, {"i": 0, "s": "returned", "o": 5, "c": 0.0},
])
def test_a_case_line_of_any_shape_is_a_case_error_never_an_exception(raw):
    case = grade_case(raw, None, _program())
    assert case.status is CaseStatus.ERROR, case
    assert type(case.index) is int and isinstance(case.error_type, str) and isinstance(case.cpu_s, float)


def test_a_report_line_nested_past_the_decoders_depth_marks_the_channel_tampered():
    lines = ResultLines("tok")
    assert lines.feed(b"tok " + b"[" * 200_000 + b"]" * 200_000 + b"\n") == [] and lines.tampered


def test_a_lifted_checks_repeated_passing_part_never_stands_for_a_missing_one():
    job = PythonTests("", "f", (Assert("check(f)"),),
                      setup="def check(candidate):\n    assert candidate(1) == 1\n    assert candidate(2) == 4\n")
    plan = lift_job(job)
    assert plan is not None and plan.size[0] == 2, "the check is lifted into two parts"
    lines = ResultLines("tok", plan)
    passed = b'tok {"i":0,"s":"returned","o":"1","c":0.0}\n'
    assert lines.feed(passed + passed) == [], "one part passed twice is still one of two"
    whole = ResultLines("tok", plan)
    assert whole.feed(passed + b'tok {"i":1,"s":"returned","o":"4","c":0.0}\n')[0]["s"] == "passed"


# ---------------------------------------------------------------- 7. lone surrogates, end to end
SURROGATES = [
    "    raise ValueError('\\ud800')\n",  # in an exception's message (escaped in the source: valid text)
    "    return '\\udfff' + text\n",  # in a returned value: a wrong answer, shown
    "    import sys\n    sys.stdout.buffer.write(b'\\xed\\xa0\\x80\\xff')\n    return text\n",  # not UTF-8 in stdout
    "    print('\\ud800')\n    return text\n",  # Python's own print refuses it: an error
    "    x = '\ud800'\n    return \" \".join(text.split())\n",  # a lone surrogate in the program's text itself
    "    # \udc80 a comment\n    return \" \".join(text.split())\n",
]


def test_lone_surrogates_in_samples_and_jobs_survive_store_results_report(tmp_path, sandbox):
    rows = _intact(tmp_path, SURROGATES, sandbox)
    assert [r["status"] for r in rows[:4]] == ["error", "failed", "failed", "error"], rows
    assert "\ud800" in rows[0]["first_failure"], rows
    # a program text no UTF-8 encodes: Python's compile() refuses it, so it is judged an error, never a pass
    assert [(r["status"], r["error_type"]) for r in rows[4:]] == [("error", "UnicodeEncodeError")] * 2, rows
    assert rows[4]["program"].count("\ud800") == 1, "results.jsonl keeps the text as given"
    pytest.importorskip("jinja2", reason="the report needs jinja2 (the store and results.jsonl held)")
    from execeval.report.html import render_report

    page = render_report(tmp_path / "run")
    assert Path(page).stat().st_size > 1000


def test_the_cli_evaluates_resumes_and_reports_hostile_samples(tmp_path):
    """`execeval evaluate` (twice: the second resumes) and `execeval report` exit 0 on exception attributes of
    any shape and lone surrogates (they exited 1 with no results.jsonl, or crashed writing the report)."""
    pytest.importorskip("typer", minversion="0.12", reason="the CLI needs typer >= 0.12")
    completions = [RIGHT, *(_raising(a) for a in REMOTE_TYPES[:3]), *SURROGATES, WRONG]
    samples = tmp_path / "s.jsonl"
    samples.write_text("".join(json.dumps({"task_id": "demo/0", "completion": c}) + "\n" for c in completions))
    out = tmp_path / "run"
    cli = [sys.executable, "-m", "execeval.cli"]
    for _ in range(2):
        proc = subprocess.run([*cli, "evaluate", str(samples), "--tasks", "demo", "--out", str(out), "--workers", "1",
                               "--quiet"], capture_output=True, text=True, timeout=300)
        assert proc.returncode == 0, proc.stderr
    rows = read_results(out)
    assert len(rows) == len(completions) and (rows[0]["passed"], rows[-1]["status"]) == (True, "failed"), rows
    proc = subprocess.run([*cli, "report", str(out)], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0 and (out / "report.html").exists(), proc.stderr


# ---------------------------------------------------------------- 9. the tests' builtins are Python's
SHADOWS = [  # (a builtin the tests call, redefined to make the test pass; the test; a right f's return value)
    ("def abs(x):\n    return 0\n", "assert abs(f(1.0) - 2.0) < 1e-9", "x + 1.0"),
    ("def len(x):\n    return 3\n", "assert len(f(1.0)) == 3", "[x] * 3"),
    ("def sorted(x):\n    return [1, 2, 3]\n", "assert sorted(f(1.0)) == [1, 2, 3]", "[3, 2, 1]"),
    ("def isinstance(x, t):\n    return True\n", "assert isinstance(f(1.0), list)", "[x]"),
]
SPLIT_SETUP = "def check(candidate):\n    y = candidate(1.0)\n    for t in [y]:\n        {test}\n"


@pytest.mark.parametrize("shadow, test, right", SHADOWS, ids=["abs", "len", "sorted", "isinstance"])
def test_a_tasks_entry_point_and_the_tests_builtins_on_each_judging_path(sandbox, shadow, test, right):
    """The evaluate path (the task names its entry point), straight through the sandbox: a lifted assert, a lifted
    `check`, and a split one (a loop: not liftable). The runner gives the tests the candidate's names minus every
    builtin's; these held before #24 too, and guard that filter on each path."""
    check = test.replace("f(1.0)", "candidate(1.0)")
    shapes = {"lifted": ((Assert(test),), ""),
              "check": ((Assert("check(f)"),), f"def check(candidate):\n    {check}\n"),
              "split": ((Assert("check(f)"),), SPLIT_SETUP.format(test=check.replace("candidate(1.0)", "y")))}
    for shape, (cases, setup) in shapes.items():
        lifted = lift_job(PythonTests("", "f", cases, setup=setup)) is not None
        assert not lifted if shape == "split" else lifted or "abs" not in shadow, shape  # abs's test is a Predicate
        verdicts = [sandbox.run(PythonTests(f"def f(x):\n    return {body}\n" + shadow, "f", cases, setup=setup))
                    for body in ("x", right)]
        assert [v.all_cases_passed for v in verdicts] == [False, True], (shape, verdicts)

