"""The CPU time of a job's other processes (those it forked, exited or not, waited for or not), for the case
that spent it. `CgroupCount`: the job's cgroup (v1 cpuacct or v2 cpu.stat; isolation/cgroup/) counts every
process in it, and the processes whose time is not the case's are subtracted: this process (the runner measured
it already) and, for a split job, the candidate's process (measured by remote.py). Without a cgroup (not root),
proctree.py counts the job's process tree from /proc instead. The fork server's own time while it drains the
job's pipes is left in: microseconds per case, and caused by the job (only more than 2 ms is charged).

Hot path, so the count is read only when it can change a verdict: other processes can't have used more than the
case's wall time times the CPUs the job may use, so a case whose own CPU time plus that bound is within its
budget is not read at all (one monotonic clock read, no syscall). A read (~1.5 us: one pread and one fstat, the
fd checked to be still the cgroup's; for a split job one clock read more) also starts a case when the last one is
over `FRESH_S` old, so a case is charged at most that much of what came before it."""

from __future__ import annotations

import os
import time

from execeval.sandbox.python.cpuclock import process_cpu

TREE_FD = 734  # where the job's child holds the cgroup's `cpuacct.usage` (v1) or `cpu.stat` (v2) (process.py)
TAMPERED_S = 1e6  # what a case costs when the count can't be read: more than any budget
FRESH_S = 0.001  # wall seconds a reading stays the baseline of the next case
_NOISE_S = 0.002  # reads are not atomic, and the kernel updates a running task's time at its ticks
_pread, _fstat, _clock, _now = os.pread, os.fstat, time.clock_gettime_ns, time.monotonic
_own = process_cpu


class OtherProcesses:
    """What the job's other processes used, charged case by case: `begin()` as a case starts, `charge()` as it
    ends. How they are counted is `cpu()`'s: the job's cgroup (`CgroupCount`) or, without one, its process tree
    read from /proc (proctree.py)."""

    __slots__ = ("cpus", "last", "last_at")

    def __init__(self) -> None:
        self.cpus = len(os.sched_getaffinity(0))  # a job can narrow its CPU set, never widen it
        self.last, self.last_at = 0.0, float("-inf")

    def cpu(self, own: float) -> float:
        """Seconds the others used so far (only differences mean anything), or -TAMPERED_S when the count can't
        be trusted; `own`: this process's CPU time."""
        raise NotImplementedError

    def begin(self) -> float:
        """At a case's start: a fresh baseline if the last is stale; the wall clock, for `charge`."""
        now = _now()
        if now - self.last_at > FRESH_S:
            self.last, self.last_at = self.cpu(_own()), now
        return now

    def charge(self, case_cpu: float, begun: float, limit: float, own: float) -> float:
        """What the others used during the case that ended now, if it could take the case over `limit`."""
        now = _now()
        if case_cpu + (now - begun) * self.cpus <= limit:
            return 0.0
        reading = self.cpu(own)
        used = TAMPERED_S if min(reading, self.last) <= -TAMPERED_S else reading - self.last
        self.last, self.last_at = reading, now
        return used if used > _NOISE_S else 0.0


class CgroupCount(OtherProcesses):
    """The job's cgroup counts every process in it; this process and a split job's candidate are subtracted."""

    __slots__ = ("clocks", "fd", "identity", "v2")

    def __init__(self, fd: int, pids: tuple[int, ...], v2: bool = False, opened_as: int | None = None) -> None:
        """`fd`: the job cgroup's `cpuacct.usage` (v1, nanoseconds) or, `v2`, its `cpu.stat` (usage_usec first).
        `opened_as`: the fd it is a copy of, when made before the copy exists (the server makes one before the
        fork, for the child to use at `fd`: ~30 copy-on-write faults fewer per job than making it there)."""
        super().__init__()
        self.fd = fd
        st = _fstat(fd if opened_as is None else opened_as)
        self.identity = (st.st_dev, st.st_ino)
        self.v2 = v2
        self.clocks = tuple(((~pid) << 3) | 2 for pid in pids)  # CPUCLOCK_SCHED of each process, by pid

    def cpu(self, own: float) -> float:
        try:
            st = _fstat(self.fd)
            if (st.st_dev, st.st_ino) != self.identity:
                return -TAMPERED_S
            if self.v2:
                total = int(_pread(self.fd, 64, 0).split(None, 2)[1]) / 1e6
            else:
                total = int(_pread(self.fd, 32, 0)) / 1e9
        except (OSError, ValueError):
            return -TAMPERED_S
        for clock in self.clocks:
            try:
                total -= _clock(clock) / 1e9
            except OSError:  # that process is gone (the split job's candidate exited): the job is ending
                pass
        return total - own
