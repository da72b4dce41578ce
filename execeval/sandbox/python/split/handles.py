"""The candidate's values that are not plain data, as both ends of a split job see them (`remote`).

Why a module of its own: the candidate's end numbers such values in a `Table` and sends a marker; the tests' end
holds a `Handle` for each marker and sends it back as the marker when a test passes it to the candidate. Both ends,
and `guard.to_wire` (which makes the markers), use these pieces; none of them needs either end.
"""

from __future__ import annotations

import builtins
import types
from typing import Protocol

from execeval.values import Opaque

HANDLE = "__execeval_handle__"  # {HANDLE: [number, type name]}: a value that stays in the candidate's process
BUILTIN = "__execeval_builtin__"  # {BUILTIN: name}: a builtin type or function passed as an argument
MUTABLE = (list, dict, set, bytearray)  # argument types a call may change in place


class HandleOwner(Protocol):
    """What a `Handle` asks its attribute reads, writes and calls of (the tests' end, `remote.RemoteCandidate`)."""

    def handle_op(self, handle: "Handle", op: str, attr: str, args: list | None = None,
                  kwargs: dict | None = None) -> object: ...


class Handle:
    """A value of the candidate's that is not plain data, in the tests: opaque, equal only to the same value;
    its attributes, methods and calls are the candidate's, run in the candidate's process."""

    __slots__ = ("_ee_number", "_ee_type", "_ee_remote")  # names a candidate's attribute won't have

    def __init__(self, number: int, type_name: str, remote: "HandleOwner") -> None:
        object.__setattr__(self, "_ee_number", number)
        object.__setattr__(self, "_ee_type", type_name)
        object.__setattr__(self, "_ee_remote", remote)

    def __getattr__(self, name: str) -> object:
        return self._ee_remote.handle_op(self, "get", name)  # type: ignore[attr-defined]  # _ee_remote: the Remote set on the proxy

    def __setattr__(self, name: str, value: object) -> None:
        self._ee_remote.handle_op(self, "set", name, [value])  # type: ignore[attr-defined]  # _ee_remote: the Remote set on the proxy

    def __call__(self, *args: object, **kwargs: object) -> object:
        return self._ee_remote.handle_op(self, "call", "", list(args), kwargs)  # type: ignore[attr-defined]  # _ee_remote: the Remote set on the proxy

    def __eq__(self, other: object) -> bool:
        return type(other) is Handle and other._ee_number == self._ee_number

    def __hash__(self) -> int:
        return hash(("handle", self._ee_number))

    def __repr__(self) -> str:
        return f"<{self._ee_type}>"


class Table:
    """The candidate's values that crossed as handles, one number per object (kept alive while the job runs)."""

    def __init__(self) -> None:
        self.values: list = []
        self.numbers: dict[int, int] = {}

    def add(self, value: object) -> int:
        number = self.numbers.get(id(value))
        if number is None:
            number = self.numbers[id(value)] = len(self.values)
            self.values.append(value)
        return number

    def get(self, marker: object) -> object:
        number = marker[0] if isinstance(marker, list) and marker else marker
        return self.values[number] if type(number) is int and 0 <= number < len(self.values) else None


def revive_handles(value: object, resolve) -> object:
    t = type(value)
    if t is dict:
        if len(value) == 1 and HANDLE in value:  # type: ignore[arg-type, operator]
            return resolve(value[HANDLE])  # type: ignore[index]
        if len(value) == 1 and BUILTIN in value:  # type: ignore[arg-type, operator]
            found = getattr(builtins, str(value[BUILTIN]), None)  # type: ignore[index]
            return found if isinstance(found, (type, types.BuiltinFunctionType)) else Opaque("builtin")
        return {k: revive_handles(v, resolve) for k, v in value.items()}  # type: ignore[attr-defined]  # a dict, by the type test above
    if t is list or t is tuple:
        return t(revive_handles(v, resolve) for v in value)  # type: ignore[attr-defined]  # a list or tuple, by the type test above
    return value


def handles_out(value: object) -> object:
    """Handles back to their markers (tests' side, arguments of a call)."""
    t = type(value)
    if t is Handle:
        return {HANDLE: [object.__getattribute__(value, "_ee_number"), "handle"]}
    if (t is type or t is types.BuiltinFunctionType) and getattr(builtins, value.__name__, None) is value:  # type: ignore
        return {BUILTIN: value.__name__}  # type: ignore[union-attr]  # `int`, `len` as an argument (MBPP's remove_datatype(xs, int))
    if t is list or t is tuple:
        return t(handles_out(v) for v in value)  # type: ignore[attr-defined]  # a container, by the type test above
    if t is set or t is frozenset:
        return same_set(value, [handles_out(v) for v in value])  # type: ignore[attr-defined]  # a set, by the type test
    if t is dict:
        return {k: handles_out(v) for k, v in value.items()}  # type: ignore[attr-defined]  # a dict, by the type test above
    return value


def same_set(value, items: list) -> object:
    """`value` itself when none of its items changed crossing (its iteration order is its table's: a set built
    again from them may iterate in another, `values.set_wire`), else a set of the new items."""
    same = all(a is b or type(a) is type(b) and a == b for a, b in zip(value, items))  # (a tuple made anew)
    return value if same else type(value)(items)
