"""What a reference run leaves: expected outputs of the cases it passed, CPU per case, and each failure named."""

from __future__ import annotations

import json
from pathlib import Path

from execeval.evaluate import EvalConfig, evaluate
from execeval.evaluation.pipeline import _reference_of
from execeval.evaluation.programs import TimePolicy
from execeval.sandbox import CaseResult, CaseStatus, ExecResult, PythonTests, Status
from execeval.sandbox.base import Assert, Call
from execeval.runs.store import RunStore

TASK = {"task_id": "t/half", "prompt": "def f(x):\n", "entry_point": "f",
        "reference": "def f(x):\n    if x == 2:\n        raise ValueError('two is not allowed')\n    return 10 // x\n",
        "inputs": [[1], [2], [5]], "plus_inputs": [[0], [10]]}


def test_a_reference_that_fails_some_inputs_names_them_and_judges_on_the_rest(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("EXECEVAL_CACHE_DIR", str(tmp_path / "cache"))
    tasks, samples = tmp_path / "tasks.jsonl", tmp_path / "samples.jsonl"
    tasks.write_text(json.dumps(TASK) + "\n")
    samples.write_text(json.dumps({"task_id": "t/half", "solution": "def f(x):\n    return 10 // x\n"}) + "\n")
    summary = evaluate(samples, tasks, tmp_path / "run", EvalConfig(workers=1, policy=TimePolicy(speed=1.0)))
    assert summary["reference_failures"] == {"t/half": [
        "test 1: ValueError ValueError: two is not allowed",
        "test 3: ZeroDivisionError ZeroDivisionError: integer division or modulo by zero"]}
    (row,) = [json.loads(line) for line in (tmp_path / "run" / "results.jsonl").read_text().splitlines()]
    assert row["status"] == "passed" and row["tests_passed"] == 3  # the failed inputs are not held against it
    (data,) = [json.loads(d) for d, in RunStore.in_dir(tmp_path / "run")._db.execute("SELECT data FROM refs")]
    assert data["outputs"] == ["10", None, "2", None, "1"] and len(data["cpu_s"]) == 5


def test_results_out_of_order_or_missing_are_placed_by_their_index() -> None:
    cases = (Call("[1]"), Assert("assert True"), Call("[3]"), Call("[4]"))
    program = PythonTests("", "f", cases)
    results = (CaseResult(2, CaseStatus.PASSED, output="3", cpu_s=0.5),
               CaseResult(0, CaseStatus.PASSED, output="1", cpu_s=0.25),
               CaseResult(1, CaseStatus.PASSED, cpu_s=0.75))  # case 3 never reported: the job was killed
    ref = _reference_of(program, ExecResult(Status.KILLED, error_type="Killed", cases=results), speed=2.0)
    assert ref.outputs == ("1", None, "3", None)  # an Assert has no output to expect
    assert ref.cpu_s == (0.125, 0.375, 0.25, 0.0)
    assert ref.failures == ("test 3: Killed",)
    in_order = ExecResult(Status.OK, cases=tuple(sorted(results, key=lambda c: c.index)))
    assert _reference_of(PythonTests("", "f", cases[:3]), in_order, speed=2.0).outputs == ("1", None, "3")
