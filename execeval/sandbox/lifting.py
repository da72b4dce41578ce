"""`assert f(<literals>) == <literal>` test cases, lifted out of the candidate's process.

Why: an `Assert` case is code that decides its own pass, and code run in the candidate's process can be made to
say "passed" by the candidate (it can read the runner's token from its own memory). A lifted case runs in the
job as a `Call` of the entry point on the literal arguments; the job only returns the value, and the fork
server compares it with the literal, with Python's `==` on plain data: the verdict an in-process `assert` would
give for every plain value. A standard-library subclass of a builtin type (`Counter`, `OrderedDict`) is compared
as that builtin; any other value that is not plain data compares unequal (`execeval.sandbox.guard.to_wire`).

Almost all of MBPP's tests and the bench's have this shape, and so do most of HumanEval's `check(candidate)`
functions: such a check becomes one call per assert, and their results are folded back into the one case.
"""

from __future__ import annotations

import ast
import copy
import functools
import json
import re
from dataclasses import dataclass
from typing import NamedTuple

from execeval.sandbox.base import Assert, Call, PythonTests
from execeval.values import encode


class Lifted(NamedTuple):
    """An Assert as a call: the literal arguments the job calls with, and what the server compares with."""

    args: tuple
    expected: object
    line: str  # the assert's source line: the failure message, as a failing in-process assert reports it
    expected_text: str = ""  # `encode(expected)`: a returned value with the same text is equal, no decoding


def _lifted(args: list, expected: object, line: str) -> Lifted:
    return Lifted(tuple(args), expected, line[:500], encode(expected))


# `assert f(1, [2, 3]) == -4.5` with numbers and lists only: JSON reads those as Python does, ~10x faster than ast
_NUMBERS = r"[-\d\s,.\[\]eE]*"
_SIMPLE = re.compile(rf"assert (\w+)\(({_NUMBERS})\) == ({_NUMBERS})")


def _lift_simple(code: str, entry_point: str) -> Lifted | None:
    m = _SIMPLE.fullmatch(code.strip())
    if m is None or m.group(1) != entry_point or not m.group(3).strip():
        return None
    try:
        args = json.loads(f"[{m.group(2)}]", parse_constant=_no_constant)
        expected = json.loads(m.group(3), parse_constant=_no_constant)
    except ValueError:
        return None
    return _lifted(args, expected, code.strip())


def _no_constant(name: str) -> None:
    raise ValueError(name)  # NaN, Infinity: JSON's, not Python's


# what a lifted case is in the job: its arguments go to the job's runner as values (`run_python_tests(lifted=)`)
LIFTED_CALL = Call("[]", tagged=True)


@functools.lru_cache(maxsize=4096)  # the same tests come with every sample of a task
def lift_assert(code: str, entry_point: str) -> Lifted | None:
    """`assert entry_point(<literal>, ...) == <literal>[, msg]` (either side), or None for any other code."""
    if entry_point not in code or "==" not in code:
        return None
    simple = _lift_simple(code, entry_point)
    if simple is not None:
        return simple
    try:
        body = ast.parse(code).body
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    if len(body) != 1:
        return None
    return _lift_statement(body[0], entry_point, code.strip().splitlines()[0].strip())


def _lift_statement(node: ast.stmt, name: str, line: str) -> Lifted | None:
    if not isinstance(node, ast.Assert):
        return None
    test = node.test
    if not (isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], ast.Eq)):
        return None
    for call, other in ((test.left, test.comparators[0]), (test.comparators[0], test.left)):
        if (isinstance(call, ast.Call) and isinstance(call.func, ast.Name) and call.func.id == name
                and not call.keywords and not any(isinstance(a, ast.Starred) for a in call.args)):
            try:
                args = [ast.literal_eval(a) for a in call.args]
                expected = ast.literal_eval(other)
            except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
                return None
            return _lifted(args, expected, line)
    return None


@functools.lru_cache(maxsize=1024)
def lift_check(code: str, setup: str, entry_point: str) -> tuple[Lifted, ...] | None:
    """HumanEval's shape: the case `check(entry_point)`, the setup's `def check(candidate)` nothing but liftable
    asserts on `candidate` (and `assert True`, a docstring, `pass`): one lifted call per assert, in order."""
    if code.strip() != f"check({entry_point})" or "def check" not in setup:
        return None
    try:
        tree = ast.parse(setup)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    defs = [n for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Assign))
            and _binds(n, "check")]
    node = defs[-1] if defs else None
    if not isinstance(node, ast.FunctionDef) or node.decorator_list or len(node.args.args) != 1 \
            or node.args.vararg or node.args.kwarg or node.args.kwonlyargs or node.args.defaults:
        return None
    param, lines = node.args.args[0].arg, setup.splitlines()
    lifted = []
    for stmt in node.body:
        if isinstance(stmt, ast.Pass) or isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant):
            continue
        if isinstance(stmt, ast.Assert) and isinstance(stmt.test, ast.Constant) and stmt.test.value is True:
            continue
        found = _lift_statement(stmt, param, lines[stmt.lineno - 1].strip())
        if found is None:
            return None
        lifted.append(found)
    return tuple(lifted) or None


def _mutable(value: object) -> bool:
    if type(value) in (list, dict, set):
        return True
    return type(value) in (tuple, frozenset) and any(map(_mutable, value))  # type: ignore[arg-type]


def _binds(node: ast.stmt, name: str) -> bool:
    if isinstance(node, ast.Assign):
        return any(isinstance(t, ast.Name) and t.id == name for t in node.targets)
    return node.name == name  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Plan:
    """A job with its Asserts lifted: what the job runs, and how its cases map back to the original ones."""

    job: PythonTests
    origin: tuple[int, ...]  # job case -> original case
    lifted: dict[int, Lifted]  # job case -> what it was lifted from (a `Call` case passed on is not here)
    size: dict[int, int]  # original case -> how many job cases it became


def lift_job(job: PythonTests) -> Plan | None:
    """Every Assert of `job` lifted, or None when any can't be (the job then runs split: `remote`)."""
    cases: list = []
    origin: list[int] = []
    lifted: dict[int, Lifted] = {}
    size: dict[int, int] = {}
    budgets: list[float] = []
    seen: set[int] = set()
    for index, case in enumerate(job.cases):
        if isinstance(case, Assert):
            one = lift_assert(case.code, job.entry_point)
            parts = (one,) if one is not None else lift_check(case.code, job.setup, job.entry_point)
            if parts is None:
                return None
        else:
            parts = (None,)
        size[index] = len(parts)
        for part in parts:
            if part is not None:
                if id(part) in seen and _mutable(part.args):  # the same literal twice: each call gets its own
                    part = part._replace(args=copy.deepcopy(part.args))
                seen.add(id(part))
                lifted[len(cases)] = part
            cases.append(case if part is None else LIFTED_CALL)
            origin.append(index)
            if job.case_cpu_s:  # each part may use the whole case's budget; the parts' sum is held to it too
                budgets.append(job.case_cpu_s[index])
    lifted_job = PythonTests(job.program, job.entry_point, tuple(cases), setup=job.setup, atol=job.atol,
                             stop_on_failure=job.stop_on_failure, case_cpu_s=tuple(budgets) if job.case_cpu_s else None)
    return Plan(lifted_job, tuple(origin), lifted, size)
