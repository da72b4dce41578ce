"""Reading record files line by line, shared by the task loaders and `execeval.samples`.

Why a module of its own: every benchmark file is JSON Lines or one JSON array, often gzipped (or the hub's parquet
export of one: `execeval.tasks.parquet`), and every error must name the file and the line so a user can open it
and fix it. Doing that once keeps the messages the same everywhere.

Nothing here runs code from the files; it only decodes JSON.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from execeval.errors import ExecevalError, TaskFormatError, UsageError
from execeval.tasks.model import Task, TaskSet
from execeval.tasks.parquet import is_parquet, parquet_to_jsonl
from execeval.values import compact_json  # re-exported: `Call.args_json`'s one compact form (json's C encoder, made once)

__all__ = ["Raw", "Record", "read_raw", "iter_records", "is_json_array", "need", "optional", "compact_json", "sha256",
           "objects", "make_taskset"]

_GZIP_MAGIC = b"\x1f\x8b"



def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass(frozen=True)
class Raw:
    """A file's bytes as stored (what `content_hash` hashes) and its decoded text (gunzipped when compressed)."""

    path: Path
    data: bytes
    text: str

    @property
    def label(self) -> str:
        """How messages name the file: its base name, short enough to read next to a line number."""
        return self.path.name


def read_raw(path: str | os.PathLike[str] | Raw, error: type[ExecevalError] = TaskFormatError) -> Raw:
    """Read a file, gunzipping it when its bytes say gzip (the name may not: `x.jsonl` can be compressed).

    A `Raw` passes through, so format detection reads a file once and hands it to the loader it picks."""
    if isinstance(path, Raw):
        return path
    p = Path(path)
    try:
        data = p.read_bytes()
    except FileNotFoundError:
        raise UsageError(f"{p}: no such file", hint="check the path") from None
    except IsADirectoryError:
        raise UsageError(f"{p}: is a directory, not a file") from None
    except OSError as e:
        raise UsageError(f"{p}: cannot read ({e.strerror})") from None
    body = data
    if data[:2] == _GZIP_MAGIC:
        try:
            body = gzip.decompress(data)
        except (OSError, EOFError) as e:
            raise error(f"{p.name}: not a valid gzip file ({e})") from None
    if is_parquet(body):  # the hub's export: its rows as JSON Lines, so every loader reads it (line = row)
        return Raw(p, data, parquet_to_jsonl(body, p.name, error))
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = body.count(b"\n", 0, e.start) + 1
        raise error(f"{p.name}:{line}: not UTF-8 text ({e.reason} at byte {e.start})") from None
    return Raw(p, data, text)


@dataclass(frozen=True)
class Record:
    """One record: its 1-based line (where a JSON array element starts), and the value or what is wrong with it."""

    line: int
    value: Any = None
    problem: str | None = None


def is_json_array(text: str) -> bool:
    """Whether a text is one JSON array rather than JSON Lines.

    Both may start with "[" (a JSONL file of lists does), so: an array's first line alone is not a whole JSON value
    (`[` of a pretty-printed array), or it is the only line (an array written on one line)."""
    stripped = text.lstrip()
    if not stripped.startswith("["):
        return False
    first, _, rest = stripped.partition("\n")
    if not rest.strip():
        return True
    try:
        json.loads(first)
    except (json.JSONDecodeError, RecursionError):
        return True
    return False


def iter_records(text: str) -> Iterator[Record]:
    """Yield the records of a JSON Lines text, or of a JSON array, with the line each starts on.

    Blank lines are skipped (but counted). A bad line becomes a `Record` with `problem` set, so a caller that wants
    to skip bad lines can; one that does not raises on the first. For an array, a syntax error ends the iteration
    (nothing after it can be located).
    """
    if is_json_array(text):
        yield from _iter_array(text)
        return
    # split on "\n" only: str.splitlines would also split inside strings holding U+2028 or form feeds
    for i, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        try:
            yield Record(i, json.loads(line))
        except json.JSONDecodeError as e:
            yield Record(i, problem=f"not valid JSON ({e.msg} at column {e.colno})")
        except RecursionError:
            yield Record(i, problem="not valid JSON (nested too deeply)")


_DECODER = json.JSONDecoder()
_WS = " \t\r\n"


def _skip_ws(text: str, i: int) -> int:
    n = len(text)
    while i < n and text[i] in _WS:
        i += 1
    return i


def _iter_array(text: str) -> Iterator[Record]:
    """Walk a JSON array element by element, so each element's line is known for messages."""
    i = _skip_ws(text, 0) + 1  # past "["
    line, counted = 1, 0

    def line_at(pos: int) -> int:
        nonlocal line, counted
        line += text.count("\n", counted, pos)
        counted = pos
        return line

    i = _skip_ws(text, i)
    if i < len(text) and text[i] == "]":
        return
    while True:
        try:
            value, end = _DECODER.raw_decode(text, i)
        except json.JSONDecodeError as e:
            yield Record(e.lineno, problem=f"not valid JSON ({e.msg} at column {e.colno})")
            return
        except RecursionError:
            yield Record(line_at(i), problem="not valid JSON (nested too deeply)")
            return
        yield Record(line_at(i), value)
        i = _skip_ws(text, end)
        if i < len(text) and text[i] == ",":
            i = _skip_ws(text, i + 1)
            continue
        if i < len(text) and text[i] == "]":
            if _skip_ws(text, i + 1) != len(text):
                yield Record(line_at(i + 1), problem="not valid JSON (extra data after the array)")
            return
        what = "end of file" if i >= len(text) else repr(text[i])
        yield Record(line_at(min(i, len(text))), problem=f"not valid JSON (expected ',' or ']', found {what})")
        return


_TYPE_NAMES = {str: "a string", int: "an integer", float: "a number", bool: "true or false", list: "a list",
               dict: "an object"}


def _type_name(kinds: type | tuple[type, ...]) -> str:
    kinds = kinds if isinstance(kinds, tuple) else (kinds,)
    if set(kinds) == {int, float}:
        return "a number"
    return " or ".join(_TYPE_NAMES.get(k, k.__name__) for k in kinds)


def _is(value: Any, kinds: type | tuple[type, ...]) -> bool:
    """isinstance, except that true/false are not numbers (JSON says so, Python does not)."""
    if isinstance(value, bool):
        return bool in (kinds if isinstance(kinds, tuple) else (kinds,))
    return isinstance(value, kinds)


def need(rec: Mapping[str, Any], key: str, kinds: type | tuple[type, ...], where: str,
         error: type[ExecevalError] = TaskFormatError) -> Any:
    """`rec[key]`, which must be present and of `kinds`; otherwise an error naming the key and the line."""
    if key not in rec:
        raise error(f"{where}: missing key '{key}'")
    if rec[key] is None:
        raise error(f"{where}: key '{key}' should be {_type_name(kinds)}, not null")
    return optional(rec, key, kinds, where, None, error)


def optional(rec: Mapping[str, Any], key: str, kinds: type | tuple[type, ...], where: str, default: Any = None,
             error: type[ExecevalError] = TaskFormatError) -> Any:
    """`rec[key]` if present (and then of `kinds`), else `default`. JSON null counts as absent."""
    value = rec.get(key)
    if value is None:
        return default
    if not _is(value, kinds):
        raise error(f"{where}: key '{key}' should be {_type_name(kinds)}, not {type(value).__name__}")
    return value


def objects(raw: Raw, error: type[ExecevalError] = TaskFormatError) -> Iterator[tuple[str, dict]]:
    """The records of a task file as ("file:line", object) pairs; the first bad record raises."""
    for rec in iter_records(raw.text):
        where = f"{raw.label}:{rec.line}"
        if rec.problem is not None:
            raise error(f"{where}: {rec.problem}")
        if not isinstance(rec.value, dict):
            raise error(f"{where}: expected a JSON object, found {type(rec.value).__name__}")
        yield where, rec.value


def make_taskset(name: str, located: list[tuple[str, Task]], source: str, content_hash: str, *,
                 allow_empty: bool = False) -> TaskSet:
    """Check that task ids are unique (naming both lines) and wrap the tasks into a `TaskSet`.

    A file with no task at all is an error: it is almost always the wrong file, and an empty run proves nothing."""
    if not located and not allow_empty:
        raise TaskFormatError(f"{Path(source).name or name}: no tasks in the file")
    first: dict[str, str] = {}
    for where, task in located:
        if task.task_id in first:
            raise TaskFormatError(f"{where}: duplicate task_id '{task.task_id}' (first at {first[task.task_id]})")
        first[task.task_id] = where
    tasks = tuple(t for _, t in located)
    has_plus = any(t.plus_tests is not None and len(t.plus_tests) > 0 for t in tasks)
    return TaskSet(name=name, tasks=tasks, source=source, content_hash=content_hash, has_plus=has_plus)
