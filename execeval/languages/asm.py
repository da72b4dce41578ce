"""Assembly (GNU as syntax) for x86-64, AArch64 and RISC-V 64, judged with a C test harness (Guaranteed Guess).

A candidate is a whole `.s` file; it cannot run alone, so a task's tests are a C program (the harness: `main`, the
checks, declarations of the functions the assembly defines). One `Assembly` per ISA builds both with that ISA's
gcc, linked **static** (`candidate.s` + `harness.c` -> `main`), and runs the binary natively (x86-64) or under
qemu-user (`qemu-aarch64 ./main`). Static, so the emulator needs no guest sysroot (`-L`) and the job sees no
host libraries. Same sandbox, limits and verdicts as C; see docs/languages.md for what qemu-user needs.

How the harness reaches a build (`Language.harness_name`, the generic way for tests in another language):

    asm = get_language("asm-aarch64")
    built = build(asm, candidate_s, sandbox, with_files={asm.harness_name: harness_c})
    judge_test_program("asm-aarch64", candidate_s, harness_c, sandbox)   # harness gets the end-of-tests marker
"""

from __future__ import annotations

from collections.abc import Mapping

from execeval.languages.base import BaseLanguage, Toolchain, find_toolchain
from execeval.sandbox.base import Command
from execeval.sandbox.limits import Limits

BINARY = "main"
HARNESS = "harness.c"
# the harness is C17 at -O2 like the C language's; the stack stays non-executable whatever the candidate says
# (a `.s` without `.note.GNU-stack` would otherwise make it executable)
FLAGS = ("-std=c17", "-O2", "-pipe", "-static", "-Wa,--noexecstack", "-Wl,-z,noexecstack")
NO_HARNESS = b"typedef int execeval_no_harness; /* the assembly is the whole program */\n"
# qemu-user maps its translation cache (128 MiB, mapped twice: writable and executable views) and the guest's
# image and stack in the job's process: RLIMIT_AS must leave room for them on top of what the guest program is
# granted (measured: a trivial guest needs between 256 and 512 MiB of address space in all)
EMULATOR_RESERVE_MB = 512


class Assembly(BaseLanguage):
    """One ISA's assembly: `compiler` assembles and links (the target's gcc), `emulator` runs it (None: natively)."""

    source_name = "candidate.s"
    harness_name: str | None = HARNESS
    harness_language: str | None = "c"

    def __init__(self, isa: str, compiler: str, emulator: str | None, install: str) -> None:
        self.isa, self.compiler, self.emulator, self.install = isa, compiler, emulator, install
        self.name = f"asm-{isa}"
        self.token_in_file = emulator is not None  # qemu's own /proc/self/environ would keep an env var's copy

    def toolchain(self) -> Toolchain:
        tools = (self.compiler, self.emulator) if self.emulator else (self.compiler,)
        return find_toolchain(self.name, tools, self.install)

    def build_command(self, toolchain: Toolchain, source: bytes) -> Command | None:
        """The harness is not part of `source`: `execeval.languages.build(..., with_files=...)` puts it in place of
        `NO_HARNESS` (so an assembly program with its own `main` builds alone)."""
        return Command((toolchain[self.compiler], *FLAGS, "-o", BINARY, self.source_name, HARNESS, "-lm"),
                       files={self.source_name: source, HARNESS: NO_HARNESS}, collect=(BINARY,))

    def run_command(self, toolchain: Toolchain, artifacts: Mapping[str, bytes], stdin: bytes = b"",
                    args: tuple[str, ...] = (), limits: Limits | None = None) -> Command:
        runner = (toolchain[self.emulator],) if self.emulator else ()
        return Command((*runner, f"./{BINARY}", *args), stdin=stdin, files=artifacts)

    def run_limits(self, limits: Limits) -> Limits:
        return limits.with_(memory_mb=limits.memory_mb + EMULATOR_RESERVE_MB) if self.emulator else limits


def assembly_languages() -> tuple[Assembly, ...]:
    """The three ISAs GG translates between; cross tools from Debian's packages."""
    cross = "apt-get install qemu-user gcc-{0}-linux-gnu libc6-dev-{1}-cross"
    return (Assembly("x86_64", "gcc", None, "apt-get install gcc libc6-dev"),
            Assembly("aarch64", "aarch64-linux-gnu-gcc", "qemu-aarch64", cross.format("aarch64", "arm64")),
            Assembly("riscv64", "riscv64-linux-gnu-gcc", "qemu-riscv64", cross.format("riscv64", "riscv64")))
