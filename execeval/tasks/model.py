"""One task model for every benchmark.

A benchmark loader turns its file into `Task`s; everything downstream (program assembly, execution, metrics) sees
only this model. Tests are `Assert` code or `Call` inputs (see `execeval.sandbox.base`); `Call` expectations are
filled in later by running the reference solution in the sandbox
(`execeval.evaluation.pipeline.compute_references`), never by the loader.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from execeval.sandbox.base import Assert, Call, TestCase

__all__ = ["Task", "TestSuite", "TaskSet", "Assert", "Call", "TestCase", "IOTest", "TestProgram", "COMPARE_MODES"]

COMPARE_MODES = ("exact", "whitespace", "float", "checker")  # how an `IOTest`'s stdout is judged


@dataclass(frozen=True)
class IOTest:
    """A stdin/stdout test (contest style): the program reads `stdin`; its stdout is judged against `stdout`
    by the suite's `compare` mode. Bytes on the wire are exactly these strings, UTF-8 encoded."""

    stdin: str
    stdout: str


@dataclass(frozen=True)
class TestProgram:
    """Tests written in the task's own language (MultiPL-E, HumanEval-X): appended to the candidate, built and run
    as one program; it passes when the tests run to their end (never on exit status alone)."""

    code: str


@dataclass(frozen=True)
class TestSuite:
    """Tests for one task.

    setup:   code run after the candidate program, in its namespace, before the cases (imports, `def check`)
    cases:   the test cases; a sample passes when every case passes. Python function tasks use `Assert`/`Call`;
             stdin/stdout tasks use `IOTest`; tasks in other languages use one `TestProgram`
    atol:    float tolerance for `Call` cases, and for `IOTest`s compared as "float"
    compare: how `IOTest` output is judged: one of `COMPARE_MODES` ("whitespace" is the contest default)
    checker: for compare == "checker": a program (in `checker_language`) run with the files `input`,
             `expected`, `output` in its work dir; exit status 0 accepts (it is trusted: the task author wrote it)
    """

    cases: tuple[TestCase | IOTest | TestProgram, ...]
    setup: str = ""
    atol: float = 0.0
    compare: str = "whitespace"
    checker: str | None = None
    checker_language: str = "python"

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
