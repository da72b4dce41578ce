"""C with gcc: compiled once per source (the build cache), the binary run per input.

`Cpp` (cpp.py) is the same shape with g++: only the compiler, the flags and the file name differ.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping

from execeval.languages.base import BaseLanguage, Toolchain, find_toolchain
from execeval.sandbox.base import Command
from execeval.sandbox.limits import Limits

C_FLAGS = ("-std=c17", "-O2", "-pipe")  # what contest judges use; -O2 because tests are run many times
BINARY = "main"
# gcc's instrumentation for gcov; -O0 so that each source line keeps its own blocks (at -O2 lines merge and
# vanish, and the counts stop matching the source)
COVERAGE_FLAGS = ("-O0", "--coverage")
NOTES = "main.gcno"  # what the compiler writes for gcov (named after the binary)
COUNTS = "main.gcda"  # what a run of the binary writes at exit (libgcov merges into one already there)
# the counts go to the run's work dir, not to the compile job's path recorded in the binary: every directory of
# that path is stripped and "." put in front
COVERAGE_ENV = {"GCOV_PREFIX": ".", "GCOV_PREFIX_STRIP": "64"}


class C(BaseLanguage):
    name = "c"
    source_name = "main.c"
    compiler = "gcc"
    flags: tuple[str, ...] = C_FLAGS
    libs: tuple[str, ...] = ("-lm",)  # after the source: the linker resolves left to right
    install = "apt-get install gcc"
    coverage_tools: tuple[str, ...] = ()  # the coverage variant's: gcov, which reads the counts

    def toolchain(self) -> Toolchain:
        return find_toolchain(self.name, (self.compiler, *self.coverage_tools), self.install)

    def build_command(self, toolchain: Toolchain, source: bytes) -> Command | None:
        collect = (BINARY, NOTES) if self.coverage_tools else (BINARY,)
        return Command((toolchain[self.compiler], *self.flags, "-o", BINARY, self.source_name, *self.libs),
                       files={self.source_name: source}, collect=collect)

    def run_command(self, toolchain: Toolchain, artifacts: Mapping[str, bytes], stdin: bytes = b"",
                    args: tuple[str, ...] = (), limits: Limits | None = None) -> Command:
        if self.coverage_tools:
            return Command((f"./{BINARY}", *args), stdin=stdin, files=artifacts, env=COVERAGE_ENV, collect=(COUNTS,))
        return Command((f"./{BINARY}", *args), stdin=stdin, files=artifacts)

    def coverage_variant(self) -> "C":
        """This language compiled with `COVERAGE_FLAGS` (its build keys differ by the flags and by gcov in the
        toolchain); a run hands back `COUNTS`, the build `NOTES` with the binary: gcov needs both."""
        variant = copy.copy(self)
        variant.flags = (*(f for f in self.flags if not f.startswith("-O")), *COVERAGE_FLAGS)
        variant.coverage_tools = ("gcov",)
        return variant
