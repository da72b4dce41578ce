"""The `execeval` command: thin wrappers that parse flags, call the library, and print.

Every command is one library call (see each command's body); errors are one line with the fix, never a
traceback (set EXECEVAL_DEBUG=1 to see it). One module per concern registers its commands on `app`
(`execeval.cli.app`); every module of this package is loaded, so a new command is a new module here.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys

from execeval.cli.app import app

# the main job's commands first (the order of `execeval --help`), then every other module of this package
_FIRST = ("evaluation", "runs", "translate", "doctor")
_REST = (m.name for m in pkgutil.iter_modules(__path__) if m.name not in _FIRST + ("app",) and not m.name.startswith("_"))
for _name in _FIRST + tuple(sorted(_REST)):
    importlib.import_module(f"{__name__}.{_name}")


def main() -> None:  # pragma: no cover - console entry point
    app(prog_name="execeval")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())  # type: ignore[func-returns-value]  # main() returns None: exit status 0
