"""The interpreter's state before any job ran, and putting it back: what lets one warm fork server serve jobs
whose candidates patch builtins and modules (`Snapshot`, taken once in the server, inherited by every child).
"""

from __future__ import annotations

import builtins
import ctypes
import sys
import types
from collections.abc import Iterable
from operator import is_

__all__ = ["Snapshot"]


class _DictVersion:
    """Reads a dict's modification counter (CPython's `ma_version_tag`, PEP 509) without touching its values.

    Why: comparing a module dict with its snapshot item by item increments the refcount of every value, and each
    write to a shared page costs the forked job a copy-on-write fault (~3 us here; hundreds per job). The counter
    changes on every insert, update or delete, so "unchanged counter" proves "unchanged dict" for this purpose.
    Verified on first use; where the layout differs (another Python), `read` returns None and callers compare.
    """

    OFFSET = 3 * ctypes.sizeof(ctypes.c_ssize_t)  # after ob_refcnt, ob_type, ma_used

    def __init__(self) -> None:
        probe: dict = {}
        before = self._raw(probe)
        probe["x"] = 1
        middle = self._raw(probe)
        probe["x"] = 2
        self.works = before != middle != self._raw(probe) and not hasattr(sys, "gettotalrefcount")

    def _raw(self, d: dict) -> int:
        return self.view(d).value

    def view(self, d: dict) -> ctypes.c_uint64:
        """A live view of `d`'s counter (made in the server, read in jobs: no ctypes allocation per read)."""
        return ctypes.c_uint64.from_address(id(d) + self.OFFSET)


_VERSION = _DictVersion()


class Snapshot:
    """Module dicts as they were before any job ran (taken once in the server; each child inherits it), and the
    builtins dicts a job's candidate and tests get (made here once: every forked job has its own copy-on-write
    copy, so nothing needs copying per job)."""

    def __init__(self) -> None:
        self.modules = {name: (mod, dict(mod.__dict__)) for name, mod in list(sys.modules.items())
                        if isinstance(mod, types.ModuleType)}
        self.name_of = {id(mod): name for name, (mod, _) in self.modules.items()}
        self.builtins = dict(builtins.__dict__)
        self.job_builtins = (dict(self.builtins), dict(self.builtins))  # (candidate's, tests')
        self.versions: dict[int, tuple[ctypes.c_uint64, int]] = {}
        self.refresh_versions()

    def refresh_versions(self) -> None:
        """Remember each dict's counter as it is now (the server calls this before serving)."""
        if not _VERSION.works:
            return
        dicts = [mod.__dict__ for mod, _ in self.modules.values()] + list(self.job_builtins)
        self.versions = {id(d): (view, view.value) for d in dicts for view in (_VERSION.view(d),)}

    def used_by(self, namespace: dict) -> set[str]:
        """Snapshot modules a namespace can reach in one step: modules it holds, and the modules of the functions
        and classes it imported from them (`from math import isclose`)."""
        names = set()
        for value in list(namespace.values()):
            if isinstance(value, types.ModuleType):
                name = self.name_of.get(id(value)) or getattr(value, "__name__", None)
            else:
                name = getattr(value, "__module__", None) if callable(value) else None
            if isinstance(name, str) and name in self.modules:
                names.add(name)
        return names

    def pristine(self, namespace: dict) -> None:
        """Point a namespace's modules back at the real ones (a fake put in sys.modules and imported)."""
        for key, value in list(namespace.items()):
            if isinstance(value, types.ModuleType) and getattr(value, "__name__", None) in self.modules:
                namespace[key] = self.modules[value.__name__][0]

    def restore(self, names: Iterable[str], private_builtins: Iterable[dict]) -> None:
        modules = sys.modules
        for name in names:
            mod, saved = self.modules[name]
            if modules.get(name) is not mod:
                modules[name] = mod
            self._restore(mod.__dict__, saved)
        for d in private_builtins:
            self._restore(d, self.builtins)

    def _restore(self, current: dict, saved: dict) -> None:
        known = self.versions.get(id(current))
        if known is None or known[0].value != known[1]:
            _restore_dict(current, saved)


def _restore_dict(current: dict, saved: dict) -> None:
    # identity of keys and values, in order (C-speed); `==` would let a planted __eq__ vouch for itself
    if (len(current) != len(saved) or not all(map(is_, current, saved))
            or not all(map(is_, current.values(), saved.values()))):
        current.clear()
        current.update(saved)
