"""`interact run` and `interact replay`: agents in Bash / SQL / Python environments, and InterCode's runs re-scored."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer

from execeval.cli.shared import app, friendly

interact = typer.Typer(help="Interactive environments (Bash, SQL, Python) with InterCode's rewards.",
                       no_args_is_help=True)
app.add_typer(interact, name="interact")

_SETUP = typer.Option(None, "--setup", help="InterCode's setup_nl2b_fs_N.sh [default: found in its repository].")
_DUMP = typer.Option(None, "--dump", help="MySQL dump of an InterCode SQL set [default: *_dbs.sql beside it].")
_LIMIT = typer.Option(None, "--limit", help="Only the first N tasks / episodes.")
_WORKERS = typer.Option(None, "--workers", help="Sandbox workers [default: one per core].")


@interact.command("run")
@friendly
def run(
    tasks: Path = typer.Argument(..., help="Task file: execeval's JSONL or one of InterCode's task files."),
    model: str = typer.Option(..., "--model", help="Backend spec: openai:MODEL, hf:PATH, replay:FILE."),
    out: Path = typer.Option(..., "--out", "-o", help="Run directory (store, results.jsonl, summary.json)."),
    base_url: Optional[str] = typer.Option(None, "--base-url", help="OpenAI-compatible server URL (…/v1)."),
    strategy: str = typer.Option("try_again", "--strategy", help="single, try_again, react or plan_solve."),
    turns: int = typer.Option(5, "--turns", help="Turns per episode at most."),
    concurrency: int = typer.Option(50, "--concurrency", help="Episodes in flight at once."),
    temperature: float = typer.Option(0.0, "--temperature"),
    max_tokens: int = typer.Option(512, "--max-tokens"),
    sql_order: str = typer.Option("gold", "--sql-order",
                                  help="When row order counts: gold, always (InterCode), never."),
    postgres: Optional[str] = typer.Option(None, "--postgres", help="Run SQL tasks on this PostgreSQL server "
                                           "(a libpq DSN with rights to create roles and databases) instead "
                                           "of SQLite; needs psycopg."),
    setup: Optional[Path] = _SETUP, dump: Optional[Path] = _DUMP, limit: Optional[int] = _LIMIT,
    workers: Optional[int] = _WORKERS,
) -> None:
    """Run an agent loop on every task; rerun the same command to resume."""
    import asyncio

    from execeval.models import SamplingParams, load_backend
    from execeval.protocols.interactive import load_interactive_tasks, run_interactive
    from execeval.sandbox import open_sandbox

    options = {"base_url": base_url} if base_url and model.startswith("openai:") else {}
    with open_sandbox(workers) as sandbox:
        taskset = load_interactive_tasks(tasks, sandbox=sandbox, setup=setup, dump=dump, limit=limit)

        async def go() -> dict:
            async with load_backend(model, **options) as backend:
                sql = {"order": sql_order, "dsn": postgres}
                return await run_interactive(taskset, backend, out, sandbox, strategy=strategy, max_turns=turns,
                                             concurrency=concurrency, env_options={"sql": sql},
                                             params=SamplingParams(temperature=temperature, max_tokens=max_tokens))

        summary = asyncio.run(go())
    by_turn = ", ".join(f"{x:.2f}" for x in summary["success_by_turn"])
    typer.echo(f"{summary['episodes']} episodes: success {summary['success_rate']:.3f}, mean reward "
               f"{summary['mean_reward']:.3f}, success by turn [{by_turn}]  ->  {out}")


@interact.command("replay")
@friendly
def replay(
    results: list[Path] = typer.Argument(..., help="InterCode results JSON files (data/results/...), all made on "
                                         "the --tasks file."),
    tasks: Path = typer.Option(..., "--tasks", help="The InterCode task file the results were made on (its "
                               "nl2bash file systems need InterCode's docker/bash_scripts/ above it, or --setup)."),
    out: Optional[Path] = typer.Option(None, "--out", "-o", help="Write every episode's rewards here (JSONL)."),
    setup: Optional[Path] = _SETUP, dump: Optional[Path] = _DUMP, limit: Optional[int] = _LIMIT,
    workers: Optional[int] = _WORKERS,
) -> None:
    """Re-execute published trajectory files' actions and compare the rewards with the recorded ones."""
    import asyncio

    from execeval.protocols.interactive import load_interactive_tasks
    from execeval.protocols.interactive.intercode import check_results, replay as replay_file, summarize
    from execeval.sandbox import open_sandbox

    summaries = []
    with open_sandbox(workers) as sandbox:
        taskset = load_interactive_tasks(tasks, sandbox=sandbox, setup=setup, dump=dump)
        checked = [check_results(path, taskset, limit=limit) for path in results]  # all, before any runs
        for path, episodes in zip(results, checked):
            summaries.append(asyncio.run(replay_file(path, taskset, sandbox, limit=limit, episodes=episodes)))
            typer.echo(f"{path.name}: {_line(summaries[-1])}")
    rows = [dict(r, results=str(path)) for path, s in zip(results, summaries) for r in s["rows"]]
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text("".join(json.dumps(r) + "\n" for r in rows))
    if len(results) > 1:
        typer.echo(f"overall: {_line(summarize(rows))}")


def _line(s: dict) -> str:
    return (f"{s['matched']} of {s['episodes']} episodes match the recorded best reward; success (reward 1) "
            f"recorded {s['recorded_success']:.3f}, replayed {s['replayed_success']:.3f}; mean reward recorded "
            f"{s['recorded_mean']:.3f}, replayed {s['replayed_mean']:.3f}")

