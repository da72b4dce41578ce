"""OpenAI HumanEval (`HumanEval.jsonl` / `.jsonl.gz`): 164 tasks, keys task_id, prompt, canonical_solution, test,
entry_point.

A sample completes the prompt, so `reference = prompt + canonical_solution` and `completion_mode=True`. The tests are
the file's own `check(candidate)` function, run as setup, then one `Assert` that calls it on the entry point: that
is exactly what the original harness runs, so our verdicts can be compared with published numbers.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from execeval.tasks.records import Raw, make_taskset, need, objects, read_raw, sha256
from execeval.tasks.model import Assert, Task, TaskSet, TestSuite

__all__ = ["KEYS", "task_from_record", "load_humaneval"]

#: The keys that identify a HumanEval record (used by format detection).
KEYS = frozenset({"task_id", "prompt", "canonical_solution", "test", "entry_point"})


def task_from_record(rec: Mapping[str, Any], where: str) -> Task:
    """One HumanEval record as a `Task`; `where` ("file:line") names the record in errors."""
    task_id = need(rec, "task_id", str, where)
    prompt = need(rec, "prompt", str, where)
    solution = need(rec, "canonical_solution", str, where)
    test = need(rec, "test", str, where)
    entry_point = need(rec, "entry_point", str, where)
    return Task(
        task_id=task_id,
        prompt=prompt,
        entry_point=entry_point,
        reference=prompt + solution,
        tests=TestSuite(cases=(Assert(f"check({entry_point})"),), setup=test),
        completion_mode=True,
    )


def load_humaneval(path: str | Path | Raw, *, name: str | None = None) -> TaskSet:
    """Read a HumanEval file (gzipped or not). Nothing in it is executed."""
    raw = read_raw(path)
    located = [(where, task_from_record(rec, where)) for where, rec in objects(raw)]
    return make_taskset(name or raw.label, located, str(raw.path), sha256(raw.data))
