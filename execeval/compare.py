"""`execeval compare RUN_A RUN_B`: how run B differs from run A, task by task, read from their run directories.

This module only reads the run files (`results.jsonl`, and `summary.json` when present, with
`execeval.runs.files`' readers) and turns them into the per-task pass/fail lists that
`execeval.metrics.compare_outcomes` compares. The statistics
themselves (flips, NFR/PFR, exact McNemar, paired bootstrap CI, mean regression) live in `execeval.metrics.flips`.

A is the old (baseline) run, B the new one; every difference is B minus A. The result is a plain JSON-ready dict
(`execeval compare --json` prints it as is); `execeval.report.terminal.render_comparison` prints it as rich
tables. This module only computes: it renders nothing and does not import `execeval.report`.

Which verdict is compared (`variant`):

* "base": each sample's `passed` (the benchmark's base tests);
* "plus": `plus_passed` (base and EvalPlus plus tests); a row without `plus_passed` (a task that has no plus tests)
  falls back to `passed`, since its base tests are all its tests. Both runs must have plus verdicts;
* "auto" (default): "plus" when both runs have plus verdicts, else "base".

Samples whose verdict is `sandbox_error` are the harness's fault, not the model's: they are left out (as in the
run's own metrics) and counted in `warnings`.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from execeval.errors import UsageError
from execeval.metrics import Comparison, check_same_tasks, compare_outcomes
from execeval.runs.files import RESULT_KEYS, read_results, read_summary
from execeval.evaluation.verdict import SANDBOX_ERROR

__all__ = ["VARIANTS", "compare_many", "compare_runs", "load_outcomes", "read_rows"]

VARIANTS = ("auto", "base", "plus")


def read_rows(run_dir: str | os.PathLike) -> list[dict]:
    """A run's results.jsonl rows, every one a sample's verdict (`execeval.runs.files.read_results`' errors)."""
    return read_results(run_dir, require=RESULT_KEYS, empty_ok=False)


def _has_plus(rows: Sequence[dict]) -> bool:
    return any(r.get("plus_passed") is not None for r in rows)


def _resolve_variant(variant: str, rows: Sequence[Sequence[dict]], dirs: Sequence[Path]) -> str:
    """`auto` is plus when every run has plus verdicts; `plus` asked of a run without them is refused by name."""
    if variant not in VARIANTS:
        raise UsageError(f"unknown variant {variant!r}", hint="use one of: " + ", ".join(VARIANTS))
    plus = [_has_plus(r) for r in rows]
    if variant == "auto":
        return "plus" if all(plus) else "base"
    if variant == "plus" and not all(plus):
        raise UsageError("no plus verdicts in " + " and ".join(str(d) for d, has in zip(dirs, plus) if not has),
                         hint="compare with variant base, or evaluate on a '+' benchmark (e.g. humaneval+)")
    return variant


def _load_comparable(dirs: Sequence[Path], variant: str, labels: Sequence[str] = ()
                     ) -> tuple[str, list[tuple[dict[str, list[bool]], int]]]:
    """Every run's outcomes under the resolved variant, once they are known to be comparable: the same tasks as
    the first run, and every task with at least one sample that is not a sandbox error. `labels` ("A", "B") name
    the runs in messages beside their paths."""
    rows = [read_rows(d) for d in dirs]
    variant = _resolve_variant(variant, rows, dirs)
    loaded = [load_outcomes(r, variant) for r in rows]
    named = [f"{d} ({label})" for d, label in zip(dirs, labels)] if labels else [str(d) for d in dirs]
    for name, (outcomes, _) in zip(named[1:], loaded[1:]):
        try:
            check_same_tasks(loaded[0][0], outcomes)
        except UsageError as e:
            raise UsageError(f"cannot compare {named[0]} with {name}: {e}", hint=e.hint) from None
    short = list(labels) or named
    empty = [f"{t} ({name})" for name, (out, _) in zip(short, loaded) for t, oks in out.items() if not oks]
    if empty:
        raise UsageError(f"cannot compare {' with '.join(named)}: tasks with only sandbox errors: "
                         + ", ".join(empty[:5]) + (f" (+{len(empty) - 5} more)" if len(empty) > 5 else ""),
                         hint="re-run `execeval evaluate` on that run directory to retry them")
    return variant, loaded


def _outcome(row: dict, variant: str) -> bool:
    if variant == "plus" and row.get("plus_passed") is not None:
        return bool(row["plus_passed"])
    return bool(row["passed"])


def load_outcomes(rows: Sequence[dict], variant: str) -> tuple[dict[str, list[bool]], int]:
    """Task id -> pass/fail per sample (in completion order), and how many sandbox-error samples were dropped.

    Tasks keep the order in which they first appear in results.jsonl (the task file's order).
    """
    per_task: dict[str, list[tuple[Any, bool]]] = {}
    dropped = 0
    for r in rows:
        per_task.setdefault(r["task_id"], [])
        if r.get("status") == SANDBOX_ERROR:
            dropped += 1
            continue
        per_task[r["task_id"]].append((r.get("completion_id", 0), _outcome(r, variant)))
    out = {}
    for tid, items in per_task.items():
        try:
            items.sort(key=lambda x: x[0])
        except TypeError:  # mixed id types: keep file order
            pass
        out[tid] = [ok for _, ok in items]
    return out, dropped


def _spread(outcomes: dict[str, list[bool]]) -> dict[str, int]:
    ns = [len(v) for v in outcomes.values()]
    return {"min": min(ns), "max": max(ns)}


def compare_runs(
    run_a: str | os.PathLike,
    run_b: str | os.PathLike,
    *,
    seed: int = 0,
    n_resamples: int = 10_000,
    variant: str = "auto",
    confidence: float = 0.95,
) -> dict:
    """Paired comparison of run B against run A (the baseline), from their run directories.

    Returns a JSON-ready dict (see docs/report.md, "compare output"). Raises UsageError (one line) when a run
    directory has no readable results.jsonl, when the runs cover different tasks (naming the differing ids), or
    when variant "plus" is asked of a run without plus verdicts.
    """
    a, b = Path(run_a), Path(run_b)
    variant, (out_a, dropped_a), (out_b, dropped_b) = _load_pair(a, b, variant)
    cmp = compare_outcomes(out_a, out_b, n_resamples=n_resamples, seed=seed, confidence=confidence)
    order = list(out_a)  # results.jsonl order of run A

    def in_order(ids: Sequence[str]) -> list[str]:
        wanted = set(ids)
        return [t for t in order if t in wanted]

    flips = None
    if cmp.flips is not None:
        flips = cmp.flips.as_dict()
        flips["negative_tasks"] = in_order(cmp.flips.negative)
        flips["positive_tasks"] = in_order(cmp.flips.positive)
    sum_a, sum_b = read_summary(a), read_summary(b)
    return {
        "run_a": str(a),
        "run_b": str(b),
        "benchmark": {"a": sum_a.get("benchmark"), "b": sum_b.get("benchmark")},
        "variant": variant,
        "n_tasks": cmp.n_tasks,
        "samples_per_task": {"a": _spread(out_a), "b": _spread(out_b)},
        "single_sample": cmp.single_sample,
        "pass_at_1": {
            "a": cmp.pass_at_1_a, "b": cmp.pass_at_1_b, "diff": cmp.diff,
            "ci_low": cmp.ci.low, "ci_high": cmp.ci.high, "confidence": cmp.ci.confidence,
            "n_resamples": cmp.ci.n_resamples, "seed": cmp.ci.seed,
        },
        "flips": flips,
        "mcnemar": {"b": cmp.mcnemar.b, "c": cmp.mcnemar.c, "p_value": cmp.mcnemar.p_value} if cmp.mcnemar else None,
        "regressed_tasks": in_order(cmp.regressed),
        "improved_tasks": in_order(cmp.improved),
        "mean_regression": cmp.mean_regression,
        "tasks": _task_changes(order, out_a, out_b, cmp),
        "warnings": _pair_warnings(cmp, out_a, out_b, (dropped_a, dropped_b), (sum_a, sum_b)),
    }


def _load_pair(a: Path, b: Path, variant: str) -> tuple[str, tuple[dict[str, list[bool]], int],
                                                         tuple[dict[str, list[bool]], int]]:
    variant, (loaded_a, loaded_b) = _load_comparable((a, b), variant, ("A", "B"))
    return variant, loaded_a, loaded_b


def _task_changes(order: Sequence[str], out_a: dict[str, list[bool]], out_b: dict[str, list[bool]],
                  cmp: Comparison) -> dict[str, dict]:
    """Per task, in run A's order: counts and pass rates on both sides, the change, and which flip it is."""
    neg = set(cmp.flips.negative) if cmp.flips else set()
    pos = set(cmp.flips.positive) if cmp.flips else set()
    tasks = {}
    for t in order:
        n_a, c_a, n_b, c_b = len(out_a[t]), sum(out_a[t]), len(out_b[t]), sum(out_b[t])
        tasks[t] = {
            "n_a": n_a, "c_a": c_a, "n_b": n_b, "c_b": c_b,
            "rate_a": c_a / n_a, "rate_b": c_b / n_b, "change": cmp.rate_changes[t],
            "flip": "negative" if t in neg else "positive" if t in pos else None,
        }
    return tasks


def _pair_warnings(cmp: Comparison, out_a: dict[str, list[bool]], out_b: dict[str, list[bool]],
                   dropped: tuple[int, int], summaries: tuple[dict, dict]) -> list[str]:
    """What makes the comparison weaker than it looks: dropped samples, other task files, unequal sample counts,
    too few flips for McNemar."""
    warnings = []
    for name, n_dropped in zip(("A", "B"), dropped):
        if n_dropped:
            warnings.append(f"{n_dropped} sandbox-error sample(s) in {name} left out")
    sha_a, sha_b = (s.get("tasks_sha256") for s in summaries)
    if sha_a and sha_b and sha_a != sha_b:
        warnings.append("the runs used different task files (tasks_sha256 differs): same ids, maybe other tests")
    if _spread(out_a) != _spread(out_b):
        warnings.append("the runs drew different numbers of samples per task")
    if cmp.single_sample and cmp.flips is not None:
        n_flips = len(set(cmp.flips.negative)) + len(set(cmp.flips.positive))
        if n_flips < 10:
            warnings.append(f"only {n_flips} flip(s): too few for the McNemar test to detect much")
    return warnings


def _names(dirs: Sequence[Path]) -> list[str]:
    """Short names for the runs: their directory names, or the paths when two share a name."""
    short = [d.name or str(d) for d in dirs]
    return short if len(set(short)) == len(short) else [str(d) for d in dirs]


def compare_many(run_dirs: Sequence[str | os.PathLike], *, variant: str = "auto") -> dict:
    """Every ordered pair of runs (given oldest first): the compatibility matrix of `execeval.metrics`
    (M[i][j]: how much of run j's passes run i keeps) and the negative flip rate from each run to each other
    one, with every run's pass@1. JSON-ready (docs/report.md, "compare with more runs")."""
    from execeval.metrics import compatibility, flip_rate_matrix

    dirs = [Path(d) for d in run_dirs]
    if len(dirs) < 2:
        raise UsageError("compare needs at least two run directories")
    variant, loaded = _load_comparable(dirs, variant)
    rates = [{t: sum(oks) / len(oks) for t, oks in outcomes.items()} for outcomes, _ in loaded]
    dropped = [n for _, n in loaded]
    names = _names(dirs)
    compat = compatibility(rates, names)
    single = all(len(oks) == 1 for outcomes, _ in loaded for oks in outcomes.values())
    return {
        "runs": [str(d) for d in dirs], "names": names, "variant": variant, "n_tasks": len(rates[0]),
        "single_sample": single, "pass_at_1": list(compat.pass_rates),
        "negative_flip_rate": flip_rate_matrix(rates), "compatibility": compat.matrix,
        "average_compatibility": compat.ac, "average_multimodel_accuracy": compat.am,
        "warnings": [f"{n} sandbox-error sample(s) in {name} left out" for name, n in zip(names, dropped) if n],
    }
