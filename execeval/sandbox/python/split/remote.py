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

This module is the tests' end (`RemoteCandidate`); the candidate's end is `candidate_end`, and the handles both
ends keep for values that stay in the candidate's process are `handles`.
"""

from __future__ import annotations

import builtins
import json
import time
from collections.abc import Callable

from execeval.sandbox.python.cpuclock import process_cpu
from execeval.sandbox.python.runner import CaseTimeout
from execeval.sandbox.python.split.callwire import Lines, full_text, marshalled
from execeval.sandbox.python.split.handles import MUTABLE, Handle, handles_out, revive_handles
from execeval.values import DIGEST_OVER, Opaque, decode, encode

_cpu = process_cpu
_MARSHAL_S_PER_BYTE = 4e-7  # the most a call's encoding and decoding may be said to cost, per byte of it


class RemoteError(Exception):
    """An exception of the candidate's with no builtin class of that name: its type name is kept."""

    def __init__(self, type_name: str, message: str) -> None:
        super().__init__(message)
        self.remote_type = type_name


class RemoteCandidate:
    """The tests' view of the candidate's process: its names, and calls that cost its CPU time, not ours (what the
    runner needs of it is `runner.Candidate`)."""

    def __init__(self, rfd: int, wfd: int, pid: int) -> None:
        self.pipe = Lines(rfd, wfd)
        self.clock = ((~pid) << 3) | 2  # the process's CPU clock (CPUCLOCK_SCHED), readable from outside
        self.case_cpu = 0.0  # the candidate's CPU time in the current case
        self.marshal = 0.0  # this process's CPU time spent encoding and decoding calls, not the test's
        self.on_gone: Callable[[], None] = lambda: None  # the runner's: what was reported goes out, then this process leaves
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
        value = revive_handles(decode(text), self._handle)
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
        packed = marshalled(list(args), handles_out)
        if packed is None:
            request.update(a=full_text(handles_out(list(args))))
        else:
            request.update(pm=len(packed[0]), pk=packed[1])
        request["k"] = full_text(handles_out(kwargs)) if kwargs else ""
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
            used -= min(max(claimed, 0.0), _MARSHAL_S_PER_BYTE * moved + 0.002, used)  # type: ignore[operator, type-var]  # claimed is a number here
        self.case_cpu += used
        if reply is None:  # the candidate's process is gone (it exited): so is the job, as in one process
            self.on_gone()
            raise RemoteError("SystemExit", "the program exited during the call")
        if isinstance(reply.get("after"), str) and reply.get("s") == "ok":
            started = _cpu()
            after = revive_handles(decode(reply["after"]), self._handle)
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


def _sync(old: object, new: object) -> None:
    """Make the tests' argument `old` what the candidate left it as (`new`), in place, nested containers too."""
    if type(old) is list and type(new) is list:
        if len(old) != len(new):
            old[:] = new
            return
        for i, (a, b) in enumerate(zip(old, new)):
            if type(a) in MUTABLE and type(a) is type(b):
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
            if type(a) in MUTABLE and type(a) is type(b):
                _sync(a, b)
            elif not (a is b or type(a) is type(b) and a == b):
                old[key] = b
    elif type(old) is set and type(new) is set and old != new:  # changed, not rebuilt: its table stays the one
        old.difference_update([x for x in old if x not in new])  # a test's later look at it walks in one process
        old.update([x for x in new if x not in old])
