"""Run comparison: flips on a planted example, exact McNemar p-values, the paired bootstrap CI."""

from __future__ import annotations

import json
import statistics
from random import Random

import pytest

from execeval.errors import UsageError
from execeval.metrics import compare_outcomes, flip_counts, mcnemar_exact, paired_bootstrap_ci

# Ten tasks. Negative flips planted at t1, t4; positive flips at t2, t7, t8; t0, t3 pass in both.
_A_PASS = {"t0", "t1", "t3", "t4"}
_B_PASS = {"t0", "t2", "t3", "t7", "t8"}
IDS = [f"t{i}" for i in range(10)]


def _single(passing: set[str]) -> dict[str, list[bool]]:
    return {t: [t in passing] for t in IDS}


def test_flip_counts_on_planted_example() -> None:
    f = flip_counts({t: t in _A_PASS for t in IDS}, {t: t in _B_PASS for t in IDS})
    assert f.negative == ("t1", "t4")
    assert f.positive == ("t2", "t7", "t8")
    assert f.nfr == 0.2  # over ALL ten tasks, not over A's four passes
    assert f.pfr == 0.3
    assert f.as_dict()["negative_flips"] == 2


def test_compare_single_sample_runs() -> None:
    cmp = compare_outcomes(_single(_A_PASS), _single(_B_PASS), n_resamples=2000, seed=1)
    assert cmp.single_sample
    assert cmp.pass_at_1_a == pytest.approx(0.4) and cmp.pass_at_1_b == pytest.approx(0.5)
    assert cmp.diff == pytest.approx(0.1)
    assert cmp.flips is not None and cmp.flips.negative == ("t1", "t4")
    assert cmp.mcnemar is not None and (cmp.mcnemar.b, cmp.mcnemar.c) == (2, 3)
    assert cmp.mcnemar.p_value == pytest.approx(1.0)  # 2 * (1 + 5 + 10) / 32 > 1, capped
    assert cmp.regressed == ("t1", "t4") and cmp.mean_regression == 1.0
    assert cmp.ci.low <= 0.1 <= cmp.ci.high
    d = json.loads(json.dumps(cmp.as_dict()))
    assert d["flips"]["negative_flip_rate"] == 0.2 and d["mcnemar"]["b"] == 2 and d["pass@1_diff"] == cmp.diff


def test_compare_many_samples_reports_rate_changes() -> None:
    a = {"x": [True, True, False, False], "y": [True] * 4, "z": [False] * 4}
    b = {"x": [True, False, False, False], "y": [False] * 4, "z": [True, True, False, False]}
    cmp = compare_outcomes(a, b, n_resamples=500)
    assert not cmp.single_sample
    assert cmp.flips is None and cmp.mcnemar is None
    assert cmp.rate_changes == {"x": -0.25, "y": -1.0, "z": 0.5}
    assert cmp.regressed == ("x", "y") and cmp.improved == ("z",)
    assert cmp.mean_regression == pytest.approx(0.625)
    assert cmp.pass_at_1_a == pytest.approx(0.5) and cmp.pass_at_1_b == pytest.approx(0.25)
    assert cmp.diff == pytest.approx(-0.25)
    assert cmp.as_dict()["flips"] is None


def test_no_regressions_gives_none() -> None:
    cmp = compare_outcomes({"a": [False], "b": [True]}, {"a": [True], "b": [True]}, n_resamples=100)
    assert cmp.mean_regression is None and cmp.regressed == ()


def test_mismatched_task_sets_name_the_ids() -> None:
    a = {"t1": [True], "t2": [True], "t3": [False]}
    b = {"t1": [True], "t4": [False], "t3": [True]}
    with pytest.raises(UsageError) as exc:
        compare_outcomes(a, b)
    msg = exc.value.one_line()
    assert "only in A: t2" in msg and "only in B: t4" in msg and "\n" not in msg
    with pytest.raises(UsageError, match="no tasks"):
        compare_outcomes({}, {})
    with pytest.raises(UsageError, match="no samples"):
        compare_outcomes({"t": []}, {"t": [True]})


@pytest.mark.parametrize(
    "b,c,p",
    [
        (1, 7, 0.0703125),  # 2 * (C(8,0) + C(8,1)) / 2^8 = 18/256
        (7, 1, 0.0703125),
        (0, 6, 0.03125),  # 2 / 2^6
        (2, 10, 158 / 4096),  # 2 * (1 + 12 + 66) / 2^12
        (4, 4, 1.0),
        (0, 0, 1.0),
    ],
)
def test_mcnemar_exact_hand_values(b: int, c: int, p: float) -> None:
    assert mcnemar_exact(b, c) == pytest.approx(p, rel=1e-12)


def test_mcnemar_matches_scipy_binomtest() -> None:
    binomtest = pytest.importorskip("scipy.stats").binomtest
    for b in range(0, 15):
        for c in range(0, 15):
            if b + c:
                want = min(1.0, binomtest(b, b + c, 0.5, alternative="two-sided").pvalue)
                assert mcnemar_exact(b, c) == pytest.approx(want, rel=1e-9), (b, c)
    assert mcnemar_exact(300, 340) == pytest.approx(binomtest(300, 640, 0.5).pvalue, rel=1e-9)  # big n, exact ints
    with pytest.raises(UsageError):
        mcnemar_exact(-1, 3)


def _paired_outcomes(n: int, seed: int) -> list[float]:
    """Per-task B-minus-A outcomes; A passes w.p. 0.5, B w.p. 0.7, so the true difference is 0.2."""
    rng = Random(seed)
    return [float(rng.random() < 0.7) - float(rng.random() < 0.5) for _ in range(n)]


def test_bootstrap_ci_contains_true_difference_and_matches_normal_approximation() -> None:
    deltas = _paired_outcomes(400, seed=7)
    ci = paired_bootstrap_ci(deltas, n_resamples=4000, seed=3)
    assert ci.low < 0.2 < ci.high
    mean = statistics.fmean(deltas)
    assert ci.low < mean < ci.high
    half = 1.96 * statistics.stdev(deltas) / len(deltas) ** 0.5
    assert ci.low == pytest.approx(mean - half, abs=0.01)
    assert ci.high == pytest.approx(mean + half, abs=0.01)


def test_bootstrap_is_deterministic_under_seed() -> None:
    deltas = _paired_outcomes(50, seed=11)
    first = paired_bootstrap_ci(deltas, n_resamples=1000, seed=42)
    again = paired_bootstrap_ci(deltas, n_resamples=1000, seed=42)
    other = paired_bootstrap_ci(deltas, n_resamples=1000, seed=43)
    assert first == again
    assert (first.low, first.high) != (other.low, other.high)
    a = {f"t{i}": [d == -1.0] for i, d in enumerate(deltas)}
    b = {f"t{i}": [d == 1.0] for i, d in enumerate(deltas)}
    # Same runs given in a different key order give the same CI (tasks are sorted before resampling).
    a_rev, b_rev = dict(reversed(list(a.items()))), dict(reversed(list(b.items())))
    assert compare_outcomes(a, b, n_resamples=300).ci == compare_outcomes(a_rev, b_rev, n_resamples=300).ci


def test_bootstrap_rejects_bad_settings() -> None:
    with pytest.raises(UsageError):
        paired_bootstrap_ci([], n_resamples=10)
    with pytest.raises(UsageError):
        paired_bootstrap_ci([0.1], n_resamples=0)
    with pytest.raises(UsageError):
        paired_bootstrap_ci([0.1], confidence=1.0)
    constant = paired_bootstrap_ci([0.5] * 5, n_resamples=50)
    assert (constant.low, constant.high) == (0.5, 0.5)
