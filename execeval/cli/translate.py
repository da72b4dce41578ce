"""`translate`: TransCoder-style computational accuracy."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer

from execeval.cli.shared import app, friendly, parse_k
from execeval.evaluation.programs import TimePolicy


@app.command()
@friendly
def translate(
    candidates: Path = typer.Argument(..., help='JSONL: {"id", "language", "candidates": [best first]} per line.'),
    scripts: Path = typer.Option(..., "--scripts", help="TransCoder-style test scripts: DIR/<language>/<id>.<ext>, or a "
                                  "JSONL file packing them (e.g. gfg_test_scripts_cpp_java_python.jsonl)."),
    out: Path = typer.Option(..., "--out", "-o", help="Run directory (store, results.jsonl, summary.json)."),
    n: str = typer.Option("1,5", "--n", help="Report CA@N for these N (comma-separated)."),
    workers: Optional[int] = typer.Option(None, "--workers", "-j", help="Parallel jobs (default: all cores)."),
    run_timeout: float = typer.Option(TimePolicy.run_s, "--run-timeout", help="CPU seconds per script run."),
    as_json: bool = typer.Option(False, "--json", help="Print summary.json to stdout."),
) -> None:
    """Computational accuracy of ranked translations (TransCoder style): CA@N per target language."""
    from execeval.translation import evaluate_translations

    summary = evaluate_translations(candidates, scripts, out, ns=parse_k(n, "--n"), workers=workers,
                                    run_s=run_timeout)
    if as_json:
        print(json.dumps(summary, indent=2))
        return
    for lang, entry in summary["by_language"].items():
        cas = "  ".join(f"{k} {v:.3f}" if v is not None else f"{k} n/a" for k, v in entry.items() if k.startswith("CA@"))
        typer.echo(f"{lang}: {cas}  ({entry['n_functions']} functions, {entry['n_excluded']} without a script)")
    typer.echo(f"results: {out / 'results.jsonl'}")
