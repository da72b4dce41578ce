"""Rust with rustc: one crate, compiled once per source (`rustc -O --edition 2021`), the binary run per input.

Tests written as `#[test]` functions (HumanEval-X's `#[cfg(test)] mod tests`) are run by execeval's end-of-tests
epilogue (`execeval.judges.endmarker`), which calls them from `main`: libtest's harness has no hook after the
last test, so its own "test result: ok" could not be told from a candidate printing the same line.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping

from execeval.languages.base import BaseLanguage, Toolchain, find_toolchain
from execeval.sandbox.base import Command
from execeval.sandbox.limits import Limits

# -O because tests run many times; the 2021 edition is what MultiPL-E and HumanEval-X write; warnings (unused
# imports in every HumanEval-X declaration) are not the program's fault, and would fill the diagnostics
RUSTC_FLAGS = ("-O", "--edition", "2021", "--crate-type", "bin", "-A", "warnings")
BINARY = "main"
RUSTC_PROCESSES = 128  # rustc's codegen threads and the linker (cc, ld) it starts
# "thread 'main' panicked at 'attempt to divide by zero', main.rs:1:5" (rustc 1.63) or, newer,
# "thread 'main' panicked at main.rs:1:5:\nattempt to divide by zero": a panic's kind, from its message
_PANIC = re.compile(rb"(?m)^thread '[^']*' panicked at ")


def path_without_rustup() -> str:
    """PATH without the directories whose `rustc` is a rustup proxy: the proxy reads the user's ~/.rustup, which
    the sandbox does not show its jobs, so a real rustc further down PATH (Debian's /usr/bin/rustc) is used."""
    keep = [d for d in os.environ.get("PATH", os.defpath).split(os.pathsep)
            if os.path.basename(os.path.realpath(os.path.join(d, "rustc"))) != "rustup"]
    return os.pathsep.join(keep)


class Rust(BaseLanguage):
    name = "rust"
    source_name = "main.rs"

    def toolchain(self) -> Toolchain:
        return find_toolchain(self.name, ("rustc",), "apt-get install rustc", path=path_without_rustup())

    def build_command(self, toolchain: Toolchain, source: bytes) -> Command | None:
        return Command((toolchain["rustc"], *RUSTC_FLAGS, "-o", BINARY, self.source_name),
                       files={self.source_name: source}, collect=(BINARY,))

    def run_command(self, toolchain: Toolchain, artifacts: Mapping[str, bytes], stdin: bytes = b"",
                    args: tuple[str, ...] = (), limits: Limits | None = None) -> Command:
        return Command((f"./{BINARY}", *args), stdin=stdin, files=artifacts, env={"RUST_BACKTRACE": "0"})

    def build_limits(self, limits: Limits) -> Limits:
        return limits.with_(processes=max(limits.processes, RUSTC_PROCESSES))

    def error_type(self, stderr: bytes) -> str | None:
        return "Panic" if _PANIC.search(stderr) else None
