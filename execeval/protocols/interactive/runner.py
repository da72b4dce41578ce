"""Many episodes at once: each a coroutine (model call, sandbox job, model call, ...) on one event loop, all
sharing the sandbox's queue. Every turn is committed to the run store as it happens, so rerunning the same
command resumes (recorded replies are replayed, never asked again); results.jsonl and summary.json are written
at the end for `execeval report`.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from pathlib import Path

from execeval.errors import UsageError
from execeval.models.base import Backend, SamplingParams
from execeval.protocols.interactive.agents import STRATEGIES, ScriptedModel, Turn, backend_model
from execeval.protocols.interactive.env import Environment, InteractiveTask
from execeval.protocols.interactive.metrics import summarize
from execeval.protocols.runfiles import write_protocol_run
from execeval.sandbox.base import Sandbox
from execeval.runs.store import RunStore

__all__ = ["environment_for", "run_episode", "run_interactive"]

EPISODE, EPISODE_END = "episode", "episode_end"


def environment_for(language: str, sandbox: Sandbox, **options) -> Environment:
    from execeval.protocols.interactive.bash import BashEnv
    from execeval.protocols.interactive.python import PythonEnv
    from execeval.protocols.interactive.sql import SqlEnv

    envs = {"bash": BashEnv, "sql": SqlEnv, "python": PythonEnv}
    if language not in envs:
        raise UsageError(f"no interactive environment for '{language}'", hint=f"use one of {', '.join(envs)}")
    if language == "sql" and options.get("dsn"):
        from execeval.protocols.interactive.postgres import PostgresEnv

        return PostgresEnv(sandbox, **options)
    options.pop("dsn", None)
    return envs[language](sandbox, **options)


async def run_episode(env: Environment, task: InteractiveTask, backend: Backend, *, strategy: str = "try_again",
                      max_turns: int = 5, store: RunStore | None = None,
                      params: SamplingParams = SamplingParams(max_tokens=512)) -> dict:
    """One episode, resumed from `store` when it has turns of it; returns its result row."""
    if strategy not in STRATEGIES:
        raise UsageError(f"unknown strategy '{strategy}'", hint=f"use one of {', '.join(STRATEGIES)}")
    if store is not None and (done := store.record(EPISODE_END, task.task_id)) is not None:
        return done
    recorded = store.records(EPISODE, f"{task.task_id}/") if store is not None else {}
    replies = [r for turn in recorded.values() for r in turn.get("replies", [])]
    model = ScriptedModel(replies, backend_model(backend, task.task_id, params))

    def on_turn(turn: Turn) -> None:
        if store is not None:
            store.put_record(EPISODE, f"{task.task_id}/{turn.turn:03d}", turn.as_dict())

    started = time.perf_counter()
    try:
        await env.areset(task)
        turns = await STRATEGIES[strategy](env, task, model, max_turns, on_turn)
    finally:
        await env.aclose()
    row = result_row(task, strategy, turns, time.perf_counter() - started, resumed=bool(replies))
    if store is not None:
        store.put_record(EPISODE_END, task.task_id, row)
    return row


def result_row(task: InteractiveTask, strategy: str, turns: Sequence[Turn], wall_s: float, resumed: bool = False
               ) -> dict:
    """One results.jsonl line. `passed`/`status` make the run readable by the main report too."""
    rewards = [t.reward for t in turns if t.reward is not None]
    best = max(rewards, default=0.0)
    acting = [t for t in turns if t.kind != "plan"]
    solved_at = next((i + 1 for i, t in enumerate(acting) if t.reward is not None and t.reward >= 1), None)
    return {"task_id": task.task_id, "completion_id": 0, "language": task.language, "strategy": strategy,
            "query": task.query, "best_reward": best, "final_reward": rewards[-1] if rewards else 0.0,
            "turns": len(acting), "solved_at_turn": solved_at, "passed": solved_at is not None,
            "status": "passed" if solved_at is not None else "failed", "wall_s": round(wall_s, 3),
            "resumed": resumed}


async def run_interactive(tasks: Sequence[InteractiveTask], backend: Backend, out_dir: str | Path,
                          sandbox: Sandbox, *, strategy: str = "try_again", max_turns: int = 5,
                          concurrency: int = 50, env_options: dict | None = None,
                          params: SamplingParams = SamplingParams(max_tokens=512)) -> dict:
    """Every task's episode, `concurrency` at a time; writes results.jsonl and summary.json; returns the summary."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    store = RunStore.in_dir(out)
    gate = asyncio.Semaphore(concurrency)
    options = env_options or {}

    async def one(task: InteractiveTask) -> dict:
        async with gate:
            env = environment_for(task.language, sandbox, **options.get(task.language, {}))
            return await run_episode(env, task, backend, strategy=strategy, max_turns=max_turns, store=store,
                                     params=params)

    try:
        rows = await asyncio.gather(*(one(t) for t in tasks))
        summary = summarize(rows, max_turns=max_turns)
        summary.update({"protocol": "interactive", "strategy": strategy, "model": backend.name,
                        "isolation": sandbox.isolation().as_dict()})
        write_protocol_run(out, rows, summary)
        return summary
    finally:
        store.close()
