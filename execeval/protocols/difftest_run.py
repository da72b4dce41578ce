"""`execeval difftest P Q`: one difference search as a run, model-free or with a model, resumable in a run dir.

    result = run_difftest(p_code, q_code, ["f(3, [1, 2])"], out_dir="runs/dt")                  # model-free
    result = run_difftest(p_code, q_code, ["f(3)"], backend=load_backend(...), model_config=ModelSearchConfig())

With `out_dir`, the search's rounds are run-store records (a rerun resumes), results.jsonl has one line (passed:
a difference was found) and summary.json the search (per-round curve, samples and tokens spent) for the report.
"""

from __future__ import annotations

import ast
import asyncio
import os
import time
from collections.abc import Sequence
from typing import Any

import execeval
from execeval.errors import UsageError
from execeval.models.base import Backend
from execeval.protocols.difftest import BATCH, BUDGET, DiffResult, find_difference
from execeval.protocols.model_search import ModelSearchConfig, parse_input, search_key, search_with_model
from execeval.protocols.observe import Program, call_text
from execeval.protocols.runfiles import write_protocol_run
from execeval.sandbox.base import Sandbox

__all__ = ["run_difftest", "entry_point_of", "parse_seed"]


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


def run_difftest(p_code: str, q_code: str, seed_inputs: Sequence[str], *, entry_point: str | None = None,
                 backend: Backend | None = None, model_config: ModelSearchConfig | None = None,
                 budget: int = BUDGET, batch: int = BATCH, seed: int = 0, setup: str = "",
                 out_dir: str | os.PathLike | None = None, sandbox: Sandbox | None = None) -> DiffResult:
    """Search for an input on which P and Q differ: with `backend`, the model-driven search (Mokav's loop),
    else the model-free one over `budget` inputs."""
    entry = entry_point or entry_point_of(p_code, q_code)
    seeds = [parse_seed(s, entry) for s in seed_inputs]
    if backend is None and not seeds:
        raise UsageError("the model-free search needs a seed input (its shape is the input type)",
                         hint=f"add --seed-input '{entry}(...)'")
    p, q = Program(p_code, entry, setup), Program(q_code, entry, setup)
    started = time.time()
    own = sandbox is None
    if sandbox is None:
        from execeval.sandbox.forkserver import ForkServerSandbox

        sandbox = ForkServerSandbox()
    store = None
    if out_dir is not None:
        from execeval.store import RunStore

        store = RunStore.in_dir(out_dir)
    try:
        if backend is not None:
            config = model_config or ModelSearchConfig()
            name = search_key(p, q, config, seeds[0] if seeds else None, backend.name)
            result = asyncio.run(_with(backend, search_with_model(p, q, backend, sandbox, config,
                                                                  seed_input=seeds[0] if seeds else None,
                                                                  store=store, name=name)))
            how = {"search": "model", "model": backend.name, "name": name, **_config_dict(config)}
        else:
            result = find_difference(p, q, seeds, sandbox, budget=budget, batch=batch, seed=seed)
            how = {"search": "model-free", "budget": budget, "batch": batch, "seed": seed}
    finally:
        if store is not None:
            store.close()
        if own:
            sandbox.close()
    if out_dir is not None:
        _write(out_dir, result, p, q, seeds, how, started)
    return result


async def _with(backend: Backend, work: Any) -> DiffResult:
    async with backend:
        return await work


def _config_dict(config: ModelSearchConfig) -> dict:
    return {"rounds": config.rounds, "samples": config.n, "temperature": config.temperature,
            "parts": list(config.parts)}


def _write(out_dir: str | os.PathLike, result: DiffResult, p: Program, q: Program, seeds: list, how: dict,
           started: float) -> None:
    found = result.found
    turn = {"correct": found, "round": result.round_found or len(result.rounds), "code": q.code,
            "tests_passed": int(found), "tests_total": 1, "counterexample": None}
    row_extra = {"difftest": {"differs": found, "input": call_text(p.entry_point, result.input) if found else None,
                              "p": result.p.describe() if result.p else None,
                              "q": result.q.describe() if result.q else None}}
    from execeval.protocols.runfiles import protocol_row

    rows = [protocol_row("difftest", turn, extra=row_extra)]
    rows[0]["first_failure"] = "" if found else f"no difference in {result.inputs_tried} inputs"
    curve, hit = [], False
    for r in result.rounds:
        hit = hit or r["found"]
        curve.append(int(hit))
    summary = {"protocol": "difftest", "execeval_version": execeval.__version__,
               "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "n_tasks": 1, "n_samples": 1,
               "pass_at_k": {"base": {"pass@1": float(found)}},
               "difftest_search": {**result.as_dict(), "found_by_round": curve, "entry_point": p.entry_point,
                                   "seed_inputs": [call_text(p.entry_point, s) for s in seeds], **how},
               "elapsed_s": round(time.time() - started, 3)}
    write_protocol_run(out_dir, rows, summary)
