"""`difftest`: search for an input on which two Python programs differ (model-free, or with a model)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer

from execeval.cli.shared import app, friendly
from execeval.cli.iterate import backend_options
from execeval.tasks.records import read_raw


@app.command()
@friendly
def difftest(
    p: Optional[Path] = typer.Argument(None, metavar="P", help="The first program (a Python file; the reference "
                                       "side)."),
    q: Optional[Path] = typer.Argument(None, metavar="Q", help="The second program (the patched version)."),
    pairs: Optional[Path] = typer.Option(None, "--pairs", help="Search many pairs instead: JSON Lines of {\"id\", "
                                         "\"p\", \"q\", \"seed_inputs\"} (docs/protocols.md)."),
    seed_input: list[str] = typer.Option([], "--seed-input", help="An input both agree on, as a call with literal "
                                         "arguments, e.g. \"f(3, [1, 2])\"; repeatable. Its shape is the input type."),
    entry: Optional[str] = typer.Option(None, "--entry", help="The function to call [default: the first one both "
                                        "define]."),
    model: Optional[str] = typer.Option(None, "--model", "-m", help="Let a model propose inputs (openai:MODEL, "
                                        "hf:PATH, replay:FILE) [default: model-free search]."),
    base_url: Optional[str] = typer.Option(None, "--base-url", envvar="OPENAI_BASE_URL", help="OpenAI-compatible "
                                           "server (ends in /v1)."),
    rounds: int = typer.Option(10, "--rounds", help="Model rounds at most."),
    samples: int = typer.Option(5, "--samples", "-n", help="Model samples per round."),
    temperature: float = typer.Option(0.8, "--temperature"),
    parts: str = typer.Option("both,seed", "--parts", help="Prompt parts: both (both versions' code) or patched "
                              "(the second only), description, seed, trace (values seen only in Q's run)."),
    description: str = typer.Option("", "--description", help="What the function should do (the description part)."),
    budget: int = typer.Option(300, "--budget", help="Model-free: inputs tried at most."),
    seed: int = typer.Option(0, "--seed", help="Model-free: random seed."),
    out: Optional[Path] = typer.Option(None, "--out", "-o", help="Run directory: records (a rerun resumes), "
                                       "results.jsonl, summary.json for `execeval report`."),
    as_json: bool = typer.Option(False, "--json", help="Print the search result as JSON."),
) -> None:
    """Find a difference-exposing input between P and Q (or each pair of --pairs): outputs compared in the
    harness, exceptions and timeouts count as outputs. Exit status 0 when one is found (for every pair), 1 when
    not."""
    from execeval.errors import UsageError
    from execeval.models import load_backend
    from execeval.protocols.difftest.run import load_pairs, run_difftest, run_pairs
    from execeval.protocols.difftest.model_search import ModelSearchConfig

    if (pairs is None) == (p is None or q is None):
        raise UsageError("give two programs P Q, or --pairs FILE", hint="see `execeval difftest --help`")
    backend = load_backend(model, **backend_options(model, base_url)) if model else None
    config = ModelSearchConfig(rounds=rounds, n=samples, temperature=temperature, description=description,
                               parts=tuple(x.strip() for x in parts.split(",") if x.strip())) if model else None
    if pairs is not None:
        summary = run_pairs(load_pairs(pairs), backend=backend, model_config=config, budget=budget, seed=seed,
                            out_dir=out)
        if as_json:
            print(json.dumps(summary, indent=2))
        else:
            curve = ", ".join(f"{i}: {v:.1%}" for i, v in enumerate(summary["found_by_round"], 1))
            typer.echo(f"difference found for {summary['found']} of {summary['pairs']} pairs; by round "
                       f"(cumulative) {curve}; {summary['samples']} samples, {summary['tokens']} tokens")
        raise typer.Exit(0 if summary["found"] == summary["pairs"] else 1)
    assert p is not None and q is not None
    p_code, q_code = read_raw(p, UsageError).text, read_raw(q, UsageError).text  # a missing file: one line
    result = run_difftest(p_code, q_code, seed_input, entry_point=entry, backend=backend, model_config=config,
                          budget=budget, seed=seed, out_dir=out)
    if as_json:
        print(json.dumps(result.as_dict(), indent=2))
    elif result.found:
        from execeval.protocols.difftest.run import entry_point_of
        from execeval.protocols.observe import call_text

        name = entry or entry_point_of(p_code, q_code)
        typer.echo(f"difference in round {result.round_found} ({result.inputs_tried} inputs tried): "
                   f"{call_text(name, result.input or [])}: P {result.p.describe() if result.p else '?'}, "
                   f"Q {result.q.describe() if result.q else '?'}")
    else:
        typer.echo(f"no difference found in {result.inputs_tried} inputs ({len(result.rounds)} rounds)")
    raise typer.Exit(0 if result.found else 1)
