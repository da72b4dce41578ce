"""The candidate's program compiled in the fork server: a program that does not compile is answered without a
job, exactly as its job would have answered; one that compiles runs the server's code object; one that warns while
compiling is left to its job, so the warning still reaches the job's stderr."""

from __future__ import annotations

import pytest

from execeval.sandbox import Assert, Call, ForkServerSandbox, PythonTests
from execeval.sandbox.base import Status

PAD = "\n" + "#" * 70_000 + "\n"  # past what the server compiles (candidatecode._MAX_CHARS): its job does

NOT_COMPILING = {
    "invalid syntax": "def f(x):\n    return x +\n",
    "indentation": "def f(x):\nreturn x\n",
    "tab": "def f(x):\n\tif x:\n        return 1\n\treturn 2\n",
    "unterminated string": "def f(x):\n    return 'abc\n",
    "return outside function": "return 1\ndef f(x):\n    return x\n",  # found by the compiler, not the parser
    "null byte": "def f(x):\n    return x\x00\n",
}


@pytest.fixture(scope="module")
def sandbox():
    with ForkServerSandbox(workers=1) as sb:
        yield sb


def _job(program: str) -> PythonTests:
    return PythonTests(program, "f", (Assert("assert f(1) == 1"), Call("[2]", "2")), setup="import math")


@pytest.mark.parametrize("name", sorted(NOT_COMPILING))
def test_a_program_that_does_not_compile_is_answered_as_its_job_would(sandbox, name):
    program = NOT_COMPILING[name]
    answered = sandbox.run(_job(program))
    ran = sandbox.run(_job(program + PAD))  # the same failure, compiled and reported by a forked job
    assert (answered.cpu_s, answered.wall_s) == (0.0, 0.0) and ran.cpu_s > 0  # the first forked nothing
    assert answered.status is ran.status is Status.FAILED
    assert answered.error_type == ran.error_type and answered.error_type.endswith(("Error", "Exception"))
    assert answered.traceback_tail == ran.traceback_tail and answered.traceback_tail.startswith("Traceback")
    assert [c.status for c in answered.cases] == [c.status for c in ran.cases]
    assert (answered.exit_code, answered.stdout, answered.stderr, answered.completed) == \
        (ran.exit_code, ran.stdout, ran.stderr, ran.completed)


def test_a_program_that_compiles_runs_and_passes(sandbox):
    result = sandbox.run(_job("def f(x):\n    return x\n"))
    assert result.status is Status.OK and result.all_cases_passed and result.cpu_s > 0


def test_a_program_that_warns_while_compiling_warns_on_its_job_s_stderr(sandbox):
    result = sandbox.run(_job("def f(x):\n    assert (x, 'never false')\n    return x\n"))
    assert result.status is Status.OK and b"SyntaxWarning" in result.stderr


def test_a_warning_before_a_syntax_error_is_the_job_s_too(sandbox):
    program = "def f(x):\n    assert (x, 'never false')\n    return x\ndef g(:\n    pass\n"
    answered, ran = sandbox.run(_job(program)), sandbox.run(_job(program + PAD))
    assert (answered.error_type, answered.traceback_tail, answered.stderr) == \
        (ran.error_type, ran.traceback_tail, ran.stderr)
