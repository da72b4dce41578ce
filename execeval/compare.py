"""`execeval compare RUN_A RUN_B`: how run B differs from run A, task by task, read from their run directories.

This module only reads the run files (`results.jsonl`, and `summary.json` when present, with
`execeval.runs.files`' readers) and turns them into the per-task pass/fail lists that
`execeval.metrics.compare_outcomes` compares. The statistics
themselves (flips, NFR/PFR, exact McNemar, paired bootstrap CI, mean regression) live in `execeval.metrics.flips`.

A is the old (baseline) run, B the new one; every difference is B minus A. The result is a plain JSON-ready dict
(`execeval compare --json` prints it as is); `render_comparison` prints it as rich tables.

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
from execeval.metrics import check_same_tasks, compare_outcomes
from execeval.runs.files import RESULT_KEYS, read_results, read_summary
from execeval.evaluation.verdict import SANDBOX_ERROR

__all__ = ["VARIANTS", "compare_many", "compare_runs", "load_outcomes", "read_rows", "render_comparison", "render_matrix"]

VARIANTS = ("auto", "base", "plus")


def read_rows(run_dir: str | os.PathLike) -> list[dict]:
    """A run's results.jsonl rows, every one a sample's verdict (`execeval.runs.files.read_results`' errors)."""
    return read_results(run_dir, require=RESULT_KEYS, empty_ok=False)


def _has_plus(rows: Sequence[dict]) -> bool:
    return any(r.get("plus_passed") is not None for r in rows)


def _resolve_variant(variant: str, rows_a: Sequence[dict], rows_b: Sequence[dict], a: Path, b: Path) -> str:
    if variant not in VARIANTS:
        raise UsageError(f"unknown variant {variant!r}", hint="use one of: " + ", ".join(VARIANTS))
    plus_a, plus_b = _has_plus(rows_a), _has_plus(rows_b)
    if variant == "auto":
        return "plus" if plus_a and plus_b else "base"
    if variant == "plus" and not (plus_a and plus_b):
        lacking = " and ".join(str(p) for p, has in ((a, plus_a), (b, plus_b)) if not has)
        raise UsageError(f"no plus verdicts in {lacking}",
                         hint="compare with variant base, or evaluate on a '+' benchmark (e.g. humaneval+)")
    return variant


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
    rows_a, rows_b = read_rows(a), read_rows(b)
    variant = _resolve_variant(variant, rows_a, rows_b, a, b)
    out_a, dropped_a = load_outcomes(rows_a, variant)
    out_b, dropped_b = load_outcomes(rows_b, variant)
    try:
        check_same_tasks(out_a, out_b)
    except UsageError as e:
        raise UsageError(f"cannot compare {a} (A) with {b} (B): {e}", hint=e.hint) from None
    empty = [f"{t} ({name})" for name, out in (("A", out_a), ("B", out_b)) for t, oks in out.items() if not oks]
    if empty:
        raise UsageError(f"cannot compare {a} (A) with {b} (B): tasks with only sandbox errors: "
                         + ", ".join(empty[:5]) + (f" (+{len(empty) - 5} more)" if len(empty) > 5 else ""),
                         hint="re-run `execeval evaluate` on that run directory to retry them")

    cmp = compare_outcomes(out_a, out_b, n_resamples=n_resamples, seed=seed, confidence=confidence)

    order = list(out_a)  # results.jsonl order of run A
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

    def in_order(ids: Sequence[str]) -> list[str]:
        wanted = set(ids)
        return [t for t in order if t in wanted]

    flips = None
    if cmp.flips is not None:
        flips = cmp.flips.as_dict()
        flips["negative_tasks"] = in_order(cmp.flips.negative)
        flips["positive_tasks"] = in_order(cmp.flips.positive)

    sum_a, sum_b = read_summary(a), read_summary(b)
    warnings = []
    for name, dropped in (("A", dropped_a), ("B", dropped_b)):
        if dropped:
            warnings.append(f"{dropped} sandbox-error sample(s) in {name} left out")
    if sum_a.get("tasks_sha256") and sum_b.get("tasks_sha256") and sum_a["tasks_sha256"] != sum_b["tasks_sha256"]:
        warnings.append("the runs used different task files (tasks_sha256 differs): same ids, maybe other tests")
    if _spread(out_a) != _spread(out_b):
        warnings.append("the runs drew different numbers of samples per task")
    if cmp.single_sample and cmp.flips is not None and len(neg) + len(pos) < 10:
        warnings.append(f"only {len(neg) + len(pos)} flip(s): too few for the McNemar test to detect much")

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
        "tasks": tasks,
        "warnings": warnings,
    }


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
    rows = [read_rows(d) for d in dirs]
    if variant not in VARIANTS:
        raise UsageError(f"unknown variant {variant!r}", hint="use one of: " + ", ".join(VARIANTS))
    plus = [_has_plus(r) for r in rows]
    if variant == "plus" and not all(plus):
        raise UsageError("no plus verdicts in " + ", ".join(str(d) for d, p in zip(dirs, plus) if not p),
                         hint="compare with variant base, or evaluate on a '+' benchmark (e.g. humaneval+)")
    variant = "plus" if variant == "plus" or (variant == "auto" and all(plus)) else "base"
    loaded = [load_outcomes(r, variant) for r in rows]
    rates, dropped = [], []
    for d, (outcomes, n_dropped) in zip(dirs, loaded):
        try:
            check_same_tasks(loaded[0][0], outcomes)
        except UsageError as e:
            raise UsageError(f"cannot compare {dirs[0]} with {d}: {e}", hint=e.hint) from None
        empty = [t for t, oks in outcomes.items() if not oks]
        if empty:
            raise UsageError(f"{d}: tasks with only sandbox errors: {', '.join(empty[:5])}",
                             hint="re-run `execeval evaluate` on that run directory to retry them")
        rates.append({t: sum(oks) / len(oks) for t, oks in outcomes.items()})
        dropped.append(n_dropped)
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


def render_matrix(many: dict, console: Any = None) -> None:
    """Print `compare_many`'s result: one row per older run, one column per newer run."""
    from rich.console import Console
    from rich.table import Table

    console = console or Console()
    names, nfr, compat = many["names"], many["negative_flip_rate"], many["compatibility"]
    table = Table(title=f"{len(names)} runs over {many['n_tasks']} tasks ({many['variant']} tests): negative flip "
                        "rate from the row's run to the column's, and how much of the row's passes the column "
                        "keeps", title_justify="left")
    table.add_column("from \\ to")
    for name in names:
        table.add_column(name, justify="right")
    for i, name in enumerate(names):
        cells = []
        for j in range(len(names)):
            if i == j:
                cells.append(f"[bold]pass@1 {_pct(many['pass_at_1'][i])}[/]")
            else:
                kept = compat[j][i]
                cells.append(f"[red]NFR {_pct(nfr[i][j])}[/] · keeps {_pct(kept)}")
        table.add_row(name, *cells)
    console.print(table)
    ac, am = many["average_compatibility"], many["average_multimodel_accuracy"]
    console.print(f"average compatibility (AC) {_pct(ac)}, average multi-model accuracy (AM) {_pct(am)} "
                  "(runs taken oldest first, in the order given)")
    for w in many.get("warnings", []):
        console.print(f"[yellow]note: {w}[/]")


# ----------------------------------------------------------------------------------------------- terminal output

def _pct(x: float | None, signed: bool = False) -> str:
    if x is None:
        return "—"
    return f"{x * 100:+.1f}%" if signed else f"{x * 100:.1f}%"


def _signed_style(x: float) -> str:
    return "green" if x > 0 else "red" if x < 0 else "white"


def render_comparison(comparison: dict, console: Any = None, *, max_tasks: int = 15) -> None:
    """Print a comparison (the dict `compare_runs` returns) as rich tables."""
    from rich.console import Console
    from rich.table import Table

    console = console or Console()
    c = comparison
    p = c["pass_at_1"]
    spt = c["samples_per_task"]["b"]
    per = f"{spt['min']}" if spt["min"] == spt["max"] else f"{spt['min']}–{spt['max']}"
    samples = "1 sample" if per == "1" else f"{per} samples"
    table = Table(title=f"B vs A over {c['n_tasks']} tasks ({samples} per task, {c['variant']} tests)",
                  title_justify="left", show_header=True)
    table.add_column("metric")
    table.add_column("value", justify="right")
    table.add_column("", style="dim")
    table.add_row("pass@1 A", f"{p['a']:.4f}", c["run_a"])
    table.add_row("pass@1 B", f"{p['b']:.4f}", c["run_b"])
    table.add_row("difference B − A", f"[{_signed_style(p['diff'])}]{p['diff']:+.4f}[/]",
                  f"{p['confidence'] * 100:.0f}% CI [{p['ci_low']:+.4f}, {p['ci_high']:+.4f}] "
                  f"(paired bootstrap, {p['n_resamples']} resamples, seed {p['seed']})")
    f = c.get("flips")
    if f is not None:
        table.add_row("negative flips", f"[red]{f['negative_flips']}[/]",
                      f"NFR {_pct(f['negative_flip_rate'])} of all tasks (A passed, B failed)")
        table.add_row("positive flips", f"[green]{f['positive_flips']}[/]",
                      f"PFR {_pct(f['positive_flip_rate'])} of all tasks (A failed, B passed)")
    m = c.get("mcnemar")
    if m is not None:
        table.add_row("McNemar p", f"{m['p_value']:.4g}", f"exact, b={m['b']} c={m['c']}")
    table.add_row("tasks regressed / improved", f"{len(c['regressed_tasks'])} / {len(c['improved_tasks'])}", "")
    if c.get("mean_regression") is not None and not c["single_sample"]:
        table.add_row("mean regression", f"{c['mean_regression'] * 100:.1f} pts",
                      "mean pass-rate drop over the regressed tasks")
    console.print(table)

    tasks = c["tasks"]
    changed = [t for t in tasks if tasks[t]["change"] != 0]
    if changed:
        pos = {t: i for i, t in enumerate(tasks)}
        changed.sort(key=lambda t: (tasks[t]["change"], pos[t]))
        shown = changed if len(changed) <= max_tasks else changed[:max_tasks]
        tt = Table(title="changed tasks (largest regressions first)", title_justify="left")
        tt.add_column("task")
        tt.add_column("A", justify="right")
        tt.add_column("B", justify="right")
        tt.add_column("change", justify="right")
        for t in shown:
            row = tasks[t]
            if c["single_sample"]:
                a_cell = "[green]pass[/]" if row["c_a"] else "[red]fail[/]"
                b_cell = "[green]pass[/]" if row["c_b"] else "[red]fail[/]"
                change = "[red]negative flip[/]" if row["flip"] == "negative" else "[green]positive flip[/]"
            else:
                a_cell = f"{row['c_a']}/{row['n_a']}"
                b_cell = f"{row['c_b']}/{row['n_b']}"
                change = f"[{_signed_style(row['change'])}]{row['change'] * 100:+.1f} pts[/]"
            tt.add_row(t, a_cell, b_cell, change)
        console.print(tt)
        if len(changed) > len(shown):
            console.print(f"[dim]… and {len(changed) - len(shown)} more changed task(s) (see --json)[/]")
    else:
        console.print("[dim]no task changed its pass rate[/]")
    for w in c.get("warnings", []):
        console.print(f"[yellow]note: {w}[/]")
