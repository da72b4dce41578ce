"""`assert f(<args>) == <expected>` test cases, lifted out of the candidate's process.

Why: an `Assert` case is code that decides its own pass, and code run in the candidate's process can be made to
say "passed" by the candidate (it can read the runner's token from its own memory). A lifted case runs in the
job as a `Call` of the entry point on its arguments (literals, or trusted test expressions that the fork server
evaluates first: `testexpr`); the job only returns the value, and the fork server compares it with the expected
value, with Python's `==` on plain data: the verdict an in-process `assert` would
give for every plain value. A standard-library subclass of a builtin type (`Counter`, `OrderedDict`) is compared
as that builtin; any other value that is not plain data compares unequal (`execeval.sandbox.python.split.guard.to_wire`).

Almost all of MBPP's tests and the bench's have this shape, and so do most of HumanEval's `check(candidate)`
functions: such a check becomes one call per assert, and their results are folded back into the one case.
"""

from __future__ import annotations

import ast
import builtins
import functools
import json
import math
import re
from dataclasses import dataclass
from typing import NamedTuple

from execeval.sandbox.base import Assert, Call, PythonTests
from execeval.sandbox.python.lifting.trees import nodes, parsed
from execeval.sandbox.python.lifting.testexpr import Budget, Evaluator, Predicate, Untrusted, items, plain, predicate
from execeval.setlayout import rebuild_set, set_wire
from execeval.values import DIGEST_OVER, encode

_BUILTIN_NAMES = frozenset(builtins.__dict__)


class Lifted(NamedTuple):
    """An Assert as a call: the arguments the job calls with, and what the server compares with."""

    args: tuple
    expected: object
    line: str  # the assert's source line (and its line number in a test of many lines): the failure message, as
    # a failing in-process assert reports it
    expected_text: str = ""  # `encode(expected)`: a returned value with the same text is equal, no decoding
    test: Predicate | None = None  # the assert's test over the value, when it is not `== expected`
    uses: frozenset[str] = frozenset()  # builtins and modules its expressions read: the job's tests keep them


_EXPECTED_TEXT = DIGEST_OVER // 8  # larger: a returned value equal to it may be over DIGEST_OVER, a digest


def _lifted(args: list, expected: object, line: str) -> Lifted:
    """`==` on plain data is the in-process verdict: NaN (equal only to itself, by identity) and expected values
    so large that an equal returned value could arrive as a digest are not lifted."""
    if not plain(expected):
        raise Untrusted("an expected value that is not plain data")
    text = encode(expected)
    if len(text) > _EXPECTED_TEXT:
        raise Untrusted("an expected value over the size cap")
    return Lifted(tuple(args), expected, line[:500], text)


# `assert f(1, [2, 3]) == -4.5` with numbers and lists only: JSON reads those as Python does, ~10x faster than ast
_NUMBERS = r"[-\d\s,.\[\]eE]*"
_SIMPLE = re.compile(rf"assert (\w+)\(({_NUMBERS})\) == ({_NUMBERS})")


def _lift_simple(code: str, entry_point: str) -> Lifted | None:
    m = _SIMPLE.fullmatch(code.strip())
    if m is None or m.group(1) != entry_point or not m.group(3).strip():
        return None
    try:
        args = json.loads(f"[{m.group(2)}]", parse_constant=_no_constant)
        return _lifted(args, json.loads(m.group(3), parse_constant=_no_constant), code.strip())
    except (ValueError, Untrusted):
        return None


def _no_constant(name: str) -> None:
    raise ValueError(name)  # NaN, Infinity: JSON's, not Python's


# what a lifted case is in the job: its arguments go to the job's runner as values (`run_python_tests(lifted=)`)
LIFTED_CALL = Call("[]", tagged=True)


def lift_assert(code: str, entry_point: str, modules: frozenset[str] = frozenset()) -> tuple[Lifted, ...] | None:
    """An Assert case's code as calls of `entry_point`: `assert entry_point(<args>) == <expected>[, msg]` (either
    side), with trusted expressions for both (`testexpr`), or several such statements and names bound between
    them; None for any other code. `modules`: names the setup binds to a module by `import` (`math`)."""
    if entry_point not in code:
        return None
    return _CACHE.get(("assert", code, entry_point, modules), lambda: _lift_code(code, entry_point, modules))


def _lift_code(code: str, entry_point: str, modules: frozenset[str]) -> tuple[tuple[Lifted, ...] | None, int]:
    simple = _lift_simple(code, entry_point)
    if simple is not None:
        return (simple,), len(code) // 16
    body = parsed(code)
    if body is None:
        return None, 0
    return _Walk(entry_point, modules, code.splitlines(), _bound(body), loops=False).lift(body)


def lift_check(code: str, setup: str, entry_point: str) -> tuple[Lifted, ...] | None:
    """HumanEval's shape: the case `check(entry_point)`, the setup's `def check(candidate)` nothing but liftable
    asserts on `candidate`, names bound to trusted expressions, `for` loops over them, `import math` (and
    `assert True`, a docstring, `pass`): one lifted call per assert run, in order."""
    if code.strip() != f"check({entry_point})" or "def check" not in setup:
        return None
    return _CACHE.get(("check", setup), lambda: _lift_check(setup))


def _lift_check(setup: str) -> tuple[tuple[Lifted, ...] | None, int]:
    body = parsed(setup)
    if body is None:
        return None, 0
    defs = [n for n in body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Assign))
            and _binds(n, "check")]
    node = defs[-1] if defs else None
    if not isinstance(node, ast.FunctionDef) or node.decorator_list or len(node.args.args) != 1 \
            or node.args.vararg or node.args.kwarg or node.args.kwonlyargs or node.args.defaults:
        return None, 0
    param = node.args.args[0].arg
    return _Walk(param, setup_modules(setup), setup.splitlines(), _bound(node.body)).lift(node.body)


_MAX_PARTS = 10_000  # calls one case may become (a loop of asserts unrolled)


class _Walk:
    """One test's statements in order: bindings evaluated, asserts lifted, loops unrolled (`testexpr` caps)."""

    def __init__(self, callee: str, modules: frozenset[str], lines: list[str], local: frozenset[str],
                 loops: bool = True) -> None:
        self.callee, self.lines, self.loops = callee, lines, loops  # an Assert case's own loop stays split:
        # the hostile tests' "a test that is code" (tests/hostile_programs.SQUARE_LOOP) is one
        self.ev = Evaluator({}, Budget(), {m: math for m in modules}, local | {callee})
        self.parts: list[Lifted] = []

    def lift(self, body: list[ast.stmt]) -> tuple[tuple[Lifted, ...] | None, int]:
        try:
            self.block(body)
        except Untrusted:
            return None, 0
        uses = frozenset(self.ev.uses)
        parts = tuple(p._replace(uses=uses) for p in self.parts)
        return parts or None, self.ev.budget.used

    def block(self, body: list[ast.stmt]) -> None:
        for stmt in body:
            if isinstance(stmt, ast.Pass) or isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant):
                continue
            if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Name) and stmt.value.id in _BUILTIN_NAMES \
                    and stmt.value.id not in self.ev.locals:
                self.ev.uses.add(stmt.value.id)
                continue  # HumanEval/129's bare `print`
            if isinstance(stmt, ast.Assert) and isinstance(stmt.test, ast.Constant) and stmt.test.value is True:
                continue
            if isinstance(stmt, ast.Assign):
                value = self.ev.eval(stmt.value)
                for target in stmt.targets:
                    self.ev.bind(target, value)
            elif isinstance(stmt, ast.Assert):
                self.assertion(stmt)
            elif isinstance(stmt, ast.For) and self.loops and not stmt.orelse and not _jumps(stmt.body):
                for item in items(self.ev.eval(stmt.iter), self.ev.budget):
                    self.ev.bind(stmt.target, item)
                    self.block(stmt.body)
            elif isinstance(stmt, ast.Import) and all(a.name == "math" and a.asname is None for a in stmt.names):
                self.ev.modules["math"] = math
                self.ev.names.pop("math", None)
            else:
                raise Untrusted(type(stmt).__name__)
            if len(self.parts) > _MAX_PARTS:
                raise Untrusted("too many asserts")

    def assertion(self, stmt: ast.Assert) -> None:
        names, call = 0, None  # the candidate's name read once, in its first call (in `ast.walk`'s order)
        for n in ast.walk(stmt.test):
            if isinstance(n, ast.Name):
                names += n.id == self.callee
            elif call is None and isinstance(n, ast.Call) and isinstance(n.func, ast.Name) \
                    and n.func.id == self.callee:
                call = n
        if call is None or names != 1 or call.keywords or any(isinstance(a, ast.Starred) for a in call.args):
            raise Untrusted("not one call of the candidate")
        args = tuple(self.ev.argument(a, bare=True) for a in call.args)
        if not plain(args, passable=True):
            raise Untrusted("an argument that is not plain data")
        self.ev.expose(args)  # what the test reads from here on, it reads after the call
        line = self.lines[stmt.lineno - 1].strip() if stmt.lineno <= len(self.lines) else ""
        if line and len(self.lines) > 1:  # which assert of a many-line test: as the in-process runner says it
            line = f"line {stmt.lineno} of the test: {line}"
        test = stmt.test
        if isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], ast.Eq) \
                and call in (test.left, test.comparators[0]):
            expected = self.ev.eval(test.comparators[0] if call is test.left else test.left)
            self.parts.append(_lifted(list(args), expected, line))
        else:
            self.parts.append(Lifted(args, None, line[:500], test=predicate(test, call, self.ev)))


def _jumps(body: list[ast.stmt]) -> bool:
    return any(isinstance(n, (ast.Break, ast.Continue)) for n in nodes(body))


def _bound(body: list[ast.stmt]) -> frozenset[str]:
    """Every name `body` binds anywhere (assignments, loops, imports, defs, comprehension variables): such a name
    is never read as a builtin by a lifted expression."""
    names: set[str] = set()
    for node in nodes(body):
        if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load):
            names.add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.alias):
            names.add((node.asname or node.name).split(".")[0])
        elif isinstance(node, (ast.Global, ast.Nonlocal)):
            names.update(node.names)
        elif isinstance(node, ast.arg):
            names.add(node.arg)
    return frozenset(names)


@functools.lru_cache(maxsize=8192)
def bound_names(code: str) -> frozenset[str]:
    """Names a test's code (the setup, an Assert case) binds: its module-level code runs in the tests' namespace,
    so a lifted expression's builtin must not be one of them. A module the setup imports (`setup_modules`) is."""
    body = parsed(code)
    return frozenset(_BUILTIN_NAMES) if body is None else _bound(body)


@functools.lru_cache(maxsize=256)
def setup_modules(setup: str) -> frozenset[str]:
    """`math` when the setup's only bindings of that name are module-level `import math`s."""
    if "math" not in setup:
        return frozenset()
    body = parsed(setup)
    if body is None:
        return frozenset()
    imports = sum(1 for s in body if isinstance(s, ast.Import) for a in s.names if a.name == "math" and not a.asname)
    binds = sum(1 for n in nodes(body) if _binds_math(n))
    return frozenset({"math"}) if imports and binds == imports else frozenset()


def _binds_math(node: ast.AST) -> bool:
    if isinstance(node, ast.Name):
        return node.id == "math" and not isinstance(node.ctx, ast.Load)
    if isinstance(node, ast.alias):
        return (node.asname or node.name).split(".")[0] == "math"
    if isinstance(node, ast.arg):
        return node.arg == "math"
    return isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node.name == "math"


class _WeightedCache:
    """Lifted cases by their code, at most `budget` cells of evaluated values in all (the fork server holds
    them; an evicted one is evaluated again)."""

    def __init__(self, entries: int, budget: int) -> None:
        self.entries, self.budget, self.used = entries, budget, 0
        self.items: dict[tuple, tuple[object, int]] = {}

    def get(self, key: tuple, make):
        found = self.items.pop(key, None)
        if found is None:
            found = make()
            if found[1] > self.budget:
                return found[0]
            self.used += found[1]
        self.items[key] = found  # most recent last
        while len(self.items) > self.entries or self.used > self.budget:
            self.used -= self.items.pop(next(iter(self.items)))[1]
        return found[0]


_CACHE = _WeightedCache(4096, 4_000_000)  # the same tests come with every sample of a task


def _mutable(value: object) -> bool:
    if type(value) in (list, dict, set):
        return True
    return type(value) in (tuple, frozenset) and any(map(_mutable, value))  # type: ignore[call-overload]


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
    modules = setup_modules(job.setup) if job.setup else frozenset()
    rebound: frozenset[str] | None = None  # worked out only for a case that reads a builtin (few do): it walks
    # every test's whole tree, ~30% of the CPU a HumanEval task's lifting costs each fork server
    for index, case in enumerate(job.cases):
        if isinstance(case, Assert):
            parts = lift_assert(case.code, job.entry_point, modules) \
                or lift_check(case.code, job.setup, job.entry_point)
            if parts is None:
                return None
            if parts[0].uses:  # (every part of a case has the case's `uses`)
                rebound = _rebound(job, modules) if rebound is None else rebound
                if parts[0].uses & rebound:
                    return None
            if id(parts) in seen and any(map(_mutable, (p.args for p in parts))):  # the same case again: fresh
                parts = _fresh(parts)  # values, shared between its calls as they were (one `copy` memo)
            seen.add(id(parts))
        else:
            parts = (None,)  # type: ignore[assignment]  # (None,): a part that is not lifted
        size[index] = len(parts)  # type: ignore[arg-type]  # parts is set on every path above
        for part in parts:  # type: ignore[union-attr]  # parts is set on every path above
            if part is not None:
                lifted[len(cases)] = part
            cases.append(case if part is None else LIFTED_CALL)
            origin.append(index)
            if job.case_cpu_s:  # each part may use the whole case's budget; the parts' sum is held to it too
                budgets.append(job.case_cpu_s[index])
    lifted_job = PythonTests(job.program, job.entry_point, tuple(cases), setup=job.setup, atol=job.atol,
                             stop_on_failure=job.stop_on_failure, case_cpu_s=tuple(budgets) if job.case_cpu_s else None)
    return Plan(lifted_job, tuple(origin), lifted, size)


def _rebound(job: PythonTests, modules: frozenset[str]) -> frozenset[str]:
    """Names the job's tests bind in their namespace (setup, Assert cases): none may be a lifted builtin."""
    names = set(bound_names(job.setup) - modules) if job.setup else set()
    for case in job.cases:
        if isinstance(case, Assert):
            names |= bound_names(case.code)
    return frozenset(names)


def _fresh(parts: tuple[Lifted, ...]) -> tuple[Lifted, ...]:
    memo: dict = {}
    return tuple(p._replace(args=_copy(p.args, memo)) for p in parts)  # type: ignore[arg-type]  # a tuple's copy is a tuple


def _copy(value: object, memo: dict) -> object:
    """A deep copy as the test's code would build the value again: shared objects stay shared, and a set keeps
    its table order (`copy.deepcopy` adds a set's items one by one, which may iterate in another order)."""
    t = type(value)
    if not _mutable(value):
        return value
    if id(value) in memo:
        return memo[id(value)]
    if t is list:
        listed: list = []
        memo[id(value)] = listed
        listed.extend(_copy(v, memo) for v in value)  # type: ignore[attr-defined]  # a list, by the type test
        return listed
    if t is dict:
        mapped: dict = {}
        memo[id(value)] = mapped
        mapped.update((k, _copy(v, memo)) for k, v in value.items())  # type: ignore[attr-defined]  # a dict
        return mapped
    if t is tuple:
        copied: object = tuple(_copy(v, memo) for v in value)  # type: ignore[attr-defined]  # a tuple
    else:  # a set (its items are hashable: never mutable)
        _, items, slots, held = set_wire(value)  # type: ignore[arg-type]  # a set, by _mutable
        copied = rebuild_set(items, slots, held=held)
    memo[id(value)] = copied
    return copied
