"""`execeval difftest`: difference searches as a run, model-free or with a model, resumable in a run dir.

    result = run_difftest(p_code, q_code, ["f(3, [1, 2])"], out_dir="runs/dt")                  # model-free
    result = run_difftest(p_code, q_code, ["f(3)"], backend=load_backend(...), model_config=ModelSearchConfig())
    summary = run_pairs(load_pairs("pairs.jsonl"), backend=..., out_dir="runs/dt")             # many pairs

With `out_dir`, each model round is a run-store record (a rerun resumes), results.jsonl has one line per pair
(passed: a difference was found) and summary.json the curve over pairs (share found by each round), the samples
and tokens spent, and for a single pair its search, for the report.

A pairs file is JSON Lines: {"id": "...", "p": CODE, "q": CODE, "seed_inputs": ["f(1)"], "entry_point": "f"}
(`entry_point` and `seed_inputs` optional; the model-free search needs a seed input).
"""

from __future__ import annotations

import ast
import asyncio
import json
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import execeval
from execeval.errors import UsageError
from execeval.models.base import Backend
from execeval.protocols.difftest.search import BATCH, BUDGET, DiffResult, find_difference
from execeval.protocols.difftest.model_search import ModelSearchConfig, parse_input, search_key, search_with_model
from execeval.protocols.observe import Program, call_text
from execeval.protocols.runfiles import write_protocol_run
from execeval.sandbox.base import Sandbox
from execeval.tasks.records import read_raw

__all__ = ["run_difftest", "run_pairs", "load_pairs", "PairSpec", "entry_point_of", "parse_seed"]


def entry_point_of(p_code: str, q_code: str) -> str:
    """The first top-level function both programs define."""
    names = []
    for code in (p_code, q_code):
        try:
            tree = ast.parse(code)
        except SyntaxError as e:
            raise UsageError(f"a program does not parse (line {e.lineno}: {e.msg})",
                             hint="pass --entry NAME to search anyway") from None
        names.append([n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))])
    common = [n for n in names[0] if n in names[1]]
    if not common:
        raise UsageError("the two programs define no function of the same name", hint="pass --entry NAME")
    return common[0]


def parse_seed(text: str, entry_point: str) -> list[Any]:
    args = parse_input(text, entry_point)
    if args is None:
        raise UsageError(f"--seed-input {text!r}: not a call with literal arguments",
                         hint=f"e.g. --seed-input '{entry_point}(3, [1, 2])'")
    return args


@dataclass(frozen=True)
class PairSpec:
    id: str
    p: str
    q: str
    seed_inputs: tuple[str, ...] = ()
    entry_point: str | None = None
    setup: str = ""
    description: str = ""
    extra: dict = field(default_factory=dict, compare=False)


def load_pairs(path: str | os.PathLike) -> list[PairSpec]:
    """A pairs file (see the module docstring); errors name the line."""
    pairs = []
    for n, line in enumerate(read_raw(path, UsageError).text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            rec = json.loads(line)
            pairs.append(PairSpec(str(rec.get("id", n)), rec["p"], rec["q"], tuple(rec.get("seed_inputs", ())),
                                  rec.get("entry_point"), rec.get("setup", ""), rec.get("description", "")))
        except (ValueError, KeyError, TypeError) as e:
            raise UsageError(f"{path}:{n}: not a pair ({type(e).__name__}: {e})",
                             hint='each line: {"id": ..., "p": CODE, "q": CODE, "seed_inputs": ["f(1)"]}') \
                from None
    if not pairs:
        raise UsageError(f"{path}: no pairs")
    return pairs


def run_difftest(p_code: str, q_code: str, seed_inputs: Sequence[str], *, entry_point: str | None = None,
                 backend: Backend | None = None, model_config: ModelSearchConfig | None = None,
                 budget: int = BUDGET, batch: int = BATCH, seed: int = 0, setup: str = "",
                 out_dir: str | os.PathLike | None = None, sandbox: Sandbox | None = None) -> DiffResult:
    """Search for an input on which P and Q differ: with `backend`, the model-driven search (Mokav's loop),
    else the model-free one over `budget` inputs."""
    pair = PairSpec("difftest", p_code, q_code, tuple(seed_inputs), entry_point, setup)
    results = _run([pair], backend, model_config, budget, batch, seed, out_dir, sandbox)
    return results[0][1]


def run_pairs(pairs: Sequence[PairSpec], *, backend: Backend | None = None,
              model_config: ModelSearchConfig | None = None, budget: int = BUDGET, batch: int = BATCH,
              seed: int = 0, out_dir: str | os.PathLike | None = None, sandbox: Sandbox | None = None,
              concurrency: int = 8) -> dict:
    """Search every pair; the summary's `difftest_pairs` has the share found by each round (cumulative)."""
    results = _run(pairs, backend, model_config, budget, batch, seed, out_dir, sandbox, concurrency)
    return _pairs_summary(results)


def _prepare(pair: PairSpec, needs_seed: bool) -> tuple[Program, Program, list[list[Any]]]:
    entry = pair.entry_point or entry_point_of(pair.p, pair.q)
    seeds = [parse_seed(s, entry) for s in pair.seed_inputs]
    if needs_seed and not seeds:
        raise UsageError(f"pair {pair.id}: the model-free search needs a seed input (its shape is the input type)",
                         hint=f"add --seed-input '{entry}(...)'")
    return Program(pair.p, entry, pair.setup), Program(pair.q, entry, pair.setup), seeds


def _run(pairs: Sequence[PairSpec], backend: Backend | None, model_config: ModelSearchConfig | None, budget: int,
         batch: int, seed: int, out_dir: str | os.PathLike | None, sandbox: Sandbox | None,
         concurrency: int = 8) -> list[tuple[PairSpec, DiffResult, dict]]:
    prepared = [_prepare(pair, backend is None) for pair in pairs]
    started = time.time()
    own = sandbox is None
    if sandbox is None:
        from execeval.sandbox.factory import open_sandbox

        sandbox = open_sandbox()
    store = None
    if out_dir is not None:
        from execeval.runs.store import RunStore

        store = RunStore.in_dir(out_dir)
    try:
        if backend is not None:
            config = model_config or ModelSearchConfig()
            results = asyncio.run(_model_searches(pairs, prepared, backend, sandbox, config, store, concurrency))
        else:
            how = {"search": "model-free", "budget": budget, "batch": batch, "seed": seed}
            results = [(pair, find_difference(p, q, seeds, sandbox, budget=budget, batch=batch, seed=seed), how)
                       for pair, (p, q, seeds) in zip(pairs, prepared)]
    finally:
        if store is not None:
            store.close()
        if own:
            sandbox.close()
    if out_dir is not None:
        _write(out_dir, results, prepared, started)
    return results


async def _model_searches(pairs: Sequence[PairSpec], prepared: list, backend: Backend, sandbox: Sandbox,
                          config: ModelSearchConfig, store: Any, concurrency: int) -> list:
    gate = asyncio.Semaphore(concurrency)

    async def one(pair: PairSpec, p: Program, q: Program, seeds: list) -> tuple[PairSpec, DiffResult, dict]:
        cfg = replace(config, description=pair.description or config.description)
        seed_input = seeds[0] if seeds else None
        name = search_key(p, q, cfg, seed_input, backend.name)
        async with gate:
            result = await search_with_model(p, q, backend, sandbox, cfg, seed_input=seed_input, store=store,
                                             name=name)
        return pair, result, {"search": "model", "model": backend.name, "name": name, **_config_dict(cfg)}

    async with backend:
        return list(await asyncio.gather(*(one(pair, *prep) for pair, prep in zip(pairs, prepared))))


def _config_dict(config: ModelSearchConfig) -> dict:
    return {"rounds": config.rounds, "samples_per_round": config.n, "temperature": config.temperature,
            "parts": list(config.parts)}


def _found_by_round(result: DiffResult, rounds: int) -> list[int]:
    return [int(result.round_found is not None and result.round_found <= r) for r in range(1, rounds + 1)]


def _pairs_summary(results: list[tuple[PairSpec, DiffResult, dict]]) -> dict:
    rounds = max((len(r.rounds) for _, r, _ in results), default=0)
    if results and results[0][2].get("search") == "model":
        rounds = max(rounds, results[0][2]["rounds"])
    n = len(results)
    counts = [sum(_found_by_round(r, rounds)[i] for _, r, _ in results) for i in range(rounds)]
    return {"pairs": n, "found": sum(r.found for _, r, _ in results),
            "found_by_round": [round(c / n, 6) for c in counts] if n else [],
            "samples": sum(r.samples for _, r, _ in results), "tokens": sum(r.tokens for _, r, _ in results),
            "inputs_tried": sum(r.inputs_tried for _, r, _ in results),
            **{k: v for k, v in (results[0][2] if results else {}).items() if k != "name"}}


def _write(out_dir: str | os.PathLike, results: list[tuple[PairSpec, DiffResult, dict]], prepared: list,
           started: float) -> None:
    from execeval.protocols.runfiles import protocol_row

    rows = []
    for (pair, result, _), (p, q, _) in zip(results, prepared):
        found = result.found
        turn = {"correct": found, "round": result.round_found or len(result.rounds), "code": q.code,
                "tests_passed": int(found), "tests_total": 1, "counterexample": None}
        mark = {"differs": found, "input": call_text(p.entry_point, result.input) if found else None,  # type: ignore[arg-type]  # found implies an input
                "p": result.p.describe() if result.p else None, "q": result.q.describe() if result.q else None,
                "round_found": result.round_found, "inputs_tried": result.inputs_tried, "samples": result.samples}
        row = protocol_row(pair.id, turn, extra={"difftest": mark})
        row["first_failure"] = "" if found else f"no difference in {result.inputs_tried} inputs"
        rows.append(row)
    summary = {"protocol": "difftest", "execeval_version": execeval.__version__,
               "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "n_tasks": len(rows),
               "n_tasks_evaluated": len(rows), "n_samples": len(rows),
               "pass_at_k": {"base": {"pass@1": sum(r["passed"] for r in rows) / len(rows) if rows else None}},
               "difftest_pairs": _pairs_summary(results), "elapsed_s": round(time.time() - started, 3)}
    if len(results) == 1:
        (pair, result, how), (p, _, seeds) = results[0], prepared[0]
        summary["difftest_search"] = {**result.as_dict(), "found_by_round": _found_by_round(result, len(result.rounds)),
                                      "entry_point": p.entry_point,
                                      "seed_inputs": [call_text(p.entry_point, s) for s in seeds], **how}
    write_protocol_run(out_dir, rows, summary)
