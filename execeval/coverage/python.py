"""Python coverage: each passing sample's `PythonTests` job runs again in the sandbox as a `Script` that traces
the candidate's own code object ("<candidate>") and nothing else, neither the harness nor the tests.

How, and why this way (Python 3.11 has no `sys.monitoring`):

* in the job, a `sys.settrace` tracer records arcs (line to line, entries and exits as negative line numbers)
  exactly as coverage.py's own Python tracer does, so the figures are coverage.py's (`coverage run --branch`);
* outside the job (here), coverage.py's parser says which statements and arcs are *possible*, and its analysis
  turns the recorded arcs into covered/total lines and branches;
* the job stops tracing a function once every statement and possible arc of its own has been seen, and stops
  running tests once that holds for the whole program: nothing later could change the figures, and most
  candidates get there within a few tests (this is what keeps the cost low on EvalPlus's hundreds of plus
  inputs; a hot loop whose function is fully covered runs untraced even when some other line never runs);
* a program still unsaturated after ~200k traced line events (a hot function with a branch no test reaches)
  starts over under coverage.py's C tracer, which records the same arcs several times faster than any Python
  tracer, and runs every test;
* results are cached in the run store by the job's key (`execeval.coverage`), so a rerun measures nothing again.

Python stdin/stdout tasks are not measured here (docs/trust.md).
"""

from __future__ import annotations

import atexit
import functools
import hashlib
import json
import os
import secrets
import shutil
import tempfile
from collections.abc import Sequence
from typing import TYPE_CHECKING

from execeval.coverage.figures import COVERAGE_PHASE, Figures, slower
from execeval.errors import ExecevalError, UsageError
from execeval.evaluation.programs import Job
from execeval.sandbox.base import Assert, PythonTests, Script, Status

if TYPE_CHECKING:
    from execeval.languages import BuildCache
    from execeval.progress import Reporter
    from execeval.evaluation.runrecord import SampleRun
    from execeval.sandbox.base import ExecResult, Sandbox

__all__ = ["METHOD", "figures", "measurable", "measure", "possible", "tracer_job"]

METHOD = "/settrace-arcs-v3"  # in the run store's keys: a new method measures again
_JOB_FILE = "coverage-job.json"
_SLOW_EVENTS = 200_000  # line events (~0.2 s) before an unsaturated run starts over under coverage's C tracer

# Runs inside the sandbox as a Script. It only needs the standard library (and execeval.values for tagged
# arguments). The arc bookkeeping mirrors coverage.py's PyTracer for CPython 3.11: a frame starts at
# -co_firstlineno (or its current line when a generator resumes), each line event adds (last, line), and a real
# return (not a yield) adds (last, -co_firstlineno).
_TRACER = r'''
import dis, json, os, sys
job = json.load(open(JOB_FILE, encoding="utf-8"))
NAME = "<candidate>"
RESUME, PUSH_EXC_INFO = dis.opmap["RESUME"], dis.opmap["PUSH_EXC_INFO"]
FIRST = {int(k): v for k, v in job["multiline"].items()}  # a line of a multi-line statement -> its first line
STATEMENTS = set(job["statements"])
POSSIBLE = {tuple(a) for a in job["arcs"]}
want = set(POSSIBLE) | {("L", n) for n in STATEMENTS}  # everything that could still change the figures
arcs, seen, codes = set(), set(), {}
pending, index, done = {}, {}, set()  # per code object: what it alone could still show; item -> codes; finished
state = {"all": not want, "slow": False, "events": 0}

def tr(n):
    return FIRST.get(n, n) if n > 0 else -FIRST.get(-n, -n)

def own(code):
    # what frames of `code` could still add: its statements, and possible arcs between its lines and its entry
    lines = {tr(ln) for _, _, ln in code.co_lines() if ln}
    entry = -tr(code.co_firstlineno)
    ends = lines | {entry}
    mine = {("L", n) for n in lines & STATEMENTS} | {a for a in POSSIBLE if a[0] in ends and a[1] in ends}
    mine -= seen
    pending[code] = mine
    for item in mine:
        index.setdefault(item, []).append(code)
    if not mine:
        done.add(code)

def see(item):
    if item in seen:
        return
    seen.add(item)
    for code in index.pop(item, ()):
        left = pending[code]
        left.discard(item)
        if not left:
            done.add(code)
    if item in want:
        want.discard(item)
        if not want:
            state["all"] = True
            sys.settrace(None)

def add(arc):
    if arc in arcs:
        return
    arcs.add(arc)
    a, b = tr(arc[0]), tr(arc[1])
    see((a, b))
    for n in (a, b):
        if n > 0:
            see(("L", n))

def trace(frame, event, arg):
    code = frame.f_code
    if code.co_filename != NAME or state["all"] or state["slow"]:
        return None
    co = codes.get(code)
    if co is None:
        co = codes[code] = code.co_code
        own(code)
    if code in done:
        return None
    first = code.co_firstlineno
    last = -first if co[frame.f_lasti + 1] == 0 else frame.f_lineno

    def local(frame, event, arg):
        nonlocal last
        if code in done or state["all"] or state["slow"]:
            return None
        state["events"] += 1
        if state["events"] > SLOW_EVENTS:
            state["slow"] = True
            sys.settrace(None)
            return None
        lasti = frame.f_lasti
        if event == "line":
            if 0 <= lasti < len(co) and co[lasti] == PUSH_EXC_INFO:
                return local
            add((last, frame.f_lineno))
            last = frame.f_lineno
        elif event == "return":
            if len(co) == lasti + 2 or co[lasti + 2] != RESUME:
                add((last, -first))
        return local
    return local

def run(name, stop):
    """Load the program as `name` and run the tests until `stop()` says nothing more can be learnt."""
    import builtins
    global ran, errors
    ran = errors = 0
    ns = {"__name__": "__candidate__"}
    exec(compile(job["program"], name, "exec"), ns)
    tests = {k: v for k, v in ns.items() if k not in builtins.__dict__}
    tests["__name__"] = "__tests__"
    if job["setup"]:
        setup = compile(job["setup"], "<tests>", "exec")
        exec(setup, ns)
        exec(setup, tests)
    target = ns[job["entry_point"]]
    for case in job["cases"]:
        if stop():
            break
        ran += 1
        try:
            if case[0] == "A":
                exec(compile(case[1], "<test>", "exec"), tests)
            else:
                if case[2]:
                    from execeval.values import decode
                    args = decode(case[1])
                else:
                    args = json.loads(case[1])
                target(*args)
        except BaseException:
            errors += 1


sys.stdout = open(os.devnull, "w")
ran = errors = 0
tracer = "settrace"
sys.settrace(trace)
try:
    run(NAME, lambda: state["all"] or state["slow"])
except BaseException:
    pass
finally:
    sys.settrace(None)
if state["slow"]:
    # a hot function that never saturates: coverage.py's C tracer records the same arcs at a fraction of the
    # cost, so start again under it (when it is importable here), running every test
    try:
        import coverage
    except ImportError:
        coverage = None
    if coverage is not None:
        path = os.path.abspath("candidate.py")
        with open(path, "w", encoding="utf-8") as f:
            f.write(job["program"])
        cov = coverage.Coverage(data_file=None, branch=True, include=[path], config_file=False)
        cov.start()
        try:
            run(path, lambda: False)
        except BaseException:
            pass
        finally:
            cov.stop()
        arcs = set(cov.get_data().arcs(path) or ())
        tracer, state["all"] = "ctracer", False
report = {"arcs": sorted(arcs), "ran": ran, "errors": errors, "saturated": state["all"], "tracer": tracer}
os.write(1, ("\n" + TOKEN + " " + json.dumps(report) + "\n").encode())
os._exit(0)
'''


@functools.cache
def _coverage_api():
    try:
        from coverage import Coverage
        from coverage.data import CoverageData
        from coverage.python import PythonFileReporter
        from coverage.results import analysis_from_file_reporter
    except ImportError as e:
        raise UsageError("--coverage needs the coverage package (its parser says what could be covered)",
                         hint="pip install 'execeval[coverage]'") from e
    settings = Coverage(data_file=None, branch=True, config_file=False)  # default exclusions, no .coveragerc
    return CoverageData, functools.partial(PythonFileReporter, coverage=settings), analysis_from_file_reporter


@functools.cache
def _scratch() -> str:
    """One directory per process for the programs coverage.py's file reporter reads (it reads from a path)."""
    path = tempfile.mkdtemp(prefix="execeval-cov-")
    atexit.register(shutil.rmtree, path, True)
    return path


@functools.lru_cache(maxsize=64)
def _source(program: str) -> tuple[str, object]:
    """(path, coverage.py's file reporter) of `program`, written once: `possible` and `figures` share it."""
    path = os.path.join(_scratch(), hashlib.sha256(program.encode()).hexdigest() + ".py")
    with open(path, "w", encoding="utf-8") as f:
        f.write(program)
    _, reporter, _ = _coverage_api()
    return path, reporter(path)


def possible(program: str) -> tuple[list[int], list[tuple[int, int]], dict[int, int]]:
    """The statements and arcs coverage.py could see executed in `program` (what saturates the tracer), and its
    map from each line of a multi-line statement to the statement's first line (how coverage.py counts them)."""
    _, reporter = _source(program)
    return sorted(reporter.lines()), sorted(reporter.arcs()), dict(reporter.parser.multiline_map)  # type: ignore[attr-defined]  # coverage.py's reporter: untyped internals


def figures(program: str, arcs: Sequence[Sequence[int]]) -> Figures:
    """coverage.py's analysis of `program` given the arcs a run executed (from the tracer or coverage's data)."""
    data_cls, _, analyse = _coverage_api()
    path, reporter = _source(program)
    data = data_cls(no_disk=True)
    data.add_arcs({path: {(int(a), int(b)) for a, b in arcs}})
    analysis = analyse(data, 2, reporter, path)
    n, missing = analysis.numbers, analysis.missing
    return Figures(covered_lines=n.n_statements - n.n_missing, total_lines=n.n_statements,
                   covered_branches=n.n_branches - n.n_missing_branches, total_branches=n.n_branches,
                   missing_lines=tuple(sorted(missing)))


def _cases_json(tests: PythonTests) -> bytes:
    return json.dumps([["A", c.code] if isinstance(c, Assert) else ["C", c.args_json, c.tagged]
                       for c in tests.cases]).encode("utf-8")


def tracer_job(tests: PythonTests, token: str, cases_json: bytes | None = None) -> Script:
    """The sandbox job that re-runs a passing candidate's tests under the arc tracer. `cases_json`: the tests'
    encoding when the caller has it already (every program of a task shares it; EvalPlus's are megabytes)."""
    statements, arcs, multiline = possible(tests.program)
    head = {"program": tests.program, "setup": tests.setup, "entry_point": tests.entry_point,
            "statements": statements, "arcs": arcs, "multiline": multiline}
    payload = json.dumps(head).encode("utf-8")[:-1] + b', "cases": ' + (cases_json or _cases_json(tests)) + b"}"
    code = f"JOB_FILE = {_JOB_FILE!r}\nTOKEN = {token!r}\nSLOW_EVENTS = {_SLOW_EVENTS}\n" + _TRACER
    return Script(code, files={_JOB_FILE: payload})


def _parse(result: "ExecResult", token: str) -> dict | None:
    marker = token.encode() + b" "
    for line in reversed(result.stdout.splitlines()):
        if line.startswith(marker):
            try:
                return json.loads(line[len(marker):])
            except ValueError:
                return None
    return None


def measurable(run: "SampleRun") -> bool:
    """A Python function task's job (stdin/stdout tasks in Python are built and run as programs: not these)."""
    return isinstance(run.job.program, PythonTests)


def measure(runs: list["SampleRun"], sandbox: "Sandbox", reporter: "Reporter",
            cache: "BuildCache | None" = None) -> dict[str, dict]:
    """Coverage records for the distinct jobs of `runs` (by job key), measured in the sandbox (`cache`: unused,
    nothing is built; every language's `measure` takes it)."""
    token = secrets.token_hex(16)
    futures, out = {}, {}
    encoded: dict[int, bytes] = {}  # id of a task's cases -> their JSON, made once per task
    for run in runs:
        job: Job = run.job
        if job.key in futures or job.key in out:
            continue
        tests: PythonTests = job.program  # type: ignore[assignment]
        if id(tests.cases) not in encoded:
            encoded[id(tests.cases)] = _cases_json(tests)
        try:
            script = tracer_job(tests, token, encoded[id(tests.cases)])
        except ExecevalError:
            raise
        except Exception as e:  # noqa: BLE001 - coverage.py's parser refusing a program that Python ran
            out[job.key] = {"status": "unmeasured", "why": "coverage.py cannot analyse it", "detail": str(e)[:200]}
            reporter.advance(False, phase=COVERAGE_PHASE)
            continue
        futures[job.key] = (run.program, sandbox.submit(script, slower(job.limits), priority=-job.cost))
    for key, (program, fut) in futures.items():
        result = fut.result()
        report = _parse(result, token) if result.status is Status.OK else None
        if report is None:
            why = result.status.value if result.status is not Status.OK else "no coverage report"
            out[key] = {"status": "unmeasured", "why": why, "detail": result.detail[:200]}
        else:
            out[key] = {"status": "measured", **figures(program, report["arcs"]).as_dict(),
                        "tests_run": report["ran"], "saturated": report["saturated"], "tracer": report["tracer"]}
        reporter.advance(out[key]["status"] == "measured", phase=COVERAGE_PHASE)
    return out
