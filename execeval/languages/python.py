"""Python as a plain program (stdin/stdout problems, translations): a fresh interpreter per run.

Function benchmarks in Python go through the fork server (`execeval.sandbox.PythonTests`), which is much faster;
this runner exists so every language, Python included, can be judged the same way on stdin/stdout. Its error
type is read from the traceback by the sandbox itself.
"""

from __future__ import annotations

import hashlib
import os
import sys

from execeval.languages.base import Interpreted, Toolchain


class Python(Interpreted):
    name = "python"
    source_name = "main.py"
    tool = "python"
    flags = ("-s", "-P")  # no user site-packages, no script dir on sys.path

    def toolchain(self) -> Toolchain:
        real = os.path.realpath(sys.executable)  # the interpreter running execeval: always there
        ident = hashlib.sha256(f"{real}\0{sys.version}".encode()).hexdigest()[:16]
        return Toolchain(self.name, {"python": real}, (), ident)
