"""`compare` and `report`: reading finished runs back."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer

from execeval.cli.app import app, friendly


@app.command()
@friendly
def compare(
    run_a: Path = typer.Argument(..., help="Baseline run directory (the old model)."),
    run_b: Path = typer.Argument(..., help="Run directory to compare (the new model)."),
    variant: str = typer.Option("auto", "--variant", help="auto, base or plus (EvalPlus runs)."),
    seed: int = typer.Option(0, "--seed", help="Bootstrap seed."),
    resamples: int = typer.Option(10_000, "--resamples", help="Bootstrap resamples."),
    as_json: bool = typer.Option(False, "--json", help="Print the comparison as JSON."),
) -> None:
    """What changed from RUN_A to RUN_B: flips per task, pass@1 difference with a paired bootstrap interval,
    and an exact McNemar test."""
    from execeval.compare import compare_runs, render_comparison

    result = compare_runs(run_a, run_b, seed=seed, n_resamples=resamples, variant=variant)
    if as_json:
        print(json.dumps(result, indent=2))
    else:
        render_comparison(result)


@app.command()
@friendly
def report(
    run_dir: Path = typer.Argument(..., help="Run directory (with results.jsonl and summary.json)."),
    out: Optional[Path] = typer.Option(None, "--out", "-o", help="HTML file to write [default: RUN_DIR/report.html]."),
    compare_dir: Optional[Path] = typer.Option(None, "--compare", help="Baseline run: highlight what flipped."),
    variant: str = typer.Option("auto", "--variant", help="auto, base or plus."),
) -> None:
    """Write one self-contained HTML report (no network needed to view it)."""
    from execeval.report.html import render_report

    path = render_report(run_dir, out, compare_dir=compare_dir, variant=variant)
    typer.echo(f"report: {path}")
