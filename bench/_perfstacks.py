"""Reading `perf script` call stacks of a fork server and its jobs, for `fork_profile.py --by-function`.

Each sample goes under the innermost Python function on its stack and, when it was taken in the kernel, under what
the kernel was doing: forking, tearing a process down at exit, serving a page fault, or a named syscall. Python
functions are known from CPython's perf trampolines (3.12 and later, `PYTHONPERFSUPPORT=1`): each Python frame runs
through a small stub whose address range and function name the interpreter writes to /tmp/perf-PID.map.

Why this and not the /proc counters alone: they say how much CPU the server and its jobs spend, not in which step,
and a forked job lives ~2 ms, too short for a sampling profiler of its own.
"""

from __future__ import annotations

import bisect
import collections
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

KERNEL_START = 0xFFFF_0000_0000_0000  # x86-64 and arm64: kernel addresses are in the top half
# What the kernel was doing, by a symbol on the sample's stack, first match wins (a page fault inside a syscall is
# a page fault: its cost is the copy-on-write copy, whoever asked)
_KERNEL_PATHS = (("page fault", ("exc_page_fault",)), ("fork", ("copy_process",)),
                 ("exit", ("do_exit", "do_group_exit")))
UNKNOWN = "(no Python frame known)"


@dataclass(frozen=True)
class Sample:
    pid: int
    frames: tuple[tuple[int, str], ...]  # (address, symbol), innermost first


def parse_script(lines: Iterable[str], comm: str = "python") -> Iterator[Sample]:
    """Samples of processes whose command starts with `comm`, from `perf script -F comm,pid,ip,sym` with call
    chains: a header line `comm pid`, then one indented `address symbol` line per frame, then a blank line."""
    pid: int | None = None
    frames: list[tuple[int, str]] = []
    for line in [*lines, ""]:
        if not line.strip():
            if pid is not None:
                yield Sample(pid, tuple(frames))
            pid, frames = None, []
        elif not line[0].isspace():
            head = line.split()
            pid = int(head[1]) if head[0].startswith(comm) and len(head) > 1 and head[1].isdigit() else None
        elif pid is not None:
            parts = line.split(None, 1)
            try:
                frames.append((int(parts[0], 16), parts[1].strip() if len(parts) > 1 else "?"))
            except ValueError:
                continue


class PerfMap:
    """Address ranges of Python trampolines -> function names, from perf map files ("start size name" lines)."""

    def __init__(self, paths: Iterable[str | os.PathLike]) -> None:
        entries: dict[int, tuple[int, str]] = {}
        for path in paths:
            try:
                with open(path) as f:
                    for line in f:
                        parts = line.split(None, 2)
                        if len(parts) == 3:
                            entries[int(parts[0], 16)] = (int(parts[1], 16), parts[2].strip())
            except (OSError, ValueError):
                continue
        self._starts = sorted(entries)
        self._entries = [entries[s] for s in self._starts]

    def __len__(self) -> int:
        return len(self._starts)

    def name(self, address: int) -> str | None:
        i = bisect.bisect_right(self._starts, address) - 1
        if i >= 0 and address < self._starts[i] + self._entries[i][0]:
            return self._entries[i][1].removeprefix("py::")
        return None


def kernel_path(sample: Sample) -> str | None:
    """What the kernel was doing when `sample` was taken, or None when it was taken in user space."""
    kernel = [symbol.split("+", 1)[0] for address, symbol in sample.frames if address >= KERNEL_START]
    if not kernel:
        return None
    for path, markers in _KERNEL_PATHS:
        if any(symbol in markers for symbol in kernel):
            return path
    syscall = next((s for s in kernel if s.startswith(("__x64_sys_", "__do_sys_", "__arm64_sys_"))), None)
    return f"syscall {syscall.split('sys_', 1)[1]}" if syscall else "kernel, other"


@dataclass
class Breakdown:
    """One process kind's samples: by what the CPU was doing, and by the innermost Python function."""

    samples: int = 0
    doing: collections.Counter = None  # type: ignore[assignment]
    functions: collections.Counter = None  # type: ignore[assignment]

    def __post_init__(self) -> None:
        self.doing, self.functions = collections.Counter(), collections.Counter()


def breakdown(samples: Iterable[Sample], server_pids: set[int], perfmap: PerfMap) -> dict[str, Breakdown]:
    """{"server": ..., "job": ...}: every sample of a server pid, and every other sample (its jobs')."""
    found = {"server": Breakdown(), "job": Breakdown()}
    for sample in samples:
        part = found["server" if sample.pid in server_pids else "job"]
        part.samples += 1
        part.doing[kernel_path(sample) or "user space (Python and C)"] += 1
        names = (perfmap.name(address) for address, _ in sample.frames if address < KERNEL_START)
        part.functions[next((n for n in names if n), UNKNOWN)] += 1
    return found
