"""Checks of the bundled demo benchmark (`execeval/tasks/demo`), without the sandbox.

The task file is our own trusted code, so references run here with plain `exec`. Samples are model-like output and
some are hostile (infinite loops, `os._exit`, memory hogs): only those labelled "pass" run in this process, plus the
"wrong"/"crash" ones, which are screened for hostile constructs first, to prove their "fail" label is earned.
"""

from __future__ import annotations

import copy
import json
import math
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

DEMO = Path(__file__).resolve().parents[1] / "execeval/tasks/demo"
TASKS_FILE = DEMO / "tasks.jsonl"
SAMPLES_FILE = DEMO / "samples.jsonl"

TASK_KEYS = {"task_id", "prompt", "entry_point", "reference", "tests"}
OPTIONAL_TASK_KEYS = {"inputs", "atol"}
SAMPLE_KEYS = {"task_id", "completion", "expected"}
KINDS = {"correct", "wrong", "crash", "timeout", "exit", "always_eq", "memory"}
SAMPLES_PER_TASK = 5
# Constructs that must never run in the pytest process.
HOSTILE = ("while True:\n        pass", "sleep(", "_exit", "sys.exit", "exit(", "bytearray(256", "subprocess", "signal")


def _read_jsonl(path: Path) -> list[dict[str, Any]]:
    records = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        assert line.strip(), f"{path.name}:{n}: blank line"
        try:
            rec = json.loads(line)
        except json.JSONDecodeError as e:  # pragma: no cover - reported as a failure
            pytest.fail(f"{path.name}:{n}: invalid JSON ({e})")
        assert isinstance(rec, dict), f"{path.name}:{n}: not a JSON object"
        records.append(rec)
    return records


TASKS = _read_jsonl(TASKS_FILE)
SAMPLES = _read_jsonl(SAMPLES_FILE)
BY_ID = {t["task_id"]: t for t in TASKS}


def _run_module(source: str, name: str) -> dict[str, Any]:
    ns: dict[str, Any] = {"__name__": name}
    exec(compile(source, f"<{name}>", "exec"), ns)
    return ns


def _same(got: Any, want: Any, atol: float) -> bool:
    """Exact equality with exact container types; floats within atol (1e-6 when floats are expected)."""
    if isinstance(want, float) or isinstance(got, float):
        if type(got) not in (int, float) or type(want) not in (int, float):
            return False
        return math.isclose(got, want, rel_tol=0.0, abs_tol=atol or 1e-6)
    if type(got) is not type(want):
        return False
    if isinstance(want, (list, tuple)):
        return len(got) == len(want) and all(_same(g, w, atol) for g, w in zip(got, want))
    if isinstance(want, dict):
        return got.keys() == want.keys() and all(_same(got[k], want[k], atol) for k in want)
    return got == want


def _reference_outputs(task: dict[str, Any]) -> list[Any]:
    fn = _run_module(task["reference"], "reference")[task["entry_point"]]
    return [fn(*copy.deepcopy(args)) for args in task.get("inputs", [])]


def _failures(task: dict[str, Any], program: str) -> list[str]:
    """Why `program` fails the task (asserts, then inputs against the reference); empty when it passes."""
    try:
        ns = _run_module(program, "candidate")
    except Exception as e:
        return [f"module: {type(e).__name__}: {e}"]
    problems = []
    for i, test in enumerate(task["tests"]):
        try:
            exec(compile(test, f"<test {i}>", "exec"), ns)
        except Exception as e:
            problems.append(f"test {i} ({test.splitlines()[0]}): {type(e).__name__}: {e}")
    fn = ns.get(task["entry_point"])
    for args, want in zip(task.get("inputs", []), _reference_outputs(task)):
        try:
            got = fn(*copy.deepcopy(args))
        except Exception as e:
            problems.append(f"input {args!r}: {type(e).__name__}: {e}")
            continue
        if not _same(got, want, task.get("atol", 0.0)):
            problems.append(f"input {args!r}: got {got!r}, want {want!r}")
    return problems


# ---------------------------------------------------------------- tasks.jsonl
def test_task_file_shape():
    assert len(TASKS) == 20
    ids = [t["task_id"] for t in TASKS]
    assert len(set(ids)) == len(ids), "duplicate task ids"
    assert ids == [f"demo/{i}" for i in range(len(TASKS))]
    for t in TASKS:
        tid = t["task_id"]
        assert TASK_KEYS <= t.keys(), f"{tid}: missing {TASK_KEYS - t.keys()}"
        assert t.keys() <= TASK_KEYS | OPTIONAL_TASK_KEYS, f"{tid}: unknown keys {t.keys() - TASK_KEYS - OPTIONAL_TASK_KEYS}"
        for key in ("prompt", "entry_point", "reference"):
            assert isinstance(t[key], str) and t[key], f"{tid}: {key} must be a non-empty string"
        assert t["entry_point"].isidentifier()
        assert t["prompt"].endswith("\n"), f"{tid}: prompt must end with a newline"
        assert f"def {t['entry_point']}(" in t["prompt"], f"{tid}: prompt lacks the entry point's def line"
        assert t["reference"].startswith(t["prompt"]), f"{tid}: reference must be prompt + body"
        assert isinstance(t["tests"], list) and 5 <= len(t["tests"]) <= 8, f"{tid}: want 5-8 tests"
        for i, test in enumerate(t["tests"]):
            assert isinstance(test, str) and t["entry_point"] in test, f"{tid}: test {i} must call the entry point"
            compile(test, f"{tid} test {i}", "exec")
        if "inputs" in t:
            assert isinstance(t["inputs"], list) and 5 <= len(t["inputs"]) <= 20, f"{tid}: want 5-20 inputs"
            assert all(isinstance(a, list) for a in t["inputs"]), f"{tid}: each input is an argument list"
        if "atol" in t:
            assert isinstance(t["atol"], (int, float)) and t["atol"] > 0


def test_about_half_the_tasks_have_inputs():
    with_inputs = sum("inputs" in t for t in TASKS)
    assert 8 <= with_inputs <= 12, with_inputs


@pytest.mark.parametrize("task", TASKS, ids=[t["task_id"] for t in TASKS])
def test_reference_passes_its_own_tests(task):
    compile(task["reference"], task["task_id"], "exec")
    assert _failures(task, task["reference"]) == []
    outputs = _reference_outputs(task)
    assert len(outputs) == len(task.get("inputs", []))


def test_required_kinds_of_task_are_present():
    """A float task (with atol), a tuple, a dict and a str result; a list-mutation and a recursive task."""
    returned: set[type] = set()
    for t in TASKS:
        returned.update(type(v) for v in _reference_outputs(t))
    assert {float, tuple, dict, str} <= returned, returned
    float_tasks = [t for t in TASKS if any(type(v) is float for v in _reference_outputs(t))]
    assert float_tasks and all("atol" in t for t in float_tasks)
    assert any("nums[:] =" in t["reference"] for t in TASKS), "no in-place list mutation task"
    assert any(t["reference"].count(f"{t['entry_point']}(") >= 2 for t in TASKS), "no recursive reference"


# ---------------------------------------------------------------- samples.jsonl
def test_sample_file_shape():
    for n, s in enumerate(SAMPLES, 1):
        assert SAMPLE_KEYS <= s.keys(), f"line {n}: missing {SAMPLE_KEYS - s.keys()}"
        assert s["task_id"] in BY_ID, f"line {n}: unknown task {s['task_id']}"
        assert isinstance(s["completion"], str) and s["completion"].strip()
        assert s["expected"] in {"pass", "fail"}
        assert s.get("kind") in KINDS, f"line {n}: kind {s.get('kind')!r}"
        assert (s["expected"] == "pass") == (s["kind"] == "correct"), f"line {n}: label and kind disagree"
    per_task = Counter(s["task_id"] for s in SAMPLES)
    assert per_task == {tid: SAMPLES_PER_TASK for tid in BY_ID}


def test_sample_mix():
    kinds = Counter(s["kind"] for s in SAMPLES)
    passes = sum(s["expected"] == "pass" for s in SAMPLES)
    assert 0.40 <= passes / len(SAMPLES) <= 0.60, passes
    assert kinds["wrong"] >= 0.2 * len(SAMPLES)
    assert kinds["timeout"] + kinds["crash"] >= 4
    assert kinds["timeout"] >= 3 and kinds["crash"] >= 5
    assert kinds["exit"] >= 2 and kinds["always_eq"] >= 1 and kinds["memory"] >= 1
    # every task has at least one correct and one failing sample, so pass@k is never trivially 0 or 1
    for tid in BY_ID:
        labels = {s["expected"] for s in SAMPLES if s["task_id"] == tid}
        assert labels == {"pass", "fail"}, tid


def _samples(kinds: set[str]) -> list[tuple[str, dict[str, Any]]]:
    return [(f"{s['task_id']}#{i}:{s['kind']}", s) for i, s in enumerate(SAMPLES) if s["kind"] in kinds]


_PASSING = _samples({"correct"})
_FAILING = _samples({"wrong", "crash"})


@pytest.mark.parametrize("sample", [s for _, s in _PASSING], ids=[i for i, _ in _PASSING])
def test_pass_labelled_sample_passes(sample):
    task = BY_ID[sample["task_id"]]
    assert _failures(task, task["prompt"] + sample["completion"]) == []


@pytest.mark.parametrize("sample", [s for _, s in _FAILING], ids=[i for i, _ in _FAILING])
def test_wrong_or_crashing_sample_fails(sample):
    assert not any(h in sample["completion"] for h in HOSTILE), "hostile code must not be labelled wrong/crash"
    task = BY_ID[sample["task_id"]]
    assert _failures(task, task["prompt"] + sample["completion"]), "labelled fail but passes every test"


def test_failure_check_can_fail():
    """The checker itself: a deliberately broken body must be reported."""
    task = BY_ID["demo/0"]
    assert _failures(task, task["prompt"] + "    return text\n")
    assert _failures(task, task["prompt"] + "    return (\n")
    assert not _failures(task, task["reference"])
