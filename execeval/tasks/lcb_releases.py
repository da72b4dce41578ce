"""LiveCodeBench by release, from the files its hub dataset publishes (`livecodebench/code_generation_lite`).

Each release added one file of new problems: `test.jsonl` (release v1), `test2.jsonl` (v2) ... `test6.jsonl` (v6).
LiveCodeBench's `--release_version release_vN` evaluates files 1..N together, `release_latest` all of them, and
`vN` file N alone (the problems new in that release). The names here say the same: `livecodebench` (latest),
`livecodebench-vN` (through N), `livecodebench-only-vN` (file N). Every file is read by the stdin/LeetCode loader
(`execeval.tasks.stdio`), so each problem is graded as LiveCodeBench grades it; `--since`/`--until` then cut by
`contest_date` within the release.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from execeval.errors import UsageError
from execeval.tasks.model import TaskSet
from execeval.tasks.records import make_taskset

__all__ = ["RELEASE_FILES", "LATEST", "is_release_name", "release_files", "load_release"]

RELEASE_FILES = tuple(f"test{'' if n == 1 else n}.jsonl" for n in range(1, 7))  # release n's new problems
LATEST = len(RELEASE_FILES)
_NAME = re.compile(r"livecodebench(?:-(only-)?v(\d+))?$")


def is_release_name(name: str) -> bool:
    return _NAME.match(name) is not None


def release_files(name: str) -> tuple[str, ...]:
    """The file names a release name stands for, oldest first (LiveCodeBench's own mapping)."""
    m = _NAME.match(name)
    if m is None:
        raise UsageError(f"{name!r} is not a LiveCodeBench release name",
                         hint="livecodebench, livecodebench-v1 .. -v6, or livecodebench-only-v1 .. -v6")
    only, n = m.group(1) is not None, int(m.group(2) or LATEST)
    if not 1 <= n <= LATEST:
        raise UsageError(f"{name}: LiveCodeBench has releases v1 .. v{LATEST}", hint=f"e.g. livecodebench-v{LATEST}")
    return (RELEASE_FILES[n - 1],) if only else RELEASE_FILES[:n]


def _find(directory: Path, file: str) -> Path | None:
    for candidate in (directory / file, directory / f"{file}.gz"):
        if candidate.is_file():
            return candidate
    return None


def load_release(name: str, directory: Path | None) -> TaskSet:
    """Every problem of the release `name` names, from its files in `directory`; a missing file is an error that
    lists them all (a release read short would be scored as if it were whole)."""
    from execeval.tasks.stdio import load_stdio_tasks

    files = release_files(name)
    if directory is None:
        raise UsageError(f"{name}: give the directory holding LiveCodeBench's {', '.join(files)}",
                         hint="--data-dir DIR (files of the hub dataset livecodebench/code_generation_lite)")
    found = {f: _find(directory, f) for f in files}
    missing = [f for f, p in found.items() if p is None]
    if missing:
        raise UsageError(f"{name}: {', '.join(missing)} not in {directory} (the release is {', '.join(files)})",
                         hint="download them from the hub dataset livecodebench/code_generation_lite")
    sets = [load_stdio_tasks(p, name=name) for p in found.values() if p is not None]
    located = [(f"{Path(s.source).name}: {t.task_id}", t) for s in sets for t in s.tasks]
    digest = hashlib.sha256("\0".join(s.content_hash for s in sets).encode()).hexdigest()
    return make_taskset(name, located, str(directory), digest)
