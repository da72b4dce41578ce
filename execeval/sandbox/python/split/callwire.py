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

from execeval.values import DIGEST_PREFIX, encode, set_wire

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
        tag, order, slots = set_wire(value)  # type: ignore[arg-type]  # a set, by the type test
        items = _joined(order)
        return f'{{"{tag}":[{items}]}}' if slots is None else f'{{"{tag}":[{slots},[{items}]]}}'
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
    """The tests' arguments as marshal bytes, and whether they hold handles or builtin types as markers; None when
    anything is not exactly builtin plain data (then `encode`'s text, which makes it opaque), or is a set that
    marshal (writing it sorted, adding its elements one by one) would rebuild in another order (`values.set_wire`:
    the text carries its order and layout). Version 2 (no shared references: equal values give equal bytes, which the candidate's end
    compares to see a call left its arguments alone), unless the test passes one list, dict or set twice: then
    version 4, whose references rebuild it as one object, as the call in one process sees it (when it holds no
    set of two or more elements). Only for this
    direction: the tests' process is trusted, and marshal is no decoder for what a candidate sends."""
    markers, shared, ordered = [False], [False], [False]
    seen: dict[int, object] = {}

    def walk(value: object, depth: int) -> object:
        t = type(value)
        if t in _EXACT:
            return value
        if t in _SHARABLE and id(value) in seen:
            shared[0] = True
            return seen[id(value)]
        if t is set or t is frozenset:
            ordered[0] = ordered[0] or len(value) > 1  # type: ignore[arg-type]  # a set, by the type test
            if set_wire(value)[2] is not None or not _marshal_keeps_order(value):  # type: ignore[arg-type]  # a set
                raise ValueError("a set marshal would reorder")
            if not set(map(type, value)) <= _EXACT and any(walk(v, depth + 1) is not v for v in value):  # type: ignore[call-overload, attr-defined]
                raise ValueError("a set whose elements cross as markers")
            found = value
        elif t in (list, tuple) and depth < 60:
            flat = set(map(type, value)) <= _EXACT  # type: ignore[call-overload]  # flat: as it is (C speed)
            found = value if flat else t(walk(v, depth + 1) for v in value)  # type: ignore[attr-defined]
        elif t is dict and depth < 60:
            found = {walk(k, depth + 1): walk(v, depth + 1) for k, v in value.items()}  # type: ignore[attr-defined]
        else:
            found = marker(value)  # a handle, `int`, `len`: a marker, or the value itself when it is none of those
            if found is value:
                raise ValueError(t.__name__)
            markers[0] = True
            return found
        if t in _SHARABLE:
            seen[id(value)] = found
        return found

    try:
        data = walk(args, 0)
        if shared[0] and ordered[0]:
            return None  # (`_marshal_keeps_order`)
        return marshal.dumps(data, 4 if shared[0] else 2), markers[0]  # type: ignore[arg-type]  # walk() returns marshallable values
    except (ValueError, TypeError, RecursionError):  # a marker in a set (unhashable), too deep, not plain
        return None


def _marshal_keeps_order(value: set | frozenset) -> bool:
    """Marshal writes a set's elements sorted by their bytes (CPython 3.11+, for reproducible .pyc files), so the
    set it loads may iterate in another order than `value`: then it crosses as text, in its own order. Version 2
    only: version 4's bytes flag the elements other objects refer to, so its order changes with reference counts
    (`marshalled` sends no such set by version 4)."""
    return list(marshal.loads(marshal.dumps(value, 2))) == list(value)


_SHARABLE = (list, dict, set)  # what a test may pass twice and the candidate change through either name


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
