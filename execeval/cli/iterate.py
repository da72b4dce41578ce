"""`iterate`: the iterative I/O-example protocol (examples in, code out, one counterexample per wrong answer)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer

from execeval.cli.shared import app, friendly


def backend_options(model: str, base_url: Optional[str]) -> dict:
    """What `load_backend` takes for a spec: only openai: has a server address."""
    return {"base_url": base_url} if model.startswith("openai:") and base_url else {}


@app.command()
@friendly
def iterate(
    tasks: str = typer.Option(..., "--tasks", "-t", help="Benchmark with input lists (humaneval+, mbpp+) or a "
                              "native task file with \"inputs\"."),
    model: str = typer.Option(..., "--model", "-m", help="openai:MODEL, hf:PATH or replay:FILE."),
    out: Path = typer.Option(..., "--out", "-o", help="Run directory; rerunning it resumes every dialogue."),
    base_url: Optional[str] = typer.Option(None, "--base-url", envvar="OPENAI_BASE_URL"),
    k: int = typer.Option(3, "--k", help="Examples shown in round 1."),
    rounds: int = typer.Option(5, "--rounds", "-r", help="Attempts per task at most (R)."),
    examples: str = typer.Option("random", "--examples", help="How the first examples are chosen: random, diverse."),
    hint: str = typer.Option("none", "--hint", help="Natural-language hint: none, partial (first sentence of the "
                             "description), full (the whole docstring)."),
    pool: int = typer.Option(100, "--pool", help="Hidden inputs per task at most (a seeded sample)."),
    nl_baseline: bool = typer.Option(False, "--nl-baseline", help="Also ask each task once with its plain "
                                     "natural-language prompt, judged on the same inputs."),
    temperature: float = typer.Option(0.0, "--temperature"),
    max_tokens: int = typer.Option(1024, "--max-tokens"),
    seed: int = typer.Option(0, "--seed"),
    limit: Optional[int] = typer.Option(None, "--limit", help="Only the first N tasks."),
    data_dir: Optional[Path] = typer.Option(None, "--data-dir", envvar="EXECEVAL_DATA_DIR"),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar."),
    as_json: bool = typer.Option(False, "--json", help="Print the protocol's summary as JSON."),
) -> None:
    """Show a model input/output examples only; after each wrong answer add one counterexample and ask again.
    Reports success by round, the share of successes in round 1 and conformance to the shown examples."""
    from execeval.models import load_backend
    from execeval.progress import NullReporter, RichReporter
    from execeval.protocols.iterate import IterateConfig
    from execeval.protocols.iterate import iterate as run_iterate

    config = IterateConfig(k=k, rounds=rounds, examples=examples, hint=hint, pool=pool, seed=seed,
                           nl_baseline=nl_baseline, temperature=temperature, max_tokens=max_tokens)
    backend = load_backend(model, **backend_options(model, base_url))
    with (NullReporter() if quiet or as_json else RichReporter()) as reporter:
        summary = run_iterate(tasks, backend, out, config, reporter=reporter,
                              data_dir=str(data_dir) if data_dir else None, limit=limit)
    body = summary["iterate"]
    if as_json:
        print(json.dumps(body, indent=2))
        return
    curve = ", ".join(f"{i}: {v:.1%}" for i, v in enumerate(body["success_by_round"], 1))
    typer.echo(f"{body['solved']} of {body['tasks']} tasks solved; success by round (cumulative) {curve}")
    if body["first_round_share"] is not None:
        typer.echo(f"share of successes in round 1: {body['first_round_share']:.1%}; conformance to the shown "
                   f"examples: {body['conformance_rate']:.1%}")
    if body["nl_success_rate"] is not None:
        typer.echo(f"the same tasks with the plain natural-language prompt: {body['nl_success_rate']:.1%}")
    typer.echo(f"run: {out} (execeval report {out})")
