"""One task model for every benchmark.

A benchmark loader turns its file into `Task`s; everything downstream (program assembly, execution, metrics) sees
only this model. Tests are `Assert` code or `Call` inputs (see `execeval.sandbox.base`); `Call` expectations are
filled in later by running the reference solution in the sandbox (`execeval.expected`), never by the loader.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from execeval.sandbox.base import Assert, Call, TestCase

__all__ = ["Task", "TestSuite", "TaskSet", "Assert", "Call", "TestCase"]


@dataclass(frozen=True)
class TestSuite:
    """Tests for one task.

    setup:  code run after the candidate program, in its namespace, before the cases (imports, `def check`)
    cases:  the test cases; a sample passes when every case passes
    atol:   float tolerance for `Call` cases
    """

    cases: tuple[TestCase, ...]
    setup: str = ""
    atol: float = 0.0

    def __len__(self) -> int:
        return len(self.cases)


@dataclass(frozen=True)
class Task:
    """One problem.

    task_id:      the benchmark's id, as its files spell it (`HumanEval/0`, `Mbpp/2`, `11`)
    prompt:       what a model is shown (HumanEval: signature and docstring; MBPP: the text)
    entry_point:  the function the tests call
    reference:    a whole reference program (prompt + canonical body for HumanEval)
    completion_mode: True when samples complete `prompt` (HumanEval); False when they are whole programs (MBPP)
    tests:        the base tests
    plus_tests:   extra tests (EvalPlus `plus_input`), reported as base+plus
    metadata:     anything else worth keeping (MBPP text and original asserts, for prompts)
    """

    task_id: str
    prompt: str
    entry_point: str
    reference: str
    tests: TestSuite
    completion_mode: bool = True
    plus_tests: TestSuite | None = None
    language: str = "python"
    metadata: dict = field(default_factory=dict, compare=False, hash=False)


@dataclass(frozen=True)
class TaskSet:
    """The tasks of one benchmark file, with what identifies it in a run record."""

    name: str  # e.g. "humaneval+", or the file name for a path
    tasks: tuple[Task, ...]
    source: str  # path (or hub id) the tasks came from
    content_hash: str  # sha256 of the file's bytes
    has_plus: bool = False

    def by_id(self) -> dict[str, Task]:
        return {t.task_id: t for t in self.tasks}
