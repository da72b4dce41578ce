"""Framing between the harness and its fork servers: length-prefixed pickles over pipes.

Both ends are execeval's own trusted code; untrusted job output crosses as plain bytes and strings inside these
messages, never as pickles a job could craft.
"""

from __future__ import annotations

import os
import pickle
import struct
from collections import OrderedDict
from typing import Any

_HEADER = struct.Struct("!I")
#: A job with at least this many cases names its test tuple by a serial number; the tuple itself crosses only
#: when the server does not hold it (HumanEval+: ~750 cases, ~60 KB pickled, the same for all of a task's samples)
SHARED_CASES_OVER = 16
UNKNOWN_CASES = "unknown shared test tuple"  # the server's answer to a serial it does not hold


class CaseSets:
    """The last few test tuples a server was sent, least recently used first. The harness keeps one beside each
    server and both update it with the same calls in the same order, so the harness knows what the server holds."""

    SIZE = 8

    def __init__(self) -> None:
        self.sets: OrderedDict[int, tuple] = OrderedDict()

    def seen(self, serial: int, cases: tuple = ()) -> bool:
        """Whether `serial` was held (now the most recent); if not, it is held from now on (with `cases`)."""
        known = serial in self.sets
        if known:
            self.sets.move_to_end(serial)
        else:
            self.sets[serial] = cases
            if len(self.sets) > self.SIZE:
                self.sets.popitem(last=False)
        return known


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


def recv(fd: int) -> Any:
    """The next message (a tuple whose shape the message's kind says), or None at end of stream. Reads exactly one
    frame and nothing beyond it."""
    header = _read_exact(fd, _HEADER.size)
    if header is None:
        return None
    body = _read_exact(fd, _HEADER.unpack(header)[0])
    return None if body is None else pickle.loads(body)
