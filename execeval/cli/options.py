"""The execution flags, defined once: `evaluate` and `run` (and any command that runs samples) take the same set
and get one `EvalConfig` built from them, so a setting cannot exist on one command and be missing on another.

    @app.command()
    @friendly
    @execution_options
    def evaluate(samples: Path, ..., config: EvalConfig) -> None: ...

The decorator adds the flags below to the command's signature (typer reads the signature) and passes the
command a ready `config` instead.
"""

from __future__ import annotations

import functools
import inspect
import types
import typing
from pathlib import Path
from typing import TYPE_CHECKING, Any, Optional
from collections.abc import Callable

import typer

from execeval.cli.shared import parse_k
from execeval.errors import UsageError
from execeval.evaluation.pipeline import EvalConfig
from execeval.evaluation.programs import TimePolicy, not_positive
from execeval.sandbox.factory import EXECUTORS
from execeval.sandbox.limits import DEFAULT_LIMITS

if TYPE_CHECKING:
    from execeval.generate import GenConfig

_K_DEFAULT = ",".join(map(str, EvalConfig().k))  # one source: EvalConfig

# name -> (type, typer option); the order is --help's order
EXECUTION_OPTIONS: dict[str, tuple[object, object]] = {
    "k": (Optional[str], typer.Option(None, "--k", help=f"pass@k values to report, only k ≤ samples per task "
                                      f"\\[default: {_K_DEFAULT}].")),
    "workers": (Optional[int], typer.Option(None, "--workers", "-j", help="Parallel jobs (default: all cores; with "
                                            "--executor ray: per node).")),
    "timeout": (float, typer.Option(TimePolicy.floor_s, "--timeout", help="Per-test CPU floor of base tests, in "
                                    "seconds of the reference machine (scaled by this machine's speed); a test may "
                                    "use max(this, time-factor × the reference solution's CPU time). "
                                    "docs/time-limits.md says why 0.25.")),
    "plus_timeout": (float, typer.Option(TimePolicy.plus_floor_s, "--plus-timeout", help="The same floor for "
                                         "EvalPlus's plus tests (large inputs; EvalPlus's own is 1 s).")),
    "machine_speed": (Optional[float], typer.Option(None, "--machine-speed", help="This machine's CPU time per "
                                                    "reference-machine second \\[default: measured once, kept in "
                                                    "the run and the cache]; 1 uses limits as stated.")),
    "time_factor": (float, typer.Option(TimePolicy.factor, "--time-factor", help="Multiple of the reference's CPU "
                                        "time per test.")),
    "memory_mb": (int, typer.Option(DEFAULT_LIMITS.memory_mb, "--memory-mb", help="Address-space limit per "
                                    "process, MB.")),
    "run_timeout": (float, typer.Option(TimePolicy.run_s, "--run-timeout", help="CPU seconds per run for tasks "
                                        "built and run in their own language (MultiPL-E, stdin/stdout); a task's "
                                        "time_limit_s wins.")),
    "all_tests": (bool, typer.Option(False, "--all-tests", help="Run every test (exact pass ratio) instead of "
                                     "stopping at the first failure.")),
    "base_only": (bool, typer.Option(False, "--base-only", help="Ignore EvalPlus plus tests.")),
    "split": (str, typer.Option("test", "--split", help="MBPP split: test, validation, train, prompt or all.")),
    "data_dir": (Optional[Path], typer.Option(None, "--data-dir", envvar="EXECEVAL_DATA_DIR",
                                              help="Folder with benchmark files under their usual names.")),
    "coverage": (bool, typer.Option(False, "--coverage", help="Measure line and branch coverage of each passing "
                                    "candidate under its tests (results.jsonl, summary.json).")),
    "min_coverage": (Optional[float], typer.Option(None, "--min-coverage", help="A pass whose coverage (lines and "
                                                   "branches covered over lines and branches, as coverage.py's "
                                                   "total) is below this (0-1) becomes passed_undertested; "
                                                   "implies --coverage.")),
    "difftest": (bool, typer.Option(False, "--difftest", help="Search for inputs on which each passing sample "
                                    "and the reference differ: a found one marks the pass as wrong and the tests "
                                    "as weak.")),
    "executor": (str, typer.Option("local", "--executor", help="Where jobs run: local (this machine's fork "
                                   "servers) or ray (a Ray cluster's workers; pip install 'execeval\\[ray]').")),
    "address": (Optional[str], typer.Option(None, "--address", help="With --executor ray: the cluster's address "
                                            "\\[default: RAY_ADDRESS, else a local cluster].")),
    "since": (Optional[str], typer.Option(None, "--since", help="YYYY-MM-DD: only tasks dated on or after it "
                                          "(LiveCodeBench's contest_date), as LiveCodeBench selects them.")),
    "until": (Optional[str], typer.Option(None, "--until", help="YYYY-MM-DD: only tasks dated on or before it "
                                          "(midnight of that day, as LiveCodeBench's --end_date).")),
}


def option(name: str) -> Any:
    """One execution flag's typer option, for a command that takes it without the whole set (one definition)."""
    return EXECUTION_OPTIONS[name][1]


def eval_config(*, k: str | None = None, workers: int | None = None, timeout: float = TimePolicy.floor_s,
                plus_timeout: float = TimePolicy.plus_floor_s, machine_speed: float | None = None,
                time_factor: float = TimePolicy.factor, memory_mb: int = DEFAULT_LIMITS.memory_mb,
                run_timeout: float = TimePolicy.run_s, all_tests: bool = False, base_only: bool = False,
                split: str = "test", data_dir: Path | None = None, coverage: bool = False,
                min_coverage: float | None = None, difftest: bool = False, executor: str = "local",
                address: str | None = None, skip_bad_lines: bool = False, since: str | None = None,
                until: str | None = None, sample_format: str = "auto") -> EvalConfig:
    """The `EvalConfig` the execution flags describe (flag names as keywords), checked with messages that name
    the flag."""
    from execeval.samples.formats import SAMPLE_FORMATS

    if sample_format not in SAMPLE_FORMATS:
        raise UsageError(f"--sample-format {sample_format!r}: expected one of {', '.join(SAMPLE_FORMATS)}")
    if executor not in EXECUTORS:
        raise UsageError(f"--executor {executor!r}: expected one of {', '.join(EXECUTORS)}")
    if address is not None and executor != "ray":
        raise UsageError("--address goes with --executor ray", hint="add --executor ray, or drop --address")
    from execeval.tasks.dates import parse_day

    parse_day(since, "--since"), parse_day(until, "--until")  # a bad date is a usage error before anything runs
    if min_coverage is not None and not 0 <= min_coverage <= 1:
        raise UsageError(f"--min-coverage {min_coverage}: a share of lines, from 0 to 1", hint="e.g. 0.9")
    flags = {"--timeout": timeout, "--plus-timeout": plus_timeout, "--time-factor": time_factor,
             "--memory-mb": memory_mb, "--run-timeout": run_timeout, "--machine-speed": machine_speed}
    bad = not_positive(flags)
    if bad is not None:
        raise UsageError(f"{bad} {flags[bad]}: must be more than 0", hint="1 uses the limits as stated; leave it "
                         "out to measure this machine" if bad == "--machine-speed" else "see docs/time-limits.md")
    return EvalConfig(k=parse_k(k or _K_DEFAULT), workers=workers, all_tests=all_tests, plus=not base_only,
                      policy=TimePolicy(floor_s=timeout, plus_floor_s=plus_timeout, factor=time_factor,
                                        memory_mb=memory_mb, run_s=run_timeout, speed=machine_speed),
                      skip_bad_lines=skip_bad_lines, sample_format=sample_format, split=split, data_dir=str(data_dir) if data_dir else None,
                      coverage=coverage or min_coverage is not None, min_coverage=min_coverage, difftest=difftest,
                      executor=executor, ray_address=address, since=since, until=until)


def _typer_hints(fn: Callable, signature: inspect.Signature) -> dict[str, object]:
    """The annotations typer reads, resolved in the command's module. The keywords a decorator fills (`config`,
    `gen`: keyword-only, no default) stay unresolved, so a command module imports their types only for type
    checking and `execeval evaluate` never loads `execeval.generate`."""
    filled = {name for name, p in signature.parameters.items() if p.kind is p.KEYWORD_ONLY and p.default is p.empty}
    read = {name: kind for name, kind in fn.__annotations__.items() if name not in filled and name != "return"}
    return typing.get_type_hints(types.SimpleNamespace(__annotations__=read), globalns=fn.__globals__)


def _adding(options: dict[str, tuple[object, object]], build: Callable[..., object], keyword: str,
           passed_through: tuple[str, ...] = ()) -> Callable[[Callable], Callable]:
    """A decorator that adds `options` to a command's signature (typer reads it) and hands the command
    `keyword=build(**those flags)`; `passed_through` names the command's own parameters `build` also takes."""

    def decorate(fn: Callable) -> Callable:
        signature = inspect.signature(fn)
        hints = _typer_hints(fn, signature)
        own = [p.replace(annotation=hints.get(name, p.annotation)) for name, p in signature.parameters.items()
               if name != keyword]
        added = [inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=option, annotation=kind)
                 for name, (kind, option) in options.items()]

        @functools.wraps(fn)
        def wrapper(*args: object, **kwargs: object) -> object:
            flags = {name: kwargs.pop(name) for name in options if name in kwargs}
            flags.update({name: kwargs[name] for name in passed_through if name in kwargs})
            return fn(*args, **{keyword: build(**flags)}, **kwargs)

        wrapper.__signature__ = signature.replace(parameters=own + added)  # type: ignore[attr-defined]
        wrapper.__annotations__ = {p.name: p.annotation for p in own + added}
        del wrapper.__wrapped__  # typer must read the signature above, not the function's own
        return wrapper

    return decorate


#: Give a command every execution flag; it receives them as one `config: EvalConfig` keyword.
execution_options = _adding(EXECUTION_OPTIONS, eval_config, "config", passed_through=("skip_bad_lines",
                                                                                             "sample_format"))

GENERATION_OPTIONS: dict[str, tuple[object, object]] = {
    "model": (str, typer.Option(..., "--model", "-m", help="Backend spec: openai:MODEL (any OpenAI-compatible "
                                "server), hf:PATH (local transformers weights) or replay:SAMPLES_FILE.")),
    "base_url": (Optional[str], typer.Option(None, "--base-url", envvar="OPENAI_BASE_URL", help="Server URL ending "
                                             "in /v1, e.g. http://127.0.0.1:8000/v1 (vLLM, llama.cpp, Ollama).")),
    "n": (int, typer.Option(1, "--n", help="Samples per task (pass@k needs n ≥ k).")),
    "temperature": (float, typer.Option(0.0, "--temperature", help="Sampling temperature (0: greedy).")),
    "top_p": (float, typer.Option(1.0, "--top-p")),
    "max_tokens": (int, typer.Option(512, "--max-tokens")),
    "seed": (Optional[int], typer.Option(None, "--seed", help="Base seed; sample i is sent seed + i.")),
    "style": (Optional[str], typer.Option(None, "--style", help="Prompt style: completion (HumanEval), mbpp-3shot, "
                                          "instruct \\[default: from the tasks; instruct with --chat].")),
    "chat": (bool, typer.Option(False, "--chat", help="Use the chat endpoint and extract code from the reply.")),
    "max_connections": (int, typer.Option(32, "--max-connections", help="Requests in flight at once.")),
    "api_key_env": (str, typer.Option("OPENAI_API_KEY", "--api-key-env", help="Environment variable holding the "
                                      "API key.")),
    "request_timeout": (float, typer.Option(120.0, "--request-timeout", help="Seconds before a request is "
                                            "retried.")),
}


def gen_config(*, model: str, base_url: str | None = None, n: int = 1, temperature: float = 0.0, top_p: float = 1.0,
               max_tokens: int = 512, seed: int | None = None, style: str | None = None, chat: bool = False,
               max_connections: int = 32, api_key_env: str = "OPENAI_API_KEY",
               request_timeout: float = 120.0) -> GenConfig:
    """The `GenConfig` the generation flags describe, checked with messages that name the flag."""
    from execeval.generate import GenConfig
    from execeval.models import SamplingParams

    if n < 1:
        raise UsageError(f"--n {n}: ask for at least one sample per task")
    if max_connections < 1:
        raise UsageError(f"--max-connections {max_connections}: at least 1")
    params = SamplingParams(temperature=temperature, top_p=top_p, max_tokens=max_tokens, seed=seed)
    return GenConfig(model, n=n, params=params, style=style, chat=chat, base_url=base_url, api_key_env=api_key_env,
                     max_connections=max_connections, request_timeout=request_timeout)


#: Give a command every generation flag; it receives them as one `gen: GenConfig` keyword.
generation_options = _adding(GENERATION_OPTIONS, gen_config, "gen")
