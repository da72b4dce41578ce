"""The iterative I/O-example protocol (`execeval iterate`): examples in, code out, one counterexample per miss.

    summary = iterate("humaneval+", load_backend("openai:MODEL", base_url=URL), "runs/it", IterateConfig(rounds=5))

Per task: the reference runs once on a seeded sample of the task's inputs (HumanEval+/MBPP+ base and plus inputs,
a native task's own); round 1 shows `k` of those it accepts with its outputs; each reply's code is run on the
whole sample and compared with the reference in the harness. Conformance: it gives the shown outputs; success:
it gives every output. After a miss the smallest differing input, with the reference's output, is added to the
dialogue and the model asked again, up to `rounds` times. Every turn (prompt, reply, code, verdict,
counterexample) is a run-store record ("iterate", "TASK/ROUND"), so a rerun resumes and nothing is generated
twice. `nl_baseline` also asks each task once with its plain natural-language prompt, for comparison.
"""

from __future__ import annotations

import asyncio
import os
import random
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import execeval
from execeval.errors import UsageError
from execeval.judges import FUNCTION, task_kind
from execeval.models.base import Backend, Generation, GenerationRequest, SamplingParams, generate_all
from execeval.models.prompts import InstructStyle, instruct_messages
from execeval.progress import NullReporter, Reporter
from execeval.protocols.iterate.examples import choose_examples, feedback, first_prompt
from execeval.protocols.inputs import key_of
from execeval.protocols.observe import VALUE, Outcome, call_text, differs, observe_many, task_inputs, task_oracle
from execeval.protocols.observe import task_program
from execeval.protocols.runfiles import protocol_row, write_protocol_run
from execeval.sandbox.base import Sandbox
from execeval.runs.store import RunStore
from execeval.tasks.model import Task, TaskSet

__all__ = ["IterateConfig", "iterate", "iterate_async", "KIND"]

KIND = "iterate"  # run-store record kind
PHASE = "iterate"
_SHOWABLE = 300  # characters: longer inputs or outputs stay hidden tests, never examples


@dataclass(frozen=True)
class IterateConfig:
    """Settings of one run; each has the flag of the same name on `execeval iterate`."""

    k: int = 3  # examples shown in round 1
    rounds: int = 5  # R: attempts per task
    examples: str = "random"  # how the first examples are chosen: random, diverse
    hint: str = "none"  # natural-language hint: none, partial (first sentence), full (the whole docstring)
    pool: int = 100  # hidden inputs per task at most (a seeded sample of its inputs)
    seed: int = 0
    nl_baseline: bool = False  # also ask each task once with its plain prompt
    temperature: float = 0.0
    max_tokens: int = 1024
    case_cpu_s: float = 1.0
    concurrency: int = 16  # dialogues in flight at once

    def __post_init__(self) -> None:
        if self.k < 1 or self.rounds < 1 or self.pool < self.k:
            raise UsageError(f"--k {self.k}, --rounds {self.rounds}, --pool {self.pool}: need k >= 1, rounds >= 1 "
                             "and pool >= k")


@dataclass
class _Dialogue:
    task: Task
    inputs: list[list[Any]]  # the task's hidden pool (inputs the reference accepts)
    expected: list[Outcome]
    shown: list[int]  # indices into inputs, in the order they were shown
    messages: list[dict]
    turns: list[dict]
    done: bool = False


def iterate(tasks: str | os.PathLike | TaskSet, backend: Backend, out_dir: str | os.PathLike,
            config: IterateConfig = IterateConfig(), *, sandbox: Sandbox | None = None,
            reporter: Reporter | None = None, data_dir: str | None = None, limit: int | None = None) -> dict:
    """Run the protocol over `tasks` (a name, a path or a TaskSet); write results.jsonl and summary.json into
    `out_dir`; return the summary. The backend is closed at the end."""
    return asyncio.run(iterate_async(tasks, backend, out_dir, config, sandbox=sandbox, reporter=reporter,
                                     data_dir=data_dir, limit=limit))


async def iterate_async(tasks: str | os.PathLike | TaskSet, backend: Backend, out_dir: str | os.PathLike,
                        config: IterateConfig = IterateConfig(), *, sandbox: Sandbox | None = None,
                        reporter: Reporter | None = None, data_dir: str | None = None,
                        limit: int | None = None) -> dict:
    from execeval.tasks import load_tasks

    started = time.time()
    taskset = tasks if isinstance(tasks, TaskSet) else load_tasks(tasks, data_dir=data_dir)
    chosen = [t for t in taskset.tasks if task_kind(t) == FUNCTION and task_inputs(t)][:limit]
    if not chosen:
        raise UsageError(f"no task of {taskset.name} has inputs to show", hint="iterate needs Python function "
                         "tasks with input lists (HumanEval+, MBPP+, or a native file with \"inputs\")")
    reporter = reporter or NullReporter()
    own = sandbox is None
    if sandbox is None:
        from execeval.sandbox.factory import open_sandbox

        sandbox = open_sandbox()
    store = RunStore.in_dir(out_dir)
    try:
        async with backend:
            dialogues = await asyncio.to_thread(_start, chosen, sandbox, store, config)
            reporter.phase(PHASE, len(dialogues))
            for r in range(1, config.rounds + 1):
                await _round(r, [d for d in dialogues if not d.done], backend, sandbox, store, config, reporter)
            for d in dialogues:
                if not d.done:  # out of rounds
                    reporter.advance(False, phase=PHASE)
            nl = await _nl_baseline(dialogues, backend, sandbox, store, config) if config.nl_baseline else {}
    finally:
        store.close()
        if own:
            sandbox.close()
    summary = _summary(dialogues, nl, taskset, config, backend.name, started)
    rows = [protocol_row(d.task.task_id, d.turns[-1], extra={"iterate": _task_extra(d, nl)}) for d in dialogues]
    write_protocol_run(out_dir, rows, summary)
    return summary


def _start(tasks: list[Task], sandbox: Sandbox, store: RunStore, config: IterateConfig) -> list[_Dialogue]:
    """Each task's hidden pool and the reference's outputs on it (from the store when known)."""
    pools = {}
    for task in tasks:
        pool = task_inputs(task)
        rng = random.Random(f"{config.seed}/{task.task_id}")
        pools[task.task_id] = rng.sample(pool, min(config.pool, len(pool)))
    refs: dict[str, list[Outcome]] = {}
    todo = []
    for task in tasks:
        rec = store.record(KIND, f"{task.task_id}/reference")
        if rec is not None and rec["inputs"] == [key_of(a) for a in pools[task.task_id]]:
            refs[task.task_id] = [Outcome.from_dict(o) for o in rec["outcomes"]]
        else:
            todo.append(task)
    got = observe_many(sandbox, [(task_program(t), pools[t.task_id]) for t in todo], case_cpu_s=config.case_cpu_s)
    for task, outcomes in zip(todo, got):
        store.put_record(KIND, f"{task.task_id}/reference", {"inputs": [key_of(a) for a in pools[task.task_id]],
                                                              "outcomes": [o.as_dict() for o in outcomes]})
        refs[task.task_id] = outcomes
    dialogues = []
    for task in tasks:
        keep = [i for i, o in enumerate(refs[task.task_id]) if o.kind == VALUE]
        inputs = [pools[task.task_id][i] for i in keep]
        expected = [refs[task.task_id][i] for i in keep]
        showable = [i for i in range(len(inputs)) if _showable(task, inputs[i], expected[i])]
        if len(showable) < config.k:
            continue  # too few small inputs the reference accepts to show
        rng = random.Random(f"{config.seed}/{task.task_id}/examples")
        picks = choose_examples([inputs[i] for i in showable], config.k, config.examples, rng)
        shown = [showable[i] for i in picks]
        prompt = first_prompt(task, [(inputs[i], expected[i]) for i in shown], config.hint)
        dialogues.append(_Dialogue(task, inputs, expected, shown, [{"role": "user", "content": prompt}], []))
    return dialogues


def _showable(task: Task, args: list[Any], out: Outcome) -> bool:
    return len(call_text(task.entry_point, args)) <= _SHOWABLE and len(out.describe()) < min(_SHOWABLE, 200)


def _params(config: IterateConfig) -> SamplingParams:
    return SamplingParams(temperature=config.temperature, max_tokens=config.max_tokens, seed=config.seed)


async def _generate(backend: Backend, requests: list[GenerationRequest], concurrency: int) -> dict[str, Generation]:
    return {g.task_id: g async for g in generate_all(backend, requests, concurrency=concurrency)}


async def _round(r: int, active: list[_Dialogue], backend: Backend, sandbox: Sandbox, store: RunStore,
                 config: IterateConfig, reporter: Reporter) -> None:
    """One round for every dialogue still going: turns from the store where recorded, the rest generated and
    run together."""
    fresh = []
    for d in active:
        rec = store.record(KIND, f"{d.task.task_id}/{r:03d}")
        if rec is not None and rec["messages"] == d.messages:
            _advance(d, rec, reporter)
        else:
            fresh.append(d)
    if not fresh:
        return
    answers = await _ask([(d, d.messages) for d in fresh], backend, sandbox, config)
    for d, (gen, code, got) in zip(fresh, answers):
        turn = {"round": r, "messages": list(d.messages), "reply": gen.text, "code": code,
                "usage": dict(gen.usage), **_judge(d, got)}
        store.put_record(KIND, f"{d.task.task_id}/{r:03d}", turn)
        _advance(d, turn, reporter)


async def _ask(asks: list[tuple[_Dialogue, list[dict]]], backend: Backend, sandbox: Sandbox,
               config: IterateConfig) -> list[tuple[Generation, str, list[Outcome]]]:
    """One reply per (dialogue, messages), its code (extracted as `run --chat` does), and its outcomes on the
    dialogue's inputs; the generations all at once, then the jobs all at once."""
    requests = [GenerationRequest(d.task.task_id, messages=tuple(m), params=_params(config)) for d, m in asks]
    replies = await _generate(backend, requests, config.concurrency)
    style = InstructStyle()
    codes = [style.finish(d.task, replies[d.task.task_id]).text for d, _ in asks]
    outs = await asyncio.to_thread(observe_many, sandbox, [(task_program(d.task, c), d.inputs)
                                                         for (d, _), c in zip(asks, codes)],
                                   case_cpu_s=config.case_cpu_s)
    return [(replies[d.task.task_id], code, got) for (d, _), code, got in zip(asks, codes, outs)]


def _judge(d: _Dialogue, got: list[Outcome]) -> dict:
    """Conformance (the shown examples), correctness (every input), and the counterexample: the smallest input
    the code gets wrong, preferring one not shown yet."""
    atol, oracle = task_oracle(d.task)
    wrong = [i for i, (e, g) in enumerate(zip(d.expected, got)) if differs(e, g, atol=atol, oracle=oracle,
                                                                                 args=d.inputs[i])]
    unknown = sum(g.kind == "unknown" for g in got)
    result: dict = {"conforms": not set(wrong) & set(d.shown), "correct": not wrong and not unknown,
                    "tests_passed": len(got) - len(wrong) - unknown, "tests_total": len(got), "counterexample": None}
    if wrong:
        i = min(wrong, key=lambda j: (j in d.shown, len(key_of(d.inputs[j])), j))
        result["counterexample"] = {"index": i, "input": call_text(d.task.entry_point, d.inputs[i]),
                                    "expected": d.expected[i].as_dict(), "got": got[i].as_dict()}
    return result


def _advance(d: _Dialogue, turn: dict, reporter: Reporter) -> None:
    d.turns.append(turn)
    d.messages = turn["messages"] + [{"role": "assistant", "content": turn["reply"]}]
    ce = turn["counterexample"]
    if turn["correct"] or ce is None:
        d.done = True
        reporter.advance(turn["correct"], phase=PHASE)
        return
    i = ce["index"]
    if i not in d.shown:
        d.shown.append(i)
    d.messages.append({"role": "user", "content": feedback(d.task, d.inputs[i], d.expected[i],
                                                           Outcome.from_dict(ce["got"]))})


async def _nl_baseline(dialogues: list[_Dialogue], backend: Backend, sandbox: Sandbox, store: RunStore,
                       config: IterateConfig) -> dict[str, dict]:
    """Each task once with its natural-language prompt (the instruct style), judged on the same inputs."""
    out: dict[str, dict] = {}
    fresh = []
    for d in dialogues:
        messages = instruct_messages(d.task)
        rec = store.record(KIND, f"{d.task.task_id}/nl")
        if rec is not None and rec["messages"] == messages:
            out[d.task.task_id] = rec
        else:
            fresh.append((d, messages))
    answers = await _ask(fresh, backend, sandbox, config) if fresh else []
    for (d, messages), (gen, code, got) in zip(fresh, answers):
        judged = _judge(_Dialogue(d.task, d.inputs, d.expected, [], [], []), got)
        rec = {"messages": messages, "reply": gen.text, "code": code, "usage": dict(gen.usage), **judged}
        store.put_record(KIND, f"{d.task.task_id}/nl", rec)
        out[d.task.task_id] = rec
    return out


def _success_round(d: _Dialogue) -> int | None:
    return next((t["round"] for t in d.turns if t["correct"]), None)


def _task_extra(d: _Dialogue, nl: dict[str, dict]) -> dict:
    extra = {"success_round": _success_round(d), "rounds": len(d.turns),
             "conformance": [t["conforms"] for t in d.turns], "examples_shown": len(d.shown)}
    if d.task.task_id in nl:
        extra["nl_passed"] = nl[d.task.task_id]["correct"]
    return extra


def _summary(dialogues: list[_Dialogue], nl: dict[str, dict], taskset: TaskSet, config: IterateConfig,
             model: str, started: float) -> dict:
    n = len(dialogues)
    firsts = [_success_round(d) for d in dialogues]
    solved = [r for r in firsts if r is not None]
    by_round = [sum(1 for s in solved if s <= r) for r in range(1, config.rounds + 1)]
    turns = [t for d in dialogues for t in d.turns]
    tokens = sum(sum(t.get("usage", {}).values()) for t in turns)
    body = {
        "tasks": n, "solved": len(solved),
        "solved_by_round": by_round,  # cumulative counts
        "success_by_round": [round(c / n, 6) for c in by_round] if n else [],
        "first_round_share": round(by_round[0] / len(solved), 6) if solved else None,
        "conformance_rate": round(sum(t["conforms"] for t in turns) / len(turns), 6) if turns else None,
        "turns": len(turns), "tokens": tokens,
        "nl_success_rate": round(sum(r["correct"] for r in nl.values()) / len(nl), 6) if nl else None,
        "settings": asdict(config),
    }
    return {
        "protocol": KIND, "execeval_version": execeval.__version__, "benchmark": taskset.name,
        "tasks_source": taskset.source, "tasks_sha256": taskset.content_hash, "model": model,
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "n_tasks": len(taskset.tasks),
        "n_tasks_evaluated": n, "n_samples": n,
        "pass_at_k": {"base": {"pass@1": body["success_by_round"][-1] if n else None}},  # type: ignore[index]  # a list of rates
        "iterate": body, "elapsed_s": round(time.time() - started, 3),
        "settings": {"k": [1], "rounds": config.rounds, "examples": config.examples, "hint": config.hint},
    }


def dialogue(out_dir: str | os.PathLike, task_id: str) -> list[dict]:
    """A task's recorded turns, in order (what the report shows)."""
    store = RunStore.in_dir(Path(out_dir))
    try:
        return [v for k, v in store.records(KIND, f"{task_id}/").items() if k.split("/")[-1].isdigit()]
    finally:
        store.close()
