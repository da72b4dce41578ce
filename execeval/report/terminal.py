"""Terminal rendering (rich tables): a run's summary, the sandbox's isolation report, the toolchains, abstention
scores, and `execeval compare`'s comparisons (the data of `execeval.compare`)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console
from rich.table import Table

from execeval.evaluation.executor import time_limited_note
from execeval.evaluation.verdict import (ERROR, FAILED, KILLED, MEMORY_LIMIT, OUTPUT_LIMIT, PASSED, PASSED_UNDERTESTED,
                              SANDBOX_ERROR, SYNTAX_ERROR, TIMEOUT)

if TYPE_CHECKING:  # types only: printing a summary need not load every language module
    from execeval.languages.base import Toolchain
    from execeval.sandbox.base import IsolationReport

_STATUS_STYLE = {PASSED: "green", PASSED_UNDERTESTED: "yellow", FAILED: "red", ERROR: "magenta",
                 SYNTAX_ERROR: "magenta", TIMEOUT: "yellow", MEMORY_LIMIT: "yellow", OUTPUT_LIMIT: "yellow",
                 KILLED: "red", SANDBOX_ERROR: "bold red"}


def print_summary(summary: dict, out_dir: str | Path, console: Console | None = None) -> None:
    console = console or Console()
    table = Table(title=f"{summary['benchmark']}: {summary['n_samples']} samples over "
                        f"{summary['n_tasks_evaluated']} tasks", show_header=True)
    table.add_column("metric")
    variants = list(summary["pass_at_k"])
    for v in variants:
        table.add_column(v if len(variants) > 1 else "value", justify="right")
    ks = list(summary["pass_at_k"][variants[0]])
    for key in ks:
        cells = [summary["pass_at_k"][v].get(key) for v in variants]
        table.add_row(key, *("—" if c is None else f"{c:.4f}" for c in cells))
    pad = [""] * (len(variants) - 1)
    for label, key in (("pass ratio", "pass_ratio"), ("executability", "executability")):
        if summary.get(key) is not None:
            table.add_row(label, f"{summary[key]:.4f}", *pad)
    console.print(table)
    statuses = "  ".join(f"[{_STATUS_STYLE.get(s, 'white')}]{s} {n}[/]" for s, n in summary["status_counts"].items())
    console.print(f"verdicts: {statuses}")
    for level, row in summary.get("by_difficulty", {}).items():
        shown = row.get("plus") or row["base"]
        console.print(f"{level}: pass@1 {_pct(shown.get('pass@1'))} over {row['tasks']} tasks")
    dates = summary.get("contest_dates")
    if dates:
        console.print(f"contest dates {dates['since'] or 'any'} .. {dates['until'] or 'any'}: {dates['tasks']} of "
                      f"{dates['of']} tasks")
    _print_coverage(summary, console)
    for k, why in summary.get("pass_at_k_skipped", {}).items():
        console.print(f"[dim]{k} not reported: {why}[/]")
    jobs = summary.get("jobs", {})
    console.print(f"[dim]{jobs.get('executed', 0)} programs run, {jobs.get('from_store', 0)} from the store, "
                  f"{jobs.get('flaky', 0)} of {jobs.get('timeouts_rerun', 0)} re-run timeouts changed; "
                  f"isolation {summary['isolation']['level']}; {summary['elapsed_s']:.1f}s[/]")
    limited = time_limited_note(jobs)
    if limited:
        console.print(f"[dim]{limited}[/]")
    if summary["isolation"]["level"] != "full":
        missing = [n for n, p in summary["isolation"]["primitives"].items() if not p["active"]]
        console.print(f"[bold yellow]warning: partial isolation, missing: {', '.join(missing)}[/]")
    if summary.get("sample_format_warning"):  # under the scores it would explain, even with --quiet
        console.print(f"[bold red]warning: {summary['sample_format_warning']}[/]")
    if summary.get("reference_failures"):
        console.print(f"[yellow]{len(summary['reference_failures'])} task(s) whose reference solution fails its "
                      f"own tests (see summary.json: reference_failures)[/]")
    console.print(f"results: {Path(out_dir) / 'results.jsonl'}   summary: {Path(out_dir) / 'summary.json'}")


def _pct(v: float | None) -> str:
    return "—" if v is None else f"{v * 100:.1f}%"


def _print_coverage(summary: dict, console: Console) -> None:
    cov = summary.get("coverage")
    if not cov:
        return
    line = (f"coverage of passes: {_pct(cov['mean_coverage'])} (lines {_pct(cov['mean_line_coverage'])}, branches "
            f"{_pct(cov['mean_branch_coverage'])}) over {cov['measured']} measured")
    if cov.get("unmeasured") or cov.get("unsupported"):
        line += f"; {cov['unmeasured'] + cov['unsupported']} not measured"
    console.print(line)
    if cov.get("min_coverage") is not None:
        ungated = summary.get("pass_at_k_ungated", {}).get("base", {})
        without = ", ".join(f"{k} {v:.4f}" for k, v in ungated.items() if v is not None)
        console.print(f"[yellow]{cov['passed_undertested']} pass(es) under --min-coverage {cov['min_coverage']} "
                      f"counted as passed_undertested[/]" + (f"; without the gate: {without}" if without else ""))


def print_isolation(report: IsolationReport, console: Console | None = None) -> None:
    console = console or Console()
    table = Table(title=f"sandbox isolation: {report.level}")
    table.add_column("primitive")
    table.add_column("state")
    table.add_column("what it gives / why missing")
    for p in report.primitives:
        table.add_row(p.name, "[green]active[/]" if p.active else "[bold red]missing[/]", p.detail)
    console.print(table)
    if report.enforcement:
        limits = Table(title="limits enforced with")
        limits.add_column("limit")
        limits.add_column("how")
        for name, how in report.enforcement:
            limits.add_row(name, how)
        console.print(limits)


def print_toolchains(toolchains: list[Toolchain], console: Console | None = None) -> None:
    """Which languages this machine can build and run, and how to install the tools that are missing."""
    console = console or Console()
    table = Table(title="language toolchains")
    table.add_column("language")
    table.add_column("state")
    table.add_column("tools / how to install")
    for tc in toolchains:
        tools = ", ".join(f"{name} {path}" for name, path in tc.paths.items())
        if tc.available:
            table.add_row(tc.language, "[green]installed[/]", tools)
        else:
            how = f"install: {tc.install}" if tc.install else "install the tools"
            table.add_row(tc.language, "[bold red]missing[/]", f"missing {', '.join(tc.missing)}; {how}")
    console.print(table)


def print_abstention(result: dict, console: Console | None = None) -> None:
    """`execeval score-abstention`: one column per side (input: the task labels; output: the tests)."""
    console = console or Console()
    table = Table(title=f"abstention: {result['n_abstained']} of {result['n_samples']} samples abstained "
                        f"({result['n_labelled_tasks']} labelled tasks)")
    table.add_column("score")
    table.add_column("input (should the task be attempted?)", justify="right")
    table.add_column("output (does it fail its tests?)", justify="right")
    sides = (result["input"], result["output"])
    fmt = lambda v: "—" if v is None else f"{v:.3f}"  # noqa: E731
    for key, label in (("n", "decisions"), ("precision_bounce", "abstain precision"),
                       ("recall_bounce", "abstain recall (R_b)"), ("f1_bounce", "abstain F1"),
                       ("precision_accept", "answer precision"), ("recall_accept", "answer recall"),
                       ("f1_accept", "answer F1"), ("macro_f1", "macro-F1 (F_m)"), ("fnr_accept", "FNR_a")):
        table.add_row(label, *(str(s[key]) if key == "n" else fmt(s[key]) for s in sides))
    table.add_row("I-Score / O-Score", fmt(sides[0]["i_score"]), fmt(sides[1]["o_score"]))
    console.print(table)


# ------------------------------------------------------------------- `execeval compare`: the results of execeval.compare

def _signed_style(x: float) -> str:
    return "green" if x > 0 else "red" if x < 0 else "white"


def render_comparison(comparison: dict, console: Console | None = None, *, max_tasks: int = 15) -> None:
    """Print a comparison (the dict `execeval.compare.compare_runs` returns) as rich tables: the metrics, then
    the tasks whose pass rate changed, then the comparison's warnings."""
    console = console or Console()
    console.print(_comparison_table(comparison))
    _print_changed_tasks(comparison, console, max_tasks)
    for w in comparison.get("warnings", []):
        console.print(f"[yellow]note: {w}[/]")


def _comparison_table(c: dict) -> Table:
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
    return table


def _print_changed_tasks(c: dict, console: Console, max_tasks: int) -> None:
    tasks = c["tasks"]
    changed = [t for t in tasks if tasks[t]["change"] != 0]
    if not changed:
        console.print("[dim]no task changed its pass rate[/]")
        return
    pos = {t: i for i, t in enumerate(tasks)}
    changed.sort(key=lambda t: (tasks[t]["change"], pos[t]))
    shown = changed if len(changed) <= max_tasks else changed[:max_tasks]
    table = Table(title="changed tasks (largest regressions first)", title_justify="left")
    table.add_column("task")
    table.add_column("A", justify="right")
    table.add_column("B", justify="right")
    table.add_column("change", justify="right")
    for t in shown:
        table.add_row(t, *_changed_task_cells(tasks[t], c["single_sample"]))
    console.print(table)
    if len(changed) > len(shown):
        console.print(f"[dim]… and {len(changed) - len(shown)} more changed task(s) (see --json)[/]")


def _changed_task_cells(row: dict, single_sample: bool) -> tuple[str, str, str]:
    """A, B and change cells: pass/fail and the flip with one sample per task, counts and points with more."""
    if single_sample:
        a_cell = "[green]pass[/]" if row["c_a"] else "[red]fail[/]"
        b_cell = "[green]pass[/]" if row["c_b"] else "[red]fail[/]"
        change = "[red]negative flip[/]" if row["flip"] == "negative" else "[green]positive flip[/]"
        return a_cell, b_cell, change
    change = f"[{_signed_style(row['change'])}]{row['change'] * 100:+.1f} pts[/]"
    return f"{row['c_a']}/{row['n_a']}", f"{row['c_b']}/{row['n_b']}", change


def render_matrix(many: dict, console: Console | None = None) -> None:
    """Print `execeval.compare.compare_many`'s result: one row per older run, one column per newer run."""
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
