"""The job's report channel: token-tagged lines to the harness on a private pipe, written in batches (one syscall
per ~20 ms, not per case). A long job's passing cases, and every passing case of a reference job (`PythonTests.
batch_report`), go many to a line, in columns; a failure goes at once, on a line of its own."""

from __future__ import annotations

import os
import time

from execeval.values import compact_json

# Bound at import, before any candidate runs: patching os.write or time.monotonic later can't reach these
_write, _now = os.write, time.monotonic


class Channel:
    """Token-tagged lines to the harness, written in batches: one syscall per ~20 ms, not per test."""

    _FLUSH_BYTES, _FLUSH_S = 32768, 0.02

    def __init__(self, fd: int, token: str) -> None:
        self.fd, self.prefix = fd, token.encode() + b" "
        self.pending: list[bytes] = []
        self.size, self.last = 0, _now()
        self.flushed = 0  # cases the harness has: it times the case after them
        self.unsent = 0  # cases in `pending`
        self.columns: tuple[list, list, list, list] = ([], [], [], [])  # passing cases for one batch line
        self.batch_size = 0

    def send(self, payload: dict | str, flush: bool = False) -> None:
        self._close_batch()
        text = payload if isinstance(payload, str) else compact_json(payload)
        line = self.prefix + text.encode("utf-8", "backslashreplace") + b"\n"
        self.pending.append(line)
        self.unsent += 1
        self.size += len(line)
        self._maybe_flush(flush)

    def add(self, index: int, status: str, cpu: float, output: str | None) -> None:
        """A passing case, sent with the others of its flush in one line: {"k": [indices, statuses, CPU times,
        outputs]} (`PythonTests.batch_report`)."""
        indices, statuses, cpus, outputs = self.columns
        indices.append(index)
        statuses.append(status)
        cpus.append(cpu)
        outputs.append(output)
        self.batch_size += 32 + (len(output) if output else 0)
        now = _now()  # _maybe_flush's test, inline: this runs once per reference case
        if self.size + self.batch_size >= self._FLUSH_BYTES or now - self.last >= self._FLUSH_S:
            self.flush(now)

    def _maybe_flush(self, flush: bool) -> None:
        now = _now()
        if flush or self.size + self.batch_size >= self._FLUSH_BYTES or now - self.last >= self._FLUSH_S:
            self.flush(now)

    def _close_batch(self) -> None:
        if self.columns[0]:
            line = self.prefix + compact_json({"k": self.columns}).encode() + b"\n"
            self.pending.append(line)
            self.unsent += len(self.columns[0])
            self.size += len(line)
            self.columns, self.batch_size = ([], [], [], []), 0

    def flush(self, now: float = 0.0) -> None:
        self._close_batch()
        data = memoryview(b"".join(self.pending))
        self.flushed += self.unsent
        self.pending, self.size, self.last, self.unsent = [], 0, now or _now(), 0
        try:
            while data:
                data = data[_write(self.fd, data):]
        except OSError:
            os._exit(3)  # the candidate closed or replaced our pipe: no closing line, so no pass
