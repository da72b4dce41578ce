"""The unbiased pass@k estimator of Chen et al. (2021, the Codex paper).

Given n samples for a task of which c pass, pass@k = 1 - C(n-c, k) / C(n, k): the chance that a random k-subset of
the n samples holds at least one passing sample. We compute it exactly with Python integers (no overflow or
cancellation even for n in the thousands) and round once, at the end. The numerically stable product form the
Codex paper uses is kept as `pass_at_k_product` so the two can be checked against each other.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from math import comb, fsum

from execeval.errors import UsageError

__all__ = ["PassAtK", "budget_points", "mean_pass_at_k", "pass_at_budget", "pass_at_k", "pass_at_k_product"]


def _check(n: int, c: int, k: int) -> None:
    for name, v in (("n", n), ("c", c), ("k", k)):
        if isinstance(v, bool) or not isinstance(v, int):
            raise UsageError(f"pass@k needs integer {name}, got {v!r}")
    if n < 1:
        raise UsageError(f"pass@k needs at least one sample per task, got n={n}")
    if not 0 <= c <= n:
        raise UsageError(f"pass@k needs 0 <= c <= n, got n={n}, c={c}")
    if not 1 <= k <= n:
        raise UsageError(f"pass@{k} needs 1 <= k <= n, got n={n}", hint="draw at least k samples per task")


def pass_at_k(n: int, c: int, k: int) -> float:
    """Unbiased pass@k for one task with `n` samples, `c` correct.

    Exact: both binomials are Python integers, and `(C(n,k) - C(n-c,k)) / C(n,k)` is an int/int true division,
    which Python rounds correctly, so the result is the float nearest the true value.
    Returns 1.0 when n - c < k (every k-subset must contain a correct sample).
    """
    _check(n, c, k)
    if n - c < k:
        return 1.0
    total = comb(n, k)
    return (total - comb(n - c, k)) / total


def pass_at_k_product(n: int, c: int, k: int) -> float:
    """pass@k by the product form 1 - prod_{i=n-c+1}^{n} (1 - k/i), as in the Codex paper.

    Kept for cross-checking `pass_at_k`; it is stable in floating point but not exact.
    """
    _check(n, c, k)
    if n - c < k:
        return 1.0
    prod = 1.0
    for i in range(n - c + 1, n + 1):
        prod *= 1.0 - k / i
    return 1.0 - prod


@dataclass(frozen=True)
class PassAtK:
    """Mean pass@k over tasks for the requested ks.

    values:  k -> mean pass@k over tasks, for each k that every task supports (k <= its n)
    skipped: k -> why that k was not reported (one line)
    n_tasks: how many tasks were averaged
    min_n:   the smallest number of samples any task has (None with no tasks)
    """

    values: dict[int, float] = field(default_factory=dict)
    skipped: dict[int, str] = field(default_factory=dict)
    n_tasks: int = 0
    min_n: int | None = None

    def as_dict(self) -> dict[str, float | None]:
        """`{"pass@1": 0.4, "pass@10": None, ...}` over every requested k, in increasing k (None = skipped)."""
        ks = sorted(set(self.values) | set(self.skipped))
        return {f"pass@{k}": self.values.get(k) for k in ks}


def _parse_ks(ks: Iterable[int]) -> list[int]:
    out: set[int] = set()
    for k in ks:
        if isinstance(k, bool) or not isinstance(k, int) or k < 1:
            raise UsageError(f"k must be a positive integer, got {k!r}", hint="e.g. --k 1,10,100")
        out.add(k)
    if not out:
        raise UsageError("no k given for pass@k", hint="e.g. --k 1,10,100")
    return sorted(out)


def mean_pass_at_k(counts: Sequence[tuple[int, int]], ks: Iterable[int]) -> PassAtK:
    """Mean of per-task pass@k over tasks given (n, c) per task.

    A k is reported only when k <= min n over tasks: averaging a pass@k that some tasks cannot estimate would
    silently mix estimators, so such a k is listed in `skipped` with the reason instead.
    """
    wanted = _parse_ks(ks)
    counts = list(counts)
    for n, c in counts:
        _check(n, c, 1)
    if not counts:
        return PassAtK(skipped={k: "no tasks" for k in wanted})
    min_n = min(n for n, _ in counts)
    values: dict[int, float] = {}
    skipped: dict[int, str] = {}
    for k in wanted:
        if k > min_n:
            short = sum(1 for n, _ in counts if n < k)
            skipped[k] = f"k={k} exceeds the fewest samples per task (n={min_n}); {short} task(s) have n < {k}"
            continue
        # fsum keeps the mean as exact as the per-task values allow.
        values[k] = fsum(pass_at_k(n, c, k) for n, c in counts) / len(counts)
    return PassAtK(values=values, skipped=skipped, n_tasks=len(counts), min_n=min_n)


def pass_at_budget(tasks: Sequence[tuple[int, int, float]], budgets: Sequence[float]) -> dict[float, float]:
    """pass@k against tokens spent, so a model that needs 10 samples compares with one that needs 1.

    `tasks` holds (n, c, tokens per sample) per task: a budget of B tokens per task buys
    k = min(n, floor(B / tokens per sample)) samples of it, and the task scores pass@k (0 when B buys none).
    The value at B is the mean over tasks. Budgets beyond what every task's n samples cost are extrapolations
    the samples cannot support: `budget_points` offers only those within.
    """
    if not tasks:
        raise UsageError("pass@k under a budget needs at least one task")
    out = {}
    for budget in budgets:
        scores = []
        for n, c, per_sample in tasks:
            if per_sample <= 0:
                raise UsageError(f"tokens per sample must be > 0, got {per_sample}")
            k = min(n, int(budget // per_sample))
            scores.append(pass_at_k(n, c, k) if k >= 1 else 0.0)
        out[budget] = fsum(scores) / len(scores)
    return out


def budget_points(tasks: Sequence[tuple[int, int, float]], points: int = 40) -> list[float]:
    """Budgets (tokens per task) from the cheapest single sample to where the first task runs out of samples."""
    if not tasks:
        return []
    low = min(t for _, _, t in tasks)
    high = min(n * t for n, _, t in tasks)
    if high <= low:
        return [low]
    return [low + (high - low) * i / (points - 1) for i in range(points)]
