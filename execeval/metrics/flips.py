"""How run B differs from run A, task by task: the statistics behind `execeval compare RUN_A RUN_B`
(`execeval.compare.compare_runs` reads the run directories and calls `compare_outcomes`).

A better mean can hide regressions, so the comparison is paired: every task is looked at in both runs.

* Single sample per task: negative flips (A passed, B failed) and positive flips (A failed, B passed). Their rates
  follow MUSCLE (Echterhoff et al., 2024): NFR = negative flips / ALL tasks, PFR = positive flips / ALL tasks.
  An exact McNemar test on the discordant pairs (b = negative, c = positive flips) asks whether B's changes lean
  one way more than chance: two-sided exact binomial p-value of b out of b + c at 1/2 (1.0 when b + c = 0).
* Many samples per task: flips and McNemar are not defined on rates, so we report each task's pass-rate change
  (B minus A) and the mean size of regressions: the mean drop over the tasks whose rate dropped.
* Always: pass@1 of each run (mean per-task pass rate), their difference B - A, and a paired bootstrap CI of that
  difference (resampling tasks with replacement, percentile interval, seeded so it is reproducible).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from math import comb, fsum
from random import Random

from execeval.errors import UsageError

__all__ = [
    "BootstrapCI",
    "FlipCounts",
    "McNemar",
    "Comparison",
    "check_same_tasks",
    "flip_counts",
    "mcnemar_exact",
    "paired_bootstrap_ci",
    "compare_outcomes",
]


def _show(ids: Sequence[str], limit: int = 5) -> str:
    shown = ", ".join(ids[:limit])
    return shown + (f" (+{len(ids) - limit} more)" if len(ids) > limit else "")


def check_same_tasks(a: Mapping[str, object], b: Mapping[str, object]) -> list[str]:
    """The shared task ids, sorted; UsageError naming the mismatched ids if the runs cover different tasks.

    Comparing runs over different tasks would mistake a change of benchmark for a change of model.
    """
    only_a = sorted(set(a) - set(b))
    only_b = sorted(set(b) - set(a))
    if only_a or only_b:
        parts = []
        if only_a:
            parts.append(f"only in A: {_show(only_a)}")
        if only_b:
            parts.append(f"only in B: {_show(only_b)}")
        raise UsageError(
            "runs cover different tasks; " + "; ".join(parts), hint="compare runs over the same task set"
        )
    if not a:
        raise UsageError("no tasks to compare")
    return sorted(a)


@dataclass(frozen=True)
class FlipCounts:
    """Tasks whose single-sample outcome changed from A to B, over `n_tasks` tasks."""

    negative: tuple[str, ...]  # A passed, B failed
    positive: tuple[str, ...]  # A failed, B passed
    n_tasks: int

    @property
    def nfr(self) -> float:
        """Negative flip rate: negative flips over ALL tasks (MUSCLE)."""
        return len(self.negative) / self.n_tasks

    @property
    def pfr(self) -> float:
        """Positive flip rate: positive flips over ALL tasks."""
        return len(self.positive) / self.n_tasks

    def as_dict(self) -> dict[str, object]:
        return {
            "negative_flips": len(self.negative),
            "positive_flips": len(self.positive),
            "negative_flip_rate": self.nfr,
            "positive_flip_rate": self.pfr,
            "negative_tasks": list(self.negative),
            "positive_tasks": list(self.positive),
        }


def flip_counts(a: Mapping[str, bool], b: Mapping[str, bool]) -> FlipCounts:
    """Negative and positive flips between single-sample outcomes of the same tasks."""
    ids = check_same_tasks(a, b)
    neg = tuple(t for t in ids if a[t] and not b[t])
    pos = tuple(t for t in ids if b[t] and not a[t])
    return FlipCounts(negative=neg, positive=pos, n_tasks=len(ids))


def mcnemar_exact(b: int, c: int) -> float:
    """Exact McNemar p-value: two-sided binomial test of b successes in b + c trials at p = 1/2.

    At p = 1/2 the binomial is symmetric, so the two-sided p is min(1, 2 P(X <= min(b, c))), computed in exact
    integers: the same answer whatever is installed (tests check it against scipy.stats.binomtest). 1.0 when
    there are no discordant pairs.
    """
    if b < 0 or c < 0:
        raise UsageError(f"discordant counts must be >= 0, got b={b}, c={c}")
    n = b + c
    tail = sum(comb(n, i) for i in range(min(b, c) + 1))
    return min(1.0, 2 * tail / 2**n)


@dataclass(frozen=True)
class McNemar:
    """Exact McNemar test on discordant pairs: b = A-only passes, c = B-only passes."""

    b: int
    c: int
    p_value: float


@dataclass(frozen=True)
class BootstrapCI:
    """Percentile bootstrap interval of a paired mean difference."""

    low: float
    high: float
    confidence: float
    n_resamples: int
    seed: int


def _quantile(sorted_vals: Sequence[float], q: float) -> float:
    """Linear-interpolation quantile of sorted data (numpy's default method)."""
    pos = q * (len(sorted_vals) - 1)
    lo = int(pos)
    hi = min(lo + 1, len(sorted_vals) - 1)
    return sorted_vals[lo] + (sorted_vals[hi] - sorted_vals[lo]) * (pos - lo)


def paired_bootstrap_ci(
    deltas: Sequence[float], *, n_resamples: int = 10_000, seed: int = 0, confidence: float = 0.95
) -> BootstrapCI:
    """Percentile CI of mean(deltas), resampling the per-task paired differences with replacement.

    Resampling tasks (not samples) keeps each task's A and B outcomes together, so shared task difficulty
    cancels. Uses `random.Random(seed)`: the same inputs and seed always give the same interval.
    """
    if not deltas:
        raise UsageError("no tasks to bootstrap")
    if n_resamples < 1:
        raise UsageError(f"bootstrap needs at least one resample, got {n_resamples}")
    if not 0 < confidence < 1:
        raise UsageError(f"confidence must be between 0 and 1, got {confidence}")
    rng = Random(seed)
    d = list(deltas)
    n = len(d)
    means = sorted(fsum(rng.choices(d, k=n)) / n for _ in range(n_resamples))
    alpha = (1 - confidence) / 2
    return BootstrapCI(
        low=_quantile(means, alpha),
        high=_quantile(means, 1 - alpha),
        confidence=confidence,
        n_resamples=n_resamples,
        seed=seed,
    )


@dataclass(frozen=True)
class Comparison:
    """Everything `execeval compare` reports. Differences are B minus A.

    flips and mcnemar are None unless every task has exactly one sample in both runs.
    mean_regression is None when no task's pass rate dropped.
    """

    n_tasks: int
    single_sample: bool
    pass_at_1_a: float
    pass_at_1_b: float
    diff: float
    ci: BootstrapCI
    rate_changes: dict[str, float]
    regressed: tuple[str, ...]
    improved: tuple[str, ...]
    mean_regression: float | None
    flips: FlipCounts | None
    mcnemar: McNemar | None

    def as_dict(self) -> dict[str, object]:
        """Plain JSON-ready data."""
        return {
            "n_tasks": self.n_tasks,
            "single_sample": self.single_sample,
            "pass@1_a": self.pass_at_1_a,
            "pass@1_b": self.pass_at_1_b,
            "pass@1_diff": self.diff,
            "ci": asdict(self.ci),
            "regressed_tasks": list(self.regressed),
            "improved_tasks": list(self.improved),
            "mean_regression": self.mean_regression,
            "rate_changes": dict(self.rate_changes),
            "flips": self.flips.as_dict() if self.flips else None,
            "mcnemar": asdict(self.mcnemar) if self.mcnemar else None,
        }


def compare_outcomes(
    a: Mapping[str, Sequence[bool]],
    b: Mapping[str, Sequence[bool]],
    *,
    n_resamples: int = 10_000,
    seed: int = 0,
    confidence: float = 0.95,
) -> Comparison:
    """Paired comparison of two runs given, per task id, each sample's pass/fail (A is the old run)."""
    ids = check_same_tasks(a, b)
    empty = [t for t in ids if not a[t] or not b[t]]
    if empty:
        raise UsageError(f"tasks with no samples in one run: {_show(empty)}")
    rate_a = {t: sum(map(bool, a[t])) / len(a[t]) for t in ids}
    rate_b = {t: sum(map(bool, b[t])) / len(b[t]) for t in ids}
    changes = {t: rate_b[t] - rate_a[t] for t in ids}
    deltas = [changes[t] for t in ids]
    n = len(ids)
    regressed = tuple(t for t in ids if changes[t] < 0)
    improved = tuple(t for t in ids if changes[t] > 0)
    mean_regression = fsum(-changes[t] for t in regressed) / len(regressed) if regressed else None

    single = all(len(a[t]) == 1 and len(b[t]) == 1 for t in ids)
    flips = mcnemar = None
    if single:
        flips = flip_counts({t: bool(a[t][0]) for t in ids}, {t: bool(b[t][0]) for t in ids})
        nb, nc = len(flips.negative), len(flips.positive)
        mcnemar = McNemar(b=nb, c=nc, p_value=mcnemar_exact(nb, nc))

    p_a = fsum(rate_a.values()) / n
    p_b = fsum(rate_b.values()) / n
    return Comparison(
        n_tasks=n,
        single_sample=single,
        pass_at_1_a=p_a,
        pass_at_1_b=p_b,
        diff=fsum(deltas) / n,
        ci=paired_bootstrap_ci(deltas, n_resamples=n_resamples, seed=seed, confidence=confidence),
        rate_changes=changes,
        regressed=regressed,
        improved=improved,
        mean_regression=mean_regression,
        flips=flips,
        mcnemar=mcnemar,
    )
