"""C with gcc: compiled once per source (the build cache), the binary run per input.

`Cpp` (cpp.py) is the same shape with g++: only the compiler, the flags and the file name differ.
"""

from __future__ import annotations

from collections.abc import Mapping

from execeval.languages.base import BaseLanguage, Toolchain, find_toolchain
from execeval.sandbox.base import Command
from execeval.sandbox.limits import Limits

C_FLAGS = ("-std=c17", "-O2", "-pipe")  # what contest judges use; -O2 because tests are run many times
BINARY = "main"


class C(BaseLanguage):
    name = "c"
    source_name = "main.c"
    compiler = "gcc"
    flags: tuple[str, ...] = C_FLAGS
    libs: tuple[str, ...] = ("-lm",)  # after the source: the linker resolves left to right
    install = "apt-get install gcc"

    def toolchain(self) -> Toolchain:
        return find_toolchain(self.name, (self.compiler,), self.install)

    def build_command(self, toolchain: Toolchain, source: bytes) -> Command | None:
        return Command((toolchain[self.compiler], *self.flags, "-o", BINARY, self.source_name, *self.libs),
                       files={self.source_name: source}, collect=(BINARY,))

    def run_command(self, toolchain: Toolchain, artifacts: Mapping[str, bytes], stdin: bytes = b"",
                    args: tuple[str, ...] = (), limits: Limits | None = None) -> Command:
        return Command((f"./{BINARY}", *args), stdin=stdin, files=artifacts)
