"""The CPU time of a job's other processes (those it forked, exited or not, waited for or not), for the case
that spent it: the job's cpuacct cgroup (isolation/cgroup.py:CpuCgroup) counts every process in it, and the
processes whose time is not the case's are subtracted: the fork server (reading the job's pipes), this process
(measured already) and, for a split job, the candidate's process (measured by remote.py).

Per case boundary (~2 us here): one pread, one fstat (the fd is still the cgroup's: a candidate that closes it or dup2s a
file over it makes its cases over budget, not free) and a clock read per process subtracted."""

from __future__ import annotations

import os
import time

TREE_FD = 734  # where the job's child holds the cgroup's `cpuacct.usage` (process.py)
TAMPERED_S = 1e6  # what a case costs when the count can't be read: more than any budget
_pread, _fstat, _clock = os.pread, os.fstat, time.clock_gettime_ns
_OWN = time.CLOCK_PROCESS_CPUTIME_ID


class OtherProcesses:
    """`cpu()`: seconds of CPU the job's other processes used so far; only differences of it mean anything."""

    __slots__ = ("clocks", "fd", "identity")

    def __init__(self, fd: int, pids: tuple[int, ...]) -> None:
        self.fd = fd
        st = _fstat(fd)
        self.identity = (st.st_dev, st.st_ino)
        self.clocks = (_OWN, *(((~pid) << 3) | 2 for pid in pids))  # CPUCLOCK_SCHED of each process, by pid

    def cpu(self) -> float:
        try:
            st = _fstat(self.fd)
            if (st.st_dev, st.st_ino) != self.identity:
                return -TAMPERED_S
            total = int(_pread(self.fd, 32, 0))
        except (OSError, ValueError):
            return -TAMPERED_S
        for clock in self.clocks:
            try:
                total -= _clock(clock)
            except OSError:  # that process is gone (the split job's candidate exited): the job is ending
                pass
        return total / 1e9

    def charge(self, since: float, now: float) -> float:
        """What the others used between two `cpu()` readings; a reading that failed means tampering."""
        if now <= -TAMPERED_S or since <= -TAMPERED_S:
            return TAMPERED_S
        used = now - since
        return used if used > 0.002 else 0.0  # reads are not atomic: a few microseconds either way are noise
