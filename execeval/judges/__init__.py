"""Judges: from a task's tests and a program to the `ExecResult`-with-cases that `execeval.evaluation.verdict.verdict_of` reads.

Three shapes of task, one result type, so the store, the metrics, results.jsonl and the report never need to know
which shape a verdict came from:

    function   Python `Assert`/`Call` tests           the fork server (`PythonTests`); `evaluate` keeps its fast
                                                       path with references and CPU-calibrated limits
    program    one `TestProgram` per run, in the task's language     `judges.program_tests` (end-of-tests token)
    io         `IOTest` stdin/stdout cases, any language              `judges.stdio.judge_io`

    from execeval.judges import judge
    result = judge(task, program, sandbox, limits=Limits(cpu_s=5))   # sandbox: a CommandSandbox for program/io
"""

from __future__ import annotations

import dataclasses
import time
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TYPE_CHECKING

from execeval.errors import SandboxError, UsageError
from execeval.sandbox.base import (Assert, CaseResult, CaseStatus, ExecResult, PythonTests, Sandbox, Status)
from execeval.sandbox.limits import DEFAULT_LIMITS, Limits
from execeval.tasks.model import IOTest, Task, TestProgram, TestSuite

if TYPE_CHECKING:
    from execeval.languages import BuildCache

__all__ = ["task_kind", "judge", "judge_suite", "ProgramRunner", "FUNCTION", "PROGRAM", "IO"]

FUNCTION, PROGRAM, IO = "function", "program", "io"


def task_kind(task: Task) -> str:
    """`program` when every test is a `TestProgram`, `io` when every test is an `IOTest`, else `function`."""
    cases = task.tests.cases + (task.plus_tests.cases if task.plus_tests is not None else ())
    if cases and all(isinstance(c, TestProgram) for c in cases):
        return PROGRAM
    if cases and all(isinstance(c, IOTest) for c in cases):
        return IO
    if any(isinstance(c, (TestProgram, IOTest)) for c in cases):
        raise UsageError(f"task {task.task_id}: mixes test shapes (TestProgram, IOTest, Python tests)",
                         hint="give each task one kind of test")
    return FUNCTION


def judge(task: Task, program: str, sandbox: Sandbox, *, limits: Limits = DEFAULT_LIMITS, cache=None,
          stop_on_failure: bool = True, plus: bool = True) -> ExecResult:
    """Judge one program against one task (the library entry point; `evaluate` uses its parts directly).

    Python function tasks run on `sandbox` as `PythonTests` and need `Assert` tests or `Call` tests with their
    expected outputs set (`evaluate` fills those from the reference)."""
    suite = task.tests
    if plus and task.plus_tests is not None:
        suite = dataclasses.replace(suite, cases=suite.cases + task.plus_tests.cases)
    if task_kind(task) == FUNCTION:
        if any(not isinstance(c, Assert) and c.expected is None for c in suite.cases):  # type: ignore[union-attr]  # Assert or Call in a function task's suite
            raise UsageError(f"task {task.task_id}: input tests need the reference's outputs",
                             hint="use execeval.evaluate.evaluate, which computes them")
        return sandbox.run(PythonTests(program, task.entry_point, suite.cases, setup=suite.setup, atol=suite.atol,  # type: ignore[arg-type]  # Assert or Call in a function task's suite
                                       stop_on_failure=stop_on_failure), limits)
    return judge_suite(task.language, suite, program, sandbox, limits=limits, cache=cache,
                       stop_on_failure=stop_on_failure)


def judge_suite(language: str, suite: TestSuite, program: str, sandbox: Sandbox, *, limits: Limits = DEFAULT_LIMITS,
                cache=None, stop_on_failure: bool = True) -> ExecResult:
    """Build `program` in `language` and run `suite` (all `TestProgram`s or all `IOTest`s) on it; `limits` are per
    run. A missing toolchain or a harness fault is a `SANDBOX_ERROR` result, never the program's fault."""
    try:
        if all(isinstance(c, TestProgram) for c in suite.cases):
            return _judge_programs(language, suite, program, sandbox, limits, cache, stop_on_failure)
        return _judge_io(language, suite, program, sandbox, limits, cache, stop_on_failure)
    except SandboxError as e:
        return ExecResult(Status.SANDBOX_ERROR, detail=e.one_line())


def _judge_programs(language: str, suite: TestSuite, program: str, sandbox: Sandbox, limits: Limits, cache,
                    stop_on_failure: bool) -> ExecResult:
    """One run per `TestProgram` (MultiPL-E has one); each is one case."""
    from execeval.judges.program_tests import judge_test_program

    cases: list[CaseResult] = []
    first_bad: ExecResult | None = None
    last = ExecResult(Status.OK)
    for i, test in enumerate(suite.cases):
        if first_bad is not None and stop_on_failure:
            cases.append(CaseResult(i, CaseStatus.NOT_RUN))
            continue
        last = judge_test_program(language, program, test.code, sandbox, limits=limits, cache=cache)  # type: ignore[union-attr]  # a TestProgram in a program task's suite
        if last.status is Status.SANDBOX_ERROR:
            return last
        cases.append(dataclasses.replace(last.cases[0], index=i))
        if first_bad is None and not last.completed:
            first_bad = last
    shown = first_bad or last
    return dataclasses.replace(shown, cases=tuple(cases), completed=first_bad is None)


def _judge_io(language: str, suite: TestSuite, program: str, sandbox: Sandbox, limits: Limits, cache,
              stop_on_failure: bool) -> ExecResult:
    from execeval.judges.stdio import judge_io
    from execeval.languages import build, get_language

    lang = get_language(language)
    built = build(lang, program, sandbox, cache=cache)
    if built.status is Status.SANDBOX_ERROR:  # a toolchain is missing: not the program's fault
        return ExecResult(Status.SANDBOX_ERROR, detail=built.diagnostics)
    start = time.monotonic()
    cases = judge_io(lang, built, suite, sandbox, limits, stop_on_failure=stop_on_failure, cache=cache)
    wall = time.monotonic() - start  # every run of the program, one after the other
    bad = next((c for c in cases if c.status not in (CaseStatus.PASSED, CaseStatus.NOT_RUN)), None)
    cpu = sum(c.cpu_s for c in cases)
    if bad is None:
        return ExecResult(Status.OK, cases=cases, completed=True, cpu_s=cpu, wall_s=wall)
    tail = f"test {bad.index}: {bad.message}"
    if bad.status is CaseStatus.TIMEOUT and bad.message.startswith("wall-clock"):
        # as for TestPrograms: left NOT_RUN so the verdict says WallTimeLimit and the executor re-runs it alone
        cases = tuple(dataclasses.replace(c, status=CaseStatus.NOT_RUN) if c is bad else c for c in cases)
        return ExecResult(Status.TIMEOUT, cases=cases, cpu_s=cpu, wall_s=wall, traceback_tail=tail,
                          detail=bad.message)
    return ExecResult(Status.FAILED, cases=cases, cpu_s=cpu, wall_s=wall, error_type=bad.error_type,
                      traceback_tail=tail,
                      detail="compile error" if bad.error_type == "CompileError" else "",
                      stderr=built.diagnostics.encode() if not built.ok else b"")


class ProgramRunner:
    """Build-and-run jobs on the same worker pool as the Python jobs: a few threads, each blocking on sandbox jobs
    (a compile, then the runs), so both kinds share one queue and one worker budget.

    Threads = pool size: every worker can be busy with a native job while the queue still orders the rest."""

    def __init__(self, sandbox: Sandbox, cache: BuildCache | None = None) -> None:
        from execeval.languages import BuildCache

        self.sandbox = sandbox  # Python runs fork from its warm servers, compilers and binaries are execve'd
        self.cache = cache if cache is not None else BuildCache.default()
        self._threads = ThreadPoolExecutor(max_workers=sandbox.capacity, thread_name_prefix="execeval-build-run")

    def submit(self, language: str, suite: TestSuite, program: str, limits: Limits,
               stop_on_failure: bool = True) -> Future:
        return self._threads.submit(self._safe, language, suite, program, limits, stop_on_failure)

    def _safe(self, language: str, suite: TestSuite, program: str, limits: Limits,
              stop_on_failure: bool) -> ExecResult:
        try:
            return judge_suite(language, suite, program, self.sandbox, limits=limits, cache=self.cache,
                               stop_on_failure=stop_on_failure)
        except Exception as e:  # noqa: BLE001 - a harness bug must not leave a future unresolved
            return ExecResult(Status.SANDBOX_ERROR, detail=f"harness error: {type(e).__name__}: {e}"[:500])

    def close(self) -> None:
        self._threads.shutdown(wait=True)
