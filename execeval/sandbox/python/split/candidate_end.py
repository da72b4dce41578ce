"""The candidate's end of a split job (`remote`): load the program in this process, then answer the tests'
process's calls, one JSON line each way (`callwire`), until it closes the pipe.

Nothing here can mark a pass: the report channel and its token exist only in the tests' process.
"""

from __future__ import annotations

import marshal
import os
import signal
import sys
import types

from execeval.sandbox.base import PythonTests
from execeval.sandbox.python.candidatecode import compiled
from execeval.sandbox.python.runner import CaseTimeout
from execeval.sandbox.python.cpuclock import process_cpu
from execeval.sandbox.python.snapshot import Snapshot
from execeval.sandbox.python.split.callwire import Lines, full_text, unmarshalled
from execeval.sandbox.python.split.guard import check_plain, to_wire
from execeval.sandbox.python.split.handles import MUTABLE, Table, revive_handles
from execeval.sandbox.python.tracebacks import short, traceback_text
from execeval.values import decode

_cpu = process_cpu

_OWN_MODULES = ("builtins", "json", "json.decoder", "json.encoder", "json.scanner", "signal", "types", "math",
                "hashlib", "marshal", "execeval.values", "execeval.sandbox.python.split.callwire",
                "execeval.sandbox.python.split.handles", __name__)


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
        code = compiled(job)  # the server's compile (candidatecode.py); else here, so a failure reads as before
        exec(code if code is not None else compile(job.program, "<candidate>", "exec", dont_inherit=True), ns)
        where = "setup"
        if job.setup:
            exec(compile(job.setup, "<tests>", "exec", dont_inherit=True), ns)
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
            args = unmarshalled(args, table.get) if request.get("pk") else args
        else:
            args = revive_handles(decode(request.get("a", "[]")), table.get)
        kwargs = revive_handles(decode(request["k"]), table.get) if request.get("k") else {}
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
                value = subject(*args, **kwargs)  # type: ignore[arg-type, operator]  # a callable handle's arguments, as the tests sent them
        finally:
            signal.setitimer(signal.ITIMER_PROF, 0)
            restore()
        if request.get("n") == entry_point:  # what a test would see in one process: the same guard
            check_plain(value)
        started = _cpu()
        reply = {"s": "ok", "o": full_text(to_wire(value, table))}
        if op == "call" and any(type(a) in MUTABLE for a in args):  # a test may look at its arguments afterwards
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


def _unchanged(args: list, request: dict) -> bool:
    """The arguments marshal as they came (no handles in them): the call left them as they were."""
    if "pm" not in request or request.get("pk"):
        return False
    try:
        return marshal.dumps(args, 2) == request["pm"]  # version 2: no back-references, equal values equal bytes
    except ValueError:  # something only the candidate can have put there
        return False
