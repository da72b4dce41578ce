"""`compare` and `report`: reading finished runs back."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer

from execeval.cli.shared import app, friendly


@app.command()
@friendly
def compare(
    runs: list[Path] = typer.Argument(..., help="Run directories, oldest first: RUN_A (the baseline) RUN_B, "
                                      "or three and more for the compatibility matrix."),
    variant: str = typer.Option("auto", "--variant", help="auto, base or plus (EvalPlus runs)."),
    seed: int = typer.Option(0, "--seed", help="Bootstrap seed."),
    resamples: int = typer.Option(10_000, "--resamples", help="Bootstrap resamples."),
    as_json: bool = typer.Option(False, "--json", help="Print the comparison as JSON."),
) -> None:
    """What changed from RUN_A to RUN_B: flips per task, pass@1 difference with a paired bootstrap interval,
    and an exact McNemar test. With three runs or more: negative flip rate and compatibility for every ordered
    pair."""
    from execeval.compare import compare_many, compare_runs
    from execeval.report.terminal import render_comparison, render_matrix
    from execeval.errors import UsageError

    if len(runs) < 2:
        raise UsageError("compare needs two run directories or more", hint="execeval compare RUN_A RUN_B [RUN_C ...]")
    if len(runs) == 2:
        result = compare_runs(runs[0], runs[1], seed=seed, n_resamples=resamples, variant=variant)
        render = render_comparison
    else:
        result, render = compare_many(runs, variant=variant), render_matrix  # type: ignore[assignment]  # both render functions take the result and console
    if as_json:
        print(json.dumps(result, indent=2))
    else:
        render(result)


@app.command()
@friendly
def report(
    run_dir: Path = typer.Argument(..., help="Run directory (with results.jsonl and summary.json)."),
    out: Optional[Path] = typer.Option(None, "--out", "-o", help="HTML file to write [default: RUN_DIR/report.html]."),
    compare_dir: Optional[Path] = typer.Option(None, "--compare", help="Baseline run: highlight what flipped."),
    variant: str = typer.Option("auto", "--variant", help="auto, base or plus."),
    with_runs: list[Path] = typer.Option([], "--with", help="An older run of the same tasks (repeat, oldest "
                                         "first): a heat map of flips and compatibility across them and this run."),
) -> None:
    """Write one self-contained HTML report (no network needed to view it)."""
    from execeval.report.html import render_report

    path = render_report(run_dir, out, compare_dir=compare_dir, variant=variant, with_runs=with_runs)
    typer.echo(f"report: {path}")
