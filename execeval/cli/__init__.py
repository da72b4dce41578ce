"""The `execeval` command: thin wrappers that parse flags, call the library, and print.

Every command is one library call (see each command's body); errors are one line with the fix, never a
traceback (set EXECEVAL_DEBUG=1 to see it). One module per concern registers its commands on `app`
(`execeval.cli.shared`); every module of this package is loaded, so a new command is a new module here.

Loading them (typer and every command module: ~0.2 s) waits for `main` or the first use of `execeval.cli.app`,
so that `main` can first start the fork servers a run will need (prestart.py): they start while this loads.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
from typing import Any

# the main job's commands first (the order of `execeval --help`), then every other module of this package
_FIRST = ("evaluation", "runs", "translate", "doctor")
_NOT_COMMANDS = ("shared", "prestart")


def _loaded_app() -> Any:
    """The typer app with every command module of this package registered on it."""
    from execeval.cli.shared import app

    rest = (m.name for m in pkgutil.iter_modules(__path__) if m.name not in _FIRST + _NOT_COMMANDS
            and not m.name.startswith("_"))
    for name in _FIRST + tuple(sorted(rest)):
        importlib.import_module(f"{__name__}.{name}")
    globals()["app"] = app  # loaded once: later uses find it here
    return app


def __getattr__(name: str) -> Any:  # `from execeval.cli import app`: the commands load on first use
    if name == "app":
        return _loaded_app()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def main() -> None:  # pragma: no cover - console entry point
    from execeval.cli.prestart import workers_to_start

    workers = workers_to_start(sys.argv[1:])
    if workers:
        from execeval.sandbox import early

        early.start(workers)
    _loaded_app()(prog_name="execeval")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())  # type: ignore[func-returns-value]  # main() returns None: exit status 0
