"""The per-case CPU timer (ITIMER_PROF): each case of a job stops once it has used its own CPU limit.

Why a class: a reference job (`PythonTests.batch_report`, trusted code) runs up to a thousand cases of
microseconds each, and arming and disarming the timer around every one cost two syscalls a case (through
seccomp). There the timer is armed for a case's limit plus one scheduler tick and re-armed only when what is left
of it is less than the next case's limit: it never fires before a case has used its limit, and at most a tick
after (the kernel checks CPU timers only at its ticks anyway, 4 ms at HZ=250), so each case keeps its own limit.
It stays armed between cases; if it runs out there, the handler ignores it and the next case re-arms it. A sample's
job keeps the timer of one case exactly: armed as the case starts, disarmed as it ends.

A sample's case that starts with report lines still unsent (values the server judges: a lifted assert's, a `Call`'s)
is first armed for `NUDGE_S` only: if it runs that long, the handler sends those lines (`nudge`) and re-arms the timer
for the rest of the case's limit. Why: the job cannot know a value was wrong (it never sees expectations), so after a
failed lifted assert it went on into the next one, and when that one ran long it burnt its whole budget (0.3 s of
CPU, two of 984 real HumanEval samples: ~14% of the run's job CPU) before the server saw the failure and stopped it.

Bound at import, before any candidate runs: a candidate that patches signal.setitimer through sys.modules cannot
reach it.
"""

from __future__ import annotations

import signal
from collections.abc import Callable

from execeval.sandbox.python.cpuclock import process_cpu

_setitimer, _PROF = signal.setitimer, signal.ITIMER_PROF
TICK_S = 0.004  # a scheduler tick at HZ=250: a CPU timer fires only at one
NUDGE_S = 0.005  # a case's CPU time after which its job's unsent report lines go out (the server waits as long)
_between_cases = [False]  # True while a kept-armed timer may run out outside a case (its signal is then ignored)
# While a case's timer is armed early for its nudge: [what sends the unsent lines, the CPU time the case's limit ends
# at]; [None, _ENDED] once that case is over (a signal already on its way then is ignored); [None, None] otherwise
_nudge: list = [None, None]
_ENDED = float("inf")


class CaseTimeout(BaseException):
    """Raised by the per-case CPU timer; a BaseException so `except Exception` in the candidate can't eat it."""


def on_cpu_timer(signum: int, frame: object) -> None:
    """SIGPROF's handler (installed once, in the fork server): the running case is over its CPU limit."""
    if _between_cases[0]:
        return
    nudge, end = _nudge
    if end is not None:  # armed early, for the nudge
        _nudge[0] = _nudge[1] = None
        if end is _ENDED:  # it came as its case ended
            return
        left = end - process_cpu()
        if left > 0:
            _setitimer(_PROF, left)  # re-armed first: the case's limit holds even while the lines go out
            nudge()
            return
    raise CaseTimeout


class CaseTimer:
    """Arms the timer for each case of one job: `arm` as a case starts, `case_over` as it ends, `close` after."""

    __slots__ = ("ends", "slack")

    def __init__(self, keep_armed: bool) -> None:
        """`keep_armed`: the job's code is trusted (a reference's): the timer stays armed across cases."""
        self.slack = TICK_S if keep_armed else 0.0
        self.ends = float("-inf")  # the CPU time (process_cpu) by which the armed timer surely fires

    def arm(self, limit: float, now: float, nudge: Callable[[], None] | None = None) -> None:
        """Before a case that starts at CPU time `now` (cpuclock.process_cpu): it stops once it has used `limit`
        seconds of CPU; 0: no limit. `nudge`: called once if the case runs `NUDGE_S` (not with `keep_armed`)."""
        _nudge[0] = _nudge[1] = None
        if limit:
            if nudge is not None and limit > NUDGE_S and not self.slack:
                _nudge[0], _nudge[1] = nudge, now + limit
                _setitimer(_PROF, NUDGE_S)
                self.ends = now + limit
            elif self.ends - now < limit:  # read before arming: the timer ends a little after `ends`, never before
                _setitimer(_PROF, limit + self.slack)
                self.ends = now + limit + self.slack
        elif self.ends > now:
            self.close()
        _between_cases[0] = False

    def case_over(self) -> None:
        if self.slack:
            _between_cases[0] = True
        else:
            self.close()

    def close(self) -> None:
        """No timer armed, and its signal a case's again (after the last case: the fork server's warm-up runs
        jobs too, and what it leaves here every job inherits)."""
        if _nudge[1] is not None:
            _nudge[0], _nudge[1] = None, _ENDED
        _setitimer(_PROF, 0)
        self.ends = float("-inf")
        _between_cases[0] = False
