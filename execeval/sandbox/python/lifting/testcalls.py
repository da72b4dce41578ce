"""The builtins and operators a trusted test expression may use (`testexpr`), each refusing before it would go
over the caps: a huge `range` materialised, `10 ** 10 ** 9`, `'x' * 2 ** 40`, a comprehension without end.

Why a table and not `eval` with limits: a limit checked after the fact is too late (one `[0] * 10 ** 12` takes the
fork server's memory), so each allowed call knows what its result will cost from its inputs, and charges that
to the case's `Budget` first; over it, the expression is `Untrusted` and its assert runs split.
"""

from __future__ import annotations

import ast
import builtins
import math
import operator
import time
from typing import Any

CELLS = 2_000_000  # elements (or 16 characters) one case's expressions may build, in all
STEPS = 4_000_000  # nodes evaluated and items iterated
CPU_S = 0.5  # process time one case's expressions may take
INT_BITS = 1 << 16  # the largest int an operation may make


class Untrusted(Exception):
    """Not a trusted test expression, or over the caps: the assert runs split."""


class Iterated(list):
    """A materialised iterator (`zip`, `map`, a generator expression): consumable, never a value of its own."""


class Budget:
    """What one case's trusted expressions may still use; over it is `Untrusted`."""

    def __init__(self, cells: int = CELLS, steps: int = STEPS, cpu_s: float = CPU_S) -> None:
        self.cells, self.steps, self.deadline, self.ticks = cells, steps, time.process_time() + cpu_s, 0

    def charge(self, cells: int = 0, steps: int = 1) -> None:
        self.cells -= cells
        self.steps -= steps
        self.ticks += steps
        if self.cells < 0 or self.steps < 0:
            raise Untrusted("over the size cap")
        if self.ticks >= 4096:
            self.ticks = 0
            if time.process_time() > self.deadline:
                raise Untrusted("over the time cap")

    @property
    def used(self) -> int:
        return CELLS - self.cells


def size(value: object) -> int:
    if type(value) in (str, bytes):
        return len(value) // 16 + 1  # type: ignore[arg-type]
    if type(value) in (list, tuple, set, frozenset, dict, range, Iterated):
        return len(value)  # type: ignore[arg-type]
    return 1


def int_ok(value: object) -> object:
    if type(value) is int and value.bit_length() > INT_BITS:
        raise Untrusted("int over the cap")
    return value


def items(value: object, budget: Budget) -> list:
    """The items iterating `value` gives (charged), for the builtin types a trusted expression makes."""
    if type(value) not in (list, tuple, set, frozenset, dict, range, str, bytes, Iterated):
        raise Untrusted(f"iterating a {type(value).__name__}")
    n = len(value)  # type: ignore[arg-type]
    budget.charge(cells=n, steps=n)
    return value if type(value) in (list, Iterated) else list(value)  # type: ignore[return-value, call-overload]


def _consume(make):
    """A builtin that consumes its first argument (`list(x)`, `sum(x)`): charged by its length."""
    def call(budget: Budget, first: object = (), *rest: object, **kw: object) -> object:
        listed = items(first, budget)  # (a builtin container itself: `set(s)` copies s's table as Python does)
        return make(listed if type(first) is Iterated else first, *rest, **kw)
    return call


def _many(make):
    """`zip(a, b)`, `map(f, a)`: every argument consumed; the result an iterator (materialised)."""
    def call(budget: Budget, *args: object, **kw: object) -> object:
        return Iterated(make(*(a if callable(a) and type(a) is not Iterated else items(a, budget) for a in args), **kw))  # type: ignore[misc]  # callables pass, the rest become lists
    return call


def _extreme(fn):
    """`min(xs)` consumes xs; `min(a, b)` compares its arguments."""
    def call(budget: Budget, *args: object, **kw: object) -> object:
        if len(args) == 1:
            return fn(items(args[0], budget), **kw)
        budget.charge(steps=len(args))
        return fn(*args, **kw)
    return call


def _sum(budget: Budget, iterable: object, start: object = 0) -> object:
    values = items(iterable, budget)
    if any(type(v) not in NUMBERS for v in (*values, start)):  # sum(lists, []) is quadratic: not here
        raise Untrusted("sum() of non-numbers")
    return int_ok(sum(values, start))  # type: ignore[call-overload]


def _dict(budget: Budget, *args: object, **kw: object) -> dict:
    if args and type(args[0]) is dict:
        budget.charge(cells=len(args[0]))
        return dict(args[0], **kw)
    return dict(*(items(a, budget) for a in args), **kw)


def _reversed(budget: Budget, seq: object) -> Iterated:
    if type(seq) not in (list, tuple, str, range, dict):
        raise Untrusted("reversed() of a non-sequence")
    return Iterated(reversed(items(seq, budget)))


def _str(budget: Budget, value: object = "") -> str:
    if type(value) not in (int, float, bool, str, type(None)):
        raise Untrusted("str() of a container")
    return str(value)


def _int(budget: Budget, value: object = 0, *base: object) -> int:
    if type(value) is str and len(value) > 5000:  # decimal parsing is quadratic
        raise Untrusted("int() of a long string")
    return int(value, *base)  # type: ignore[call-overload]  # trusted values, checked at run time


def _pow(budget: Budget, base: object, exp: object, *mod: object) -> object:
    if not mod:
        return binop(ast.Pow(), base, exp, budget)
    return pow(base, exp, *mod)  # type: ignore[call-overload]  # trusted values, checked at run time


def _plain(fn):
    """A builtin of scalars (`abs`, `len`): an iterator is not what it takes (`len(zip(a, b))` raises)."""
    def call(budget: Budget, *args: object, **kw: object) -> object:
        if any(type(a) is Iterated for a in (*args, *kw.values())):
            raise Untrusted(f"{fn.__name__}() of an iterator")
        return fn(*args, **kw)
    return call


#: the builtins a trusted expression may call: pure, and charged by what they consume
BUILTINS: dict[str, Any] = {
    **{name: _consume(getattr(builtins, name)) for name in
       ("list", "tuple", "set", "frozenset", "sorted", "any", "all")},
    **{name: _plain(getattr(builtins, name)) for name in
       ("float", "bool", "abs", "len", "round", "divmod", "chr", "ord", "bin", "hex", "oct", "range")},
    "zip": _many(zip), "map": _many(map), "enumerate": _consume(lambda xs, start=0: Iterated(enumerate(xs, start))),
    "reversed": _reversed, "str": _str, "int": _int, "pow": _pow, "sum": _sum, "dict": _dict,
    "min": _extreme(min), "max": _extreme(max),
}
PASSABLE_BUILTINS = ("int", "float", "str", "bool", "list", "tuple", "dict", "set", "len", "abs")  # as values

MATH = {name: getattr(math, name) for name in (
    "isclose", "sqrt", "fabs", "floor", "ceil", "log", "log2", "log10", "exp", "sin", "cos", "tan", "atan",
    "atan2", "hypot", "gcd", "isqrt", "trunc", "radians", "degrees", "pi", "e", "inf", "tau")}

STR_METHODS = frozenset({"join", "split", "rsplit", "strip", "lstrip", "rstrip", "upper", "lower", "replace",
                          "startswith", "endswith", "count", "find", "title", "capitalize", "swapcase", "isdigit",
                          "isalpha", "isupper", "islower"})

_ARITH = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv,
          ast.FloorDiv: operator.floordiv, ast.Mod: operator.mod, ast.Pow: operator.pow,
          ast.LShift: operator.lshift, ast.RShift: operator.rshift, ast.BitAnd: operator.and_,
          ast.BitOr: operator.or_, ast.BitXor: operator.xor}
COMPARE = {ast.Eq: operator.eq, ast.NotEq: operator.ne, ast.Lt: operator.lt, ast.LtE: operator.le,
            ast.Gt: operator.gt, ast.GtE: operator.ge, ast.In: lambda a, b: a in b,
            ast.NotIn: lambda a, b: a not in b, ast.Is: operator.is_, ast.IsNot: operator.is_not}
NUMBERS = (int, float, bool, complex)


def binop(op: ast.operator, a: object, b: object, budget: Budget) -> object:
    """`a <op> b` on trusted values, refused before it would make something over the caps."""
    if type(a) is Iterated or type(b) is Iterated or type(op) not in _ARITH:
        raise Untrusted("operator")
    if type(a) in NUMBERS and type(b) in NUMBERS:
        if type(a) is int and type(b) is int or type(a) is bool or type(b) is bool:
            bits = (abs(a).bit_length(), abs(b).bit_length())  # type: ignore[arg-type, var-annotated]
            if isinstance(op, ast.Pow) and b > 0 and bits[0] > 1 and bits[0] * b > INT_BITS:  # type: ignore
                raise Untrusted("power over the cap")
            if isinstance(op, ast.LShift) and 0 < b and bits[0] + b > INT_BITS:  # type: ignore[operator]
                raise Untrusted("shift over the cap")
            if isinstance(op, ast.Mult) and sum(bits) > INT_BITS:
                raise Untrusted("product over the cap")
        return int_ok(_ARITH[type(op)](a, b))
    if isinstance(op, ast.Mod) and type(a) in (str, bytes):
        raise Untrusted("%-formatting")
    if isinstance(op, ast.Mult):
        seq, n = (a, b) if type(b) in (int, bool) else (b, a)
        if type(n) in (int, bool) and type(seq) in (list, tuple, str, bytes):
            budget.charge(cells=size(seq) * max(n, 0))  # type: ignore[call-overload]
    else:
        budget.charge(cells=size(a) + size(b))
    return _ARITH[type(op)](a, b)


def str_method(budget: Budget, text: str, name: str, args: list, kw: dict) -> object:
    if name == "replace" and args and type(args[0]) is str and type(text) is str:
        grows = max(len(str(args[1])) - len(args[0]), 0) if len(args) > 1 else 0
        budget.charge(cells=(text.count(args[0]) + 1) * grows // 16)
    if name == "join":
        parts = items(args[0] if args else (), budget)
        budget.charge(cells=sum(size(p) for p in parts) + len(parts) * size(text))
        return text.join(parts)
    value = getattr(text, name)(*args, **kw)
    budget.charge(cells=size(value))
    return value


def truth(value: object) -> bool:
    if type(value) is Iterated:  # an iterator is true however many items it has
        raise Untrusted("truth of an iterator")
    return bool(value)
