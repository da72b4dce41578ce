"""What a value returned by the candidate may be before code that trusts it sees it.

The guard (`check_plain`): before a test compares a value, values whose type defines comparison, truth or
arithmetic in the candidate's own code (an `__eq__` that always answers True) are rejected; the standard library's
and installed packages' own Python code is trusted. `to_wire`: the plain data a value crosses a process boundary
as (a lifted assert's value to the fork server, a split job's values between its two processes).
"""

from __future__ import annotations

import os
import sysconfig
import types

from execeval.sandbox.python.split.handles import HANDLE, Table, same_set

_SUSPECT_DUNDERS = frozenset({
    "__eq__", "__ne__", "__lt__", "__le__", "__gt__", "__ge__", "__bool__", "__len__", "__hash__", "__abs__",
    "__add__", "__radd__", "__sub__", "__rsub__", "__mul__", "__rmul__", "__truediv__", "__float__", "__int__",
    "__index__", "__round__", "__contains__", "__iter__", "__getattr__", "__getattribute__", "__repr__",
    "__str__", "__neg__", "__pos__", "__mod__", "__and__", "__or__", "__xor__", "__lshift__", "__rshift__",
})
_PLAIN_TYPES = frozenset({int, float, bool, str, bytes, complex, type(None), list, tuple, dict, set, frozenset})
_GUARD_BUDGET = 20_000


class UntrustedValue(Exception):
    """The candidate returned a value whose type overrides comparison or truth in Python."""


def check_plain(value: object) -> None:
    """Reject values of classes that define comparison/truth/arithmetic in Python code (bounded walk)."""
    stack, budget = [value], _GUARD_BUDGET
    while stack and budget:
        budget -= 1
        obj = stack.pop()
        t = type(obj)
        if t in _PLAIN_TYPES:
            if t in (list, tuple, set, frozenset):
                stack.extend(obj)  # type: ignore[arg-type]
            elif t is dict:
                stack.extend(obj.keys())  # type: ignore[attr-defined]
                stack.extend(obj.values())  # type: ignore[attr-defined]
            continue
        name = _untrusted_dunder(t)
        if name:
            raise UntrustedValue(f"returned a {t.__qualname__}, whose {name} is defined in Python")
        # A real value never equals an object it has never seen (unittest.mock.ANY does, and so would any
        # comparison the candidate wired up out of C callables).
        sentinel = _Sentinel()
        if (obj == sentinel) is not False or (obj != sentinel) is not True:
            raise UntrustedValue(f"returned a {t.__qualname__} that claims to equal anything")


def _untrusted_dunder(t: type) -> str:
    """The first comparison/truth/arithmetic dunder of `t` that is not trusted code, "" when there is none."""
    for cls in t.__mro__:
        for name in _SUSPECT_DUNDERS.intersection(cls.__dict__):
            if not _trusted_code(cls.__dict__[name]):
                return name
    return ""


def trusted_class(t: type) -> bool:
    """Every comparison/truth/arithmetic dunder of `t` is a C slot or standard library / installed code."""
    return not _untrusted_dunder(t)


class _Sentinel:
    __slots__ = ()


# Python-level dunders of the standard library and installed packages (Counter, Fraction, ...) are trusted;
# anything the candidate defined ("<candidate>") is not.
_TRUSTED_DIRS = tuple(sorted({os.path.realpath(p) + os.sep for key in ("stdlib", "platstdlib", "purelib", "platlib")
                              if (p := sysconfig.get_paths().get(key))}))


_C_METHODS = (types.WrapperDescriptorType, types.MethodDescriptorType, types.BuiltinFunctionType,
              types.MethodWrapperType, types.ClassMethodDescriptorType, type(None))


def _trusted_code(attr: object) -> bool:
    """A type's own C slot, or Python code from the standard library or installed packages."""
    if isinstance(attr, _C_METHODS):
        return True
    func = attr.fget if isinstance(attr, property) else getattr(attr, "__func__", attr)
    code = getattr(func, "__code__", None)
    return code is not None and code.co_filename.startswith(_TRUSTED_DIRS)



_PLAIN_SCALARS = (int, float, bool, str, bytes, complex, type(None))


def to_wire(value: object, table: Table | None, depth: int = 0) -> object:
    """Plain data for `encode`: builtin containers walked, a trusted subclass of a builtin type as that type;
    anything else a handle into `table` (the candidate's side) or left for `encode` to mark opaque (no table)."""
    t = type(value)
    if t in _PLAIN_SCALARS or depth > 60:
        return value
    if t is list or t is tuple:
        return t(to_wire(v, table, depth + 1) for v in value)  # type: ignore[attr-defined]
    if t is set or t is frozenset:
        return same_set(value, [to_wire(v, table, depth + 1) for v in value])  # type: ignore[attr-defined]
    if t is dict:
        return {to_wire(k, table, depth + 1): to_wire(v, table, depth + 1) for k, v in value.items()}  # type: ignore
    if t.__module__ == "numpy":
        return value  # encode compares numpy values as the plain values they hold
    base = _plain_base(t)
    if base is not None:
        return to_wire(base(value), table, depth)
    if table is None:
        return value
    return {HANDLE: [table.add(value), t.__qualname__]}


def _plain_base(t: type) -> type | None:
    """The builtin type a standard-library subclass stands for (Counter -> dict), None for anything else."""
    for base in (dict, list, tuple, set, frozenset, str, int, float):
        if issubclass(t, base) and trusted_class(t):
            return base
    return None
