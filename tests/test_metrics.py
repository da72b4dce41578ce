"""pass@k, per-sample scores, proficiency, metric correlation and compatibility: hand-computed values."""

from __future__ import annotations

import subprocess
import sys
from fractions import Fraction
from itertools import combinations
from math import comb
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from execeval.errors import UsageError
from execeval.metrics import (
    ProficiencyLevels,
    SampleScore,
    average_compatibility,
    average_multimodel_accuracy,
    compatibility,
    compatibility_matrix,
    correlate,
    correlate_columns,
    is_executable,
    mean_pass_at_k,
    pass_at_k,
    pass_at_k_product,
    pass_ratio,
    per_task_counts,
    proficiency,
    proficiency_level,
    summarize_scores,
)


# ---------------------------------------------------------------- pass@k
def test_pass_at_k_hand_values() -> None:
    assert pass_at_k(5, 2, 1) == pytest.approx(0.4, abs=1e-15)
    assert pass_at_k(10, 3, 5) == pytest.approx(1 - 21 / 252, abs=1e-15)
    assert pass_at_k(10, 0, 3) == 0.0
    assert pass_at_k(10, 10, 10) == 1.0


def test_pass_at_k_is_one_when_too_few_failures() -> None:
    # n - c = 2 < k = 3: every 3-subset of 5 contains a correct sample.
    assert pass_at_k(5, 3, 3) == 1.0
    assert pass_at_k_product(5, 3, 3) == 1.0
    assert pass_at_k(5, 3, 2) < 1.0


def test_pass_at_k_exact_for_large_n() -> None:
    n, c, k = 10_000, 37, 100
    exact = 1 - Fraction(comb(n - c, k), comb(n, k))
    assert pass_at_k(n, c, k) == float(exact)  # correctly rounded, not merely close
    assert pass_at_k_product(n, c, k) == pytest.approx(float(exact), rel=1e-12)


@pytest.mark.parametrize("n,c,k", [(0, 0, 1), (5, 6, 1), (5, -1, 1), (5, 2, 0), (5, 2, 6), (5.0, 2, 1)])
def test_pass_at_k_rejects_bad_arguments(n, c, k) -> None:
    with pytest.raises(UsageError):
        pass_at_k(n, c, k)


def _brute_force(n: int, c: int, k: int) -> Fraction:
    outcomes = [True] * c + [False] * (n - c)
    subsets = list(combinations(range(n), k))
    return Fraction(sum(1 for s in subsets if any(outcomes[i] for i in s)), len(subsets))


@settings(max_examples=150, deadline=None)
@given(st.integers(1, 10).flatmap(lambda n: st.tuples(st.just(n), st.integers(0, n), st.integers(1, n))))
def test_pass_at_k_matches_enumeration_of_k_subsets(nck: tuple[int, int, int]) -> None:
    n, c, k = nck
    expected = float(_brute_force(n, c, k))
    assert pass_at_k(n, c, k) == expected
    assert pass_at_k_product(n, c, k) == pytest.approx(expected, abs=1e-12)


def test_mean_pass_at_k_reports_only_supported_ks() -> None:
    result = mean_pass_at_k([(5, 2), (10, 3)], ks=[1, 5, 10])
    assert result.values == {1: pytest.approx((0.4 + 0.3) / 2), 5: pytest.approx((1.0 + (1 - 21 / 252)) / 2)}
    assert set(result.skipped) == {10}
    assert "n=5" in result.skipped[10] and "1 task(s)" in result.skipped[10]
    assert result.as_dict() == {"pass@1": result.values[1], "pass@5": result.values[5], "pass@10": None}
    assert result.n_tasks == 2 and result.min_n == 5


def test_mean_pass_at_k_edge_cases() -> None:
    assert mean_pass_at_k([], ks=[1]).skipped == {1: "no tasks"}
    with pytest.raises(UsageError):
        mean_pass_at_k([(5, 2)], ks=[0])
    with pytest.raises(UsageError):
        mean_pass_at_k([(5, 2)], ks=[])
    with pytest.raises(UsageError):
        mean_pass_at_k([(5, 7)], ks=[1])


# ---------------------------------------------------------------- scores
def test_pass_ratio_and_summary() -> None:
    assert pass_ratio(3, 4) == 0.75
    with pytest.raises(UsageError):
        pass_ratio(0, 0)
    with pytest.raises(UsageError):
        pass_ratio(5, 4)
    samples = [SampleScore(4, 4, True), SampleScore(1, 4, True), SampleScore(0, 4, False), SampleScore(2, 2, True)]
    s = summarize_scores(samples)
    assert s.n_samples == 4
    assert s.mean_pass_ratio == pytest.approx((1 + 0.25 + 0 + 1) / 4)
    assert s.executability == 0.75
    assert s.pass_rate == 0.5
    assert s.as_dict()["executability"] == 0.75
    with pytest.raises(UsageError):
        summarize_scores([])


@pytest.mark.parametrize(
    "status,cases,error_type,expected",
    [
        ("ok", ["passed", "passed"], None, True),
        ("ok", ["passed", "failed", "not_run"], None, True),  # wrong answer still ran
        ("ok", ["passed", "error"], None, False),  # runtime error in a case
        ("ok", ["timeout"], None, False),
        ("failed", [], "AssertionError", True),  # script of asserts: wrong answer
        ("failed", [], "SyntaxError", False),
        ("failed", [], "ZeroDivisionError", False),
        ("timeout", [], None, False),
        ("memory_limit", [], None, False),
        ("sandbox_error", [], None, None),  # harness fault: not the code's
    ],
)
def test_is_executable(status, cases, error_type, expected) -> None:
    assert is_executable(status, cases, error_type) is expected


def test_per_task_counts_from_mapping_and_records() -> None:
    assert per_task_counts({"a": [True, False, True], "b": [False]}) == {"a": (3, 2), "b": (1, 0)}
    records = [("b", True), ("a", False), ("b", False), ("a", False)]
    counts = per_task_counts(records)
    assert counts == {"b": (2, 1), "a": (2, 0)} and list(counts) == ["b", "a"]


@pytest.mark.parametrize(
    "correct,level", [(0, 0.0), (1, 0.25), (2, 0.25), (3, 0.5), (5, 0.5), (6, 0.75), (8, 0.75), (9, 1.0), (10, 1.0)]
)
def test_default_proficiency_levels(correct: int, level: float) -> None:
    assert proficiency_level(correct) == level


def test_proficiency_uses_first_window_samples_only() -> None:
    results = {
        "a": [True] * 10 + [False] * 5,  # 10 correct in the first 10
        "b": [False] * 10 + [True] * 5,  # 0 correct in the first 10
        "c": [True, False] * 5,  # 5 correct
    }
    p = proficiency(results)
    assert p.per_task == {"a": 1.0, "b": 0.0, "c": 0.5}
    assert p.mean == pytest.approx(0.5)
    with pytest.raises(UsageError, match="too few for: short"):
        proficiency({"short": [True] * 9, "ok": [True] * 10})


def test_custom_proficiency_levels() -> None:
    levels = ProficiencyLevels(window=4, thresholds=((0, 0.0), (2, 0.5), (4, 1.0)))
    assert [proficiency_level(c, levels) for c in range(5)] == [0.0, 0.0, 0.5, 0.5, 1.0]
    with pytest.raises(UsageError):
        ProficiencyLevels(thresholds=((1, 0.25),))
    with pytest.raises(UsageError):
        ProficiencyLevels(thresholds=((0, 0.0), (3, 0.5), (3, 0.75)))
    with pytest.raises(UsageError):
        ProficiencyLevels(window=5, thresholds=((0, 0.0), (6, 1.0)))


# ---------------------------------------------------------------- correlation
def test_correlation_tiny_vectors() -> None:
    # x = [1,2,3], y = [1,3,2]: pairs (1,2),(1,3) concordant, (2,3) discordant -> tau = (2-1)/3.
    # Ranks equal values: sum d^2 = 2 -> rho = 1 - 6*2/(3*8) = 0.5. Deviations [-1,0,1],[-1,1,0] -> r = 1/2.
    c = correlate([1, 2, 3], [1, 3, 2])
    assert c.n == 3
    assert c.kendall_tau == pytest.approx(1 / 3)
    assert c.spearman_rho == pytest.approx(0.5)
    assert c.pearson_r == pytest.approx(0.5)
    assert c.mae == pytest.approx(2 / 3)
    assert c.as_dict()["kendall_tau"] == pytest.approx(1 / 3)


def test_correlation_perfect_and_degenerate() -> None:
    c = correlate([0.1, 0.5, 0.9], [0.0, 0.5, 1.0])
    assert (c.kendall_tau, c.spearman_rho) == (pytest.approx(1.0), pytest.approx(1.0))
    assert c.pearson_r == pytest.approx(1.0)
    assert c.mae == pytest.approx(0.2 / 3)
    flat = correlate([0.5, 0.5, 0.5], [0.0, 1.0, 1.0])  # constant score: coefficients undefined
    assert (flat.kendall_tau, flat.spearman_rho, flat.pearson_r) == (None, None, None)
    assert flat.mae == pytest.approx(0.5 / 3 + 0.5 * 2 / 3)
    with pytest.raises(UsageError):
        correlate([1, 2], [1])
    with pytest.raises(UsageError):
        correlate([], [])
    cols = correlate_columns({"up": [1, 2, 3], "down": [3, 2, 1]}, [0.0, 0.5, 1.0])
    assert cols["up"].kendall_tau == pytest.approx(1.0) and cols["down"].kendall_tau == pytest.approx(-1.0)


# ---------------------------------------------------------------- compatibility
# Six tasks, three releases (oldest first):
#   r0 passes {1,2,3}; r1 passes {1,2,4,5}; r2 passes {1,2,3,4}
#   M[1][0] = |{1,2}|/3 = 2/3   M[2][0] = 3/3 = 1   M[2][1] = |{1,2,4}|/4 = 3/4
#   M[0][1] = 2/4  M[0][2] = 3/4  M[1][2] = 3/4  diagonal = 1
#   AC: (1,0) 2/3 >= 1 no; (2,0) 1 >= 1 yes; (2,1) 3/4 >= 1 no -> 1/3
#   AM: (1 + 1 + 1 + 2/3 + 1 + 3/4) / 6 = 65/72
def _runs() -> list[dict[str, bool]]:
    sets = [{1, 2, 3}, {1, 2, 4, 5}, {1, 2, 3, 4}]
    return [{f"t{t}": t in s for t in range(1, 7)} for s in sets]


def test_compatibility_hand_computed_3x3() -> None:
    m = compatibility_matrix(_runs())
    expected = [[1, 2 / 4, 3 / 4], [2 / 3, 1, 3 / 4], [1, 3 / 4, 1]]
    for row, exp in zip(m, expected):
        assert row == [pytest.approx(e) for e in exp]
    res = compatibility(_runs(), names=["v1", "v2", "v3"])
    assert res.ac == pytest.approx(1 / 3)
    assert res.am == pytest.approx(65 / 72)
    assert res.pass_rates == (pytest.approx(3 / 6), pytest.approx(4 / 6), pytest.approx(4 / 6))
    assert res.as_dict()["names"] == ["v1", "v2", "v3"]


def test_compatibility_undefined_entries_and_strict_criterion() -> None:
    runs = [{"a": False, "b": False}, {"a": True, "b": False}]  # r0 passed nothing: column 0 undefined
    m = compatibility_matrix(runs)
    assert m == [[None, 0.0], [None, 1.0]]
    assert average_compatibility(m) == 1.0  # vacuously compatible
    assert average_multimodel_accuracy(m) == 1.0  # only M[1][1] is defined in the lower triangle
    generic = [[0.5, None], [0.5, 0.6]]
    assert average_compatibility(generic) == 1.0
    assert average_compatibility(generic, strict=True) == 0.0
    assert average_compatibility([[0.7]]) is None
    with pytest.raises(UsageError, match="only in B: c"):
        compatibility_matrix([{"a": True}, {"a": True, "c": False}])
    with pytest.raises(UsageError):
        compatibility(_runs(), names=["only-one"])


# ---------------------------------------------------------------- import cost
def test_import_does_not_load_scipy_or_numpy() -> None:
    code = "import sys, execeval.metrics; print(sorted(m for m in ('scipy', 'numpy') if m in sys.modules))"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=Path(__file__).parents[1]
    ).stdout
    assert out.strip() == "[]"


# ---------------------------------------------------------------- pass@k under a token budget

def test_pass_at_budget_by_hand() -> None:
    from execeval.metrics import budget_points, pass_at_budget

    # A: 10 cheap samples (100 tokens each), 1 passes; B: 1 dear sample (1000 tokens), it passes.
    tasks = [(10, 1, 100.0), (1, 1, 1000.0)]
    got = pass_at_budget(tasks, [50, 100, 500, 1000])
    # 50: nothing affordable; 100: A pass@1 = 0.1, B none; 500: A pass@5 = 1 - C(9,5)/C(10,5) = 0.5;
    # 1000: A pass@10 = 1, B pass@1 = 1
    assert got == {50: 0.0, 100: pytest.approx(0.05), 500: pytest.approx(0.25), 1000: pytest.approx(1.0)}
    assert budget_points(tasks, points=3) == [100.0, 550.0, 1000.0]  # up to where B has no second sample
    with pytest.raises(UsageError):
        pass_at_budget([], [1])
    with pytest.raises(UsageError):
        pass_at_budget([(1, 0, 0.0)], [1])


def test_correlate_without_scipy_names_the_extra(monkeypatch) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "scipy", None)
    with pytest.raises(UsageError, match="stats") as info:
        correlate([1, 2, 3], [1, 3, 2])
    assert "execeval[stats]" in info.value.one_line()
