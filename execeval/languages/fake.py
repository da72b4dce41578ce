"""A fake compiled language for tests of code that takes a `Language` (judges, evaluation, caches).

Its "compiler" is `/bin/cp` and its runner `/bin/cat`: a program prints its own source, then echoes its stdin.
So a test can say exactly what a run will output, through the real sandbox and the real build cache, without a
real toolchain. Like httpx's MockTransport: small, and held to the same conformance checks as real languages.

    fake = Fake()
    built = build(fake, "hello\\n", sandbox)          # compiled: `cp program.txt program`
    run(fake, built, sandbox, stdin=b"x").stdout    # b"hello\\nx"
"""

from __future__ import annotations

from collections.abc import Mapping

from execeval.languages.base import BaseLanguage, Toolchain, find_toolchain
from execeval.sandbox.base import Command
from execeval.sandbox.limits import Limits

BINARY = "program"


class Fake(BaseLanguage):
    name = "fake"
    source_name = "program.txt"

    def __init__(self, cp: str = "cp", cat: str = "cat") -> None:
        self.tools = (cp, cat)  # name a tool that is not installed to test the missing-toolchain path

    def toolchain(self) -> Toolchain:
        return find_toolchain(self.name, self.tools, "apt-get install coreutils")

    def build_command(self, toolchain: Toolchain, source: bytes) -> Command | None:
        return Command((toolchain[self.tools[0]], self.source_name, BINARY), files={self.source_name: source},
                       collect=(BINARY,))

    def run_command(self, toolchain: Toolchain, artifacts: Mapping[str, bytes], stdin: bytes = b"",
                    args: tuple[str, ...] = (), limits: Limits | None = None) -> Command:
        return Command((toolchain[self.tools[1]], BINARY, "-"), stdin=stdin, files=artifacts)
