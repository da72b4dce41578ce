"""`gg prompts`, `gg judge`, `gg run`, `gg gold`: Guaranteed Guess's assembly translation with a coverage guarantee."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer

from execeval.cli.shared import app, friendly

gg = typer.Typer(help="Guaranteed Guess: assembly translated between ISAs, accepted when tested and covered.",
                 no_args_is_help=True)
app.add_typer(gg, name="gg")

_TASKS = typer.Option(None, "--tasks", help="GG task file (JSONL) [default: the built-in HumanEval in C].")
_MIN_COVERAGE = typer.Option(0.98, "--min-coverage", help="Source line coverage a pass needs to be accepted.")
_WORKERS = typer.Option(None, "--workers", "-j", help="Parallel jobs [default: all cores].")
_OPT = typer.Option("-O0", "--opt", help="gcc optimisation level of the assembly made from the gold.")
_RUN_TIMEOUT = typer.Option(2.0, "--run-timeout", help="CPU seconds per test run.")
_JSON = typer.Option(False, "--json", help="Print summary.json to stdout.")


@gg.command("prompts")
@friendly
def prompts(
    out: Path = typer.Option(..., "--out", "-o", help="JSONL to write: id, source, assembly, prototype per task."),
    source: str = typer.Option("asm-x86_64", "--source", help="The ISA the model translates from."),
    tasks: Optional[Path] = _TASKS, opt: str = _OPT, workers: Optional[int] = _WORKERS,
) -> None:
    """Write what the model is shown: each task's gold compiled to the source ISA's assembly (gcc -S)."""
    from execeval.sandbox.factory import open_sandbox
    from execeval.translation import guaranteed_guess as g

    with open_sandbox(workers) as sandbox:
        rows = g.prompts(g.load_tasks(tasks), source, sandbox, opt)
    out.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    typer.echo(f"{len(rows)} prompts ({source}, gcc {opt}): {out}")


@gg.command("judge")
@friendly
def judge(
    candidates: Path = typer.Argument(..., help='JSONL: {"id", "language": "asm-aarch64", "candidates": [...]}.'),
    out: Path = typer.Option(..., "--out", "-o", help="Run directory (results.jsonl, summary.json)."),
    tasks: Optional[Path] = _TASKS, min_coverage: float = _MIN_COVERAGE, workers: Optional[int] = _WORKERS,
    run_timeout: float = _RUN_TIMEOUT, as_json: bool = _JSON,
) -> None:
    """Judge candidate assembly: built with each task's C harness, run, accepted when the tests cover the source."""
    from execeval.translation import guaranteed_guess as g

    summary = g.evaluate_gg(candidates, out, tasks=g.load_tasks(tasks), min_coverage=min_coverage,
                            workers=workers, run_s=run_timeout)
    _print(summary, out, as_json)


@gg.command("run")
@friendly
def run(
    model: str = typer.Option(..., "--model", help="Backend spec: openai:MODEL, hf:PATH, replay:FILE."),
    out: Path = typer.Option(..., "--out", "-o", help="Run directory (candidates.jsonl, results, summary)."),
    target: str = typer.Option("asm-aarch64", "--target", help="The ISA the model translates to."),
    source: str = typer.Option("asm-x86_64", "--source", help="The ISA the model is shown."),
    base_url: Optional[str] = typer.Option(None, "--base-url", envvar="OPENAI_BASE_URL"),
    n: int = typer.Option(1, "--n", help="Candidates per program."),
    temperature: float = typer.Option(0.0, "--temperature"),
    max_tokens: int = typer.Option(2048, "--max-tokens"),
    tasks: Optional[Path] = _TASKS, opt: str = _OPT, min_coverage: float = _MIN_COVERAGE,
    workers: Optional[int] = _WORKERS, run_timeout: float = _RUN_TIMEOUT, as_json: bool = _JSON,
) -> None:
    """The whole protocol: source assembly shown to a model, its target assembly judged and coverage-gated."""
    from execeval.cli.iterate import backend_options
    from execeval.models import SamplingParams, load_backend
    from execeval.sandbox.factory import open_sandbox
    from execeval.translation import guaranteed_guess as g
    from execeval.translation.gg_model import ask_model_sync

    task_list = g.load_tasks(tasks)
    g.target_of(target)
    out.mkdir(parents=True, exist_ok=True)
    backend = load_backend(model, **backend_options(model, base_url))
    with open_sandbox(workers) as sandbox:
        shown = g.prompts(task_list, source, sandbox, opt)
        groups = ask_model_sync(backend, shown, target, n=n,
                                params=SamplingParams(temperature=temperature, max_tokens=max_tokens))
        _write_candidates(out / "candidates.jsonl", groups)
        summary = g.evaluate_gg(groups, out, tasks=task_list, min_coverage=min_coverage, run_s=run_timeout,
                                sandbox=sandbox)
    _print(summary, out, as_json)


@gg.command("gold")
@friendly
def gold(
    out: Path = typer.Option(..., "--out", "-o", help="Run directory (candidates.jsonl, results, summary)."),
    targets: str = typer.Option("c,asm-x86_64,asm-aarch64,asm-riscv64", "--targets", help="Comma-separated."),
    tasks: Optional[Path] = _TASKS, opt: str = _OPT, min_coverage: float = _MIN_COVERAGE,
    workers: Optional[int] = _WORKERS, run_timeout: float = _RUN_TIMEOUT, as_json: bool = _JSON,
) -> None:
    """The gold check: every task's gold compiled for each target by its gcc (-S), judged as a candidate."""
    from execeval.sandbox.factory import open_sandbox
    from execeval.translation import guaranteed_guess as g

    task_list = g.load_tasks(tasks)
    out.mkdir(parents=True, exist_ok=True)
    with open_sandbox(workers) as sandbox:
        groups = g.gold_candidates(task_list, [t for t in targets.split(",") if t.strip()], sandbox, opt)
        _write_candidates(out / "candidates.jsonl", groups)
        summary = g.evaluate_gg(groups, out, tasks=task_list, min_coverage=min_coverage, run_s=run_timeout,
                                sandbox=sandbox)
    _print(summary, out, as_json)


def _write_candidates(path: Path, groups: list) -> None:
    path.write_text("".join(json.dumps({"id": c.function_id, "language": c.language, "candidates": list(c.candidates)})
                            + "\n" for c in groups), encoding="utf-8")


def _print(summary: dict, out: Path, as_json: bool) -> None:
    if as_json:
        print(json.dumps(summary, indent=2))
        return
    for target, e in summary["by_target"].items():
        typer.echo(f"{target}: functional {e['functional_correctness']:.3f} ({e['n_functional']}/{e['programs']})  "
                   f"accepted with guarantee {e['accepted']:.3f} ({e['n_accepted']})  {e['status_counts']}")
    cov = summary["coverage"]
    typer.echo(f"source line coverage: mean {cov['mean_line_coverage']}, gate {summary['min_coverage']}")
    typer.echo(f"results: {out / 'results.jsonl'}")
