"""What runs inside a job's child process for Python programs (`Script`, `PythonTests`).

Verdict integrity: the child never decides that a sample passed. It reports, per case and on a private pipe whose
every line carries a per-job token, either "returned <encoded value>" (compared outside, by the harness, against
expectations the child never sees) or the outcome of an `Assert` case; the harness counts a pass only when every
case reported and the runner's closing line arrived. Exiting early (`sys.exit(0)`, `os._exit(0)`), raising
`SystemExit`/`KeyboardInterrupt`, atexit hooks, printing "passed", or closing the pipe therefore all fail.

Inside the process the runner also undoes what the candidate may have patched (builtins, modules the tests use)
after the program loads and after every call, and rejects return values whose type defines comparison or truth
in Python (an object whose `__eq__` always answers True) before a test compares them.
"""

from __future__ import annotations

import builtins
import json
import os
import random
import re
import signal
import sys
import traceback
import types
from collections.abc import Callable
from typing import NoReturn, Protocol

from execeval.sandbox.base import Assert, PythonTests
from execeval.sandbox.python.candidatecode import compiled
from execeval.sandbox.python.casetimer import CaseTimeout, CaseTimer, on_cpu_timer
from execeval.sandbox.python.channel import Channel
from execeval.sandbox.python.cpuclock import process_cpu
from execeval.sandbox.python.split.guard import check_plain, to_wire
from execeval.sandbox.python.tracebacks import failing_line, program_failure, short, test_location
from execeval.sandbox.python.outputtext import flat_text
from execeval.sandbox.python.snapshot import Snapshot
from execeval.sandbox.python.treecpu import OtherProcesses
from execeval.values import decode, encode, parse_json


# What the runner itself calls is bound at import (the case timer in casetimer.py, the CPU clocks in cpuclock.py):
# a candidate that patches them through sys.modules cannot reach them. (The json modules it uses are restored
# before every report line.)
_RUNNER_MODULES = ("builtins", "json", "json.encoder", "signal")
_json_str = json.encoder.encode_basestring_ascii  # C; outputs are ASCII-safe JSON strings either way
_BUILTIN_NAMES = frozenset(builtins.__dict__)


class Candidate(Protocol):
    """The candidate in a process of its own, as the runner sees it (`split.remote.RemoteCandidate` is one).

    Why a protocol: the runner must not import the split job's modules (they import the runner), yet it sets the
    case's CPU budget on the candidate and reads back what the candidate's process spent."""

    hello: dict  # {"s": "ready", ...}, or how the program failed to load ("where": "load" or "setup")
    on_gone: Callable[[], None]  # called when the candidate's process has exited mid-call
    budget: float  # the current case's CPU limit (0: none)
    case_cpu: float  # the candidate's CPU time in the current case
    marshal: float  # this process's CPU time spent encoding and decoding calls (not the case's)

    def namespace(self, modules: dict) -> dict: ...

    def call_output(self, name: str, args: list) -> str: ...


class JobOver(BaseException):
    """The job's report is complete (its program failed to load): unwinds to whoever runs `report_tests`."""


def run_python_tests(job: PythonTests, channel_fd: int, token: str, snapshot: Snapshot,
                     remote: Candidate | None = None, lifted: dict[int, tuple] | None = None,
                     others: OtherProcesses | None = None) -> None:
    """Execute the candidate and its cases; report on the channel; never returns (see `report_tests`)."""
    try:
        report_tests(job, channel_fd, token, snapshot, remote, lifted, others)
    except JobOver:
        pass
    os._exit(0)


def report_tests(job: PythonTests, channel_fd: int, token: str, snapshot: Snapshot,
                 remote: Candidate | None = None, lifted: dict[int, tuple] | None = None,
                 others: OtherProcesses | None = None) -> None:
    """Execute the candidate and its cases in this process and report on the channel, up to its closing line;
    raises `JobOver` when the program failed to load (reported too). Jobs run it through `run_python_tests`.

    `remote`: the candidate runs in another process and this one runs only the tests (the candidate's names are
    proxies). `lifted`: `Call` cases that were `Assert`s (`lifting`), with their literal arguments, ready made
    (decoding them would cost each job copy-on-write faults in the values module): their values cross as
    `guard.to_wire` makes them, for the server to compare. `others`: the CPU time of the job's other processes,
    charged to the case that spent it."""
    out = Channel(channel_fd, token)
    ns_builtins, test_builtins = snapshot.job_builtins
    private = [ns_builtins, test_builtins]
    test_ns: dict = {}
    # modules the test code imports by name: restored before the tests look at them (restoring every module is
    # milliseconds of copy-on-write faults per job; these are the ones a test can reach directly)
    every = [m for m in _imported_names(job) if m in snapshot.modules]

    reach: set[str] = set(_RUNNER_MODULES).union(every)  # grows when the tests' namespace gains modules

    def restore(rescan: bool = True) -> None:
        if rescan:
            reach.update(snapshot.used_by(test_ns))
        snapshot.restore(reach, private)

    def program_error(exc: BaseException | dict, where: str) -> NoReturn:
        restore()
        out.send(program_failure(exc, where, sources, skip_file=__file__) if isinstance(exc, BaseException)
                 else {"program": where, **{k: str(exc.get(k, ""))[:2000] for k in ("t", "m", "tb")}})
        out.send("done", flush=True)
        raise JobOver

    sources = {"<candidate>": job.program, "<tests>": job.setup}
    ns: dict | None = None
    if remote is None:
        ns = _load_here(job, ns_builtins, program_error)
        names = ns
    else:
        names = _load_remote(remote, out, snapshot, program_error)
    # The tests get their own globals: the candidate's names (helpers from the prompt, the entry point), never
    # one that shadows a builtin the tests rely on (a candidate `def abs(v): return 0`), and pristine modules.
    test_ns.update((k, v) for k, v in names.items() if k not in _BUILTIN_NAMES)
    target = names.get(job.entry_point)
    test_ns.update({"__name__": "__tests__", "__builtins__": test_builtins})
    restore()  # whatever the program patched at import time, in what the tests and the runner use
    try:
        if job.setup:
            setup = _compiled(job.setup, "<tests>")
            if ns is not None:
                exec(setup, ns)  # as in one script: the candidate sees the test imports (MBPP's test_imports)
                restore()
            exec(setup, test_ns)
    except BaseException as exc:  # noqa: BLE001
        program_error(exc, "setup")
    snapshot.pristine(test_ns)
    restore()
    if not callable(target):
        program_error(NameError(f"name {job.entry_point!r} is not defined"), "load")

    def guarded(*args: object, **kwargs: object) -> object:
        try:
            value = target(*args, **kwargs)  # target is set once the module loaded
        finally:
            restore(rescan=False)
        if remote is None:  # a remote value is plain data or a handle already
            check_plain(value)
        return value

    test_ns[job.entry_point] = guarded
    timer = CaseTimer(keep_armed=job.batch_report)  # a reference's cases: not armed and disarmed around each
    try:
        _run_cases(job, out, snapshot, test_ns, sources, target, remote, lifted, restore, others, timer)
    finally:
        timer.close()
    out.send("done", flush=True)


def _load_here(job: PythonTests, ns_builtins: dict, program_error: Callable[[BaseException, str], NoReturn]) -> dict:
    """The candidate's globals after running its program in this process (one-process jobs)."""
    # a real module, so the candidate's functions pickle by reference (multiprocessing, ProcessPoolExecutor)
    module = types.ModuleType("__candidate__")
    sys.modules["__candidate__"] = module
    ns = module.__dict__
    ns["__builtins__"] = ns_builtins
    try:
        code = compiled(job)  # the server's compile (candidatecode.py); else here, so a failure reads as before
        exec(code if code is not None else compile(job.program, "<candidate>", "exec", dont_inherit=True), ns)
    except BaseException as exc:  # noqa: BLE001 - every way out of the program is a failure to load
        program_error(exc, "load")
    return ns


def _load_remote(remote: Candidate, out: Channel, snapshot: Snapshot,
                 program_error: Callable[[dict, str], NoReturn]) -> dict:
    """The candidate's names as proxies (split jobs); its process already loaded the program, or says how it
    failed. If that process exits mid-call, what was reported goes out and this process leaves too."""
    if remote.hello.get("s") != "ready":
        program_error(remote.hello, "setup" if remote.hello.get("where") == "setup" else "load")

    def gone() -> None:
        out.flush()
        os._exit(0)

    remote.on_gone = gone
    return remote.namespace(snapshot.modules)


def _run_cases(job: PythonTests, out: Channel, snapshot: Snapshot, test_ns: dict, sources: dict[str, str],
               target: Callable, remote: Candidate | None, lifted: dict[int, tuple] | None,
               restore: Callable[..., None], others: OtherProcesses | None, timer: CaseTimer) -> None:
    """Run the cases in order, one report line each (passing cases of a long job many to a line); stop at the
    first failure when the job asks to, or at a timeout. Hot path: what it uses comes in as arguments (locals), so
    a case costs what it did inline."""
    # HumanEval+'s ~750 inputs a sample: a line each cost ~3 us to parse in the server and ~2 us to pass on; a
    # short job keeps its hand-formatted lines (no json encoder pages touched per job)
    in_columns = job.batch_report or len(job.cases) > _LINES_UP_TO
    # lines held back may hold a wrong value only the server can see: a long case sends them (casetimer.NUDGE_S)
    nudge = out.flush if job.stop_on_failure and remote is None else None
    for index, case in enumerate(job.cases):
        limit = job.case_cpu_s[index] if job.case_cpu_s else 0.0
        result: dict = {"i": index}
        if limit and (out.pending or out.columns[0]) and limit > job.case_cpu_s[out.flushed]:  # type: ignore[index]
            out.flush()  # the harness's wall-clock bound is still the earlier, smaller case's: move it on
        begun = others.begin() if others is not None and limit else 0.0
        start = _cpu()
        if remote is not None:
            remote.budget, remote.case_cpu, remote.marshal = limit, 0.0, 0.0
        try:
            # split: the candidate's process has its own timer; this one's marshalling is not the case's
            timer.arm(limit if remote is None or not limit else 4 * limit + 1.0, start,
                      nudge if out.pending or out.columns[0] else None)
            if isinstance(case, Assert):
                name = f"<test {index}>"
                sources[name] = case.code
                exec(_compiled(case.code, name), test_ns)
                result["s"] = "passed"
            elif lifted and index in lifted:  # compared by the server with the assert's literal
                result["s"] = "returned"
                result["o"] = _lifted_text(target(*lifted[index]))  # target is set once the module loaded
            else:  # judged outside on plain data: no guard needed, and restoring once per case is enough
                result["s"] = "returned"
                args = decode(case.args_json) if case.tagged else parse_json(case.args_json)
                if remote is not None:
                    result["o"] = remote.call_output(job.entry_point, args)
                else:
                    value = target(*args)  # target is set once the module loaded
                    result["o"] = flat_text(value) or encode(value)
        except CaseTimeout as exc:  # the test's line that was running names the input that took too long
            at = test_location(exc, sources)
            result.update(s="timeout", t="TimeoutError", m=f"case CPU time over {limit:.3g}s" + (f", at {at}" if at
                                                                                                  else ""))
        except AssertionError as exc:
            text, at = failing_line(exc, sources) or short(exc), test_location(exc, sources)
            result.update(s="failed", t="AssertionError", m=f"{at} (failed: {text})" if at and not at.endswith(
                text) else at or text)
        except BaseException as exc:  # noqa: BLE001 - SystemExit, KeyboardInterrupt... are all errors here
            kind = getattr(exc, "remote_type", None)  # the candidate's process's type name; any attribute: str only
            result.update(s="error", t=kind if type(kind) is str else type(exc).__name__, m=short(exc))
        finally:
            timer.case_over()
            if isinstance(case, Assert):  # test code may have imported or rebound modules
                restore()
                snapshot.pristine(test_ns)
            elif not job.batch_report:  # a reference run's code is trusted: nothing to undo between its calls
                restore(rescan=False)
        end = _cpu()
        cpu = end - start
        if remote is not None:  # the candidate's time, not this process's marshalling of its calls
            cpu = max(cpu - remote.marshal, 0.0) + remote.case_cpu
        if others is not None and limit:  # what processes it forked spent meanwhile (read only if it matters)
            cpu += others.charge(cpu, begun, limit, end)
        cpu = round(cpu, 6)
        failed = result["s"] not in ("passed", "returned")
        if failed:
            result["c"] = cpu
            out.send(result, flush=True)
        elif in_columns:
            out.add(index, result["s"], cpu, result.get("o"))
        else:  # the common line, formatted by hand: json.dumps would touch (copy) its module's pages per job
            out.send(f'{{"i":{index},"s":"{result["s"]}","c":{cpu!r}'
                     + (f',"o":{_json_str(result["o"])}}}' if "o" in result else "}"))
        # even with every test asked for, a program that ran out of time once stops there: each further test
        # would burn its whole budget too (the rest count as not run)
        if failed and (job.stop_on_failure or result["s"] == "timeout"):
            break


_LINES_UP_TO = 32  # cases a job reports a line each; a longer job's passing cases go in columns (Channel.add)


def _lifted_text(value: object) -> str:
    """`encode`'s text of a lifted case's value (no values/json module pages touched for a scalar)."""
    return flat_text(value) or encode(to_wire(value, None))


_IMPORT = re.compile(r"^[ \t]*(?:from[ \t]+([\w.]+)[ \t]+import|import[ \t]+([\w., \t]+))", re.MULTILINE)


def _imported_names(job: PythonTests) -> frozenset[str]:
    """Module names (and their packages) that the setup and Assert cases import: worked out in the server by
    `precompile` once per task, so a job finds them ready (~50 us and ~15 copy-on-write faults fewer a job)."""
    seen = _imports_seen
    if job.setup is seen[0] and job.cases is seen[1]:  # the same objects: held here, so no id is ever reused
        return seen[2]  # type: ignore[return-value]  # the third item is always the names
    names = _imports_in(job)
    seen[:] = [job.setup, job.cases, names]
    return names


_imports_seen: list[object] = [None, None, frozenset()]  # (setup, cases, their imported names), the last task's


def _imports_in(job: PythonTests) -> frozenset[str]:
    text = "\n".join([job.setup, *(c.code for c in job.cases if isinstance(c, Assert))])
    names: set[str] = set()
    if "import" not in text:
        return frozenset()
    for frm, imp in _IMPORT.findall(text):
        for item in ([frm] if frm else imp.split(",")):
            dotted = item.strip().split()[0] if item.strip() else ""
            parts = dotted.split(".")
            names.update(".".join(parts[:i]) for i in range(1, len(parts) + 1) if parts[0])
    return frozenset(names)


_TEST_CODE: dict[tuple[str, str], types.CodeType] = {}  # (source, file name) -> code; filled by the server
_TEST_CODE_MAX = 4096
_precompiled_cases: list[tuple] = [()]  # the case tuple precompile() saw last (a task's samples share one)


def precompile(job: PythonTests) -> None:
    """Compile a job's test code (its setup and `Assert` cases), and find what it imports, in the server before
    the fork, once per task: a task's samples share it, so each job then runs ready code objects instead of
    compiling the tests again (~0.2 ms a job, with the copy-on-write faults the compiler's scratch memory costs a
    forked child). Code objects are immutable to the code they run; what a job changes in its copy (quickening)
    stays in its fork."""
    _imported_names(job)
    if len(_TEST_CODE) > _TEST_CODE_MAX:
        _TEST_CODE.clear()
    sources = [(job.setup, "<tests>")] if job.setup else []
    if job.cases is not _precompiled_cases[0]:
        _precompiled_cases[0] = job.cases
        sources += [(c.code, f"<test {i}>") for i, c in enumerate(job.cases) if isinstance(c, Assert)]
    for key in sources:
        if key not in _TEST_CODE:
            try:
                _TEST_CODE[key] = compile(key[0], key[1], "exec", dont_inherit=True)
            except BaseException:  # noqa: BLE001 - the job compiles it again and reports the error as it always did
                pass


def _compiled(source: str, name: str) -> types.CodeType:
    """The server's code object for this test source, or a fresh compile (raises what compiling raises)."""
    code = _TEST_CODE.get((source, name))
    return code if code is not None else compile(source, name, "exec", dont_inherit=True)


def prepare_server() -> None:
    """What every Python job needs, done once in the fork server instead of once per job (fork copies it):
    the per-case CPU timer's handler, unlimited int-to-str digits (huge EvalPlus answers must encode), and the
    same random state for every job (reruns give the same verdicts)."""
    signal.signal(signal.SIGPROF, on_cpu_timer)
    sys.set_int_max_str_digits(0)
    random.seed(0)


_cpu = process_cpu  # exact, where time.process_time() moves in scheduler ticks (cpuclock.py)


def run_script(code: str, args: tuple[str, ...] = ()) -> None:
    """Run `code` as `__main__` like `python script.py ARGS...` would; never returns."""
    sys.argv = ["script.py", *args]
    signal.signal(signal.SIGPROF, signal.SIG_DFL)  # the server's case timer is not the script's
    status = 0
    try:
        exec(compile(code, "script.py", "exec", dont_inherit=True), {"__name__": "__main__", "__builtins__": builtins})
    except SystemExit as exc:
        status = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        if not isinstance(exc.code, (int, type(None))):
            print(exc.code, file=sys.stderr)
    except BaseException:  # noqa: BLE001
        traceback.print_exc()
        status = 1
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except BaseException:  # noqa: BLE001
            status = status or 120
    os._exit(status & 0xFF)
