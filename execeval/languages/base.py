"""The language extension point: how to build and run a program in one language, as sandbox `Command`s.

A `Language` only *describes* commands; `execeval.languages.build` runs them through the sandbox (the only place
that starts processes) and caches builds. One module per language implements this protocol.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from execeval.sandbox.base import Command
from execeval.sandbox.limits import Limits


@dataclass(frozen=True)
class Toolchain:
    """The tools a language needs, as found on this machine (never run to find them).

    identity: a hash of each tool's resolved path, size and modification time: it changes when a compiler is
              upgraded, so it is part of every build-cache key, without starting a process to ask for a version.
    """

    language: str
    paths: Mapping[str, str]  # tool name -> absolute path, for the tools that were found
    missing: tuple[str, ...]
    identity: str

    @property
    def available(self) -> bool:
        return not self.missing

    def __getitem__(self, tool: str) -> str:
        return self.paths[tool]


def find_toolchain(language: str, tools: tuple[str, ...]) -> Toolchain:
    """Look the tools up on PATH (jobs get no PATH of their own, so commands carry absolute paths)."""
    paths, missing, ident = {}, [], hashlib.sha256(language.encode())
    for tool in tools:
        found = shutil.which(tool)
        if found is None:
            missing.append(tool)
            continue
        real = os.path.realpath(found)
        st = os.stat(real)
        paths[tool] = found
        ident.update(f"\0{tool}\0{real}\0{st.st_size}\0{st.st_mtime_ns}".encode())
    return Toolchain(language, paths, tuple(missing), ident.hexdigest()[:16])


@runtime_checkable
class Language(Protocol):
    """How one language builds and runs a program.

    name:         the id used in task files and on the command line (`cpp`, `java`, `js`, ...)
    source_name:  the file the program's source is written to in the job's work dir (`main.cpp`, `Main.java`)
    """

    name: str
    source_name: str

    def toolchain(self) -> Toolchain:
        """The tools this language needs; `missing` names those not installed."""
        ...

    def build_command(self, toolchain: Toolchain, source: bytes) -> Command | None:
        """The compile command (its `collect` names the artifacts), or None when there is nothing to build."""
        ...

    def run_command(self, toolchain: Toolchain, artifacts: Mapping[str, bytes], stdin: bytes = b"",
                    args: tuple[str, ...] = ()) -> Command:
        """The command that runs a built program; `artifacts` is what the build collected (or the source)."""
        ...

    def run_limits(self, limits: Limits) -> Limits:
        """The limits a run needs in this language (e.g. a JVM reserves more address space than it uses)."""
        ...

    def batch_command(self, toolchain: Toolchain, artifacts: Mapping[str, bytes],
                      inputs: Sequence[bytes]) -> Command | None:
        """One process that runs the program on every input in turn (a JVM's start-up paid once), or None when
        this language runs one process per input. `execeval.languages.build.run_batch` parses its output."""
        ...
