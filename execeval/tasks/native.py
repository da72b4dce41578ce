"""execeval's own task format (`execeval-tasks/1`, JSON Lines), documented in docs/task-format.md.

Why one more format: users bring their own problems, and the benchmark formats each miss something (HumanEval has
no input lists, EvalPlus no asserts, MBPP no prompt to complete). This one holds what the `Task` model holds, with
the fewest required keys, and validates every line so a typo is reported where it is, not at run time.

    {"format": "execeval-tasks/1", "setup": "import math"}          <- optional header: setup (and prelude) for all
    {"task_id": "demo/add", "prompt": "def add(a, b):\n", "entry_point": "add",
     "reference": "def add(a, b):\n    return a + b\n", "tests": ["assert add(1, 2) == 3"], "inputs": [[1, 2]]}
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from execeval.errors import TaskFormatError
from execeval.tasks.records import Raw, compact_json, make_taskset, need, objects, optional, read_raw, sha256
from execeval.tasks.model import Assert, Call, Task, TaskSet, TestCase, TestProgram, TestSuite

__all__ = ["FORMAT", "KNOWN_KEYS", "task_from_record", "load_native", "is_header"]

FORMAT = "execeval-tasks/1"
KNOWN_KEYS = frozenset({"task_id", "prompt", "entry_point", "reference", "tests", "inputs", "plus_inputs", "setup",
                        "prelude",
                        "atol", "completion_mode", "metadata", "language", "should_abstain", "input_quality"})
_HEADER_KEYS = frozenset({"format", "setup", "prelude"})


def is_header(rec: Mapping[str, Any]) -> bool:
    """A record with a "format" key is the file header, not a task."""
    return "format" in rec


def _strings(rec: Mapping[str, Any], key: str, where: str) -> list[str]:
    items = optional(rec, key, list, where, [])
    for i, item in enumerate(items):
        if not isinstance(item, str):
            raise TaskFormatError(f"{where}: {key}[{i}] should be a string of code, not {type(item).__name__}")
    return items


def _calls(rec: Mapping[str, Any], key: str, where: str) -> tuple[Call, ...]:
    items = optional(rec, key, list, where, [])
    for i, args in enumerate(items):
        if not isinstance(args, list):
            raise TaskFormatError(f"{where}: {key}[{i}] should be a list of arguments, like [1, \"a\"], "
                                  f"not {type(args).__name__}")
    return tuple(Call(compact_json(args)) for args in items)


def task_from_record(rec: Mapping[str, Any], where: str, *, file_setup: str = "", file_prelude: str = "") -> Task:
    """One native record as a `Task`; `file_setup` (the header's) runs before the task's own setup.

    `setup` runs after the program; `prelude` (the header's, then the task's) runs *before* it, in the same
    namespace: the imports that annotations need when the program's functions are defined (LDB's
    `from typing import *`), without copying them into every sample. It comes first in every sample's program
    (`execeval.samples.program_for` reads `metadata["prelude"]`) and in the reference."""
    task_id = need(rec, "task_id", str, where)
    if not task_id.strip():
        raise TaskFormatError(f"{where}: key 'task_id' is empty")
    prompt = need(rec, "prompt", str, where)
    entry_point = need(rec, "entry_point", str, where)
    if not entry_point.isidentifier():
        raise TaskFormatError(f"{where}: key 'entry_point' should be a Python name, not {entry_point!r}")
    reference = need(rec, "reference", str, where)
    asserts = _strings(rec, "tests", where)
    inputs = _calls(rec, "inputs", where)
    plus = _calls(rec, "plus_inputs", where)
    if not asserts and not inputs:
        unknown = sorted(set(rec) - KNOWN_KEYS)
        found = f" (unknown keys here: {', '.join(unknown)})" if unknown else ""
        raise TaskFormatError(f"{where}: task '{task_id}' has no tests: give 'tests' (asserts) or 'inputs'{found}")
    setup = optional(rec, "setup", str, where, "")
    setup = "\n".join(s for s in (file_setup, setup) if s)
    atol = float(optional(rec, "atol", (int, float), where, 0))
    if atol < 0:
        raise TaskFormatError(f"{where}: key 'atol' should not be negative")
    completion = optional(rec, "completion_mode", bool, where, None)
    if completion is None:
        completion = bool(prompt) and reference.startswith(prompt)
    metadata = dict(optional(rec, "metadata", dict, where, {}))
    metadata.update(_abstention_labels(rec, where))
    prelude = "".join(_line(p) for p in (file_prelude, optional(rec, "prelude", str, where, "")) if p)
    if prelude:
        metadata["prelude"] = prelude
        reference = prelude + reference
    language = optional(rec, "language", str, where, "python")
    cases: tuple[TestCase | TestProgram, ...] = tuple(Assert(a) for a in asserts) + inputs
    if language != "python":
        cases = _test_program(task_id, asserts, inputs or plus, where)
    return Task(
        task_id=task_id,
        prompt=prompt,
        entry_point=entry_point,
        reference=reference,
        tests=TestSuite(cases=cases, setup=setup, atol=atol),
        completion_mode=completion,
        plus_tests=TestSuite(cases=plus, setup=setup, atol=atol) if plus else None,
        language=language,
        metadata=metadata,
    )


def _test_program(task_id: str, tests: list[str], inputs: tuple[Call, ...], where: str) -> tuple[TestProgram]:
    """A task in another language is judged by one test program in that language, appended to the candidate
    (docs/multilang.md); there is no interpreter to call its entry point with `inputs`."""
    if len(tests) != 1 or inputs:
        raise TaskFormatError(f"{where}: task '{task_id}' is not in Python: give its tests as one program in its "
                              f"language, \"tests\": [\"...\"], and no 'inputs'")
    return (TestProgram(tests[0]),)


def _abstention_labels(rec: Mapping[str, Any], where: str) -> dict:
    """`should_abstain` / `input_quality`: the task's ground truth for `execeval score-abstention` (BouncerBench),
    kept in metadata so results.jsonl carries them and no separate label file is needed."""
    labels = {}
    if "should_abstain" in rec:
        labels["should_abstain"] = need(rec, "should_abstain", bool, where)
    if "input_quality" in rec:
        quality = need(rec, "input_quality", (int, float), where)
        if isinstance(quality, bool) or not 0 <= quality <= 3:
            raise TaskFormatError(f"{where}: key 'input_quality' should be a number from 0 (well specified) to 3 "
                                  f"(cannot be solved as written), not {quality!r}")
        labels["input_quality"] = float(quality)
    return labels


def _line(code: str) -> str:
    return code if code.endswith("\n") else code + "\n"


def _header(rec: Mapping[str, Any], where: str) -> tuple[str, str]:
    fmt = rec.get("format")
    if fmt != FORMAT:
        raise TaskFormatError(f"{where}: unsupported format {fmt!r}", hint=f"this version reads '{FORMAT}'")
    extra = sorted(set(rec) - _HEADER_KEYS)
    if extra:
        raise TaskFormatError(f"{where}: unknown header keys: {', '.join(extra)} (allowed: format, setup, prelude)")
    return optional(rec, "setup", str, where, ""), optional(rec, "prelude", str, where, "")


def load_native(path: str | Path | Raw, *, name: str | None = None) -> TaskSet:
    """Read a native task file, validating every line (keys, types, duplicate ids). Nothing is executed."""
    raw = read_raw(path)
    file_setup = file_prelude = ""
    located: list[tuple[str, Task]] = []
    for n, (where, rec) in enumerate(objects(raw)):
        if is_header(rec):
            if n:
                raise TaskFormatError(f"{where}: the format header must be the first line")
            file_setup, file_prelude = _header(rec, where)
            continue
        located.append((where, task_from_record(rec, where, file_setup=file_setup, file_prelude=file_prelude)))
    return make_taskset(name or raw.label, located, str(raw.path), sha256(raw.data))
