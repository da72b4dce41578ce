"""Computational accuracy (TransCoder): the share of functions whose translation passes every test input.

CA@N counts a function when any of its first N ranked candidates passes every input; CA@1 looks at the top one
only. Functions without a test script cannot be judged and are left out of the denominator (not counted as
failures); a function with a script but no candidate counts as a failure.

    passes = {"ADD": [False, True], "MAX": [True], "SORT": None}   # None: no test script
    ca_at_n(passes, 1) == 0.5;  ca_at_n(passes, 2) == 1.0
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence

__all__ = ["ca_at_n", "ca_table", "first_failure_kinds", "SUCCESS"]

SUCCESS = "success"


def ca_at_n(passes: Mapping[str, Sequence[bool] | None], n: int) -> float | None:
    """CA@n over the functions that have a test script; None when none has one."""
    if n < 1:
        raise ValueError(f"CA@{n}: n must be at least 1")
    judged = [ranked for ranked in passes.values() if ranked is not None]
    if not judged:
        return None
    return sum(any(ranked[:n]) for ranked in judged) / len(judged)


def ca_table(passes: Mapping[str, Sequence[bool] | None], ns: Iterable[int]) -> dict:
    """{"CA@1": ..., "CA@5": ..., "n_functions": judged, "n_excluded": without a script}, values rounded to 6."""
    table: dict = {}
    for n in sorted(set(ns)):
        value = ca_at_n(passes, n)
        table[f"CA@{n}"] = None if value is None else round(value, 6)
    table["n_functions"] = sum(1 for r in passes.values() if r is not None)
    table["n_excluded"] = sum(1 for r in passes.values() if r is None)
    return table


def first_failure_kinds(kinds: Mapping[str, Sequence[str] | None], n: int = 1) -> dict[str, int]:
    """For each judged function that fails CA@n: the kind of its first failing candidate (compile error, runtime
    error, timeout, wrong output, ...), counted. A function with no candidate counts as "no_candidate"."""
    counts: Counter = Counter()
    for ranked in kinds.values():
        if ranked is None or SUCCESS in ranked[:n]:
            continue
        counts[next((k for k in ranked[:n] if k != SUCCESS), "no_candidate")] += 1
    return dict(counts.most_common())
