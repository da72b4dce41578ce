"""Machine-speed calibration: the time floor is in reference-machine seconds, scaled by this machine's speed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from execeval.evaluation import calibration
from execeval.evaluation.calibration import REFERENCE_CPU_S, SPEED_RANGE, SPEED_STEP, Calibration, speed_from_cpu
from execeval.evaluate import EvalConfig, evaluate
from execeval.evaluation.programs import Reference, TimePolicy, plan_tests
from execeval.runs.files import read_results
from execeval.runs.store import RunStore
from execeval.errors import SandboxError
from execeval.sandbox import CaseResult, CaseStatus, ExecResult, FakeSandbox, PythonTests, Status
from execeval.tasks import load_tasks

# A task whose reference is instant, and a candidate that is correct but spends ~0.3 s of CPU first.
TASKS = [
    {"task_id": "t/slow", "prompt": "def f(x):\n", "entry_point": "f",
     "reference": "def f(x):\n    return x + 1\n", "tests": ["assert f(1) == 2"]},
]
SLOW_BUT_CORRECT = ("import time\n\ndef f(x):\n    end = time.process_time() + 0.3\n"
                    "    while time.process_time() < end:\n        pass\n    return x + 1\n")


def _files(tmp_path: Path) -> tuple[Path, Path]:
    tasks = tmp_path / "tasks.jsonl"
    tasks.write_text("".join(json.dumps(t) + "\n" for t in TASKS))
    samples = tmp_path / "samples.jsonl"
    samples.write_text(json.dumps({"task_id": "t/slow", "solution": SLOW_BUT_CORRECT}) + "\n")
    return tasks, samples


def load_tasks_from(rows: list[dict]):
    import tempfile

    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "tasks.jsonl"
        path.write_text("".join(json.dumps(t) + "\n" for t in rows))
        return load_tasks(path).tasks[0]


def test_speed_is_rounded_to_a_step_and_bounded():
    assert speed_from_cpu(REFERENCE_CPU_S) == 1.0
    assert speed_from_cpu(2 * REFERENCE_CPU_S) == 2.0
    assert speed_from_cpu(1.02 * REFERENCE_CPU_S) == 1.0  # noise of a few percent does not move it
    assert speed_from_cpu(1.04 * REFERENCE_CPU_S) == 1.05
    assert speed_from_cpu(REFERENCE_CPU_S / 1000) == SPEED_RANGE[0]
    assert speed_from_cpu(REFERENCE_CPU_S * 1000) == SPEED_RANGE[1]


def test_limits_are_stated_in_reference_machine_seconds_and_scaled_by_speed():
    """Both terms: the floor, and the reference's time (cached in reference-machine seconds)."""
    task = load_tasks_from(TASKS)
    slow_ref = Reference(outputs=(None,), cpu_s=(1.0,))
    fast_ref = Reference(outputs=(None,), cpu_s=(0.001,))
    assert plan_tests(task, fast_ref, TimePolicy(floor_s=0.5)).case_cpu_s == (0.5,)  # no speed yet: as stated
    assert plan_tests(task, fast_ref, TimePolicy(floor_s=0.5, speed=2.0)).case_cpu_s == (1.0,)
    assert plan_tests(task, slow_ref, TimePolicy(floor_s=0.5, speed=1.0)).case_cpu_s == (4.0,)
    assert plan_tests(task, slow_ref, TimePolicy(floor_s=0.5, speed=2.0)).case_cpu_s == (8.0,)
    assert plan_tests(task, fast_ref, TimePolicy(floor_s=0.5, speed=1.0)).digest != \
        plan_tests(task, fast_ref, TimePolicy(floor_s=0.5, speed=2.0)).digest  # a new limit is a new verdict key


def test_measured_speed_is_a_step_within_range(sandbox):
    speed = calibration.SpeedMeasurement(sandbox).speed()
    assert SPEED_RANGE[0] <= speed <= SPEED_RANGE[1]
    assert abs(speed / SPEED_STEP - round(speed / SPEED_STEP)) < 1e-9


def _measured(program, limits):
    raise AssertionError("measured although a stored speed existed")


def _no_jobs() -> FakeSandbox:
    """Fails the test if calibration tries to measure."""
    return FakeSandbox(_measured)


def _twice_as_slow(program, limits):
    """The calibration job's answer on a machine that takes twice the reference machine's CPU time."""
    assert isinstance(program, PythonTests) and program.entry_point == "work", program
    return ExecResult(Status.OK, completed=True, cases=(CaseResult(0, CaseStatus.PASSED, cpu_s=2 * REFERENCE_CPU_S),))


def test_the_runs_speed_wins_then_the_shared_one_then_a_measurement(tmp_path):
    run, shared = RunStore(tmp_path / "run.sqlite"), RunStore(tmp_path / "shared.sqlite")
    measuring = FakeSandbox(_twice_as_slow)
    measured = Calibration(TimePolicy(), measuring, run, shared).policy().speed  # nothing stored: measured, kept
    assert measured == 2.0 and run.get_meta("machine_speed") == 2.0 and measuring.jobs
    other_run = RunStore(tmp_path / "other.sqlite")
    assert Calibration(TimePolicy(), _no_jobs(), other_run, shared).policy().speed == measured  # this machine's
    run.set_meta("machine_speed", 3.0)
    assert Calibration(TimePolicy(), _no_jobs(), run, shared).policy().speed == 3.0  # a resumed run keeps its own
    given = Calibration(TimePolicy(speed=1.0), _no_jobs(), RunStore(tmp_path / "given.sqlite"), shared)
    assert given.policy().speed == 1.0  # --machine-speed: nothing measured or looked up


def test_a_new_code_version_keeps_this_machines_speed(tmp_path, monkeypatch):
    """Another judging code id (an upgrade, another commit) finds the speed stored before: nothing is measured."""
    import sys

    from execeval import codeid

    shared = RunStore(tmp_path / "shared.sqlite")
    before = Calibration(TimePolicy(), FakeSandbox(_twice_as_slow), RunStore(tmp_path / "a.sqlite"), shared).policy()
    for module in list(sys.modules.values()):  # wherever the id is read, it is now another code version's
        if getattr(module, "judging_code_id", None) is codeid.judging_code_id:
            monkeypatch.setattr(module, "judging_code_id", lambda: "0.1.0+otherjudgingcode")
    after = Calibration(TimePolicy(), _no_jobs(), RunStore(tmp_path / "b.sqlite"), shared).policy()
    assert after.speed == before.speed == 2.0


def test_a_calibration_job_that_did_not_run_is_a_sandbox_error_with_a_way_out():
    broken = FakeSandbox(lambda program, limits: ExecResult(Status.SANDBOX_ERROR, detail="no fork server"))
    with pytest.raises(SandboxError, match="calibration job did not run") as e:
        calibration.SpeedMeasurement(broken).speed()
    assert "--machine-speed 1" in (e.value.hint or "")


def test_a_slow_but_correct_program_passes_on_a_slow_machine_and_times_out_on_a_fast_one(tmp_path, sandbox):
    tasks, samples = _files(tmp_path)
    fast = evaluate(samples, tasks, tmp_path / "fast", EvalConfig(k=(1,), policy=TimePolicy(floor_s=0.12, speed=1.0)),
                    sandbox=sandbox)
    slow = evaluate(samples, tasks, tmp_path / "slow", EvalConfig(k=(1,), policy=TimePolicy(floor_s=0.12, speed=5.0)),
                    sandbox=sandbox)
    assert read_results(tmp_path / "fast")[0]["status"] == "timeout"
    assert read_results(tmp_path / "slow")[0]["passed"] is True
    assert fast["settings"]["machine_speed"] == 1.0 and fast["settings"]["timeout_floor_cpu_s"] == 0.12
    assert slow["settings"]["timeout_floor_cpu_s"] == 0.6


def test_a_resumed_run_keeps_its_speed_when_the_machine_changes(tmp_path, sandbox, monkeypatch):
    monkeypatch.setenv("EXECEVAL_CACHE_DIR", str(tmp_path / "cache"))
    tasks, samples = _files(tmp_path)
    first = evaluate(samples, tasks, tmp_path / "run", EvalConfig(k=(1,)), sandbox=sandbox)
    shared = RunStore(tmp_path / "cache" / "references.sqlite")
    assert first["settings"]["machine_speed"] is not None
    for key in [k for k, in shared._db.execute("SELECT key FROM meta WHERE key LIKE 'speed:%'")]:
        shared.set_meta(key, 4.0)  # as if this machine now measured 4x slower
    again = evaluate(samples, tasks, tmp_path / "run", EvalConfig(k=(1,)), sandbox=sandbox)
    assert again["settings"]["machine_speed"] == first["settings"]["machine_speed"]
    assert again["jobs"]["from_store"] == 1  # same limits, same key: nothing re-run
    fresh = evaluate(samples, tasks, tmp_path / "new-run", EvalConfig(k=(1,)), sandbox=sandbox)
    assert fresh["settings"]["machine_speed"] == 4.0


def test_doctor_shows_the_stored_speed_beside_a_fresh_one_and_recalibrate_replaces_it(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from execeval.cli import app

    monkeypatch.setenv("EXECEVAL_CACHE_DIR", str(tmp_path))
    shared = RunStore(tmp_path / "references.sqlite")
    calibration.store_speed(shared, SPEED_RANGE[1])  # as if stored while the machine was very busy
    shown = CliRunner().invoke(app, ["doctor"])
    assert shown.exit_code == 0, shown.output  # 1 would mean isolation is not full
    assert f"measured now; {SPEED_RANGE[1]:g} stored" in shown.output, shown.output
    replaced = CliRunner().invoke(app, ["doctor", "--recalibrate", "--json"])
    assert replaced.exit_code == 0, replaced.output
    report = json.loads(replaced.stdout)
    assert SPEED_RANGE[0] <= report["machine_speed"] <= SPEED_RANGE[1]
    assert report["stored_machine_speed"] == report["machine_speed"] == calibration.stored_speed(shared)


def test_doctor_says_how_to_replace_a_stored_speed_more_than_a_step_from_the_fresh_one():
    from execeval.doctor import Diagnosis

    def drift(fresh: float, stored: float | None) -> str | None:
        return Diagnosis(None, fresh, (), stored).speed_drift  # type: ignore[arg-type]  # isolation is not read

    assert drift(1.2, None) is None and drift(1.2, 1.2) is None
    assert drift(1.2, 1.25) is None and drift(1.25, 1.2) is None  # one step: noise, rounded
    assert "--recalibrate" in (drift(1.2, 1.3) or "") and "1.3" in (drift(1.2, 1.3) or "")


def test_cached_reference_times_are_in_reference_machine_seconds(tmp_path, sandbox, monkeypatch):
    """A reference timed on a machine twice as slow is cached at half its CPU time, so another machine sharing
    the cache (a home directory on a cluster) scales it by its own speed."""
    monkeypatch.setenv("EXECEVAL_CACHE_DIR", str(tmp_path / "cache"))
    spin = "    import time\n    end = time.process_time() + 0.3\n    while time.process_time() < end:\n        pass\n"
    tasks = tmp_path / "tasks.jsonl"
    tasks.write_text(json.dumps({"task_id": "t/ref", "prompt": "def f(x):\n", "entry_point": "f",
                                 "reference": "def f(x):\n" + spin + "    return x + 1\n",
                                 "tests": ["assert f(1) == 2"]}) + "\n")
    samples = tmp_path / "samples.jsonl"
    samples.write_text(json.dumps({"task_id": "t/ref", "solution": "def f(x):\n    return x + 1\n"}) + "\n")
    evaluate(samples, tasks, tmp_path / "slow", EvalConfig(k=(1,), policy=TimePolicy(speed=2.0)), sandbox=sandbox)
    shared = RunStore(tmp_path / "cache" / "references.sqlite")
    (cpu,) = [json.loads(d)["cpu_s"][0] for d, in shared._db.execute("SELECT data FROM refs")]
    assert 0.13 <= cpu <= 0.2, cpu  # 0.3 s measured / speed 2



def test_plus_tests_have_evalplus_floor_and_base_tests_their_own():
    """Large plus inputs get EvalPlus's 1 s floor (HumanEval's own canonical solution of HumanEval/96 needs
    ~0.3 s on one); base tests 0.25 s, so a never-ending program is stopped at its first base test."""
    task = load_tasks_from([{"task_id": "t/p", "prompt": "def f(x):\n", "entry_point": "f",
                             "reference": "def f(x):\n    return x\n", "inputs": [[1]], "plus_inputs": [[2]]}])
    ref = Reference(outputs=("1", "2"), cpu_s=(0.001, 0.001))
    plan = plan_tests(task, ref, TimePolicy(speed=1.0))
    assert plan.n_base == 1 and plan.case_cpu_s == (0.25, 1.0)
    assert plan_tests(task, ref, TimePolicy(floor_s=0.5, plus_floor_s=2.0, speed=2.0)).case_cpu_s == (1.0, 4.0)


def test_each_case_budget_is_the_policys_conversion_of_its_largest_limit():
    """plan_tests converts each floor once and compares per case: every budget must still be
    `policy.here(max(floor, factor × reference CPU, stated limit))`, on either side of each floor."""
    inputs = [[i] for i in range(6)]
    task = load_tasks_from([{"task_id": "t/b", "prompt": "def f(x):\n", "entry_point": "f", "metadata":
                             {"time_limit_s": 0.3}, "reference": "def f(x):\n    return x\n",
                             "inputs": inputs[:3], "plus_inputs": inputs[3:]}])
    cpu = (0.0, 0.075, 0.2, 0.1, 0.25, 0.7)  # under, at and over the stated limit, the base and the plus floors
    ref = Reference(outputs=tuple(str(i) for i in range(6)), cpu_s=cpu)
    for policy in (TimePolicy(speed=1.37), TimePolicy(floor_s=0.2, factor=1.5), TimePolicy(speed=0.3, factor=3)):
        floors = (policy.floor_s,) * 3 + (policy.plus_floor_s,) * 3
        want = tuple(policy.here(max(f, policy.factor * c, 0.3)) for f, c in zip(floors, cpu))
        assert plan_tests(task, ref, policy).case_cpu_s == want
        assert len(set(want)) > 2  # the limits differ: each branch of the comparison is taken


def test_a_plan_keeps_every_field_of_a_call_and_gives_it_the_references_output():
    """plan_tests builds each Call by hand (hot at start-up): no field of the task's case may be lost."""
    import dataclasses

    from execeval.sandbox.base import Call

    task = load_tasks_from([{"task_id": "t/c", "prompt": "def f(x):\n", "entry_point": "f",
                             "reference": "def f(x):\n    return x\n", "inputs": [[1], [2]]}])
    odd = Call(**{f.name: ("[3]" if f.name == "args_json" else True if f.type in (bool, "bool") else "x")
                  for f in dataclasses.fields(Call)})
    task = dataclasses.replace(task, tests=dataclasses.replace(task.tests, cases=(odd, task.tests.cases[1])))
    plan = plan_tests(task, Reference(outputs=("3", None), cpu_s=(0.001, 0.001)), TimePolicy(speed=1.0))
    assert plan.cases == (dataclasses.replace(odd, expected="3"),)  # the case the reference failed is left out
    assert plan.labels == ("input [3]",)


def test_a_time_setting_that_is_not_positive_is_a_clear_error():
    from execeval.errors import UsageError

    for bad in ({"floor_s": 0}, {"plus_floor_s": -1}, {"factor": 0}, {"run_s": 0}, {"speed": -1.0},
                {"speed": float("nan")}):
        with pytest.raises(UsageError, match="must be more than 0"):
            TimePolicy(**bad)
    assert TimePolicy(speed=None).speed is None and TimePolicy(speed=0.5).here(1.0) == 0.5


def test_a_time_flag_that_is_not_positive_names_the_flag_the_library_the_field():
    from typer.testing import CliRunner

    from execeval.cli import app
    from execeval.errors import UsageError

    with pytest.raises(UsageError, match=r"TimePolicy\(floor_s=0\)"):
        TimePolicy(floor_s=0)
    for flag in ("--timeout", "--plus-timeout", "--time-factor", "--run-timeout", "--machine-speed"):
        result = CliRunner().invoke(app, ["evaluate", "--demo", "--out", "unused", flag, "0"])
        assert result.exit_code == 2 and f"{flag} 0" in result.output, (flag, result.output)
