"""How well a cheap score tracks executed correctness, measured as CodeScore measures it.

CodeScore (Dong et al., 2023) validates a metric by correlating its per-sample values with the executed PassRatio:
Kendall's tau (tau-b, which handles ties), Spearman's rho and Pearson's r, plus the mean absolute error
MAE = mean |score - pass ratio|, which only makes sense when the score is on the same 0..1 scale. scipy does the
statistics; it is imported inside the function so that importing this module stays cheap, and it is an extra
(`pip install 'execeval[stats]'`): without it `correlate` says so in one line.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from math import fsum

from execeval.errors import UsageError

__all__ = ["Correlation", "correlate", "correlate_columns"]


@dataclass(frozen=True)
class Correlation:
    """Agreement between a score column and executed pass ratios over `n` samples.

    A coefficient is None when it is undefined (fewer than 2 samples, or a constant column).
    """

    n: int
    kendall_tau: float | None
    spearman_rho: float | None
    pearson_r: float | None
    mae: float

    def as_dict(self) -> dict[str, float | int | None]:
        return asdict(self)


def _finite(x: float) -> float | None:
    x = float(x)
    return x if math.isfinite(x) else None


def correlate(scores: Sequence[float], pass_ratios: Sequence[float]) -> Correlation:
    """Kendall tau-b, Spearman rho, Pearson r and MAE of `scores` against executed `pass_ratios`, paired by index."""
    if len(scores) != len(pass_ratios):
        raise UsageError(f"score and pass-ratio columns differ in length: {len(scores)} vs {len(pass_ratios)}")
    if not scores:
        raise UsageError("no samples to correlate")
    xs = [float(s) for s in scores]
    ys = [float(p) for p in pass_ratios]
    if not all(math.isfinite(v) for v in xs + ys):
        raise UsageError("scores and pass ratios must be finite numbers")
    n = len(xs)
    mae = fsum(abs(x - y) for x, y in zip(xs, ys)) / n
    if n < 2 or len(set(xs)) < 2 or len(set(ys)) < 2:
        return Correlation(n=n, kendall_tau=None, spearman_rho=None, pearson_r=None, mae=mae)
    try:
        from scipy import stats
    except ImportError as e:
        raise UsageError("metric correlation needs scipy (the 'stats' extra)",
                         hint="pip install 'execeval[stats]'") from e
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tau = stats.kendalltau(xs, ys).statistic
        rho = stats.spearmanr(xs, ys).statistic
        r = stats.pearsonr(xs, ys).statistic
    return Correlation(n=n, kendall_tau=_finite(tau), spearman_rho=_finite(rho), pearson_r=_finite(r), mae=mae)


def correlate_columns(columns: Mapping[str, Sequence[float]], pass_ratios: Sequence[float]) -> dict[str, Correlation]:
    """`correlate` for each named score column (e.g. "bleu", "codebleu") against the same pass ratios."""
    return {name: correlate(col, pass_ratios) for name, col in columns.items()}
