"""Framing between the harness and its fork servers: length-prefixed pickles over pipes.

Both ends are execeval's own trusted code; untrusted job output crosses as plain bytes and strings inside these
messages, never as pickles a job could craft.
"""

from __future__ import annotations

import os
import pickle
import struct

_HEADER = struct.Struct("!I")


def send(fd: int, message: object) -> None:
    data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    view = memoryview(_HEADER.pack(len(data)) + data)
    while view:
        view = view[os.write(fd, view):]


def _read_exact(fd: int, n: int) -> bytes | None:
    chunks, remaining = [], n
    while remaining:
        chunk = os.read(fd, remaining)
        if not chunk:
            return None
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


def recv(fd: int) -> object | None:
    """The next message, or None at end of stream. Reads exactly one frame and nothing beyond it."""
    header = _read_exact(fd, _HEADER.size)
    if header is None:
        return None
    body = _read_exact(fd, _HEADER.unpack(header)[0])
    return None if body is None else pickle.loads(body)
