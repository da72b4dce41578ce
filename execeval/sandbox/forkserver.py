"""Harness side of the fork servers: a pool of workers behind one global, prioritised work queue.

Each worker is a separate small process (`server/process.py`), started fresh — never forked from the harness, whose
memory would make every fork slow and whose secrets the job would inherit. Expected outputs stay here: the
worker and the job get inputs only, and `Call` outputs are graded in this process (`grading.py`) as they stream
back, so the first wrong answer stops the job early without the job ever holding what "right" looks like.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import os
import queue
import signal
import subprocess
import sys
import threading
import warnings
from concurrent.futures import Future
from typing import Self

from execeval.errors import SandboxError, UsageError
from execeval.sandbox.server import wire
from execeval.sandbox.base import (Call, CaseResult, CaseStatus, Command, ExecResult, IsolationReport, Program,
                                   PythonTests, Script, Status)
from execeval.sandbox.crashes import error_type_in
from execeval.sandbox.limits import DEFAULT_LIMITS, Limits
from execeval.sandbox.grading import Expected, grade_reports, settled_cases
from execeval.sandbox.interpreter import inside_prefixes
from execeval.sandbox.server.wire import SHARED_CASES_OVER, UNKNOWN_CASES, CaseSets

# The server starts without `site` (-S): site's .pth files run their `import` lines in the server (on a usual
# machine they pull in certifi, importlib.resources, pathlib, tempfile, zipfile, bz2 and lzma), and every module's
# memory mappings stay in the server, where each fork copies them (~3-4 us of CPU per mapping per job); their code
# would also run inside the sandbox. What a job still needs of site comes back explicitly: the harness's own
# site-packages entries (argv[4], `_site_paths`) and the `exit`/`quit`/`help`/`copyright` builtins.
_BOOT = ("import sys, json, site; sys.path.insert(0, sys.argv[1]); "
         "sys.path.extend(p for p in json.loads(sys.argv[4]) if p not in sys.path); "
         "site.setquit(); site.setcopyright(); site.sethelper(); "
         "from execeval.sandbox.server.process import main; main(int(sys.argv[2]), sys.argv[3])")
_PKG_PARENT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # holds execeval/
_OOM_MARKERS = (b"MemoryError", b"std::bad_alloc", b"OutOfMemoryError", b"Cannot allocate memory",
                b"JavaScript heap out of memory")


def _site_paths() -> list[str]:
    """This interpreter's site-packages as the harness sees them: its sys.path entries inside the interpreter's
    own trees (so the path lines of its .pth files count; a project checkout or the user's site does not) and
    site's own list, for a harness that itself runs without site. The server puts them on its sys.path; the
    .pth files' `import` lines are not run there, so no job runs them either."""
    import site

    return list(dict.fromkeys(p for p in [*sys.path, *site.getsitepackages()] if inside_prefixes(p)))


class _Worker:
    """One fork server process and the pipe protocol to it."""

    def __init__(self, index: int, env_extra: dict[str, str]) -> None:
        self.index = index
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "PYTHONHASHSEED": "0", "LANG": "C.UTF-8"}
        self.proc = subprocess.Popen(
            [sys.executable, "-S", "-P", "-c", _BOOT, _PKG_PARENT, str(index), json.dumps(env_extra),
             json.dumps(_site_paths())],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env, close_fds=True, bufsize=0)
        self.to_fd, self.from_fd = self.proc.stdin.fileno(), self.proc.stdout.fileno()  # type: ignore[union-attr]
        self._isolation: IsolationReport | None = None  # known once the server said "ready"
        self.case_sets = CaseSets()  # which test tuples this server holds: the same LRU as its own
        self.retired = ""  # why the server retired itself after its last job (it could not clean up), if it did

    @property
    def isolation(self) -> IsolationReport:
        """What the server could set up (see `_wait_ready`)."""
        return self._wait_ready()

    def _wait_ready(self) -> IsolationReport:
        """The first call waits for the server's "ready": until then the server starts (~0.1 s: an interpreter,
        its imports, the isolation) while the harness does its own work."""
        if self._isolation is None:
            ready = wire.recv(self.from_fd)
            if not (isinstance(ready, tuple) and ready[0] == "ready"):
                self.close()
                raise SandboxError(f"fork server {self.index} failed to start (exit {self.proc.wait()})",
                                   hint="run `execeval doctor` to see which isolation primitive fails")
            self._isolation = ready[1]
        return self._isolation

    def run(self, job_id: int, program: Program, limits: Limits) -> ExecResult:
        self._wait_ready()
        expected, sent, shared = None, program, None
        if isinstance(program, PythonTests):  # inputs go to the job; expectations never do
            expected, inputs, serial = _split_expectations(program.cases)
            program = sent = dataclasses.replace(program, cases=inputs)
            if len(inputs) >= SHARED_CASES_OVER:  # a task's inputs cross once, not once per sample
                known = self.case_sets.seen(serial)
                shared = (serial, None if known else inputs)
                sent = dataclasses.replace(program, cases=())
        stream = expected is not None and program.stop_on_failure and any(e is not None for e in expected)  # type: ignore[union-attr]  # expected is only given for PythonTests
        wire.send(self.to_fd, ("run", job_id, sent, limits, stream, shared))
        cases: dict[int, CaseResult] = {}
        stop_sent = False
        while True:
            msg = wire.recv(self.from_fd)
            if msg is None:
                raise SandboxError(f"fork server {self.index} died (exit {self.proc.wait()})")
            kind, msg_job, payload = msg
            if msg_job != job_id:
                continue
            if kind == "result":
                self.retired = payload.get("retire", "")
                if payload.get("detail") == UNKNOWN_CASES:  # out of step (cannot happen): send them again
                    self.case_sets = CaseSets()
                    return self.run(job_id, program, limits)
                for case in grade_reports(payload.get("cases", ()), expected, program):  # type: ignore[arg-type]
                    cases[case.index] = case
                return _to_result(payload, program, limits, cases)
            for case in grade_reports(payload, expected, program):  # type: ignore[arg-type]  # streamed while it runs
                cases[case.index] = case
                if (case.status is not CaseStatus.PASSED and not stop_sent
                        and isinstance(program, PythonTests) and program.stop_on_failure):
                    wire.send(self.to_fd, ("stop", job_id))
                    stop_sent = True

    def close(self) -> None:
        try:
            if self.proc.stdin:
                self.proc.stdin.close()
            self.proc.wait(timeout=2)
        except (OSError, subprocess.TimeoutExpired):
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()
        if self.proc.stdout:
            self.proc.stdout.close()


_SPLIT_CACHE: dict[int, tuple[tuple, list | None, tuple, int]] = {}  # id(cases) -> (cases, expected, inputs, serial)
_SPLIT_LOCK = threading.Lock()
_SERIALS = itertools.count(1)


def _split_expectations(cases: tuple) -> tuple[list | None, tuple, int]:
    """A test tuple's expected outputs (kept here; None if none: a reference run, graded as it comes), the cases
    without them (sent to the job), and a serial naming that inputs tuple while this process lives (never reused,
    unlike an id). A task's samples share its plan's cases tuple (HumanEval+: ~750 cases a task), so the split is
    made once per tuple; the cache holds the tuple itself, so an id is never reused under it."""
    key = id(cases)
    hit = _SPLIT_CACHE.get(key)
    if hit is not None and hit[0] is cases:
        return hit[1], hit[2], hit[3]
    found = [Expected(c.expected) if isinstance(c, Call) and c.expected is not None else None for c in cases]
    expected = found if any(found) else None  # none: the cases go to the job as they are
    inputs = cases if expected is None else tuple(c.with_expected(None) if type(c) is Call else c for c in cases)
    with _SPLIT_LOCK:
        if len(_SPLIT_CACHE) >= 256:
            _SPLIT_CACHE.pop(next(iter(_SPLIT_CACHE)))
        serial = next(_SERIALS)
        _SPLIT_CACHE[key] = (cases, expected, inputs, serial)
    return expected, inputs, serial


def _to_result(raw: dict, program: Program, limits: Limits, cases: dict[int, CaseResult]) -> ExecResult:
    if raw.get("status") == "sandbox_error":
        return ExecResult(Status.SANDBOX_ERROR, detail=raw.get("detail", ""))
    stderr = raw["stderr"]
    fields = {k: raw[k] for k in ("exit_code", "signal", "wall_s", "cpu_s", "peak_memory_mb", "stdout", "stderr",
                                  "stdout_truncated", "stderr_truncated", "completed")}
    error_type, tail = error_type_in(stderr), stderr[-2000:].decode("utf-8", "replace")
    case_list: tuple[CaseResult, ...] = ()
    all_passed = True
    if isinstance(program, PythonTests):
        case_list = settled_cases(program, cases)
        all_passed = [c.status for c in case_list].count(CaseStatus.PASSED) == len(case_list)  # identity: C speed
        perr = raw.get("program_error")
        if perr:
            error_type, tail = str(perr.get("t")), str(perr.get("tb", ""))[-2000:]
        elif not all_passed:
            bad = next((c for c in case_list if c.status not in (CaseStatus.PASSED, CaseStatus.NOT_RUN)), None)
            if bad is not None:
                error_type = bad.error_type
        fields["completed"] = raw["completed"] and not perr
    reason, sig = raw["reason"], raw["signal"]
    detail = ""
    if raw.get("setup_failed"):  # said where the job's code can't (server/setupreport.py), not by its exit code
        status, detail = Status.SANDBOX_ERROR, f"execeval sandbox setup failed: {raw['setup_failed']}"[:500]
    elif reason == "timeout":
        status = Status.TIMEOUT
    elif reason == "output_limit":  # the stream that went over names the limit (the kept part is in stdout/stderr)
        stream, cap = "stdout" if raw["stdout_truncated"] else "stderr", limits.output_bytes
        status, detail = Status.OUTPUT_LIMIT, f"{stream} over its limit of " + (
            f"{cap >> 20} MiB" if cap % (1 << 20) == 0 else f"{cap} bytes")
    elif reason == "tampered":
        status, detail = Status.FAILED, "the job wrote to its report channel: tampered with"
        fields["completed"] = False
    elif reason == "stopped":  # the harness saw a wrong answer and ended the job early
        status = Status.FAILED
    elif sig is not None and (sig == signal.SIGXCPU or sig == signal.SIGKILL and raw["cpu_s"] >= limits.cpu_s - .05):
        status = Status.CPU_LIMIT
    elif not isinstance(program, PythonTests) and raw["cpu_s"] > limits.cpu_s:  # RLIMIT_CPU counts whole seconds
        status = Status.CPU_LIMIT  # (and each process apart): a run's CPU time is held to the budget as given
    elif raw.get("oom_killed") or error_type == "MemoryError" or any(m in stderr for m in _OOM_MARKERS):
        status = Status.MEMORY_LIMIT
    elif sig is not None:
        status, detail = Status.KILLED, signal.Signals(sig).name if sig in signal.Signals._value2member_map_ else ""
    elif raw["exit_code"] != 0:
        status = Status.FAILED
    elif not all_passed:
        status = Status.FAILED
    else:
        status = Status.OK
    if isinstance(program, PythonTests) and not fields["completed"] and not detail and reason != "stopped" \
            and status in (Status.OK, Status.FAILED) and not raw.get("program_error"):
        status, detail = Status.FAILED, f"exited (code {raw['exit_code']}) before its tests finished"
    return ExecResult(status, error_type=error_type, traceback_tail=tail, cases=case_list, detail=detail,
                      files=raw.get("files") or {}, **fields)


def pool_size(workers: int | None) -> int:
    """How many fork servers `workers` means: 0 or None is one per core. More than `MAX_PER_CORE` a core is
    refused: each server is a process of ~20 MB and each job may use its memory limit (`-j 100000` took this
    machine's 24 GB before any job ran), and jobs beyond the cores only wait for a CPU."""
    cores = os.cpu_count() or 1
    if workers is not None and not 0 <= workers <= MAX_PER_CORE * cores:
        raise UsageError(f"{workers} workers: a pool needs 0 or more (0: one per core), at most {MAX_PER_CORE} "
                         f"per core ({MAX_PER_CORE * cores} here)", hint=f"pass --workers 0 to {MAX_PER_CORE * cores}")
    return workers or cores


MAX_PER_CORE = 16


class WorkerPool:
    """N fork servers pulling from one priority queue: lower `priority` runs first (use -cost for longest-first)."""

    def __init__(self, workers: int | None = None, env_extra: dict[str, str] | None = None,
                 started: list[_Worker] | None = None) -> None:
        """`started`: servers already starting (`early.take`), used as servers 0, 1, ... of this pool."""
        self.size = pool_size(workers)
        self._env_extra = env_extra or {}
        self._queue: queue.PriorityQueue = queue.PriorityQueue()
        self._seq = itertools.count()
        self._workers: list[_Worker | None] = [*(started or [])[:self.size]]
        self._workers += [None] * (self.size - len(self._workers))
        self._closed = False
        self.retired = 0  # servers retired because a job's leftovers could not be removed (see process.py)
        self.last_retirement = ""
        self._threads = [threading.Thread(target=self._serve, args=(i,), daemon=True) for i in range(self.size)]
        for t in self._threads[1:]:  # each starts its own server at once, while this one starts the first
            t.start()
        try:
            if self._workers[0] is None:  # started; its "ready" is awaited by `isolation`
                self._workers[0] = _Worker(0, self._env_extra)
        except BaseException:
            self.close()
            raise
        self._isolation: IsolationReport | None = None
        self._first_ready = threading.Lock()

    @property
    def isolation(self) -> IsolationReport:
        """Server 0's isolation report (see `_first_started`)."""
        return self._first_started()

    def _first_started(self) -> IsolationReport:
        """The first call (at the latest, the first `submit`) waits for server 0 to start and fails fast with its
        one-line error if it cannot: the caller's work since the pool was made overlapped the servers' start-up."""
        with self._first_ready:
            if self._isolation is None:
                try:
                    report = self._workers[0].isolation  # type: ignore[union-attr]  # set in __init__
                except BaseException:
                    self.close()
                    raise
                self._isolation = report
                self._threads[0].start()
                if report.level != "full":  # stacklevel: the caller of the sandbox's submit or isolation
                    warnings.warn("sandbox isolation is partial; missing: " + ", ".join(
                        f"{p.name} ({p.detail})" for p in report.missing), RuntimeWarning, stacklevel=4)
            return self._isolation

    def submit(self, program: Program, limits: Limits = DEFAULT_LIMITS, priority: float = 0.0) -> Future:
        if self._closed:
            raise SandboxError("the sandbox is closed")
        if self._isolation is None:
            self._first_started()
        future: Future = Future()
        self._queue.put((priority, next(self._seq), program, limits, future))
        return future

    def _serve(self, index: int) -> None:
        if self._workers[index] is None:
            try:
                self._workers[index] = _Worker(index, self._env_extra)  # its "ready" is awaited by its first job
            except Exception:  # noqa: BLE001 - tried again, and reported, at this server's first job
                pass
        job_ids = itertools.count(1)
        while True:
            item = self._queue.get()
            if item[2] is None:
                break
            _, _, program, limits, future = item
            if not future.set_running_or_notify_cancel():
                continue
            try:
                result = self._run_with_retry(index, next(job_ids), program, limits)
            except BaseException as e:  # noqa: BLE001 - a harness bug must not leave a future unresolved
                result = ExecResult(Status.SANDBOX_ERROR, detail=f"harness error: {type(e).__name__}: {e}"[:500])
            future.set_result(result)
        worker = self._workers[index]
        if worker is not None:
            worker.close()

    def _run_with_retry(self, index: int, job_id: int, program: Program, limits: Limits) -> ExecResult:
        """A dead or failing server is our fault, not the code's: restart it and retry the job once."""
        last = ""
        for _ in range(2):
            try:
                worker = self._workers[index]
                if worker is None:
                    worker = self._workers[index] = _Worker(index, self._env_extra)
                result = worker.run(job_id, program, limits)
                if worker.retired:  # the job's verdict stands; the server that ran it serves no other
                    with _SPLIT_LOCK:
                        self.retired += 1
                        self.last_retirement = worker.retired
                    worker.close()
                    self._workers[index] = None
                if result.status is not Status.SANDBOX_ERROR:
                    return result
                last = result.detail
            except Exception as e:  # noqa: BLE001 - the protocol state is unknown: restart this server
                last = f"{type(e).__name__}: {e}"
                if self._workers[index] is not None:
                    self._workers[index].close()  # type: ignore[union-attr]
                self._workers[index] = None
        return ExecResult(Status.SANDBOX_ERROR, detail=last)

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        for _ in self._threads:
            self._queue.put((float("inf"), next(self._seq), None, None, None))
        for t in self._threads:
            if t.ident is not None:  # started
                t.join(timeout=10)
        if self._threads[0].ident is None and self._workers[0] is not None:  # never served: its thread did not close it
            self._workers[0].close()


class PoolSandbox:
    """What both backends share: a pool of fork servers, the protocol's methods, context management.
    Subclasses say which programs they take (`supports`) and may translate one into another (`prepare`)."""

    def __init__(self, workers: int | None = None, pool: WorkerPool | None = None,
                 started: list[_Worker] | None = None) -> None:
        self.pool = pool or WorkerPool(workers, started=started)
        self._owns_pool = pool is None

    @property
    def capacity(self) -> int:
        return self.pool.size

    def supports(self, program: Program) -> bool:
        raise NotImplementedError

    def prepare(self, program: Program) -> Program:
        return program

    def submit(self, program: Program, limits: Limits = DEFAULT_LIMITS, priority: float = 0.0) -> Future:
        if not self.supports(program):
            raise SandboxError(f"{type(self).__name__} cannot run a {type(program).__name__}")
        return self.pool.submit(self.prepare(program), limits, priority)

    def run(self, program: Program, limits: Limits = DEFAULT_LIMITS) -> ExecResult:
        return self.submit(program, limits).result()

    def isolation(self) -> IsolationReport:
        return self.pool.isolation

    def close(self) -> None:
        if self._owns_pool:
            self.pool.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class ForkServerSandbox(PoolSandbox):
    """Python programs (`Script`, `PythonTests`) in pre-warmed, pre-isolated interpreters, one fork per job; any
    other `Command` is forked the same way and `execve`d, so one sandbox serves every kind of job."""

    def supports(self, program: Program) -> bool:
        return isinstance(program, (Script, PythonTests, Command))
