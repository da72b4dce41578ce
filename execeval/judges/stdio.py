"""Judge a built program on stdin/stdout tests: one `CaseResult` per test, as a contest judge would.

Why real processes: each test's input goes down a real pipe, byte for byte, and the program's stdout is what came
out of the process. Faking stdin inside an interpreter (as LiveCodeBench does) breaks correct programs
(`sys.stdin.buffer.readline()` twice, `for line in sys.stdin`); nothing is faked here, in any language.

Per test: PASSED (exit 0 and an accepted output: never on exit status alone) · FAILED `WrongAnswer` (the first
difference) · ERROR `RuntimeError` (non-zero exit or a signal, named), `MemoryLimit`, `OutputLimit`,
`CheckerError` (the task's checker itself failed) · TIMEOUT `TimeLimit` · NOT_RUN (after a failure, when
`stop_on_failure`). A program that does not compile gets `compile_error_cases`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from importlib import import_module

from execeval.errors import SandboxError
from execeval.judges.checker import first_error_line, prepare_checker, run_checker
from execeval.judges.compare import bound, compare_output
from execeval.languages import Build, BuildCache, Language, get_language, run
from execeval.sandbox.base import CaseResult, CaseStatus, ExecResult, Sandbox, Status
from execeval.sandbox.crashes import CPP_UNCAUGHT, ERROR_LINE, JVM_UNCAUGHT
from execeval.sandbox.limits import DEFAULT_LIMITS, Limits
from execeval.tasks.model import IOTest, TestSuite

__all__ = ["judge_io", "judge_run", "compile_error_cases", "describe_crash", "io_tests"]

#: a test's output verdict: (status, error_type, message) for a run that exited 0
OutputJudge = Callable[[IOTest, bytes], tuple[CaseStatus, str | None, str]]

_CPU_SLACK_S = 0.05  # a timeout with this close to the CPU budget used was the CPU limit (the sandbox's rule too)


def judge_io(language: Language | str, built: Build, suite: TestSuite, sandbox: Sandbox,
             limits: Limits = DEFAULT_LIMITS, *, stop_on_failure: bool = True,
             cache: BuildCache | None = None) -> tuple[CaseResult, ...]:
    """Run `built` on every `IOTest` of `suite` under `limits` (each test's own) and judge each output by
    `suite.compare`. Languages with a batch mode (one JVM for all inputs) run once through
    `execeval.languages.build.run_batch`; the others run one process per input, stopping at the first failure
    when `stop_on_failure`. `cache` holds the checker's build (the default build cache when None).
    A harness fault raises `SandboxError` (never counted against the program)."""
    tests = io_tests(suite)
    if not built.ok:
        return compile_error_cases(len(tests), built)
    lang = get_language(language) if isinstance(language, str) else language
    judge = _output_judge(suite, sandbox, cache)
    batch = _batch_results(lang, built, sandbox, tests, limits, cache)
    cases: list[CaseResult] = []
    for i, test in enumerate(tests):
        if stop_on_failure and any(c.status is not CaseStatus.PASSED for c in cases):
            cases.append(CaseResult(i, CaseStatus.NOT_RUN))
            continue
        result = batch[i] if i < len(batch) else run(lang, built, sandbox, stdin=test.stdin.encode(), limits=limits)
        cases.append(judge_run(i, result, test, judge, limits))
    return tuple(cases)


def io_tests(suite: TestSuite) -> tuple[IOTest, ...]:
    bad = [type(c).__name__ for c in suite.cases if not isinstance(c, IOTest)]
    if bad:
        raise ValueError(f"judge_io judges IOTest cases only, not {', '.join(sorted(set(bad)))}")
    return suite.cases  # type: ignore[return-value]


def compile_error_cases(n: int, built: Build) -> tuple[CaseResult, ...]:
    """The results of a program that did not build: the first test ERROR `CompileError` (the compiler's first
    error line, or the limit the compiler hit), the rest NOT_RUN. The whole diagnostics stay in `built`."""
    if built.ok:
        raise ValueError("the build succeeded: nothing to report")
    why = first_error_line(built.diagnostics) if built.status is Status.FAILED else \
        f"the compiler hit a limit ({built.status.value})"
    return tuple(CaseResult(i, CaseStatus.ERROR, "CompileError", why) if i == 0 else CaseResult(i, CaseStatus.NOT_RUN)
                 for i in range(n))


def judge_run(index: int, result: ExecResult, test: IOTest, judge: OutputJudge, limits: Limits) -> CaseResult:
    """One test's verdict from one run: the process's fate first, then (exit 0 only) its output."""
    status, cpu = result.status, result.cpu_s
    if status is Status.SANDBOX_ERROR:
        raise SandboxError(f"test {index}: the harness could not run the program: {result.detail}")
    if status is Status.OK:
        verdict, error_type, message = judge(test, result.stdout)
        return CaseResult(index, verdict, error_type, message, cpu_s=cpu)
    # a timeout that used up the CPU budget was the CPU limit (Java's batch mode reports both as "timeout")
    if status is Status.TIMEOUT and cpu < limits.cpu_s - _CPU_SLACK_S:
        return CaseResult(index, CaseStatus.TIMEOUT, "TimeLimit", f"wall-clock limit of {limits.wall_s:g} s",
                          cpu_s=cpu)
    if status in (Status.CPU_LIMIT, Status.TIMEOUT):
        return CaseResult(index, CaseStatus.TIMEOUT, "TimeLimit", f"CPU time limit of {limits.cpu_s:g} s", cpu_s=cpu)
    if status is Status.MEMORY_LIMIT:
        return CaseResult(index, CaseStatus.ERROR, "MemoryLimit",
                          bound(f"memory limit of {limits.memory_mb} MB: {describe_crash(result)}"), cpu_s=cpu)
    if status is Status.OUTPUT_LIMIT:
        return CaseResult(index, CaseStatus.ERROR, "OutputLimit",
                          f"more than {limits.output_bytes} bytes of output", cpu_s=cpu)
    return CaseResult(index, CaseStatus.ERROR, "RuntimeError", describe_crash(result), cpu_s=cpu)


def describe_crash(result: ExecResult) -> str:
    """What ended a process, in one bounded line: the uncaught exception (Python, Java, C++, JS) and its message,
    then how it ended (exit code or signal); without an exception, the last line of stderr."""
    how = f"killed by {result.detail or f'signal {result.signal}'}" if result.status is Status.KILLED else \
        f"exit code {result.exit_code}" if result.exit_code is not None else result.status.value
    lines = [line.strip() for line in result.stderr.splitlines() if line.strip()]
    for i, line in enumerate(lines):
        if (hit := JVM_UNCAUGHT.search(line) or CPP_UNCAUGHT.search(line)) is not None:
            said = line[hit.end():] if hit.re is JVM_UNCAUGHT else (lines[i + 1:] or [b""])[0]
            return bound(_crash_line(hit.group(1), said.removeprefix(b"what():"), how))
    for line in reversed(lines):
        if (hit := ERROR_LINE.match(line)) is not None:
            return bound(_crash_line(hit.group(1), line[hit.end():], how))
    return bound(f"{how}: {lines[-1].decode('utf-8', 'replace')}" if lines else how)


def _crash_line(name: bytes, said: bytes, how: str) -> str:
    short = name.decode(errors="replace").rsplit(".", 1)[-1]  # java.lang.ArithmeticException -> ArithmeticException
    text = said.strip().removeprefix(b":").strip().decode("utf-8", "replace")
    return f"{short}: {text} ({how})" if text else f"{short} ({how})"


def _output_judge(suite: TestSuite, sandbox: Sandbox, cache: BuildCache | None) -> OutputJudge:
    """The suite's output comparison as one function; a checker is built here, once for all tests."""
    if suite.compare == "checker":
        checker = prepare_checker(suite, sandbox, cache)

        def by_checker(test: IOTest, stdout: bytes) -> tuple[CaseStatus, str | None, str]:
            said = run_checker(checker, sandbox, input=test.stdin.encode(), expected=test.stdout.encode(),
                               output=stdout)
            if said.accepted:
                return CaseStatus.PASSED, None, ""
            return (CaseStatus.ERROR, "CheckerError", said.message) if said.checker_failed else \
                (CaseStatus.FAILED, "WrongAnswer", said.message)

        return by_checker
    mode, tol = suite.compare, suite.atol
    compare_output(b"", b"", mode, tol=tol)  # an unknown mode or a bad tolerance fails before any test runs

    def by_comparison(test: IOTest, stdout: bytes) -> tuple[CaseStatus, str | None, str]:
        diff = compare_output(stdout, test.stdout, mode, tol=tol)
        return (CaseStatus.PASSED, None, "") if diff is None else (CaseStatus.FAILED, "WrongAnswer", diff)

    return by_comparison


def _batch_results(lang: Language, built: Build, sandbox: Sandbox, tests: Sequence[IOTest], limits: Limits,
                   cache: BuildCache | None) -> list[ExecResult]:
    """Results of a one-process run over every input, when the language has one (Java); else []. A shorter list
    (the process died part-way) is completed by running the remaining inputs one by one."""
    run_batch = getattr(import_module("execeval.languages.build"), "run_batch", None)  # not every version has it
    if run_batch is None or not tests:
        return []
    results = run_batch(lang, built, sandbox, [t.stdin.encode() for t in tests], limits, cache=cache)
    return list(results)[:len(tests)] if isinstance(results, list) else []
