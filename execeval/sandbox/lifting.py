"""`assert f(<literals>) == <literal>` test cases, lifted out of the candidate's process.

Why: an `Assert` case is code that decides its own pass, and code run in the candidate's process can be made to
say "passed" by the candidate (it can read the runner's token from its own memory). A lifted case runs in the
job as a `Call` of the entry point on the literal arguments; the job only returns the value, and the fork
server compares it with the literal, with Python's `==` on plain data: the verdict an in-process `assert` would
give for every plain value. A value that is not plain data (a `Counter`, a numpy scalar) is reported as such and
the job is run again with its tests in a process of their own (`execeval.sandbox.remote`), so such a value gets
the in-process comparison it would have had.

Almost all of MBPP's tests and the bench's have this shape; HumanEval's `check(candidate)` functions are split
into such asserts earlier, by `execeval.tasks.lifting`.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from execeval.sandbox.base import Assert, Call, PythonTests
from execeval.values import encode


@dataclass(frozen=True)
class Lifted:
    """An Assert as a call: what the job runs (`call`) and what the server compares with (`expected`)."""

    call: Call
    expected: object
    line: str  # the assert's source line: the failure message, as a failing in-process assert reports it


def lift_assert(code: str, entry_point: str) -> Lifted | None:
    """`assert entry_point(<literal>, ...) == <literal>[, msg]` (either side), or None for any other code."""
    if entry_point not in code or "==" not in code:
        return None
    try:
        body = ast.parse(code).body
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    if len(body) != 1 or not isinstance(body[0], ast.Assert):
        return None
    test = body[0].test
    if not (isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], ast.Eq)):
        return None
    for call, other in ((test.left, test.comparators[0]), (test.comparators[0], test.left)):
        if (isinstance(call, ast.Call) and isinstance(call.func, ast.Name) and call.func.id == entry_point
                and not call.keywords and not any(isinstance(a, ast.Starred) for a in call.args)):
            try:
                args = [ast.literal_eval(a) for a in call.args]
                expected = ast.literal_eval(other)
            except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
                return None
            line = code.strip().splitlines()[0].strip()[:500]
            return Lifted(Call(encode(args), tagged=True), expected, line)
    return None


def lift_job(job: PythonTests) -> tuple[PythonTests, dict[int, Lifted]] | None:
    """The job with every Assert lifted, and what was lifted by case index; None when any Assert can't be."""
    lifted: dict[int, Lifted] = {}
    for index, case in enumerate(job.cases):
        if isinstance(case, Assert):
            found = lift_assert(case.code, job.entry_point)
            if found is None:
                return None
            lifted[index] = found
    if not lifted:
        return job, lifted
    cases = tuple(lifted[i].call if i in lifted else c for i, c in enumerate(job.cases))
    return PythonTests(job.program, job.entry_point, cases, setup=job.setup, atol=job.atol,
                       stop_on_failure=job.stop_on_failure, case_cpu_s=job.case_cpu_s), lifted
