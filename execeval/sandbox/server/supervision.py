"""The fork server watching one job: its pipes drained while it runs (output cut at the limit), its case results
passed on as they come, its deadlines moved case by case, then its processes reaped and its usage read.

One `Supervision` is made per job, after the fork; `Server._supervise` (process.py) runs its steps in order.
Only the server process imports this module.
"""

from __future__ import annotations

import os
import select
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass

from execeval.sandbox.base import PythonTests
from execeval.sandbox.limits import Limits
from execeval.sandbox.python.casetimer import NUDGE_S
from execeval.sandbox.server import wire
from execeval.sandbox.server.reportlines import ResultLines

RESULT_CAP = 64 << 20  # bytes of case results a job may send; more is tampering
SETTLE_AFTER_S = NUDGE_S  # how long a report chunk may wait to be parsed while its job still runs: as long as a
# job holds back lines in a case that runs on (casetimer)
_READ = 1 << 16


@dataclass
class Capture:
    """A job's stdout or stderr as kept: at most `cap` bytes, and whether more was cut."""

    cap: int
    data: bytearray
    truncated: bool = False

    def add(self, chunk: bytes) -> bool:
        room = self.cap - len(self.data)
        if len(chunk) > room:
            self.data += chunk[:max(room, 0)]
            self.truncated = True
            return False
        self.data += chunk
        return True


class Supervision:
    """One running job: its pid (and the candidate's, for a split job), its pipes, its deadlines and what it has
    reported so far. `watch` polls until the job ends, `reap` waits for it (and keeps its wait status and usage),
    `drain` reads what is left, `result` is the reply to the harness."""

    __slots__ = (
        "case_cpu",
        "cpu_s",
        "credited",
        "deadline",
        "err_r",
        "exited",
        "hard_deadline",
        "held",
        "job_id",
        "open_fds",
        "out_r",
        "partner",
        "peak_memory_mb",
        "pending",
        "pending_size",
        "pid",
        "pidfd",
        "poller",
        "reason",
        "reported",
        "res_r",
        "results",
        "slack",
        "start",
        "status",
        "stderr",
        "stdout",
        "stream",
        "wall_s",
    )

    def __init__(self, job_id: int, pid: int, program: object, limits: Limits, start: float,
                 pipes: tuple[int, int, int], results: ResultLines, stream: bool, partner: int | None) -> None:
        self.job_id, self.pid, self.partner, self.start = job_id, pid, partner, start
        self.hard_deadline = start + limits.wall_s
        self.case_cpu: tuple[float, ...] = getattr(program, "case_cpu_s", None) or ()
        self.reported, self.credited = 0, 0.0
        self.slack = 2.0 if partner else 0.0  # a split job's calls also carry their arguments both ways
        if isinstance(program, PythonTests):
            self.deadline = min(self.hard_deadline, case_deadline(self.case_cpu, 0, start) + self.slack)
        else:  # a program's run: its CPU budget in wall time, moved by what it waited for a CPU (a busy machine);
            # what sleeps or blocks ends there, as under a wall-clock limit (SandboxFusion's run_timeout). The
            # grace leaves a program that computes to RLIMIT_CPU and the CPU check (forkserver.py): a start-up's
            # disk reads must not end it before its CPU time does
            self.deadline = min(self.hard_deadline, start + limits.cpu_s * 1.1 + 0.1)
        self.stdout, self.stderr = Capture(limits.output_bytes, bytearray()), Capture(limits.output_bytes, bytearray())
        self.held: list[dict] = []  # case results not streamed (nobody waits for them before the end)
        self.out_r, self.err_r, self.res_r = pipes
        self.results, self.stream = results, stream
        # report chunks read but not parsed yet, with when each came: a small job's report comes as it ends, and
        # parsing it once the job has exited writes the server's pages when it alone holds them (no copy-on-write
        # copies). A job still running SETTLE_AFTER_S later is parsed then (a lifted assert failed: stop it); a
        # streamed job's results are wanted as they come
        self.pending: list[tuple[bytes, float]] | None = None if stream else []
        self.pending_size = 0
        self.pidfd = os.pidfd_open(pid)
        self.poller = select.poll()
        for fd in (*pipes, self.pidfd, 0):
            self.poller.register(fd, select.POLLIN)
        self.open_fds = set(pipes)
        self.reason: str | None = None
        self.exited = False

    def watch(self, kill_all: Callable[..., None]) -> None:
        """Poll the job's pipes, its pidfd and the harness (fd 0) until the job and its pipes are done, it is
        stopped, or its deadline passes. `kill_all(pid, reap=False)` ends descendants that outlive the job."""
        while True:
            now = time.monotonic()
            if self.pending and (now >= self.deadline or now >= self.pending[0][1] + SETTLE_AFTER_S):
                self._settle()  # the reports not parsed yet move the deadline as they would have on arrival
                if self.reason:
                    return
                continue
            timeout = self.deadline - now
            if timeout <= 0:
                if self._credit_cpu_wait():
                    continue
                self.reason = self.reason or "timeout"
                return
            if self.pending:
                timeout = min(timeout, self.pending[0][1] + SETTLE_AFTER_S - now)
            for fd, _ in self.poller.poll(timeout * 1000):
                if fd == 0:
                    self._on_harness()
                elif fd == self.pidfd:
                    self._on_exit()
                else:
                    self._on_output(fd)
            if self.pending and (self.reason or self.exited):
                self._settle()
            if self.reason or (self.exited and not self.open_fds):
                return
            if self.exited:  # child gone, a descendant still holds a pipe: end them all, then drain what is left
                kill_all(self.pid, reap=False)
                self.deadline = min(self.deadline, time.monotonic() + 0.5)

    def _credit_cpu_wait(self) -> bool:
        """At the deadline: move it by the time the job wanted a CPU and got none (a busy machine), if any."""
        waited = runqueue_wait(self.pid) + (runqueue_wait(self.partner) if self.partner else 0.0) - self.credited
        if waited > 0.05 and self.deadline < self.hard_deadline and not self.exited:
            self.credited += waited
            self.deadline = min(self.hard_deadline, self.deadline + waited)
            return True
        return False

    def _on_harness(self) -> None:
        msg = wire.recv(0)
        if msg is None:
            os._exit(0)  # harness gone: the job dies with this namespace
        if msg == ("stop", self.job_id):
            self.reason = "stopped"

    def _on_exit(self) -> None:
        self.exited = True
        self.poller.unregister(self.pidfd)
        if self.partner:  # the tests are over: the candidate's process has nothing left to answer
            _kill(self.partner)

    def _on_output(self, fd: int) -> None:
        """A chunk from stdout, stderr or the report channel; case results are streamed or held, and each new
        one moves the deadline to the next case's budget."""
        chunk = os.read(fd, _READ)
        if not chunk:
            self.poller.unregister(fd)
            self.open_fds.discard(fd)
            return
        if fd == self.out_r and not self.stdout.add(chunk) or fd == self.err_r and not self.stderr.add(chunk):
            self.reason = "output_limit"
            return
        if fd != self.res_r:
            return
        if self.pending is not None:
            self.pending.append((chunk, time.monotonic()))
            self.pending_size += len(chunk)
            if self.results.size + self.pending_size > RESULT_CAP:
                self._settle()
            return
        self._take(chunk, time.monotonic())

    def _settle(self) -> None:
        """Parse the pending report chunks in order, each as if it had just come (the time it came): the deadline
        ends as it would have, and a report tampered with or a failed lifted assert that stops the job is the
        reason, as it would have been before whatever else came since."""
        pending, self.pending, self.pending_size = self.pending, [], 0
        reason, self.reason = self.reason, None
        for chunk, came in pending:  # type: ignore[union-attr]  # only called with chunks pending
            if self.reason is None:
                self._take(chunk, came)
            else:  # what came after the reason is read as it would have been once the job was ended
                self._take_late(chunk)
        self.reason = self.reason or reason

    def _take(self, chunk: bytes, now: float) -> None:
        """One report chunk: its case results held or streamed, the deadline moved to the next case's budget."""
        results = self.results
        batch = results.feed(chunk)
        if results.stop and not results.tampered:  # a lifted case failed: as the harness would
            self.held.extend(batch)
            self.reason = "stopped"
            return
        if results.tampered or results.size > RESULT_CAP:
            self.reason = "tampered"
            return
        if results.lines > self.reported:
            self.reported = results.lines
            self.deadline = min(self.hard_deadline, case_deadline(self.case_cpu, self.reported, now) + self.slack)
        if batch and self.stream:
            wire.send(1, ("cases", self.job_id, batch))
        else:
            self.held.extend(batch)

    def reap(self) -> None:
        """Kill the job if it still runs, wait for it (and the candidate's process of a split job) and add up
        their usage; a candidate that crashed or left mid-test ends the job as it would in one process."""
        if not self.exited:
            os.kill(self.pid, signal.SIGKILL)
        _, status, usage = os.wait4(self.pid, 0)
        wall = time.monotonic() - self.start
        os.close(self.pidfd)
        cpu = usage.ru_utime + usage.ru_stime
        peak = usage.ru_maxrss / 1024
        if self.partner:
            _kill(self.partner)
            _, candidate_status, candidate = os.wait4(self.partner, 0)
            cpu += candidate.ru_utime + candidate.ru_stime
            peak = max(peak, candidate.ru_maxrss / 1024)
            crashed = os.WTERMSIG(candidate_status) if os.WIFSIGNALED(candidate_status) else 0
            if self.reason is None and not os.WIFSIGNALED(status) and crashed != signal.SIGKILL \
                    and (crashed or not self.results.done):
                status = candidate_status  # it crashed, or exited mid-test: the job's end, as in one process
        self.status, self.wall_s, self.cpu_s, self.peak_memory_mb = status, wall, cpu, peak

    def drain(self) -> None:
        """Read whatever is still buffered in the pipes, once every process of the job is gone."""
        for fd in list(self.open_fds):
            os.set_blocking(fd, False)
            try:
                while chunk := os.read(fd, _READ):
                    if fd == self.out_r:
                        self.stdout.add(chunk)
                    elif fd == self.err_r:
                        self.stderr.add(chunk)
                    else:
                        self._take_late(chunk)
            except (BlockingIOError, OSError):
                pass

    def _take_late(self, chunk: bytes) -> None:
        """A report chunk read once the job is over: its results kept unless the report was tampered with."""
        if (batch := self.results.feed(chunk)) and not self.results.tampered:
            self.held.extend(batch)

    def result(self, oom_killed: bool) -> dict:
        """The job's result as the server sends it back (the wire protocol's "result" body), once reaped."""
        status, results = self.status, self.results
        return {
            "reason": self.reason, "signal": os.WTERMSIG(status) if os.WIFSIGNALED(status) else None,
            "exit_code": os.WEXITSTATUS(status) if os.WIFEXITED(status) else None,
            "wall_s": self.wall_s, "cpu_s": self.cpu_s, "peak_memory_mb": self.peak_memory_mb,
            "oom_killed": oom_killed,
            "stdout": bytes(self.stdout.data), "stderr": bytes(self.stderr.data),
            "stdout_truncated": self.stdout.truncated, "stderr_truncated": self.stderr.truncated,
            "completed": results.done and not results.tampered,
            "tampered": results.tampered, "program_error": results.program_error, "cases": self.held,
        }


def not_compiled(program_error: dict) -> dict:
    """The result of a job the server did not fork because its program does not compile (candidatecode.py): what
    the job would have sent (`Supervision.result`'s fields: its load failure, its closing line, exit status 0),
    with nothing run, so no output, time or memory."""
    return {"reason": None, "signal": None, "exit_code": 0, "wall_s": 0.0, "cpu_s": 0.0, "peak_memory_mb": 0.0,
            "oom_killed": False, "stdout": b"", "stderr": b"", "stdout_truncated": False, "stderr_truncated": False,
            "completed": True, "tampered": False, "program_error": program_error, "cases": []}


def _kill(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def runqueue_wait(pid: int) -> float:
    """Seconds the job's process spent runnable but waiting for a CPU, 0 if unknown: its busiest thread's
    (/proc/PID/task/*/schedstat), since a runtime may run the program in a thread other than the first (a JVM's
    first thread only waits for its main thread)."""
    try:
        tids = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return 0.0
    waited = 0
    for tid in tids:
        try:
            with open(f"/proc/{pid}/task/{tid}/schedstat", "rb") as f:
                waited = max(waited, int(f.read().split()[1]))
        except (OSError, ValueError, IndexError):
            continue
    return waited / 1e9


def case_deadline(case_cpu: tuple[float, ...], reported: int, now: float) -> float:
    """Wall-clock bound for the case now running: its CPU budget with slack (a sleeping case uses no CPU)."""
    if reported >= len(case_cpu):
        return now + 2.0 if case_cpu else float("inf")  # the closing line is all that is left
    return now + case_cpu[reported] + 1.0 + (0.5 if reported == 0 else 0.0)
