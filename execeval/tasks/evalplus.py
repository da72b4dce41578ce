"""EvalPlus files: HumanEval+ (`HumanEvalPlus-*.jsonl.gz`) and MBPP+ (`MbppPlus*.jsonl`).

Each record has task_id, prompt, entry_point, canonical_solution, base_input, plus_input and atol (plus `test`,
`assertion`, `contract`, which we keep or ignore but never execute here). The inputs become `Call` cases; their
expected outputs are computed later by running the reference in the sandbox, because that is how EvalPlus defines
them (the file has no outputs). `base_input` makes `tests`, `plus_input` makes `plus_tests`, so a report can give
both the base and the base+plus score.

HumanEval+ samples complete the prompt; MBPP+ ("Mbpp/N") canonical solutions and samples are whole programs.

Loading must stay fast: HumanEval+ v0.1.10 carries 122,683 plus inputs. We decode each line once and re-encode each
argument list with one shared compact encoder; nothing is copied twice.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from execeval.errors import TaskFormatError
from execeval.tasks.records import Raw, compact_json, make_taskset, need, objects, optional, read_raw, sha256
from execeval.tasks.evalplus_quirks import oracle_for, restore_arguments
from execeval.tasks.model import Call, Task, TaskSet, TestSuite
from execeval.values import encode

__all__ = ["KEYS", "is_whole_program_id", "task_from_record", "load_evalplus"]

#: The keys that identify an EvalPlus record (used by format detection).
KEYS = frozenset({"task_id", "prompt", "entry_point", "canonical_solution", "base_input", "plus_input"})

#: Record keys worth keeping in `Task.metadata` (prompt builders may show contracts or the MBPP+ asserts).
_KEEP = ("contract", "assertion")


def is_whole_program_id(task_id: str) -> bool:
    """MBPP+ ids ("Mbpp/2") name whole-program tasks; HumanEval+ ids name prompt-completion tasks."""
    return task_id.lower().startswith("mbpp/")


def _calls(rec: Mapping[str, Any], key: str, where: str, task_id: str = "", oracle: str = "") -> tuple[Call, ...]:
    """The `Call` cases of one input list. Accepts the list itself, or it JSON-encoded (as some hub copies store
    it); `{}` means no inputs (MBPP+ has one such task)."""
    if key not in rec:
        raise TaskFormatError(f"{where}: missing key '{key}'")
    inputs = rec[key]
    if isinstance(inputs, str):
        try:
            inputs = json.loads(inputs)
        except json.JSONDecodeError as e:
            raise TaskFormatError(f"{where}: key '{key}' is a string but not JSON ({e.msg})") from None
    if inputs is None or inputs == {}:
        return ()
    if not isinstance(inputs, list):
        raise TaskFormatError(f"{where}: key '{key}' should be a list of argument lists, not {type(inputs).__name__}")
    restore = restore_arguments(task_id)
    cases = []
    for i, args in enumerate(inputs):
        if type(args) is not list:
            raise TaskFormatError(f"{where}: {key}[{i}] should be a list of arguments, not {type(args).__name__}")
        try:
            restored = restore(args) if restore is not None else None
        except (TypeError, ValueError, IndexError, AttributeError, KeyError):
            restored = None  # not shaped like the MBPP+ task of that id: keep the JSON types as they are
        cases.append(Call(encode(restored), tagged=True, oracle=oracle) if restored is not None
                     else Call(compact_json(args), oracle=oracle))
    return tuple(cases)


def task_from_record(rec: Mapping[str, Any], where: str, *, whole_program: bool | None = None) -> Task:
    """One EvalPlus record as a `Task`. `whole_program` overrides the guess made from the task id."""
    task_id = need(rec, "task_id", str, where)
    prompt = need(rec, "prompt", str, where)
    entry_point = need(rec, "entry_point", str, where)
    solution = need(rec, "canonical_solution", str, where)
    atol = float(optional(rec, "atol", (int, float), where, 0))
    if atol < 0:
        raise TaskFormatError(f"{where}: key 'atol' should not be negative")
    oracle = oracle_for(task_id, entry_point)
    base = _calls(rec, "base_input", where, task_id, oracle)
    plus = _calls(rec, "plus_input", where, task_id, oracle)
    whole = is_whole_program_id(task_id) if whole_program is None else whole_program
    metadata = {k: rec[k] for k in _KEEP if isinstance(rec.get(k), str)}
    return Task(
        task_id=task_id,
        prompt=prompt,
        entry_point=entry_point,
        reference=solution if whole else prompt + solution,
        tests=TestSuite(cases=base, atol=atol),
        completion_mode=not whole,
        # None, not an empty suite, when there is nothing extra: an empty suite could never "pass"
        plus_tests=TestSuite(cases=plus, atol=atol) if plus else None,
        metadata=metadata,
    )


def load_evalplus(path: str | Path | Raw, *, name: str | None = None, whole_program: bool | None = None) -> TaskSet:
    """Read a HumanEval+ or MBPP+ file. Nothing in it is executed."""
    raw = read_raw(path)
    located = [(where, task_from_record(rec, where, whole_program=whole_program)) for where, rec in objects(raw)]
    return make_taskset(name or raw.label, located, str(raw.path), sha256(raw.data))
