"""This process's CPU time, read fresh: what a case's CPU time is measured with, in the job.

Why not `time.process_time()` alone: while a process-wide CPU timer is armed, and RLIMIT_CPU arms one in every
job, Linux answers CLOCK_PROCESS_CPUTIME_ID from the timer's running total, which moves only at the scheduler's
tick (every 4 ms at HZ=250, as here). A 12 ms case then reads 8 or 12 or 16 ms: the machine-speed calibration
(~12 ms of work) could be a third off, and each reference's CPU time off by a tick. Reading the calling thread's
own clock first brings that total up to date (the kernel accounts the thread's running time into it), so the
process clock read next is exact for this thread, and up to a tick behind only for other threads that are running
on another CPU right now. Cost: ~0.4 us more per reading.

Bound at import, before any candidate runs: a candidate that patches `time` cannot reach these.
"""

from __future__ import annotations

import time

_thread_time, _process_time = time.thread_time, time.process_time


def process_cpu() -> float:
    """Seconds of CPU this process has used, all its threads, exact for the calling one."""
    _thread_time()
    return _process_time()


class CaseClock:
    """A job's case CPU times from three clock readings a case, where two `process_cpu()`s take four (each a
    syscall, through seccomp; HumanEval+'s references run 124k cases).

    A case starts at this thread's clock plus what the job's other threads had used at the last reading (the
    process clock minus this thread's, read as the previous case ended); it ends at `process_cpu()`. So a case's
    CPU time is this thread's exactly, plus the other threads' since the previous case ended: exact for a
    single-threaded job (the usual), and for a threaded one the microseconds between two cases go to the next
    case rather than to none (its other threads' time was up to a tick behind before too, see above)."""

    __slots__ = ("others",)

    def __init__(self) -> None:
        self.others = 0.0
        self.end()

    def start(self) -> float:
        """This process's CPU time at a case's start, as the case's CPU time counts it."""
        return _thread_time() + self.others

    def end(self) -> float:
        """This process's CPU time at a case's end (`process_cpu()`)."""
        mine = _thread_time()
        now = _process_time()
        self.others = now - mine
        return now
