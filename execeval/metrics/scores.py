"""Per-sample scores finer than pass/fail, and per-task proficiency.

CodeScore (Dong et al., 2023) judges a generated program by two executed quantities, which we reproduce:

* PassRatio = passed / total, the fraction of the task's test cases the sample passes. `total` is the number of
  test cases the task has, not the number that happened to run: a sample that crashes first passes 0 of them.
* Executability = 1 if the program ran without a compile error, runtime error or timeout, else 0. A wrong answer
  is still executable: the code ran, it just computed the wrong thing.

Aggregates are means over samples, as CodeScore reports them.

Proficiency follows Codex-HPC (Godoy et al., 2023, "Evaluation of OpenAI Codex for HPC Parallel Programming Models
Kernel Generation"): each prompt gets a level in {0, 0.25, 0.5, 0.75, 1} (non-knowledge, novice, learner,
proficient, expert) from its first 10 suggestions, and levels are averaged per programming model and per prompt
variant. The paper assigns the levels by reading the suggestions; ours is a count rule over executed verdicts,
level(c) for c correct among the first `window` samples, with the thresholds of `ProficiencyLevels` (exact formula
in docs/trust.md), and `proficiency_by` averages it per task group or prompt variant.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from math import fsum

from execeval.errors import UsageError

__all__ = [
    "SampleScore",
    "ScoreSummary",
    "ProficiencyLevels",
    "Proficiency",
    "DEFAULT_PROFICIENCY",
    "pass_ratio",
    "is_executable",
    "summarize_scores",
    "per_task_counts",
    "proficiency_level",
    "proficiency",
    "proficiency_by",
]

# Process statuses (`execeval.sandbox.base.Status` values) under which the code itself ran to its end.
_RAN = frozenset({"ok"})
# Case statuses that mean the code errored or ran out of time on that case (a wrong answer is "failed").
_CASE_ERRORS = frozenset({"error", "timeout"})
# Exceptions that signal a wrong answer, not an error, when a whole script of asserts fails.
_WRONG_ANSWER_ERRORS = frozenset({"AssertionError"})


def pass_ratio(passed: int, total: int) -> float:
    """CodeScore's PassRatio: fraction of the task's `total` test cases that the sample passed."""
    if total < 1:
        raise UsageError(f"pass ratio needs at least one test case, got total={total}")
    if not 0 <= passed <= total:
        raise UsageError(f"pass ratio needs 0 <= passed <= total, got passed={passed}, total={total}")
    return passed / total


def is_executable(status: str, case_statuses: Iterable[str] = (), error_type: str | None = None) -> bool | None:
    """CodeScore's Executability of one run, from the sandbox's plain status strings.

    Executable when the process ended normally ("ok") and no test case errored or timed out. A process that
    "failed" only on an `AssertionError` (a script of asserts with a wrong answer) is also executable.
    Returns None for "sandbox_error": a harness fault says nothing about the code, so drop that sample.
    """
    status = str(getattr(status, "value", status))
    if status == "sandbox_error":
        return None
    cases = [str(getattr(s, "value", s)) for s in case_statuses]
    if any(s in _CASE_ERRORS for s in cases):
        return False
    if status in _RAN:
        return True
    return status == "failed" and error_type in _WRONG_ANSWER_ERRORS


@dataclass(frozen=True)
class SampleScore:
    """What one sample scored: test cases passed of the task's total, and whether it ran without error."""

    passed: int
    total: int
    executable: bool

    @property
    def pass_ratio(self) -> float:
        return pass_ratio(self.passed, self.total)

    @property
    def correct(self) -> bool:
        return self.passed == self.total


@dataclass(frozen=True)
class ScoreSummary:
    """Means over samples: PassRatio, Executability, and the plain pass rate (all cases passed)."""

    n_samples: int
    mean_pass_ratio: float
    executability: float
    pass_rate: float

    def as_dict(self) -> dict[str, float | int]:
        return {
            "n_samples": self.n_samples,
            "mean_pass_ratio": self.mean_pass_ratio,
            "executability": self.executability,
            "pass_rate": self.pass_rate,
        }


def summarize_scores(samples: Iterable[SampleScore]) -> ScoreSummary:
    """Mean PassRatio, Executability and pass rate over all samples (CodeScore averages per sample)."""
    samples = list(samples)
    if not samples:
        raise UsageError("no samples to score")
    n = len(samples)
    return ScoreSummary(
        n_samples=n,
        mean_pass_ratio=fsum(s.pass_ratio for s in samples) / n,
        executability=sum(1 for s in samples if s.executable) / n,
        pass_rate=sum(1 for s in samples if s.correct) / n,
    )


def per_task_counts(results: Mapping[str, Sequence[bool]] | Iterable[tuple[str, bool]]) -> dict[str, tuple[int, int]]:
    """(n, c) per task -- samples and correct samples -- the input pass@k needs.

    Takes either task id -> pass/fail per sample, or a flat stream of (task id, passed) records; tasks keep the
    order in which they first appear.
    """
    pairs: Iterable[tuple[str, bool]]
    if isinstance(results, Mapping):
        pairs = ((tid, ok) for tid, oks in results.items() for ok in oks)
    else:
        pairs = results
    out: dict[str, list[int]] = {}
    for tid, ok in pairs:
        nc = out.setdefault(tid, [0, 0])
        nc[0] += 1
        nc[1] += 1 if ok else 0
    return {tid: (n, c) for tid, (n, c) in out.items()}


@dataclass(frozen=True)
class ProficiencyLevels:
    """How many correct samples among the first `window` earn which level.

    thresholds: (minimum correct count, level) pairs, increasing; a task gets the level of the last pair whose
    minimum it reaches. The first minimum must be 0 so every task gets a level.

    Defaults (window 10): 0 correct -> 0, 1-2 -> 0.25, 3-5 -> 0.5, 6-8 -> 0.75, 9-10 -> 1. One correct sample
    shows the model *can* solve the task; nine or ten show it reliably does. The middle bands split the rest
    roughly evenly.
    """

    window: int = 10
    thresholds: tuple[tuple[int, float], ...] = ((0, 0.0), (1, 0.25), (3, 0.5), (6, 0.75), (9, 1.0))

    def __post_init__(self) -> None:
        if self.window < 1:
            raise UsageError(f"proficiency window must be >= 1, got {self.window}")
        mins = [m for m, _ in self.thresholds]
        if not mins or mins[0] != 0:
            raise UsageError("proficiency thresholds must start at 0 correct samples")
        if any(b <= a for a, b in zip(mins, mins[1:])) or mins[-1] > self.window:
            raise UsageError(f"proficiency thresholds must increase strictly and stay <= {self.window}: {mins}")


DEFAULT_PROFICIENCY = ProficiencyLevels()


def proficiency_level(correct: int, levels: ProficiencyLevels = DEFAULT_PROFICIENCY) -> float:
    """The level earned by `correct` correct samples among the first `levels.window`."""
    if not 0 <= correct <= levels.window:
        raise UsageError(f"correct count must be in 0..{levels.window}, got {correct}")
    level = levels.thresholds[0][1]
    for minimum, value in levels.thresholds:
        if correct >= minimum:
            level = value
    return level


@dataclass(frozen=True)
class Proficiency:
    """Proficiency level per task, and their mean over tasks."""

    per_task: dict[str, float]
    mean: float

    def as_dict(self) -> dict[str, object]:
        return {"mean": self.mean, "per_task": dict(self.per_task)}


def proficiency(
    results: Mapping[str, Sequence[bool]], levels: ProficiencyLevels = DEFAULT_PROFICIENCY
) -> Proficiency:
    """Grade each task by the correct count among its first `levels.window` samples (in sample order).

    Every task needs at least `window` samples: grading some tasks on fewer would make levels incomparable.
    """
    if not results:
        raise UsageError("no tasks to grade for proficiency")
    short = [tid for tid, oks in results.items() if len(oks) < levels.window]
    if short:
        shown = ", ".join(short[:5]) + (f" (+{len(short) - 5} more)" if len(short) > 5 else "")
        raise UsageError(
            f"proficiency needs {levels.window} samples per task; too few for: {shown}",
            hint=f"draw at least {levels.window} samples per task",
        )
    per_task = {
        tid: proficiency_level(sum(1 for ok in oks[: levels.window] if ok), levels) for tid, oks in results.items()
    }
    return Proficiency(per_task=per_task, mean=fsum(per_task.values()) / len(per_task))


def proficiency_by(per_task: Mapping[str, float], labels: Mapping[str, str | None]) -> dict[str, float]:
    """Mean proficiency level per label (a task group, a prompt variant), labels in first-seen task order;
    tasks without a label are left out."""
    groups: dict[str, list[float]] = {}
    for tid, level in per_task.items():
        label = labels.get(tid)
        if label is not None:
            groups.setdefault(str(label), []).append(level)
    return {label: fsum(levels) / len(levels) for label, levels in groups.items()}
