"""Python as a plain program (stdin/stdout problems, translations): a fresh interpreter per run.

Function benchmarks in Python go through the fork server (`execeval.sandbox.PythonTests`), which is much faster;
this runner exists so every language, Python included, can be judged the same way on stdin/stdout.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping, Sequence

from execeval.languages.base import Toolchain
from execeval.sandbox.base import Command
from execeval.sandbox.limits import Limits


class Python:
    name = "python"
    source_name = "main.py"

    def toolchain(self) -> Toolchain:
        import hashlib

        real = os.path.realpath(sys.executable)
        ident = hashlib.sha256(f"{real}\0{sys.version}".encode()).hexdigest()[:16]
        return Toolchain(self.name, {"python": real}, (), ident)

    def build_command(self, toolchain: Toolchain, source: bytes) -> Command | None:
        return None

    def run_command(self, toolchain: Toolchain, artifacts: Mapping[str, bytes], stdin: bytes = b"",
                    args: tuple[str, ...] = ()) -> Command:
        return Command((toolchain["python"], "-s", "-P", self.source_name, *args), stdin=stdin, files=artifacts)

    def run_limits(self, limits: Limits) -> Limits:
        return limits

    def batch_command(self, toolchain: Toolchain, artifacts: Mapping[str, bytes],
                      inputs: Sequence[bytes]) -> Command | None:
        return None  # a process per input costs little here
