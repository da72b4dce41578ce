"""The language extension point: how to build and run a program in one language, as sandbox `Command`s.

A `Language` only *describes* commands; `execeval.languages.build` runs them through the sandbox (the only place
that starts processes) and caches builds. One module per language implements this protocol; `BaseLanguage` holds
the defaults most of them share (no batch mode, limits unchanged, no error-type parsing).
"""

from __future__ import annotations

import functools
import hashlib
import os
import re
import shutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Protocol, runtime_checkable

from execeval.sandbox.base import Command, Script
from execeval.sandbox.limits import Limits


@dataclass(frozen=True)
class Toolchain:
    """The tools a language needs, as found on this machine (never run to find them).

    identity: a hash of each tool's resolved path, size and modification time: it changes when a compiler is
              upgraded, so it is part of every build-cache key, without starting a process to ask for a version.
    install:  how to get the missing tools (e.g. a Debian package), shown by `execeval doctor` and in verdicts
    """

    language: str
    paths: Mapping[str, str]  # tool name -> absolute path, for the tools that were found
    missing: tuple[str, ...]
    identity: str
    install: str = ""
    looked: str = "not on PATH"  # where the missing tools were looked for (a Python module: not importable)

    @property
    def available(self) -> bool:
        return not self.missing

    def __getitem__(self, tool: str) -> str:
        return self.paths[tool]

    def missing_message(self) -> str:
        """One line: which tools are missing and how to install them."""
        how = f"; install with `{self.install}`" if self.install else ""
        return f"{self.language}: {', '.join(self.missing)} not installed ({self.looked}){how}, then check with " \
               f"`execeval doctor`"


def find_toolchain(language: str, tools: tuple[str, ...], install: str = "", path: str | None = None) -> Toolchain:
    """Look the tools up on PATH, or `path` (jobs get no PATH of their own, so commands carry absolute paths)."""
    paths, missing, ident = {}, [], hashlib.sha256(language.encode())
    for tool in tools:
        found = shutil.which(tool, path=path)
        if found is None:
            missing.append(tool)
            continue
        real = os.path.realpath(found)
        st = os.stat(real)
        paths[tool] = found
        ident.update(f"\0{tool}\0{real}\0{st.st_size}\0{st.st_mtime_ns}".encode())
    return Toolchain(language, paths, tuple(missing), ident.hexdigest()[:16], install)


@functools.cache
def packaged_source(name: str) -> bytes:
    """A source file shipped beside the language modules (a batch driver, a stand-in library), read once."""
    return resources.files("execeval.languages").joinpath(name).read_bytes()


@runtime_checkable
class Language(Protocol):
    """How one language builds and runs a program.

    name:         the id used in task files and on the command line (`cpp`, `java`, `js`, ...)
    source_name:  the file the program's source is written to in the job's work dir (`main.cpp`, `Main.java`)
    harness_name: where a task's tests go when they are written in another language than the candidate
                  (assembly's C harness: `harness.c`), built with the source (`build(..., with_files=...)`);
                  None: the tests are in the candidate's language and appended to its source (MultiPL-E)
    harness_language: the language of that harness (its end-of-tests marker is that language's)
    token_in_file: the run's end-of-tests token is handed over in a work-dir file the harness reads and deletes,
                   not in the environment (an emulator keeps its own environment, which the guest cannot clear)
    """

    name: str
    source_name: str
    harness_name: str | None
    harness_language: str | None
    token_in_file: bool

    def toolchain(self) -> Toolchain:
        """The tools this language needs; `missing` names those not installed."""
        ...

    def build_command(self, toolchain: Toolchain, source: bytes) -> Command | None:
        """The compile command (its `collect` names the artifacts), or None when there is nothing to build."""
        ...

    def run_command(self, toolchain: Toolchain, artifacts: Mapping[str, bytes], stdin: bytes = b"",
                    args: tuple[str, ...] = (), limits: Limits | None = None) -> Command | Script:
        """The command that runs a built program; `artifacts` is what the build collected (or the source).
        `limits` are what the task grants the program, for runtimes that size themselves (a JVM's heap).
        Python answers with a `Script`, which a fork server can run without starting an interpreter."""
        ...

    def run_limits(self, limits: Limits) -> Limits:
        """The limits a run needs in this language (e.g. a JVM reserves more address space than it uses)."""
        ...

    def build_limits(self, limits: Limits) -> Limits:
        """The limits its compile job needs (e.g. the go tool runs the compiler and linker as child processes)."""
        ...

    def batch_command(self, toolchain: Toolchain, artifacts: Mapping[str, bytes], inputs: Sequence[bytes],
                      limits: Limits | None = None, driver: Mapping[str, bytes] | None = None) -> Command | None:
        """One process that runs the program on every input in turn (a JVM's start-up paid once), or None when
        this language runs one process per input. `driver` is the built `batch_driver_source()`.
        `execeval.languages.build.run_batch` reads its per-input files (see `BATCH_FILES` there)."""
        ...

    def batch_driver_source(self) -> bytes | None:
        """Source, in this language, of the program `batch_command` runs (built and cached like any program)."""
        ...

    def error_type(self, stderr: bytes) -> str | None:
        """The exception a failed run died of, read from its stderr (`ArithmeticException`, `TypeError`)."""
        ...

    def coverage_variant(self) -> "Language | None":
        """The same language built so that a run leaves line and branch counts in its work dir (`execeval.coverage`),
        or None when execeval has no coverage for it. Its builds must key apart from the plain ones."""
        ...


class BaseLanguage:
    """Defaults for the optional parts of `Language`: one process per input, limits as given."""

    name = ""
    source_name = ""
    harness_name: str | None = None
    harness_language: str | None = None
    token_in_file = False
    error_line: re.Pattern[bytes] | None = None  # group 1 is the error's (possibly dotted) name

    def run_limits(self, limits: Limits) -> Limits:
        return limits

    def build_limits(self, limits: Limits) -> Limits:
        return limits

    def batch_command(self, toolchain: Toolchain, artifacts: Mapping[str, bytes], inputs: Sequence[bytes],
                      limits: Limits | None = None, driver: Mapping[str, bytes] | None = None) -> Command | None:
        return None  # a process per input costs little here

    def batch_driver_source(self) -> bytes | None:
        return None

    def coverage_variant(self) -> Language | None:
        return None

    def error_type(self, stderr: bytes) -> str | None:
        if self.error_line is None:
            return None
        m = self.error_line.search(stderr)
        return m.group(1).decode("ascii", "replace").rsplit(".", 1)[-1] if m else None


class Interpreted(BaseLanguage):
    """A language whose source is run as is by one tool: `TOOL FLAGS... SOURCE ARGS...`, nothing to build."""

    tool = ""
    flags: tuple[str, ...] = ()
    install = ""

    def toolchain(self) -> Toolchain:
        return find_toolchain(self.name, (self.tool,), self.install)

    def build_command(self, toolchain: Toolchain, source: bytes) -> Command | None:
        return None

    def run_flags(self, limits: Limits | None) -> tuple[str, ...]:
        return self.flags

    def run_command(self, toolchain: Toolchain, artifacts: Mapping[str, bytes], stdin: bytes = b"",
                    args: tuple[str, ...] = (), limits: Limits | None = None) -> Command:
        return Command((toolchain[self.tool], *self.run_flags(limits), self.source_name, *args), stdin=stdin,
                       files=artifacts)
