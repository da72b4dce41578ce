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
import marshal
import os
import signal
import sys
import time
import types

_cpu = time.process_time

from execeval.sandbox.base import PythonTests
from execeval.sandbox.python.split.callwire import Lines, full_text, marshalled
from execeval.sandbox.python.split.guard import _HANDLE, check_plain, to_wire
from execeval.sandbox.python.runner import CaseTimeout, Snapshot
from execeval.sandbox.python.tracebacks import short, traceback_text
from execeval.values import DIGEST_OVER, Opaque, decode, encode

_MARSHAL_S_PER_BYTE = 4e-7  # the most a call's encoding and decoding may be said to cost, per byte of it
_BUILTIN = "__execeval_builtin__"


class RemoteError(Exception):
    """An exception of the candidate's with no builtin class of that name: its type name is kept."""

    def __init__(self, type_name: str, message: str) -> None:
        super().__init__(message)
        self.remote_type = type_name


class Handle:
    """A value of the candidate's that is not plain data, in the tests: opaque, equal only to the same value;
    its attributes, methods and calls are the candidate's, run in the candidate's process."""

    __slots__ = ("_ee_number", "_ee_type", "_ee_remote")  # names a candidate's attribute won't have

    def __init__(self, number: int, type_name: str, remote: "RemoteCandidate") -> None:
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


# ---------------------------------------------------------------- values both ways
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


def _revive_handles(value: object, resolve) -> object:
    t = type(value)
    if t is dict:
        if len(value) == 1 and _HANDLE in value:  # type: ignore[arg-type, operator]
            return resolve(value[_HANDLE])  # type: ignore[index]
        if len(value) == 1 and _BUILTIN in value:  # type: ignore[arg-type, operator]
            found = getattr(builtins, str(value[_BUILTIN]), None)  # type: ignore[index]
            return found if isinstance(found, (type, types.BuiltinFunctionType)) else Opaque("builtin")
        return {k: _revive_handles(v, resolve) for k, v in value.items()}  # type: ignore[attr-defined]
    if t is list or t is tuple:
        return t(_revive_handles(v, resolve) for v in value)  # type: ignore[attr-defined]
    return value


def _handles_out(value: object) -> object:
    """Handles back to their markers (tests' side, arguments of a call)."""
    t = type(value)
    if t is Handle:
        return {_HANDLE: [object.__getattribute__(value, "_ee_number"), "handle"]}
    if (t is type or t is types.BuiltinFunctionType) and getattr(builtins, value.__name__, None) is value:  # type: ignore
        return {_BUILTIN: value.__name__}  # type: ignore[union-attr]  # `int`, `len` as an argument (MBPP's remove_datatype(xs, int))
    if t is list or t is tuple or t is set or t is frozenset:
        return t(_handles_out(v) for v in value)  # type: ignore[attr-defined]
    if t is dict:
        return {k: _handles_out(v) for k, v in value.items()}  # type: ignore[attr-defined]
    return value


# ---------------------------------------------------------------- the candidate's side
_OWN_MODULES = ("builtins", "json", "json.decoder", "json.encoder", "json.scanner", "signal", "types", "math",
                "hashlib", "marshal", "execeval.values", "execeval.sandbox.python.split.callwire", __name__)


def serve_calls(job: PythonTests, rfd: int, wfd: int, snapshot: Snapshot) -> None:
    """In the candidate's process: load the program (and the setup, as one script would), say which names it
    defines, then answer calls until the tests' process closes the pipe; never returns.

    Restoring here is for correct programs only (a candidate that patched `builtins.len` must not break this
    loop, and gets the same pristine builtins between calls as in one process): nothing here can mark a pass."""
    ns_builtins = snapshot.job_builtins[0]
    own = [m for m in _OWN_MODULES if m in snapshot.modules]

    def restore() -> None:
        snapshot.restore(own, (ns_builtins,))

    pipe = Lines(rfd, wfd)
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
    table = Table()
    while True:
        started = _cpu()  # reading blocks at no CPU cost: what this measures is parsing the request
        request = pipe.recv()
        if request is not None and type(request.get("pm")) is int:
            request["pm"] = pipe.recv_bytes(request["pm"])
        if request is None or request.get("pm") is None and "pm" in request:
            os._exit(0)
        parsed = _cpu() - started
        reply = _answer(request, ns, table, restore, job.entry_point)
        if "d" in reply:
            reply["d"] += parsed
        try:
            pipe.send(reply)
        except OSError:  # the tests' process is gone
            os._exit(0)


def _answer(request: dict, ns: dict, table: Table, restore, entry_point: str) -> dict:
    """One request: call a name or a handle, or get or set a handle's attribute (a test building a tree of the
    candidate's `Node`s)."""
    started = _cpu()
    try:
        subject = table.get(request["h"]) if "h" in request else ns.get(request["n"])
        op, attr = request.get("op", "call"), str(request.get("attr", ""))
        if "pm" in request:  # from the tests' process (trusted): marshal, at C speed
            args = marshal.loads(request["pm"])
            args = _revive_handles(args, table.get) if request.get("pk") else args
        else:
            args = _revive_handles(decode(request.get("a", "[]")), table.get)
        kwargs = _revive_handles(decode(request["k"]), table.get) if request.get("k") else {}
        budget = float(request.get("b") or 0)
        coding_s = _cpu() - started
        if budget > 0:
            signal.setitimer(signal.ITIMER_PROF, budget)
        try:
            if op == "get":
                value = getattr(subject, attr)
            elif op == "set":
                value = setattr(subject, attr, args[0])  # type: ignore[func-returns-value]  # setattr's None is the op's reply
            else:
                value = subject(*args, **kwargs)  # type: ignore[arg-type, operator]
        finally:
            signal.setitimer(signal.ITIMER_PROF, 0)
            restore()
        if request.get("n") == entry_point:  # what a test would see in one process: the same guard
            check_plain(value)
        started = _cpu()
        reply = {"s": "ok", "o": full_text(to_wire(value, table))}
        if op == "call" and any(type(a) in _MUTABLE for a in args):  # a test may look at its arguments afterwards
            if not _unchanged(args, request):
                after = full_text(to_wire(args, table))
                if after != request.get("a"):
                    reply["after"] = after
        reply["d"] = coding_s + _cpu() - started  # type: ignore[assignment]  # the reply mixes str and float values
        return reply
    except CaseTimeout:
        return {"s": "timeout"}
    except BaseException as exc:  # noqa: BLE001 - crosses as its type and message
        return {"s": "error", "t": type(exc).__name__, "m": short(exc)}


_MUTABLE = (list, dict, set, bytearray)


def _unchanged(args: list, request: dict) -> bool:
    """The arguments marshal as they came (no handles in them): the call left them as they were."""
    if "pm" not in request or request.get("pk"):
        return False
    try:
        return marshal.dumps(args, 2) == request["pm"]  # version 2: no back-references, equal values equal bytes
    except ValueError:  # something only the candidate can have put there
        return False


def _sync(old: object, new: object) -> None:
    """Make the tests' argument `old` what the candidate left it as (`new`), in place, nested containers too."""
    if type(old) is list and type(new) is list:
        if len(old) != len(new):
            old[:] = new
            return
        for i, (a, b) in enumerate(zip(old, new)):
            if type(a) in _MUTABLE and type(a) is type(b):
                _sync(a, b)
            elif not (a is b or type(a) is type(b) and a == b):
                old[i] = b
    elif type(old) is dict and type(new) is dict:
        if old.keys() != new.keys():
            old.clear()
            old.update(new)
            return
        for key, b in new.items():
            a = old[key]
            if type(a) in _MUTABLE and type(a) is type(b):
                _sync(a, b)
            elif not (a is b or type(a) is type(b) and a == b):
                old[key] = b
    elif type(old) is set and type(new) is set and old != new:
        old.clear()
        old.update(new)


# ---------------------------------------------------------------- the tests' side
class RemoteCandidate:
    """The tests' view of the candidate's process: its names, and calls that cost its CPU time, not ours."""

    def __init__(self, rfd: int, wfd: int, pid: int) -> None:
        self.pipe = Lines(rfd, wfd)
        self.clock = ((~pid) << 3) | 2  # the process's CPU clock (CPUCLOCK_SCHED), readable from outside
        self.case_cpu = 0.0  # the candidate's CPU time in the current case
        self.marshal = 0.0  # this process's CPU time spent encoding and decoding calls, not the test's
        self.on_gone = lambda: None  # the runner's: what was reported goes out, then this process leaves
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
        return self._value(self.call_text(name, args, kwargs))

    def handle_op(self, handle: Handle, op: str, attr: str, args: list | None = None, kwargs: dict | None = None
                  ) -> object:
        request = {"h": object.__getattribute__(handle, "_ee_number"), "op": op, "attr": attr}
        return self._value(self._request(request, args or [], kwargs))

    def _value(self, text: str) -> object:
        started = _cpu()
        value = _revive_handles(decode(text), self._handle)
        self.marshal += _cpu() - started
        return value

    def call_output(self, name: str, args: list) -> str:
        """A `Call` case's output for the harness: `encode`'s text, a digest when large."""
        text = self.call_text(name, args)
        return encode(decode(text)) if len(text) > DIGEST_OVER else text

    def call_text(self, name: str, args: tuple | list, kwargs: dict | None = None) -> str:
        """The call's value as `encode` text (a `Call` case's output, passed on as it came)."""
        return self._request({"n": name}, args, kwargs)

    def _request(self, request: dict, args: tuple | list, kwargs: dict | None) -> str:
        """Case CPU time is what the call cost the candidate's process, less the marshalling both sides did (a
        test in one process passes its arguments for free): the candidate's own account of it, at most what its
        size can cost, so a candidate can't hide its work behind it."""
        started = _cpu()
        packed = marshalled(list(args), _handles_out)
        if packed is None:
            request.update(a=full_text(_handles_out(list(args))))
        else:
            request.update(pm=len(packed[0]), pk=packed[1])
        request["k"] = full_text(_handles_out(kwargs)) if kwargs else ""
        if self.budget:
            request["b"] = max(self.budget - self.case_cpu, 0.001)
        line = json.dumps(request, separators=(",", ":"))
        self.marshal += _cpu() - started
        before, own = self.cpu(), _cpu()
        try:
            self.pipe.send_line(line, packed[0] if packed else b"")
            reply = self.pipe.recv()
        except OSError:  # the candidate's end is closed: it exited
            reply = None
        used = max(self.cpu() - before, 0.0)
        self.marshal += _cpu() - own  # writing, and parsing the reply (waiting for it costs no CPU)
        if reply is not None:
            claimed = reply.get("d") if type(reply.get("d")) in (int, float) else 0.0
            moved = len(line) + (len(packed[0]) if packed else 0) + self.pipe.last_size
            used -= min(max(claimed, 0.0), _MARSHAL_S_PER_BYTE * moved + 0.002, used)  # type: ignore[operator, type-var]  # claimed is known (not None) here
        self.case_cpu += used
        if reply is None:  # the candidate's process is gone (it exited): so is the job, as in one process
            self.on_gone()
            raise RemoteError("SystemExit", "the program exited during the call")
        if isinstance(reply.get("after"), str) and reply.get("s") == "ok":
            started = _cpu()
            after = _revive_handles(decode(reply["after"]), self._handle)
            for old, new in zip(args, after if type(after) is list else ()):
                _sync(old, new)
            self.marshal += _cpu() - started
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

    def _handle(self, marker: object) -> object:
        if isinstance(marker, list) and len(marker) == 2 and type(marker[0]) is int:
            return Handle(marker[0], str(marker[1])[:100], self)
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
