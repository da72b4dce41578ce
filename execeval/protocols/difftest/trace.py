"""Variable values a function takes while it runs on one input: what Mokav shows a model as "values seen only in
one version's execution".

The tracer runs inside a sandbox job (a `Script`): it loads the program, calls the entry point on the input
under `sys.settrace`, and prints, as JSON, the short reprs of every local each frame of the program's code held.
The harness only reads that JSON (it is data to show a model, never executed).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from execeval.protocols.observe import Program
from execeval.sandbox.base import Sandbox, Script, Status
from execeval.sandbox.limits import DEFAULT_LIMITS
from execeval.values import encode

__all__ = ["variable_values", "only_in"]

_TRACER = r'''
import json, sys
from execeval.values import decode
seen = {}
def tracer(frame, event, arg):
    if frame.f_code.co_filename != "<program>":
        return None
    if event in ("line", "return"):
        for name, value in list(frame.f_locals.items()):
            try:
                text = repr(value)
            except Exception:
                continue
            bucket = seen.setdefault(name, [])
            if len(text) <= 80 and text not in bucket and len(bucket) < 20:
                bucket.append(text)
    return tracer
ns = {"__name__": "__traced__"}
exec(compile(PROGRAM, "<program>", "exec"), ns)
args = decode(ARGS)
sys.settrace(tracer)
try:
    ns[ENTRY](*args)
except BaseException:
    pass
sys.settrace(None)
sys.stdout.write(json.dumps(seen))
'''


def variable_values(sandbox: Sandbox, program: Program, args: Sequence[Any], cpu_s: float = 2.0) -> dict[str, list]:
    """{variable: [short reprs of its values]} for one run; {} when the program did not run."""
    code = f"PROGRAM = {program.code!r}\nARGS = {encode(list(args))!r}\nENTRY = {program.entry_point!r}\n" + _TRACER
    result = sandbox.run(Script(code), DEFAULT_LIMITS.with_(cpu_s=cpu_s, wall_s=2 * cpu_s + 2))
    if result.status is not Status.OK:
        return {}
    try:
        seen = json.loads(result.stdout.decode("utf-8", "replace"))
    except ValueError:
        return {}
    return {str(k): [str(x) for x in v][:20] for k, v in seen.items() if isinstance(v, list)} \
        if isinstance(seen, dict) else {}


def only_in(a: dict[str, list], b: dict[str, list]) -> dict[str, list]:
    """Values of `a`'s variables that `b` never held."""
    out = {}
    for name, values in a.items():
        extra = [v for v in values if v not in b.get(name, [])]
        if extra:
            out[name] = extra
    return out
