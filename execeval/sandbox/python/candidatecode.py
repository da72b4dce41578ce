"""The candidate's program compiled in the fork server, before the fork, instead of in every job: the job runs a
ready code object, and a program that does not compile is answered without forking a job at all (~8% of real
HumanEval samples; each such job cost ~2.9 ms of fork, set-up and exit for a report the server can write itself).

Compiling runs none of the program. What the server answers is what the job would have reported: its load failure
(`tracebacks.program_failure`, the runner's own line) and its closing line. A program that warns while it compiles
(its warnings belong on the job's stderr), fails with anything but a SyntaxError, or is longer than any real
sample is left to the job, as before.
"""

from __future__ import annotations

import types
import warnings

from execeval.sandbox.base import PythonTests
from execeval.sandbox.python.tracebacks import program_failure

_MAX_CHARS = 1 << 16  # real samples are < 10 KB; a longer program is compiled by its job, under its limits
_last: list = [None, None, None]  # the last job's program, its code object (or None), its load failure (or None)


def precompile(job: PythonTests) -> None:
    """Compile `job`'s program for its job (the server calls this before every Python job's fork)."""
    _last[:] = [job.program, None, None]
    if len(job.program) > _MAX_CHARS:
        return
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            code = compile(job.program, "<candidate>", "exec", dont_inherit=True)
    except SyntaxError as exc:
        if not caught:
            _last[2] = program_failure(exc, "load", {"<candidate>": job.program, "<tests>": job.setup},
                                       skip_file=__file__)
        return
    except BaseException:  # noqa: BLE001 - ValueError, RecursionError...: the job compiles it and says so
        return
    if not caught:
        _last[1] = code


def compiled(job: PythonTests) -> types.CodeType | None:
    """In the job: its program's code object as the server made it, if it did."""
    return _last[1] if _last[0] is job.program else None


def load_failure(job: PythonTests) -> dict | None:
    """In the server: the report line of `job`'s program not compiling, if it does not (see the module doc)."""
    return _last[2] if _last[0] is job.program else None
