"""Judging a `TestProgram` task: tests written in the task's language, appended to the candidate, built, run.

MultiPL-E's recipe (`prompt + completion + "\\n" + tests`, one program) with one change that matters: a pass needs
positive evidence. The tests get the end-of-tests epilogue (`execeval.judges.endmarker`), and the run passes only
when it exits 0 *and* prints the run's token; a candidate that calls `exit(0)` before the asserts, throws, or
aborts fails.

The outcome is one `CaseResult` in an `ExecResult` that `execeval.evaluation.verdict.verdict_of` reads like any other, with
the same meaning in every language, so a benchmark translated to C++, Java, JS and Python gives the same verdicts:

    passed   exit 0 and the token                   failed   an assertion failed (C/C++ `assert`, Java
    error    an uncaught exception, a crash, an early             `AssertionError`, node `assert`, Python)
             exit, or a compile error (`CompileError`) timeout  CPU or wall-clock limit
"""

from __future__ import annotations

import dataclasses
import re
import signal

from execeval.errors import SandboxError
from execeval.judges.checker import first_error_line
from execeval.judges.endmarker import END_TOKEN_ENV, END_TOKEN_FILE, add_end_marker, lines_before_token, marker_language, new_token
from execeval.languages import Build, BuildCache, Language, build, get_language, run
from execeval.sandbox.base import CaseResult, CaseStatus, ExecResult, Sandbox, Status
from execeval.sandbox.crashes import CPP_UNCAUGHT
from execeval.sandbox.limits import DEFAULT_LIMITS, Limits

__all__ = ["judge_test_program", "program_sources", "run_with_token", "assemble", "compile_error_result", "tests_ran_to_end"]

COMPILE_ERROR = "CompileError"
_MESSAGE_CHARS = 300
_ASSERTION = {
    "c": re.compile(rb"Assertion [`'].*' failed"), "cpp": re.compile(rb"Assertion [`'].*' failed"),
    "java": re.compile(rb"java\.lang\.AssertionError"), "javascript": re.compile(rb"^AssertionError\b", re.MULTILINE),
    "python": re.compile(rb"^AssertionError\b", re.MULTILINE), "bash": re.compile(rb"^$"),  # bash: any failure
    "fortran": re.compile(rb"^ERROR STOP\b", re.MULTILINE),  # the tests' `error stop "message"`
    "go": re.compile(rb"^--- FAIL:", re.MULTILINE),  # said on stderr by the Go epilogue's TestMain
    # rustc 1.63: "panicked at 'assertion failed: `(left == right)`"; newer: a line "assertion `left == right` failed"
    "rust": re.compile(rb"(?:panicked at '|^)assertion(?: failed|\s+`left)", re.MULTILINE),
}
_LIMITS = {Status.TIMEOUT, Status.CPU_LIMIT, Status.MEMORY_LIMIT, Status.OUTPUT_LIMIT}


def assemble(program: str, tests: str) -> str:
    """MultiPL-E's program: the candidate (prompt + completion), a newline, the tests."""
    return f"{program}\n{tests}"


def program_sources(language: Language, program: str, tests: str) -> tuple[str, dict[str, bytes]]:
    """The source to build and the files built with it: the tests appended to the program, with the epilogue; or,
    for a language whose tests are another language's harness (assembly's C), the program alone and the harness
    with that language's epilogue under `Language.harness_name`."""
    if language.harness_name is None or language.harness_language is None:
        return add_end_marker(language.name, assemble(program, tests), source_name=language.source_name), {}
    harness = add_end_marker(language.harness_language, tests, source_name=language.harness_name)
    return program, {language.harness_name: harness.encode()}


def judge_test_program(language: Language | str, program: str, tests: str, sandbox: Sandbox, *,
                       limits: Limits = DEFAULT_LIMITS, cache: BuildCache | None = None) -> ExecResult:
    """Build `program` + `tests` (with the end-of-tests epilogue) and run it once under `limits`.

    A missing toolchain or a harness fault gives a `SANDBOX_ERROR` result (never counted against the program)."""
    lang = get_language(language) if isinstance(language, str) else language
    source, harness = program_sources(lang, program, tests)
    try:
        built = build(lang, source, sandbox, cache=cache, with_files=harness)
    except SandboxError as e:
        return ExecResult(Status.SANDBOX_ERROR, detail=e.one_line())
    if built.status is Status.SANDBOX_ERROR:  # a toolchain is missing: not the program's fault
        return ExecResult(Status.SANDBOX_ERROR, detail=built.diagnostics)
    if not built.ok:
        return compile_error_result(built)
    token = new_token()
    result = run_with_token(lang, built, sandbox, token, limits=limits)
    return tests_ran_to_end(lang.harness_language or lang.name, result, token)  # failures read as the tests' language


def run_with_token(language: Language, built: Build, sandbox: Sandbox, token: str, *, stdin: bytes = b"",
                   limits: Limits = DEFAULT_LIMITS) -> ExecResult:
    """`languages.run`, with the run's token in the environment (the only way it reaches the process), or in a
    work-dir file the harness reads and deletes where the language says so (`Language.token_in_file`)."""
    if language.token_in_file:
        return run(language, built, sandbox, stdin=stdin, limits=limits, files={END_TOKEN_FILE: token.encode()})
    return run(language, built, sandbox, stdin=stdin, limits=limits, env={END_TOKEN_ENV: token})


def compile_error_result(built: Build) -> ExecResult:
    why = built.diagnostics if built.status is Status.FAILED else f"the compiler hit a limit ({built.status.value})"
    case = CaseResult(0, CaseStatus.ERROR, COMPILE_ERROR, first_error_line(why))
    return ExecResult(Status.FAILED, error_type=COMPILE_ERROR, cases=(case,), detail="compile error",
                      stderr=built.diagnostics.encode(), traceback_tail=built.diagnostics)


def tests_ran_to_end(language: str, result: ExecResult, token: str) -> ExecResult:
    """The run's verdict as one case: passed only with exit 0 and the token; otherwise the first thing that went
    wrong, named the same way in every language."""
    if result.status is Status.SANDBOX_ERROR:
        return result
    before = lines_before_token(result.stdout, token)
    if result.status is Status.OK and before is not None:
        return dataclasses.replace(result, cases=(CaseResult(0, CaseStatus.PASSED, cpu_s=result.cpu_s),),
                                   completed=True, stdout=b"\n".join(before))
    status, case = _failure(marker_language(language), result, before is not None)
    return dataclasses.replace(result, status=status, cases=(case,), completed=False, error_type=case.error_type,
                               detail=result.detail or case.message[:200])


def _failure(lang: str, result: ExecResult, token_seen: bool) -> tuple[Status, CaseResult]:
    cpu, stderr = result.cpu_s, result.stderr
    if result.status in _LIMITS:
        # a wall-clock timeout is left NOT_RUN so the verdict says WallTimeLimit and the executor re-runs it alone
        case_status = CaseStatus.NOT_RUN if result.status is Status.TIMEOUT else \
            CaseStatus.TIMEOUT if result.status is Status.CPU_LIMIT else CaseStatus.ERROR
        why = {Status.TIMEOUT: f"wall-clock limit ({result.wall_s:.2f} s)", Status.CPU_LIMIT:
               f"CPU time limit ({cpu:.2f} s used)"}.get(result.status, result.status.value.replace("_", " "))
        return result.status, CaseResult(0, case_status, _LIMIT_TYPES[result.status], why, cpu_s=cpu)
    if lang != "bash" and (hit := _ASSERTION[lang].search(stderr)) is not None:
        return Status.FAILED, CaseResult(0, CaseStatus.FAILED, "AssertionError", _line_at(stderr, hit.start()),
                                         cpu_s=cpu)
    if result.status is Status.OK:  # exit 0, but the epilogue never ran
        return Status.FAILED, CaseResult(0, CaseStatus.ERROR, "EarlyExit",
                                         "exited (code 0) before its tests finished", cpu_s=cpu)
    if token_seen:  # the tests finished, then something failed on the way out (a destructor, an exit hook)
        return Status.FAILED, CaseResult(0, CaseStatus.ERROR, "ErrorAfterTests", _crash(result), cpu_s=cpu)
    uncaught = CPP_UNCAUGHT.search(stderr)
    if result.status is Status.KILLED and not (result.signal == signal.SIGABRT and uncaught):
        return Status.KILLED, CaseResult(0, CaseStatus.ERROR, result.detail or "Signal", _crash(result), cpu_s=cpu)
    if lang == "bash":  # `set -e` tests end with the failing test's status and say nothing more
        return Status.FAILED, CaseResult(0, CaseStatus.FAILED, "TestFailed", _crash(result), cpu_s=cpu)
    error_type = uncaught.group(1).decode(errors="replace") if uncaught else _error_name(result)
    return Status.FAILED, CaseResult(0, CaseStatus.ERROR, error_type, _crash(result), cpu_s=cpu)


_LIMIT_TYPES = {Status.TIMEOUT: "WallTimeLimit", Status.CPU_LIMIT: "CPUTimeLimit", Status.MEMORY_LIMIT: "MemoryLimit",
                Status.OUTPUT_LIMIT: "OutputLimit"}


def _crash(result: ExecResult) -> str:
    from execeval.judges.stdio import describe_crash  # one description of a crash for every judge

    return describe_crash(result)


def _error_name(result: ExecResult) -> str:
    """The uncaught exception's short name, as `describe_crash` found it ("IndexError: ..."), else RuntimeError."""
    head = _crash(result).split(":", 1)[0].split(" ", 1)[0]
    return head if head.isidentifier() and head[0].isupper() else "RuntimeError"


def _line_at(data: bytes, pos: int) -> str:
    start, end = data.rfind(b"\n", 0, pos) + 1, data.find(b"\n", pos)
    return data[start:end if end >= 0 else len(data)].decode("utf-8", "replace").strip()[:_MESSAGE_CHARS]
