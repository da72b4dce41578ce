"""The "checker" compare mode: a program written by the task author decides whether an output is right.

Why a program: some problems accept many answers (any shortest path, any permutation, a float with a custom
error). The checker is the task's code, not the candidate's, but it still runs in the sandbox: it reads the
candidate's output, which may be anything.

Contract (docs/stdio.md): the checker runs in its work dir with three files, `input` (the test's stdin), `expected`
(the test's expected stdout) and `output` (what the candidate printed); they are also its arguments, in testlib's
order: `input output expected`. Exit status 0 accepts; any other exit rejects, and the tail of what it printed
(stdout, then stderr) is the message. A checker that is killed or hits a limit has failed, not the candidate:
that is `CheckerError`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from execeval.errors import SandboxError, TaskFormatError
from execeval.judges.compare import MESSAGE_CHARS, bound
from execeval.languages import Build, BuildCache, Language, build, get_language
from execeval.sandbox.base import Sandbox, Status
from execeval.sandbox.limits import DEFAULT_LIMITS, Limits
from execeval.tasks.model import TestSuite

__all__ = ["Checker", "CheckerVerdict", "prepare_checker", "run_checker", "CHECKER_FILES", "first_error_line"]

CHECKER_FILES = ("input", "output", "expected")  # file names in its work dir, and its argv, in this order


@dataclass(frozen=True)
class Checker:
    """A suite's checker, built once and run for every test."""

    language: Language
    build: Build


@dataclass(frozen=True)
class CheckerVerdict:
    """accepted: exit 0. checker_failed: it crashed or hit a limit (the task's fault, or the output's size)."""

    accepted: bool
    message: str = ""
    checker_failed: bool = False


def prepare_checker(suite: TestSuite, sandbox: Sandbox, cache: BuildCache | None = None) -> Checker:
    """Build `suite.checker` (through the build cache: once per checker source). A checker that does not compile
    is a broken task file, not a wrong answer: `TaskFormatError`."""
    if not suite.checker:
        raise TaskFormatError("compare mode 'checker' needs a checker program", hint="give 'checker' in the task")
    language = get_language(suite.checker_language)
    built = build(language, suite.checker, sandbox, cache=cache if cache is not None else BuildCache.default())
    if not built.ok:
        raise TaskFormatError(f"the task's {language.name} checker does not compile: {first_error_line(built.diagnostics)}",
                              hint="fix the checker in the task file")
    return Checker(language, built)


def run_checker(checker: Checker, sandbox: Sandbox, *, input: bytes, expected: bytes, output: bytes,
                limits: Limits = DEFAULT_LIMITS) -> CheckerVerdict:
    """Run the checker on one test's input, expected output and the candidate's output."""
    lang = checker.language
    command = lang.run_command(lang.toolchain(), checker.build.artifacts, b"", CHECKER_FILES)
    files = dict(zip(CHECKER_FILES, (input, output, expected)))
    result = sandbox.run(replace(command, files={**command.files, **files}), lang.run_limits(limits))
    if result.status is Status.SANDBOX_ERROR:
        raise SandboxError(f"the checker could not be run by the harness: {result.detail}")
    said = (result.stdout + result.stderr).decode("utf-8", "replace").strip()[-MESSAGE_CHARS:]
    if result.status is Status.OK:
        return CheckerVerdict(True, said)
    if result.status is Status.FAILED:
        return CheckerVerdict(False, said or f"the checker rejected the output (exit code {result.exit_code})")
    why = result.detail or result.status.value
    return CheckerVerdict(False, f"the checker itself failed ({why}){': ' + said if said else ''}", True)


def first_error_line(diagnostics: str) -> str:
    """The line of a compiler's output a reader needs first: the first one saying "error", else the last one."""
    lines = [line.strip() for line in diagnostics.splitlines() if line.strip()]
    found = next((line for line in lines if "error" in line.lower()), lines[-1] if lines else "no diagnostics")
    return bound(found)
