"""Tests in one process, the candidate in another: `Assert` cases that can't be lifted, run so they can't be forged.

Why: a test that is code (`check(candidate)`, a loop of asserts) must run somewhere; if it shares the candidate's
address space, the candidate can find the per-job token there and report a pass itself. So the fork server forks
the candidate's process first, before the job's token exists, and then the tests' process, which alone holds
the token and the report channel. The tests call the candidate's functions through proxies that send the
arguments over a pipe and get the value back; both sides are confined alike, and the tests' process is not
dumpable, so the candidate (same uid, no capabilities) can neither read its memory nor open its fds through
`/proc`.

What crosses the pipe is plain data (`execeval.values`), one JSON line per message, read with a size cap. A value
of a standard library type that subclasses a builtin one (`Counter`, `OrderedDict`, a namedtuple) crosses as that
builtin; any other value (an instance of the candidate's own class, a `Fraction`) crosses as a handle: equal
only to itself, and passed back to the candidate as the object it stands for (MBPP's `Pair(5, 24)` arguments).
An exception crosses by type name and message and is raised again in the tests' process (as the builtin
exception of that name when there is one, so `except ValueError` in a test still works). The candidate's CPU
time is read from outside, from its process clock, so a candidate that disarms its timer can't look fast.
"""

from __future__ import annotations

import builtins
import json
import os
import signal
import sys
import time
import types

from execeval.sandbox.base import PythonTests
from execeval.sandbox.pyrunner import CaseTimeout, Snapshot, trusted_class
from execeval.sandbox.tracebacks import short, traceback_text
from execeval.values import Opaque, decode, encode

_MAX_LINE = 64 << 20
_HANDLE = "__execeval_handle__"
_PLAIN_SCALARS = (int, float, bool, str, bytes, complex, type(None))


class RemoteError(Exception):
    """An exception of the candidate's with no builtin class of that name: its type name is kept."""

    def __init__(self, type_name: str, message: str) -> None:
        super().__init__(message)
        self.remote_type = type_name


class Handle:
    """A value of the candidate's that is not plain data; equal only to itself, opaque in the tests."""

    __slots__ = ("number", "type_name")

    def __init__(self, number: int, type_name: str) -> None:
        self.number, self.type_name = number, type_name

    def __repr__(self) -> str:
        return f"<{self.type_name}>"


# ---------------------------------------------------------------- values both ways
def to_wire(value: object, table: list | None, depth: int = 0) -> object:
    """Plain data for `encode`: builtin containers walked, a trusted subclass of a builtin type as that type;
    anything else a handle into `table` (the candidate's side) or left for `encode` to mark opaque (no table)."""
    t = type(value)
    if t in _PLAIN_SCALARS or depth > 60:
        return value
    if t is list or t is tuple or t is set or t is frozenset:
        return t(to_wire(v, table, depth + 1) for v in value)  # type: ignore[call-arg, union-attr]
    if t is dict:
        return {to_wire(k, table, depth + 1): to_wire(v, table, depth + 1) for k, v in value.items()}  # type: ignore
    if t.__module__ == "numpy":
        return value  # encode compares numpy values as the plain values they hold
    base = _plain_base(t)
    if base is not None:
        return to_wire(base(value), table, depth)  # type: ignore[call-arg]
    if table is None:
        return value
    table.append(value)
    return {_HANDLE: [len(table) - 1, t.__qualname__]}


def _plain_base(t: type) -> type | None:
    """The builtin type a standard-library subclass stands for (Counter -> dict), None for anything else."""
    for base in (dict, list, tuple, set, frozenset, str, int, float):
        if issubclass(t, base) and trusted_class(t):
            return base
    return None


def _revive_handles(value: object, resolve) -> object:  # type: ignore[no-untyped-def]
    t = type(value)
    if t is dict:
        if len(value) == 1 and _HANDLE in value:  # type: ignore[operator]
            return resolve(value[_HANDLE])  # type: ignore[index]
        return {k: _revive_handles(v, resolve) for k, v in value.items()}  # type: ignore[union-attr]
    if t is list or t is tuple:
        return t(_revive_handles(v, resolve) for v in value)  # type: ignore[call-arg, union-attr]
    return value


def _handles_out(value: object) -> object:
    """Handles back to their markers (tests' side, arguments of a call)."""
    t = type(value)
    if t is Handle:
        return {_HANDLE: [value.number, value.type_name]}  # type: ignore[attr-defined]
    if t is list or t is tuple or t is set or t is frozenset:
        return t(_handles_out(v) for v in value)  # type: ignore[call-arg, union-attr]
    if t is dict:
        return {k: _handles_out(v) for k, v in value.items()}  # type: ignore[union-attr]
    return value


class _Lines:
    """Newline-delimited JSON over a pipe, each line at most _MAX_LINE bytes."""

    def __init__(self, rfd: int, wfd: int) -> None:
        self.rfd, self.wfd, self.buf = rfd, wfd, b""

    def send(self, message: dict) -> None:
        data = memoryview(json.dumps(message, separators=(",", ":")).encode() + b"\n")
        while data:
            data = data[os.write(self.wfd, data):]

    def recv(self) -> dict | None:
        while b"\n" not in self.buf:
            if len(self.buf) > _MAX_LINE:
                return None
            chunk = os.read(self.rfd, 1 << 16)
            if not chunk:
                return None
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        try:
            message = json.loads(line)
        except (ValueError, RecursionError):
            return None
        return message if isinstance(message, dict) else None


# ---------------------------------------------------------------- the candidate's side
_OWN_MODULES = ("builtins", "json", "json.decoder", "json.encoder", "json.scanner", "signal", "types", "math",
                "hashlib", "execeval.values", __name__)


def serve_calls(job: PythonTests, rfd: int, wfd: int, snapshot: Snapshot) -> None:
    """In the candidate's process: load the program (and the setup, as one script would), say which names it
    defines, then answer calls until the tests' process closes the pipe; never returns.

    Restoring here is for correct programs only (a candidate that patched `builtins.len` must not break this
    loop, and gets the same pristine builtins between calls as in one process): nothing here can mark a pass."""
    ns_builtins = snapshot.job_builtins[0]
    own = [m for m in _OWN_MODULES if m in snapshot.modules]

    def restore() -> None:
        snapshot.restore(own, (ns_builtins,))

    pipe = _Lines(rfd, wfd)
    module = types.ModuleType("__candidate__")
    sys.modules["__candidate__"] = module
    ns = module.__dict__
    ns["__builtins__"] = ns_builtins
    sources = {"<candidate>": job.program, "<tests>": job.setup}
    where = "load"
    try:
        exec(compile(job.program, "<candidate>", "exec"), ns)
        where = "setup"
        if job.setup:
            exec(compile(job.setup, "<tests>", "exec"), ns)
    except BaseException as exc:  # noqa: BLE001 - every way out of the program is a failure to load
        restore()
        pipe.send({"s": "program", "where": where, "t": type(exc).__name__, "m": short(exc),
                   "tb": traceback_text(exc, sources, skip_file=__file__)[-2000:]})
        os._exit(0)
    restore()
    functions, modules = [], {}
    for key, value in list(ns.items()):
        if not isinstance(key, str) or key.startswith("__") and key.endswith("__"):
            continue  # (the tests' side leaves out names that shadow a builtin, but for the entry point)
        if isinstance(value, types.ModuleType):
            modules[key] = getattr(value, "__name__", "")
        elif callable(value):
            functions.append(key)
    pipe.send({"s": "ready", "f": functions, "mod": modules})
    table: list = []
    while True:
        request = pipe.recv()
        if request is None:
            os._exit(0)
        reply = _answer(request, ns, table, restore)
        try:
            pipe.send(reply)
        except OSError:  # the tests' process is gone
            os._exit(0)


def _answer(request: dict, ns: dict, table: list, restore) -> dict:  # type: ignore[no-untyped-def]
    def resolve(marker: object) -> object:
        number = marker[0] if isinstance(marker, list) and marker else -1
        return table[number] if isinstance(number, int) and 0 <= number < len(table) else None

    try:
        args = _revive_handles(decode(request["a"]), resolve)
        kwargs = _revive_handles(decode(request["k"]), resolve) if request.get("k") else {}
        target = ns.get(request["n"])
        budget = float(request.get("b") or 0)
        if budget > 0:
            signal.setitimer(signal.ITIMER_PROF, budget)
        try:
            value = target(*args, **kwargs)  # type: ignore[misc, operator]
        finally:
            signal.setitimer(signal.ITIMER_PROF, 0)
            restore()
        return {"s": "ok", "o": encode(to_wire(value, table))}
    except CaseTimeout:
        return {"s": "timeout"}
    except BaseException as exc:  # noqa: BLE001 - crosses as its type and message
        return {"s": "error", "t": type(exc).__name__, "m": short(exc)}


# ---------------------------------------------------------------- the tests' side
class RemoteCandidate:
    """The tests' view of the candidate's process: its names, and calls that cost its CPU time, not ours."""

    def __init__(self, rfd: int, wfd: int, pid: int) -> None:
        self.pipe = _Lines(rfd, wfd)
        self.clock = ((~pid) << 3) | 2  # the process's CPU clock (CPUCLOCK_SCHED), readable from outside
        self.case_cpu = 0.0  # the candidate's CPU time in the current case
        self.budget = 0.0
        self.hello = self.pipe.recv() or {"s": "program", "where": "load", "t": "SystemExit",
                                          "m": "the program exited while loading", "tb": ""}

    def namespace(self, modules: dict) -> dict:
        """Proxies for the candidate's functions and classes, and the (real, pristine) modules it imported."""
        ns: dict = {}
        for name in self.hello.get("f", ()):
            if isinstance(name, str):
                ns[name] = RemoteFunction(self, name)
        for name, module in (self.hello.get("mod") or {}).items():
            if isinstance(name, str) and module in modules:
                ns[name] = modules[module][0]
        return ns

    def cpu(self) -> float:
        try:
            return time.clock_gettime(self.clock)
        except OSError:  # gone
            return 0.0

    def call(self, name: str, args: tuple, kwargs: dict) -> object:
        return _revive_handles(decode(self.call_text(name, args, kwargs)), self._handle)

    def call_text(self, name: str, args: tuple | list, kwargs: dict | None = None) -> str:
        """The call's value as `encode` text (a `Call` case's output, passed on as it came)."""
        request = {"n": name, "a": encode(_handles_out(list(args))), "k": encode(_handles_out(kwargs)) if kwargs else ""}
        if self.budget:
            request["b"] = max(self.budget - self.case_cpu, 0.001)
        before = self.cpu()
        try:
            self.pipe.send(request)
            reply = self.pipe.recv()
        except OSError:  # the candidate's end is closed: it exited
            reply = None
        self.case_cpu += max(self.cpu() - before, 0.0)
        if reply is None:
            raise RemoteError("SystemExit", "the program exited during the call")
        status = reply.get("s")
        if self.budget and (status == "timeout" or self.case_cpu > self.budget):
            raise CaseTimeout
        if status == "ok":
            return str(reply.get("o"))
        type_name, message = str(reply.get("t", "Exception"))[:100], str(reply.get("m", ""))[:500]
        cls = getattr(builtins, type_name, None)
        if isinstance(cls, type) and issubclass(cls, Exception) and cls.__module__ == "builtins":
            text = message.split(": ", 1)[1] if message.startswith(type_name + ": ") else message
            try:
                error = cls(text)
            except TypeError:  # an exception class that needs other arguments
                error = None
            if error is not None:
                raise error
        raise RemoteError(type_name, message)

    @staticmethod
    def _handle(marker: object) -> object:
        if isinstance(marker, list) and len(marker) == 2 and isinstance(marker[0], int):
            return Handle(marker[0], str(marker[1])[:100])
        return Opaque("malformed")


class RemoteFunction:
    """`candidate(...)` in a test: a call in the candidate's process."""

    __slots__ = ("remote", "__name__")

    def __init__(self, remote: RemoteCandidate, name: str) -> None:
        self.remote, self.__name__ = remote, name

    def __call__(self, *args: object, **kwargs: object) -> object:
        return self.remote.call(self.__name__, args, kwargs)

    def __repr__(self) -> str:
        return f"<function {self.__name__}>"
