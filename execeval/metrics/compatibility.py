"""Compatibility across a series of model releases run on the same tasks.

Borrowed from compatible representation learning (Biondi et al., "Stationary Representations: Optimally
Approximating Compatibility and Implications for Improved Model Replacements", CVPR 2024, and their CoReS paper),
which scores T model versions by a lower-triangular matrix M[i][j] (version i used against version j's data, i >= j)
and two summaries:

    AC = 2 / (T (T-1)) * sum_{i > j} 1[ M[i][j] > M[j][j] ]     average compatibility: the share of (newer, older)
                                                                   pairs where the newer one meets the older's bar
    AM = 2 / (T (T+1)) * sum_{i >= j} M[i][j]                  average multi-model accuracy

(as we read those papers; the empirical compatibility criterion there is strict ">").

Our transposition to code generation, with P_j = the set of tasks release j passed:

    M[i][j] = |P_i ∩ P_j| / |P_j|     pass rate of release i on the tasks release j passed
    M[j][j] = 1.0                     by construction (whenever P_j is non-empty)
    M[i][j] = None                    when P_j is empty: nothing of j's to keep, the entry is undefined

Because the diagonal is 1, the strict criterion could never hold, so for runs we use M[i][j] >= M[j][j]: newer
release i is compatible with older release j iff i passes every task j passed (no negative flips). A pair whose
older release passed nothing is vacuously compatible (counted as 1 in AC). AM averages the defined entries of the
lower triangle, diagonal included; with every entry defined that is exactly the 2 / (T (T+1)) formula above.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from math import fsum

from execeval.errors import UsageError
from execeval.metrics.flips import check_same_tasks

__all__ = [
    "CompatibilityResult",
    "compatibility_matrix",
    "average_compatibility",
    "average_multimodel_accuracy",
    "compatibility",
    "flip_rate_matrix",
]

Matrix = list[list[float | None]]


def _check_square(matrix: Sequence[Sequence[float | None]]) -> int:
    t = len(matrix)
    if t == 0 or any(len(row) != t for row in matrix):
        raise UsageError("compatibility needs a non-empty square matrix")
    return t


def _check_runs(runs: Sequence[Mapping[str, object]]) -> list[str]:
    if not runs:
        raise UsageError("compatibility needs at least one run")
    if not runs[0]:
        raise UsageError("compatibility needs runs with at least one task")
    for r in runs[1:]:
        check_same_tasks(runs[0], r)
    return list(runs[0])


def compatibility_matrix(runs: Sequence[Mapping[str, float]]) -> Matrix:
    """M[i][j] = pass rate of release i on the tasks release j passed (None if j passed none); runs oldest first.

    Values may be per-task pass rates (many samples) as well as pass/fail: M[i][j] = sum_t r_i(t) r_j(t) /
    sum_t r_j(t), the chance that i passes a task drawn where j passed (one sample from each); with 0/1 rates
    that is |P_i & P_j| / |P_j|.
    """
    tasks = _check_runs(runs)
    rates = [[float(r[t]) for t in tasks] for r in runs]
    mass = [fsum(rj) for rj in rates]
    return [[fsum(a * b for a, b in zip(ri, rj)) / mass[j] if mass[j] else None for j, rj in enumerate(rates)]
            for ri in rates]


def flip_rate_matrix(runs: Sequence[Mapping[str, float]]) -> Matrix:
    """F[i][j] = negative flip rate from release i (old) to release j (new), over ALL tasks as MUSCLE counts it:
    mean_t r_i(t) (1 - r_j(t)), the chance that a task i passed fails in j (one sample of each). With one sample
    per task that is exactly (tasks i passed and j failed) / tasks. None on the diagonal."""
    tasks = _check_runs(runs)
    rates = [[float(r[t]) for t in tasks] for r in runs]
    n = len(tasks)
    return [[None if i == j else fsum(a * (1 - b) for a, b in zip(ri, rj)) / n for j, rj in enumerate(rates)]
            for i, ri in enumerate(rates)]


def average_compatibility(matrix: Sequence[Sequence[float | None]], *, strict: bool = False) -> float | None:
    """AC: share of pairs i > j with M[i][j] >= M[j][j] (> when `strict`, as in the papers).

    A pair with an undefined (None) entry counts as compatible: the older release set no bar. None when T = 1.
    """
    t = _check_square(matrix)
    if t < 2:
        return None
    ok = 0
    for i in range(t):
        for j in range(i):
            new, old = matrix[i][j], matrix[j][j]
            if new is None or old is None:
                ok += 1
            elif (new > old) if strict else (new >= old):
                ok += 1
    return 2 * ok / (t * (t - 1))


def average_multimodel_accuracy(matrix: Sequence[Sequence[float | None]]) -> float | None:
    """AM: mean of the defined entries M[i][j], i >= j (lower triangle with diagonal); None if none is defined."""
    t = _check_square(matrix)
    vals = [matrix[i][j] for i in range(t) for j in range(i + 1)]
    defined = [v for v in vals if v is not None]
    return fsum(defined) / len(defined) if defined else None


@dataclass(frozen=True)
class CompatibilityResult:
    """The matrix (rows = newer release i, columns = older release j), AC, AM, and each release's pass rate."""

    names: tuple[str, ...]
    matrix: Matrix
    ac: float | None
    am: float | None
    pass_rates: tuple[float, ...]

    def as_dict(self) -> dict[str, object]:
        return {
            "names": list(self.names),
            "matrix": [list(row) for row in self.matrix],
            "average_compatibility": self.ac,
            "average_multimodel_accuracy": self.am,
            "pass_rates": list(self.pass_rates),
        }


def compatibility(runs: Sequence[Mapping[str, float]], names: Sequence[str] | None = None) -> CompatibilityResult:
    """Compatibility matrix, AC (non-strict, see the module docstring) and AM for runs given oldest first."""
    matrix = compatibility_matrix(runs)
    if names is None:
        names = [f"run{i}" for i in range(len(runs))]
    if len(names) != len(runs):
        raise UsageError(f"{len(names)} names for {len(runs)} runs")
    return CompatibilityResult(
        names=tuple(names),
        matrix=matrix,
        ac=average_compatibility(matrix),
        am=average_multimodel_accuracy(matrix),
        pass_rates=tuple(fsum(map(float, r.values())) / len(r) for r in runs),
    )
