"""C++ with g++: compiled once per source (the build cache), the binary run per input."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from execeval.languages.base import Toolchain, find_toolchain
from execeval.sandbox.base import Command
from execeval.sandbox.limits import Limits

CXX_FLAGS = ("-std=c++17", "-O2", "-pipe")  # what contest judges use; -O2 because tests are run many times


class Cpp:
    name = "cpp"
    source_name = "main.cpp"

    def toolchain(self) -> Toolchain:
        return find_toolchain(self.name, ("g++",))

    def build_command(self, toolchain: Toolchain, source: bytes) -> Command | None:
        return Command((toolchain["g++"], *CXX_FLAGS, "-o", "main", self.source_name),
                       files={self.source_name: source}, collect=("main",))

    def run_command(self, toolchain: Toolchain, artifacts: Mapping[str, bytes], stdin: bytes = b"",
                    args: tuple[str, ...] = ()) -> Command:
        return Command(("./main", *args), stdin=stdin, files=artifacts)

    def run_limits(self, limits: Limits) -> Limits:
        return limits

    def batch_command(self, toolchain: Toolchain, artifacts: Mapping[str, bytes],
                      inputs: Sequence[bytes]) -> Command | None:
        return None  # a process per input costs little here
