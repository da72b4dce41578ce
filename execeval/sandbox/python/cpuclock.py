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
