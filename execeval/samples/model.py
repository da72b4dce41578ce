"""What a sample is: one generation, and the samples of one file."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

__all__ = ["Kind", "Sample", "SampleSet", "compiles"]

Kind = Literal["completion", "solution"]


@dataclass(frozen=True)
class Sample:
    """One generation. `kind` says how to build the program: "completion" continues the task's prompt,
    "solution" is a whole program. `source` locates it ("file:line", or the file for one-file-per-sample)."""

    task_id: str
    completion_id: int
    code: str
    kind: Kind
    source: str
    abstain: bool = False  # the system declined to answer ("abstain": true); scored by `execeval score-abstention`


@dataclass
class SampleSet:
    """The samples of one file or directory, in file order, and the lines that were skipped (with why)."""

    samples: list[Sample]
    bad_lines: list[str]
    format: str  # "jsonl", "evalplus-dir", "bigcode-json", "livecodebench-json", "json-records"
    source: str

    def __len__(self) -> int:
        return len(self.samples)

    def __iter__(self) -> Iterator[Sample]:
        return iter(self.samples)

    def task_ids(self) -> list[str]:
        """The distinct task ids, in first-seen order."""
        return list(dict.fromkeys(s.task_id for s in self.samples))


def compiles(code: str) -> bool:
    """Whether `code` is a Python program by itself (how the wrong-format checks tell a body from a program)."""
    try:
        compile(code, "<sample>", "exec", dont_inherit=True)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return True
