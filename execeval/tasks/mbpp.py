"""MBPP, original (`mbpp.jsonl`, 974 tasks) and sanitized (`sanitized-mbpp.json`, 427 tasks).

MBPP tasks are prose (`text` / `prompt`) and a whole reference program; samples are whole programs too, so
`completion_mode=False`. Tests are the file's own asserts, run after `test_setup_code` (original) or the
`test_imports` lines (sanitized). Neither file names the function under test, so `entry_point` is taken from the
first assert with `ast` (never by running anything).

The original file is split by task id, as its authors published it: prompt 1–10 (the few-shot examples), test
11–510, validation 511–600, train 601–974. Scores are reported on "test" unless asked otherwise. The 3-shot prompt
uses tasks 2, 3 and 4, which are not in the test split, so every original-MBPP task carries them in
`metadata["few_shot"]` (when the file has them).
"""

from __future__ import annotations

import ast
import builtins
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from execeval.errors import TaskFormatError, UsageError
from execeval.tasks.records import Raw, make_taskset, need, objects, optional, read_raw, sha256
from execeval.tasks.model import Assert, Task, TaskSet, TestSuite

__all__ = ["KEYS", "SANITIZED_KEYS", "SPLITS", "FEW_SHOT_IDS", "split_of", "entry_point_of", "task_from_record",
           "sanitized_task_from_record", "load_mbpp", "load_mbpp_sanitized"]

KEYS = frozenset({"text", "code", "task_id", "test_list"})
SANITIZED_KEYS = frozenset({"prompt", "code", "task_id", "test_list", "test_imports"})

#: split name -> inclusive task id range, as published with MBPP.
SPLITS: dict[str, tuple[int, int]] = {"prompt": (1, 10), "test": (11, 510), "validation": (511, 600),
                                      "train": (601, 974)}
FEW_SHOT_IDS = (2, 3, 4)


def split_of(task_id: int) -> str:
    """The split an MBPP task id belongs to (ids past 974, in extended files, count as train)."""
    for name, (lo, hi) in SPLITS.items():
        if lo <= task_id <= hi:
            return name
    return "train" if task_id > 974 else "prompt"


def _check_split(split: str) -> str:
    if split != "all" and split not in SPLITS:
        raise UsageError(f"unknown MBPP split '{split}'", hint=f"use one of: {', '.join([*SPLITS, 'all'])}")
    return split


def _called_names(node: ast.AST) -> list[str]:
    """Names of plain-name calls in source order (outer call before its arguments)."""
    calls = [n for n in ast.walk(node) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)]
    calls.sort(key=lambda n: (n.lineno, n.col_offset))
    return [n.func.id for n in calls]  # type: ignore[attr-defined]


def _parse(code: str) -> ast.Module | None:
    """Parse without running; quiet about the invalid escapes old MBPP code is full of."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return ast.parse(code)
        except (SyntaxError, ValueError):
            return None


def _defined_names(code: str) -> set[str]:
    tree = _parse(code)
    if tree is None:
        return set()
    return {n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))}


def entry_point_of(first_assert: str, code: str = "") -> str | None:
    """The function a test calls: the first called name that the reference defines, else the first that is not a
    builtin (`assert set(f(x)) == ...` tests `f`, not `set`). None when the assert calls nothing."""
    tree = _parse(first_assert.strip())
    if tree is None:
        return None
    names = _called_names(tree)
    defined = _defined_names(code)
    for pick in (lambda n: n in defined, lambda n: not hasattr(builtins, n), lambda n: True):
        for n in names:
            if pick(n):
                return n
    return None


def _asserts(rec: Mapping[str, Any], key: str, where: str, *, required: bool = True) -> list[str]:
    items = need(rec, key, list, where) if required else optional(rec, key, list, where, [])
    for i, a in enumerate(items):
        if not isinstance(a, str):
            raise TaskFormatError(f"{where}: {key}[{i}] should be a string, not {type(a).__name__}")
    return items


def _int_id(rec: Mapping[str, Any], where: str) -> int:
    task_id = need(rec, "task_id", (int, str), where)
    try:
        return int(task_id)
    except ValueError:
        raise TaskFormatError(f"{where}: key 'task_id' should be an integer, not {task_id!r}") from None


def _entry(tests: list[str], code: str, where: str) -> str:
    if not tests:
        raise TaskFormatError(f"{where}: key 'test_list' is empty")
    entry = entry_point_of(tests[0], code)
    if entry is None:
        raise TaskFormatError(f"{where}: cannot find the function called in the first assert: {tests[0][:80]!r}")
    return entry


def task_from_record(rec: Mapping[str, Any], where: str) -> Task:
    """One original-MBPP record as a `Task` (its text, asserts and code kept in metadata for prompts)."""
    task_id = _int_id(rec, where)
    text = need(rec, "text", str, where)
    code = need(rec, "code", str, where)
    setup = optional(rec, "test_setup_code", str, where, "")
    tests = _asserts(rec, "test_list", where)
    challenge = _asserts(rec, "challenge_test_list", where, required=False)
    return Task(
        task_id=str(task_id),
        prompt=text,
        entry_point=_entry(tests, code, where),
        reference=code,
        tests=TestSuite(cases=tuple(Assert(a) for a in tests), setup=setup),
        completion_mode=False,
        metadata={"text": text, "code": code, "test_list": tests, "challenge_test_list": challenge,
                  "test_setup_code": setup, "split": split_of(task_id)},
    )


def sanitized_task_from_record(rec: Mapping[str, Any], where: str) -> Task:
    """One sanitized-MBPP record as a `Task`; its `test_imports` lines become the setup."""
    task_id = _int_id(rec, where)
    prompt = need(rec, "prompt", str, where)
    code = need(rec, "code", str, where)
    imports = _asserts(rec, "test_imports", where, required=False)
    tests = _asserts(rec, "test_list", where)
    metadata = {"text": prompt, "code": code, "test_list": tests, "test_imports": imports,
                "split": split_of(task_id)}
    if isinstance(rec.get("source_file"), str):
        metadata["source_file"] = rec["source_file"]
    return Task(
        task_id=str(task_id),
        prompt=prompt,
        entry_point=_entry(tests, code, where),
        reference=code,
        tests=TestSuite(cases=tuple(Assert(a) for a in tests), setup="\n".join(imports)),
        completion_mode=False,
        metadata=metadata,
    )


def _few_shot(tasks: list[Task]) -> tuple[dict, ...]:
    by_id = {t.task_id: t for t in tasks}
    return tuple({"task_id": str(i), "text": by_id[str(i)].metadata["text"], "code": by_id[str(i)].metadata["code"],
                  "test_list": by_id[str(i)].metadata["test_list"]} for i in FEW_SHOT_IDS if str(i) in by_id)


def select(located: list[tuple[str, Task]], split: str) -> list[tuple[str, Task]]:
    """Keep the tasks of one split ("all" keeps everything), after attaching the few-shot examples."""
    _check_split(split)
    shots = _few_shot([t for _, t in located])
    for _, t in located:
        t.metadata["few_shot"] = shots  # one shared tuple; metadata is the one mutable part of a Task
    if split == "all":
        return located
    return [(w, t) for w, t in located if t.metadata["split"] == split]


def _load(raw: Raw, from_record, split: str, name: str | None) -> TaskSet:
    located = [(where, from_record(rec, where)) for where, rec in objects(raw)]
    whole = make_taskset(name or raw.label, located, str(raw.path), sha256(raw.data))  # ids checked on all
    return make_taskset(whole.name, select(located, split), whole.source, whole.content_hash, allow_empty=True)


def load_mbpp(path: str | Path | Raw, *, split: str = "test", name: str | None = None) -> TaskSet:
    """Read the original `mbpp.jsonl` and keep one split (default "test", 500 tasks; "all" for 974)."""
    _check_split(split)
    return _load(read_raw(path), task_from_record, split, name)


def load_mbpp_sanitized(path: str | Path | Raw, *, split: str = "all", name: str | None = None) -> TaskSet:
    """Read `sanitized-mbpp.json` (one pretty-printed JSON array). All 427 tasks by default, as EvalPlus uses them."""
    _check_split(split)
    return _load(read_raw(path), sanitized_task_from_record, split, name)
