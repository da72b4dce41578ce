"""What crosses the pipe of a split job (`remote`): newline-delimited JSON, each line capped, in both directions;
and, from the tests' process only, a call's arguments as marshal bytes after its line.

Why two encodings: what the candidate's process sends is read by the trusted side, so it must stay checked plain
data (`execeval.values`: capped, never executing anything). What the tests' process sends is trusted, and the
candidate's process may read it however is fastest: marshal, at C speed, where the tagged JSON text of a
million-element argument cost seconds of Python (the demo's `find_first`).
"""

from __future__ import annotations

import json
import marshal
import os
from typing import Any

from execeval.sandbox.python.split.handles import BUILTIN, HANDLE, revive_handles
from execeval.setlayout import rebuild_set, set_wire
from execeval.values import DIGEST_PREFIX, encode

_MAX_LINE = 64 << 20


def full_text(value: object) -> str:
    """`encode`'s text in full, however large (a test compares the value itself, not a digest of it): a large
    container is written a chunk at a time, in `execeval.values`' tagged form."""
    t = type(value)
    big = t in _CONTAINERS or t is dict and len(value) > _CHUNK  # type: ignore[arg-type]
    text = "" if big and len(value) > _CHUNK else encode(value)  # type: ignore[arg-type]
    if text and not text.startswith(DIGEST_PREFIX):
        return text
    if t is set or t is frozenset:
        tag, order, slots, held = set_wire(value)  # type: ignore[arg-type]  # a set, by the type test
        items = _joined(order)
        return f'{{"{tag}":[{items}]}}' if slots is None else f'{{"{tag}":[{slots},[{items}],{held}]}}'
    if t is list or t is tuple:
        items = _joined(list(value))  # type: ignore[call-overload]
        return f"[{items}]" if t is list else f'{{"__t":[{items}]}}'
    if t is dict:
        pairs = _joined([[k, v] for k, v in value.items()])  # type: ignore[attr-defined]
        return '{"__d":[' + pairs + "]}"
    if t is str:
        return json.dumps(value)
    return text  # one huge scalar of another kind: compared by its digest


def _joined(values: list) -> str:
    parts = []
    for start in range(0, len(values), _CHUNK):
        chunk = values[start:start + _CHUNK]
        text = encode(chunk)
        parts.append(",".join(map(full_text, chunk)) if text.startswith(DIGEST_PREFIX) else text[1:-1])
    return ",".join(p for p in parts if p)


_CHUNK = 4096
_CONTAINERS = (list, tuple, set, frozenset)


_EXACT = frozenset({int, float, bool, str, bytes, complex, type(None)})


def marshalled(args: list, marker) -> tuple[bytes, bool] | None:
    """The tests' arguments as marshal bytes, and whether the candidate's end must `unmarshalled` them (they hold
    handles or builtin types as markers, or sets as records); None when anything is not exactly builtin plain data
    (then `encode`'s text, which makes it opaque). Version 2 (no shared references: equal values give equal bytes,
    which the candidate's end compares to see a call left its arguments alone), unless the test passes one
    container twice: then version 4, whose references rebuild it as one object, as the call in one process sees
    it. A set marshal would rebuild in another order crosses as a record of its layout (`_WireForm._set`), and so
    does every set of two or more elements when version 4 is used (its order there follows reference counts).
    Only for this direction: the tests' process is trusted, and marshal is no decoder for what a candidate sends."""
    try:
        form = _WireForm(marker, records=False)
        data = form.walk(args, 0)
        if form.shared and form.native_sets:  # sets left to marshal, whose order version 4 would not keep
            form = _WireForm(marker, records=True)
            data = form.walk(args, 0)
        return marshal.dumps(data, 4 if form.shared else 2), bool(form.markers or form.made_records)  # type: ignore[arg-type]  # plain data
    except (ValueError, TypeError, RecursionError):  # a marker in a set (unhashable), too deep, not plain
        return None


class _WireForm:
    """One walk of the arguments into what marshal carries (`marshalled`), and what it found on the way."""

    def __init__(self, marker, records: bool) -> None:
        self.marker, self.records = marker, records  # records: every set of 2+ elements as a record
        self.shared = False  # one container occurs twice
        self.markers = 0
        self.made_records = False
        self.native_sets = False  # a set of 2+ elements left to marshal
        self.seen: dict[int, object] = {}

    def walk(self, value: object, depth: int) -> object:
        t = type(value)
        if t in _EXACT:
            return value
        if id(value) in self.seen:
            self.shared = True  # (a tuple passed twice holds its list, dict or set twice too)
            return self.seen[id(value)]
        if t is set or t is frozenset:
            found = self._set(value, depth)  # type: ignore[arg-type]  # a set, by the type test
        elif t in (list, tuple) and depth < 60:
            flat = set(map(type, value)) <= _EXACT  # type: ignore[call-overload]  # flat: as it is (C speed)
            found = value if flat else t(self.walk(v, depth + 1) for v in value)  # type: ignore[attr-defined]
        elif t is dict and depth < 60:
            found = {self.walk(k, depth + 1): self.walk(v, depth + 1) for k, v in value.items()}  # type: ignore[attr-defined]
        else:
            found = self.marker(value)  # a handle, `int`, `len`: a marker, or the value itself when it is none of those
            if found is value:
                raise ValueError(t.__name__)
            self.markers += 1
            return found
        self.seen[id(value)] = found
        return found

    def _set(self, value: set | frozenset, depth: int) -> object:
        """Itself, when marshal rebuilds it in the same order; else the record `(..., frozen, slots, items)` that
        `unmarshalled` rebuilds it from (`values.set_wire`'s layout). No test's plain data holds `...` (it
        crosses as text), so a tuple that starts with it is always a record."""
        _, items, slots, held = set_wire(value)
        markers, flat = self.markers, set(map(type, items)) <= _EXACT  # flat: as it is (C speed)
        crossed = items if flat else [self.walk(v, depth + 1) for v in items]
        if self.markers != markers:  # the candidate's end would hash the candidate's objects
            raise ValueError("a set whose elements cross as markers")
        same = all(a is b for a, b in zip(crossed, items))
        if same and (len(value) < 2 or not self.records and slots is None and _marshal_keeps_order(value)):
            self.native_sets = self.native_sets or len(value) > 1
            return value
        self.made_records = True
        return (_SET_RECORD, type(value) is frozenset, slots, tuple(crossed), held)


_SET_RECORD = ...


def _marshal_keeps_order(value: set | frozenset) -> bool:
    """Marshal writes a set's elements sorted by their bytes (CPython 3.11+, for reproducible .pyc files), so the
    set it loads may iterate in another order than `value`: then it crosses as a record, in its own order. Version
    2 only: version 4's bytes flag the elements other objects refer to, so its order changes with reference counts
    (`marshalled` sends no such set by version 4)."""
    return list(marshal.loads(marshal.dumps(value, 2))) == list(value)


def unmarshalled(data: object, resolve) -> object:
    """`marshalled` data as the test passed it (candidate's end): markers resolved to what they stand for (handles'
    `resolve`), set records rebuilt; a list or dict marshal loaded once stays one object."""
    memo: dict[int, Any] = {}

    def walk(value: Any) -> Any:
        t = type(value)
        if t not in _WALKED or t is not dict and _WALKED.isdisjoint(map(type, value)):  # flat: as it came
            return value
        if id(value) in memo:
            return memo[id(value)]
        if t is tuple and value and value[0] is _SET_RECORD:
            _, frozen, slots, items, held = value
            found: Any = rebuild_set([walk(x) for x in items], slots, frozen, held)
        elif t is dict and len(value) == 1 and (HANDLE in value or BUILTIN in value):
            found = revive_handles(value, resolve)
        elif t is tuple:
            found = tuple(walk(x) for x in value)
        else:
            memo[id(value)] = found = value  # before its items: the one object, changed in place
            if t is list:
                value[:] = [walk(x) for x in value]
            else:
                pairs = [(walk(k), walk(x)) for k, x in value.items()]
                value.clear()
                value.update(pairs)
        memo[id(value)] = found
        return found

    return walk(data)


_WALKED = frozenset({list, tuple, dict})




class Lines:
    """Newline-delimited JSON over a pipe, each line at most _MAX_LINE bytes."""

    def __init__(self, rfd: int, wfd: int) -> None:
        self.rfd, self.wfd, self.buf = rfd, wfd, b""
        self.last_size = 0

    def send(self, message: dict) -> None:
        self.send_line(json.dumps(message, separators=(",", ":")))

    def send_line(self, text: str, payload: bytes = b"") -> None:
        data = memoryview(text.encode() + b"\n" + payload)
        while data:
            data = data[os.write(self.wfd, data):]

    def recv(self) -> dict | None:
        chunks, size, end = [self.buf], len(self.buf), self.buf.find(b"\n")
        while end < 0:  # each chunk scanned once and joined once (a long line is not copied per read)
            if size > _MAX_LINE:
                return None
            chunk = os.read(self.rfd, 1 << 20)
            if not chunk:
                return None
            end = chunk.find(b"\n")
            if end >= 0:
                end += size
            chunks.append(chunk)
            size += len(chunk)
        data = b"".join(chunks)
        line, self.buf = data[:end], data[end + 1:]
        self.last_size = len(line)
        try:
            message = json.loads(line)
        except (ValueError, RecursionError):
            return None
        return message if isinstance(message, dict) else None

    def recv_bytes(self, n: int) -> bytes | None:
        """`n` bytes that follow a line (a call's marshalled arguments, from the tests' side only)."""
        chunks, size = [self.buf], len(self.buf)
        while size < n:
            chunk = os.read(self.rfd, max(n - size, 1 << 16))
            if not chunk:
                return None
            chunks.append(chunk)
            size += len(chunk)
        data = b"".join(chunks)
        self.buf = data[n:]
        return data[:n]
