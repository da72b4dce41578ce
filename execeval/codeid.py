"""The identity of the code that judges: part of every stored key (verdicts, references, builds).

`execeval.__version__` alone is the same for every commit of a development checkout, so a store or the shared
cache (~/.cache/execeval) would hand back verdicts that other code decided. The id is the version plus a hash of
the source of every module that can change a verdict, listed by walking their directories: a new module counts
the moment it exists. Computed once per process (~10k lines, a few ms), and only by the harness: nothing here
is imported by the sandbox's server or its jobs.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Iterable
from pathlib import Path

import execeval

PACKAGE = Path(execeval.__file__).resolve().parent
# What decides a verdict: the sandbox and its runners, the pipeline, the judges, the languages' build and run
# recipes (their Java runner too), the task loaders (they make the tests), the value encoding and comparison, and
# the TransCoder harness (its outcomes are stored under build keys).
JUDGING_DIRS = ("sandbox", "evaluation", "judges", "languages", "tasks", "translation")
JUDGING_FILES = ("values.py", "digests.py", "setlayout.py")
SOURCE_SUFFIXES = (".py", ".java")


def judging_sources(package: Path = PACKAGE) -> list[Path]:
    """The files hashed, in a fixed order (sorted by their path in the package)."""
    files = [package / name for name in JUDGING_FILES]
    for name in JUDGING_DIRS:
        files += [p for p in (package / name).rglob("*") if p.suffix in SOURCE_SUFFIXES and p.is_file()
                  and "__pycache__" not in p.parts]
    return sorted(files, key=lambda p: p.relative_to(package).as_posix())


def sources_hash(files: Iterable[Path], package: Path = PACKAGE) -> str:
    """sha256[:16] of `files` (each one's path in `package` and its bytes, in the order given): how any set of
    execeval's sources is identified, the judging ones here, the speed-measuring ones in calibration.py."""
    digest = hashlib.sha256()
    for path in files:
        data = path.read_bytes()
        digest.update(f"{path.relative_to(package).as_posix()}\0{len(data)}\0".encode())
        digest.update(data)
    return digest.hexdigest()[:16]


def code_id(package: Path = PACKAGE) -> str:
    """`version+sha256[:16]` of the judging sources under `package` (each file's path and bytes)."""
    return f"{execeval.__version__}+{sources_hash(judging_sources(package), package)}"


@functools.cache
def judging_code_id() -> str:
    """This process's judging code id, for the keys of everything stored: the one source of truth."""
    return code_id()
