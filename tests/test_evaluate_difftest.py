"""`evaluate --difftest`: samples planted to pass a task's weak tests while being wrong are all flagged, right
ones survive, and a rerun takes every search from the store."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from execeval.evaluate import EvalConfig, evaluate
from execeval.report.html import render_report
from execeval.runs.files import read_results
from execeval.sandbox import FakeSandbox, Sandbox

# (task id, entry point, reference, weak inputs, [(completion id, program, wrong?)])
TASKS = [
    ("weak/clamp", "clamp", "def clamp(x):\n    return max(0, min(10, x))\n", [[5], [-3]], [
        (0, "def clamp(x):\n    return max(0, min(10, x))\n", False),
        (1, "def clamp(x):\n    return 0 if x < 0 else x\n", True),  # forgets the upper bound
        (2, "def clamp(x):\n    return sorted([0, x, 10])[1]\n", False),
    ]),
    ("weak/vowels", "vowels", "def vowels(s):\n    return sum(c in 'aeiouAEIOU' for c in s)\n", [["hello"], ["xyz"]], [
        (0, "def vowels(s):\n    return sum(c in 'aeiou' for c in s)\n", True),  # lower case only
        (1, "def vowels(s):\n    return sum(c.lower() in 'aeiou' for c in s)\n", False),
    ]),
    ("weak/median", "median", "def median(xs):\n    ys = sorted(xs)\n    n = len(ys)\n    return ys[n // 2] if n % 2 "
     "else (ys[n // 2 - 1] + ys[n // 2]) / 2\n", [[[3, 1, 2]], [[5]]], [
        (0, "def median(xs):\n    return sorted(xs)[len(xs) // 2]\n", True),  # odd lengths only
        (1, "import statistics\ndef median(xs):\n    return statistics.median(xs)\n", False),
    ]),
    ("weak/div", "safe_div", "def safe_div(a, b):\n    return a / b if b else None\n", [[4, 2], [9, 3]], [
        (0, "def safe_div(a, b):\n    return a / b\n", True),  # crashes on b == 0: a difference too
        (1, "def safe_div(a, b):\n    return a // b if b else None\n", True),  # integer division
        (2, "def safe_div(a, b):\n    if b == 0:\n        return None\n    return a / b\n", False),
        (3, "def safe_div(a, b):\n    return 1\n", None),  # fails the tests: not checked
    ]),
    # differs only on negative odd numbers, which the task's contract excludes: not flagged
    ("weak/half", "half", "def half(x):\n    return x // 2\n", [[4], [7]], [
        (0, "def half(x):\n    return int(x / 2)\n", False),
    ]),
]
CONTRACTS = {"weak/half": "\n    assert x >= 0, 'invalid inputs'  # $_CONTRACT_$\n"}


def _files(tmp_path: Path) -> tuple[Path, Path]:
    tasks, samples = tmp_path / "tasks.jsonl", tmp_path / "samples.jsonl"
    tasks.write_text("".join(json.dumps({"task_id": tid, "prompt": "", "entry_point": ep, "reference": ref,
                                         "inputs": inputs, "completion_mode": False,
                                         "metadata": {"contract": CONTRACTS[tid]} if tid in CONTRACTS else {}})
                             + "\n"
                             for tid, ep, ref, inputs, _ in TASKS))
    samples.write_text("".join(json.dumps({"task_id": tid, "completion_id": cid, "solution": code}) + "\n"
                               for tid, _, _, _, planted in TASKS for cid, code, _ in planted))
    return tasks, samples


@pytest.mark.slow
def test_planted_passed_but_wrong_samples_are_all_flagged(tmp_path, sandbox):
    tasks, samples = _files(tmp_path)
    out = tmp_path / "run"
    summary = evaluate(samples, tasks, out, EvalConfig(k=(1,), difftest=True), sandbox=sandbox)
    rows = {(r["task_id"], r["completion_id"]): r for r in read_results(out)}
    for tid, _, _, _, planted in TASKS:
        for cid, _, wrong in planted:
            row = rows[(tid, cid)]
            if wrong is None:
                assert not row["passed"] and "difftest" not in row
                continue
            assert row["passed"], (tid, cid, row["first_failure"])
            assert row["difftest"]["differs"] is wrong, (tid, cid, row["difftest"])
    d = summary["difftest"]
    assert d["passed_but_wrong"] == 5 and d["passes_checked"] == 11 and d["passes_survived"] == 6
    assert d["weak_tasks"] == ["weak/clamp", "weak/div", "weak/median", "weak/vowels"]
    flagged = rows[("weak/div", 0)]["difftest"]
    assert flagged["reference"] == "None" and flagged["candidate"] == "raises ZeroDivisionError"
    assert flagged["input"].startswith("safe_div(") and flagged["input"].endswith(", 0)")

    page = render_report(out).read_text()
    assert 'id="difftest"' in page and "Passed but wrong" in page and "weak/clamp, weak/div" in page

    again = evaluate(samples, tasks, out, EvalConfig(k=(1,), difftest=True), sandbox=_refusing(sandbox))
    assert again["difftest"] == d  # every search (and every verdict) from the store


def _refusing(inner: Sandbox) -> FakeSandbox:
    """A sandbox that refuses work: a rerun that needs none passes through it."""

    def refuse(program, limits):
        raise AssertionError(f"a rerun ran a job: {type(program).__name__}")

    return FakeSandbox(refuse, capacity=inner.capacity, isolation=inner.isolation())
