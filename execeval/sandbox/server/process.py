"""The fork server: a small, pre-warmed, already-isolated Python process that forks one child per job.

Started by `forkserver.WorkerPool` as `python -S -P -c <boot>` (no `site`: see forkserver.py) with an environment
built from scratch (so PYTHONHASHSEED=0 holds: set order is the same in every job); never imported by the harness
itself. It makes its namespaces once, becomes PID 1 of its own PID namespace (so `kill(-1)` after each job reaps every descendant,
`setsid()` daemons included), pre-imports common modules, and then serves jobs read from stdin. Job output is
drained while the job runs and cut at the limit (supervision.py); results go back on stdout.
"""

from __future__ import annotations

import ctypes
import dataclasses
import gc
import glob
import json
import os
import random
import signal
import stat
import sys
import threading
import time
from collections.abc import Callable

from execeval.sandbox.python import candidatecode, runner
from execeval.sandbox.python import warmup
from execeval.sandbox.python.snapshot import Snapshot
from execeval.sandbox.python.proctree import ProcessTree, become_subreaper, sigchld_kept
from execeval.sandbox.python.treecpu import TREE_FD, CgroupCount, OtherProcesses
from execeval.sandbox.python.split import candidate_end, remote
from execeval.sandbox.server import wire
from execeval.sandbox.base import Assert, Command, PythonTests, Script
from execeval.sandbox.isolation.worker import JOB_DIR, ServerIsolation
from execeval.sandbox.python.lifting.plan import Plan, lift_job
from execeval.sandbox.limits import Limits
from execeval.sandbox.isolation.linux import PR_SET_DUMPABLE, prctl
from execeval.sandbox.server.reportlines import ResultLines
from execeval.sandbox.server.setupreport import SETUP_FAILED, SetupReport
from execeval.sandbox.server.supervision import Supervision, not_compiled

# Modules imported once in the server, so a job that imports them pays nothing. Pure-Python modules cost only
# shared pages; an extension module costs every job the memory mappings of its .so (~5, and a fork's CPU grows by
# ~3-4 us per mapping), so one is pre-imported only where the jobs that import it save more than that. Measured on
# 2,484 real samples (model-samples/, bench/data/) with their tasks' prompts and tests: typing 5% of jobs, re 1.9%,
# math 1.6%, random 1%, heapq 0.1% (MBPP tasks 1.7%), cmath 0.1%, datetime, statistics, decimal, fractions and
# unicodedata ~0%. Left out: heapq, cmath, datetime, unicodedata (~0.3-4 ms to import, 5 mappings each) and
# statistics, fractions, decimal (_decimal and _statistics, 10 mappings): importing them in the few jobs that need
# them costs less, summed over all jobs, than their mappings in every fork. math, array, struct, pickle, json and
# random are mapped in the server for its own use anyway.
PREWARM = ("math", "re", "string", "collections", "itertools", "functools", "bisect", "json", "random", "typing",
           "operator", "copy", "hashlib", "array", "numbers", "dataclasses", "enum", "textwrap", "struct", "abc",
           "io", "time", "collections.abc", "traceback", "pickle")
RESULT_FD = 737  # where the job's report channel lives in the child; closing or reusing it just fails the job
CALLS_IN_FD, CALLS_OUT_FD = 735, 736  # the pipe between the tests' and the candidate's process (remote.py)
LANDLOCK_FD = 738


def job_environment(workdir: str, extra: dict[str, str]) -> dict[str, str]:
    """Every job's whole environment: nothing of the caller's leaks in."""
    return {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": workdir, "TMPDIR": workdir, "TZ": "UTC",
            "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8", "PYTHONHASHSEED": "0", "PYTHONDONTWRITEBYTECODE": "1",
            "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", **extra}


class Server:
    def __init__(self, isolation: ServerIsolation, env_extra: dict[str, str]) -> None:
        self.iso = isolation
        # the SIGCHLD filter for jobs counted through /proc (libseccomp exports it through a memfd: seccomp.py)
        self.tree_filter = sigchld_kept() if isolation.proc_tree and isolation.seccomp is not None else None
        os.environ.clear()  # set once here, inherited by every child: no per-job environment work
        os.environ.update(job_environment(JOB_DIR, env_extra))
        # tempfile caches its directory on first use; the server's (/tmp, not the job's TMPDIR) must not be it (the
        # server no longer imports tempfile itself; this holds if anything it imports ever does)
        if "tempfile" in sys.modules:
            sys.modules["tempfile"].tempdir = None  # type: ignore[attr-defined]  # a module attribute that tempfile sets itself
        self.snapshot = Snapshot()
        self.setup = SetupReport()  # where a child says its set-up failed, out of its code's reach
        self.empty_stdin = os.open(os.devnull, os.O_RDONLY | os.O_CLOEXEC)
        self.case_sets = wire.CaseSets()  # the test tuples of the last few tasks (the harness keeps the same)
        cpu = isolation.cpu_cgroup  # a one-process job's count of its other processes, made once, used by every
        self.tree_count = CgroupCount(TREE_FD, (), isolation.tree_cgroup is not None, opened_as=cpu.usage_fd) \
            if cpu is not None else None  # child (each its own copy-on-write copy)

    # ------------------------------------------------------------ one job
    def run(self, job_id: int, program: object, limits: Limits, stream: bool = False) -> dict:
        try:
            workdir = self.iso.make_workdir(limits)
        except OSError as e:
            return {"status": "sandbox_error", "detail": f"work dir: {e}"}
        result: dict = {"status": "sandbox_error", "detail": "the job's run raised"}
        try:
            result = self._run_in(workdir, job_id, program, limits, stream)
            if isinstance(program, Command) and program.collect and "reason" in result:
                result["files"] = collect_files(workdir, program.collect, limits.file_size_mb << 20)
            return result
        finally:
            try:
                self.iso.remove_workdir()
                self.iso.empty_shared_tmp()
                self.iso.empty_ipc()
            except Exception as e:  # noqa: BLE001 - whatever a job left must not stop the server nor its verdict
                # the job is judged as it ran; this server, which may still hold its leftovers, serves no other
                result["retire"] = f"cleanup after job {job_id}: {type(e).__name__}: {e}"[:500]

    def _run_in(self, workdir: str, job_id: int, program: object, limits: Limits, stream: bool) -> dict:
        files = getattr(program, "files", {}) or {}
        for name, data in files.items():
            path = os.path.join(workdir, name)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "wb") as f:
                f.write(data)
            if isinstance(program, Command) and os.path.normpath(name) in map(os.path.normpath, program.argv[:2]):
                # a built binary handed back in: the command runs it, itself or as an emulator's first argument
                # (qemu-user loads only executable files); the job owns its files, so the bit grants nothing more
                os.chmod(path, 0o755)
            if self.iso.job_uid is not None:
                os.chown(path, self.iso.job_uid, self.iso.job_uid)
        plan: Plan | None = None
        split = False
        if isinstance(program, PythonTests) and any(isinstance(c, Assert) for c in program.cases):
            plan = lift_job(program)  # assert f(<literals>) == <literal>: compared here, not in the job
            if plan is None:
                split = True  # tests that are code: in a process of their own, the candidate in another
            else:
                program = plan.job
        if isinstance(program, PythonTests):
            runner.precompile(program)  # the task's test code, compiled here once rather than in every job
            candidatecode.precompile(program)  # and the program, for this job
            failure = None if split else candidatecode.load_failure(program)
            if failure is not None:  # it does not compile: what its job would report, without the job
                return not_compiled(failure)
        stdin = getattr(program, "stdin", b"") or b""
        if stdin:
            stdin_fd = os.memfd_create("stdin", os.MFD_CLOEXEC)
            os.write(stdin_fd, stdin)
            os.lseek(stdin_fd, 0, os.SEEK_SET)
        else:  # most jobs read nothing: the server's one /dev/null spares four syscalls per job
            stdin_fd = os.dup(self.empty_stdin)
        out_r, out_w = os.pipe2(os.O_CLOEXEC)
        err_r, err_w = os.pipe2(os.O_CLOEXEC)
        res_r, res_w = os.pipe2(os.O_CLOEXEC)
        if self.iso.cgroup is not None:
            self.iso.cgroup.set_limit(limits.memory_mb)
        if self.iso.tree_cgroup is not None:
            self.iso.tree_cgroup.set_pids(limits.processes)
        start = time.monotonic()
        partner, calls = None, None
        try:
            if split:  # the candidate's process first: it is forked before this job's token exists
                calls = (*os.pipe2(os.O_CLOEXEC), *os.pipe2(os.O_CLOEXEC))  # tests->candidate, candidate->tests
                partner = _fork()
                if partner == 0:
                    self._child(program, limits, workdir, stdin_fd, out_w, err_w, None, "", (calls[0], calls[3]))
            token = os.urandom(16).hex()
            # made before the fork: allocating it after would copy the pages it lands on (the job shares them)
            results = ResultLines(token, plan, getattr(program, "stop_on_failure", False))
            lifted = {i: part.args for i, part in plan.lifted.items()} if plan else None  # (the same holds)
            remote_end = (calls[2], calls[1], partner) if calls else None
            pid = _fork()
        except OSError as e:
            for fd in (stdin_fd, out_r, out_w, err_r, err_w, res_r, res_w, *(calls or ())):
                os.close(fd)
            if partner:
                os.kill(partner, signal.SIGKILL)
                os.waitpid(partner, 0)
            return {"status": "sandbox_error", "detail": f"fork: {e}"}
        if pid == 0:
            self._child(program, limits, workdir, stdin_fd, out_w, err_w, res_w, token, remote_end=remote_end,
                        lifted=lifted)
        for fd in (stdin_fd, out_w, err_w, res_w, *(calls or ())):
            os.close(fd)
        try:
            return self._supervise(Supervision(job_id, pid, program, limits, start, (out_r, err_r, res_r), results,
                                               stream, partner))
        finally:
            for fd in (out_r, err_r, res_r):
                os.close(fd)

    def _child(self, program: object, limits: Limits, workdir: str, stdin_fd: int, out_w: int, err_w: int,
               res_w: int | None, token: str, serve: tuple[int, int] | None = None,
               remote_end: tuple[int, int, int | None] | None = None, lifted: dict[int, tuple] | None = None) -> None:
        """One job's process. `serve`: the candidate's side of a split job (no report channel, no token);
        `remote_end`: the tests' side, with the candidate's pid."""
        try:
            joining = self.iso.tree_cgroup or self.iso.cgroup  # v2's job leaf, else v1's memory cap: the server
            if joining is not None:  # stays out (a job at its cap must not take the server's allocations down)
                joining.enter()
            _dup2(stdin_fd, 0)
            _dup2(out_w, 1)
            _dup2(err_w, 2)
            if res_w is not None:
                _dup2(res_w, RESULT_FD)
            pipe_ends = serve or (remote_end[:2] if remote_end else None)
            if pipe_ends:
                _dup2(pipe_ends[0], CALLS_IN_FD)
                _dup2(pipe_ends[1], CALLS_OUT_FD)
            tree = self.iso.cpu_cgroup is not None and isinstance(program, PythonTests) and not serve  # counts the rest
            if tree:
                _dup2(self.iso.cpu_cgroup.usage_fd, TREE_FD)  # type: ignore[union-attr]  # tree says it is set
            if self.iso.landlock_fd is not None:  # kept open across the sweep below; confine_job closes it
                _dup2(self.iso.landlock_fd, LANDLOCK_FD)
                self.iso.landlock_fd = LANDLOCK_FD
            _closerange(3, TREE_FD if tree else CALLS_IN_FD if pipe_ends else RESULT_FD)
            if tree and not pipe_ends:
                _closerange(CALLS_IN_FD, CALLS_OUT_FD + 1)
            if res_w is None:
                _closerange(CALLS_OUT_FD + 1, RESULT_FD + 1)
            _closerange(LANDLOCK_FD + 1, 65536)
            if not self.iso.pid_namespace:
                os.setsid()
            if _fork is os.fork:  # its after-fork hook reseeded `random` from the OS
                random.seed(0)
            _chdir(workdir)
            if isinstance(program, Command):  # ignored signals would stay ignored across exec
                for sig in (signal.SIGPIPE, signal.SIGXFSZ, signal.SIGINT):
                    signal.signal(sig, signal.SIG_DFL)
            if isinstance(program, (Command, Script)):
                os.environ.update(program.env)
            if self.iso.proc_tree and isinstance(program, PythonTests):  # no cgroup: its orphans stay its children
                become_subreaper()
            self.iso.confine_job(limits, workdir)
            if self.tree_filter is not None and isinstance(program, PythonTests):
                self.tree_filter.load()
            if remote_end:  # the candidate (same uid, no capabilities) can't read this process through /proc
                prctl(PR_SET_DUMPABLE, 0)
        except BaseException as e:  # noqa: BLE001 - our fault: report it as such
            self.setup.failed(repr(e))
            os.write(2, f"execeval sandbox setup failed: {e!r}\n".encode())
            os._exit(SETUP_FAILED)
        self.setup.done()  # before any of the job's code: a job can't claim a set-up failure (setupreport.py)
        if isinstance(program, Command):
            os.close(RESULT_FD)
            try:
                os.execve(program.argv[0], list(program.argv), os.environ)
            except OSError as e:
                os.write(2, f"cannot execute {program.argv[0]}: {e.strerror}\n".encode())
                os._exit(127)
        if isinstance(program, Script):
            os.close(RESULT_FD)
            runner.run_script(program.code, program.args)
        if serve:
            candidate_end.serve_calls(program, CALLS_IN_FD, CALLS_OUT_FD, self.snapshot)  # type: ignore[arg-type]  # a PythonTests here: Command and Script jobs exec or exit above
        others: OtherProcesses | None = None
        if remote_end and self.iso.cpu_cgroup is not None:  # the candidate is measured apart: not one of the others
            others = CgroupCount(TREE_FD, (remote_end[2],), self.iso.tree_cgroup is not None)  # type: ignore[arg-type]  # the partner's pid
        elif self.tree_count is not None:
            others = self.tree_count
        elif self.iso.proc_tree:  # the candidate's process's descendants are the others too
            others = ProcessTree(remote_end[2] if remote_end else None)
        if remote_end:
            tests_side = remote.RemoteCandidate(CALLS_IN_FD, CALLS_OUT_FD, remote_end[2])  # type: ignore[arg-type]
            runner.run_python_tests(program, RESULT_FD, token, self.snapshot, tests_side,  # type: ignore[arg-type]  # a PythonTests here: Command and Script jobs exec or exit above
                                    others=others)
        runner.run_python_tests(program, RESULT_FD, token, self.snapshot, lifted=lifted,  # type: ignore[arg-type]  # a PythonTests here: Command and Script jobs exec or exit above
                                others=others)
        os._exit(0)

    def _supervise(self, job: Supervision) -> dict:
        """Watch the job to its end, reap it and every process it left, then read what its pipes still hold."""
        job.watch(self._kill_all)
        job.reap()
        self._kill_all(job.pid)
        job.drain()
        result = job.result(self.iso.cgroup is not None and self.iso.cgroup.oom_killed_since_last())
        why = self.setup.take()
        if why is not None:
            result["setup_failed"] = why
        return result

    def _kill_all(self, pid: int, reap: bool = True) -> None:
        """End every process of the job. As PID 1 of our namespace, kill(-1) reaches exactly the job's; cgroup
        v2's cgroup.kill does too, setsid() or not."""
        if self.iso.tree_cgroup is not None:
            self.iso.tree_cgroup.kill()
        if self.iso.pid_namespace:
            try:
                os.kill(-1, signal.SIGKILL)
            except ProcessLookupError:
                pass
            while reap:
                try:
                    os.waitpid(-1, 0)
                except ChildProcessError:
                    break
        else:
            try:
                os.killpg(pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass


def _raw_fork() -> int:
    """fork(2) without CPython's after-fork hooks, which cost a job ~0.5 ms of copy-on-write faults here
    (threading, logging and random re-initialise state a single-threaded server never shares). The GIL stays
    held across the call (PyDLL), and the server has one thread, so no lock can be left held in the child."""
    pid = _libc_fork()
    if pid < 0:
        err = ctypes.get_errno()
        raise OSError(err, os.strerror(err))
    return pid


def _pick_fork() -> "Callable[[], int]":
    if threading.active_count() != 1:  # another thread could hold a lock the child needs: CPython's way
        return os.fork
    return _raw_fork


_libc_fork = ctypes.PyDLL(None, use_errno=True).fork
_libc_fork.restype = ctypes.c_int
_fork = os.fork  # chosen in main(), once the server knows it is single-threaded
# What `_child` calls, bound here once: in a job's cold code each `os.name` read looks the name up in the type
# cache, and a miss writes the cache entry and two refcounts (copy-on-write faults, ~3 us each)
_dup2, _closerange, _chdir = os.dup2, os.closerange, os.chdir


def collect_files(workdir: str, patterns: tuple[str, ...], max_bytes: int) -> dict[str, bytes]:
    """Regular files under `workdir` matching `patterns`; the job's processes are gone, so nothing can race this.

    A symlink, a path resolving outside the work dir, or a file over `max_bytes` is skipped: a job must not make
    the server read anything but its own output.
    """
    found: dict[str, bytes] = {}
    root = os.path.realpath(workdir)
    for pattern in patterns:
        for name in sorted(glob.glob(pattern, root_dir=root)):
            path = os.path.join(root, name)
            if name in found or not os.path.realpath(path).startswith(root + "/"):
                continue
            try:
                fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
            except OSError:
                continue
            try:
                st = os.fstat(fd)
                if stat.S_ISREG(st.st_mode) and st.st_size <= max_bytes:
                    found[name] = os.read(fd, st.st_size + 1)[:max_bytes]
            finally:
                os.close(fd)
    return found


def main(worker_index: int, env_extra_json: str) -> None:
    """Entry point of `python -S -P -c <boot>`: isolate, become PID 1, pre-warm, then serve until stdin closes."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    os.setsid()  # a Ctrl-C at the terminal reaches the harness, never a job (its verdict would be wrong)
    iso = ServerIsolation(worker_index)
    iso.enter_namespaces()
    if iso.pid_namespace:
        pid = os.fork()
        if pid:  # the outer process only waits for the server, holding none of its pipes
            devnull = os.open(os.devnull, os.O_RDWR)
            os.dup2(devnull, 0)
            os.dup2(devnull, 1)
            _, status = os.waitpid(pid, 0)
            os._exit(os.waitstatus_to_exitcode(status) & 0xFF)
    iso.prepare(Limits())
    global _fork
    _fork = _pick_fork()
    for name in PREWARM:
        __import__(name)
    server = Server(iso, json.loads(env_extra_json))
    runner.prepare_server()
    warmup.warm_up(server.snapshot)  # the runner's code quickened here once, not copied into every job
    gc.collect()
    gc.freeze()  # jobs' collections then skip the server's objects: fewer copy-on-write page copies per fork
    iso.lock_server()
    server.snapshot.refresh_versions()
    sys.stdout.flush()
    wire.send(1, ("ready", iso.report()))
    while True:
        msg = wire.recv(0)
        if msg is None:
            os._exit(0)
        kind, job_id, *rest = msg
        if kind == "run":
            program, limits, stream, shared = rest
            if shared is not None:  # the task's test tuple, sent once and named by its serial after that
                serial, cases = shared
                if cases is None and serial not in server.case_sets.sets:
                    wire.send(1, ("result", job_id, {"status": "sandbox_error", "detail": wire.UNKNOWN_CASES}))
                    continue
                server.case_sets.seen(serial, cases)
                program = dataclasses.replace(program, cases=server.case_sets.sets[serial])
            result = server.run(job_id, program, limits, stream)
            wire.send(1, ("result", job_id, result))
            if "retire" in result:  # the harness starts a fresh server for the next job
                os._exit(0)
