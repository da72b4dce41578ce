"""Terminal rendering of a run's summary and of the sandbox's isolation report (rich tables)."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console
from rich.table import Table

from execeval.languages.base import Toolchain
from execeval.sandbox.base import IsolationReport
from execeval.evaluation.verdict import (ERROR, FAILED, KILLED, MEMORY_LIMIT, OUTPUT_LIMIT, PASSED, PASSED_UNDERTESTED,
                              SANDBOX_ERROR, SYNTAX_ERROR, TIMEOUT)

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
    _print_coverage(summary, console)
    for k, why in summary.get("pass_at_k_skipped", {}).items():
        console.print(f"[dim]{k} not reported: {why}[/]")
    jobs = summary.get("jobs", {})
    console.print(f"[dim]{jobs.get('executed', 0)} programs run, {jobs.get('from_store', 0)} from the store, "
                  f"{jobs.get('flaky', 0)} of {jobs.get('timeouts_rerun', 0)} re-run timeouts changed; "
                  f"isolation {summary['isolation']['level']}; {summary['elapsed_s']:.1f}s[/]")
    if summary["isolation"]["level"] != "full":
        missing = [n for n, p in summary["isolation"]["primitives"].items() if not p["active"]]
        console.print(f"[bold yellow]warning: partial isolation, missing: {', '.join(missing)}[/]")
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
