"""Python as a plain program (stdin/stdout problems, MultiPL-E's tests, translations).

A run is a `Script`: a sandbox that runs Scripts in its pre-warmed fork server (`CommandSandbox(...,
fresh_python=False)`, what `evaluate` and `translate` use) forks one per run instead of starting an interpreter
(~3 ms instead of ~25 ms here); any other sandbox runs it as `python -s -P script.py`. Function benchmarks in
Python go through `execeval.sandbox.PythonTests` instead. Its error type is read from the traceback by the
sandbox itself.
"""

from __future__ import annotations

import hashlib
import os
import sys

from collections.abc import Mapping

from execeval.languages.base import Interpreted, Toolchain
from execeval.sandbox.base import Command, Script
from execeval.sandbox.limits import Limits


class Python(Interpreted):
    name = "python"
    source_name = "main.py"
    tool = "python"
    flags = ("-s", "-P")  # no user site-packages, no script dir on sys.path

    def toolchain(self) -> Toolchain:
        real = os.path.realpath(sys.executable)  # the interpreter running execeval: always there
        ident = hashlib.sha256(f"{real}\0{sys.version}".encode()).hexdigest()[:16]
        return Toolchain(self.name, {"python": real}, (), ident)

    def run_command(self, toolchain: Toolchain, artifacts: Mapping[str, bytes], stdin: bytes = b"",  # type: ignore[override]  # a Script when the program needs one; callers take both
                    args: tuple[str, ...] = (), limits: Limits | None = None) -> Command | Script:
        try:
            code = artifacts[self.source_name].decode("utf-8")
        except UnicodeDecodeError:  # a source in another encoding: the interpreter reads its coding line
            return super().run_command(toolchain, artifacts, stdin, args, limits)
        return Script(code, stdin=stdin, files=artifacts, args=args)
