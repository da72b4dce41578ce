"""Which command lines will surely run jobs on this machine's fork servers, and how many: `main` starts those
servers before it loads the commands (~0.2 s of imports), so they are ready when the run needs them
(execeval.sandbox.early says why). Read with the evaluate command's own flag names (test_prestart checks that
they still are its flags); a line with anything that could change the sandbox, or asking for help, starts none.
"""

from __future__ import annotations

_COMMAND = "evaluate"
_WORKERS, _WORKERS_SHORT = "--workers", "-j"
_NOT_LOCAL = ("--executor", "--help", "-h")  # another sandbox (Ray), or no run at all


def workers_to_start(argv: list[str]) -> int | None:
    """How many fork servers `execeval <argv>` will open on this machine, or None if it may open none."""
    if not argv or argv[0] != _COMMAND:
        return None
    workers: int | None = None
    rest = iter(argv[1:])
    for arg in rest:
        name, _, inline = arg.partition("=")
        if name in _NOT_LOCAL:
            return None
        if name == _WORKERS:
            value = inline or next(rest, "")
        elif arg.startswith(_WORKERS_SHORT):
            value = arg[len(_WORKERS_SHORT):] or next(rest, "")
        else:
            continue
        try:
            workers = int(value)
        except ValueError:
            return None  # the command's own parsing says what is wrong
    from execeval.errors import UsageError
    from execeval.sandbox.forkserver import pool_size  # only for `evaluate`, which loads it anyway

    try:
        return pool_size(workers)
    except UsageError:
        return None  # the command's own pool says what is wrong
