"""Test strength (`execeval evaluate --difftest`): do the samples that pass a task's tests agree with its
reference beyond them?

For each Python function task with inputs (`Call` cases: HumanEval+, MBPP+, native tasks), the model-free search
makes one set of inputs from the task's own (mutations and type-aware random ones, seeded, so every sample of the
task and every rerun gets the same), runs the reference on them once, and runs each distinct passing program on
those the reference accepts (returns a value on: an input the reference rejects is outside the task). A confirmed
difference marks the sample "passed but wrong" (`extra["difftest"]["differs"]`) and its task's tests as weak:
EvalPlus's extra inputs, found automatically. Results are kept in the run store, so a rerun redoes nothing.
"""

from __future__ import annotations

import hashlib
import random
from typing import TYPE_CHECKING, Any

from execeval.judges import FUNCTION, task_kind
from execeval.protocols.difftest import confirm, first_difference
from execeval.protocols.inputs import key_of, search_inputs
from execeval.protocols.observe import Outcome, call_text, observe_many, task_inputs, task_oracle, task_program
from execeval.sandbox.base import Sandbox
from execeval.tasks.model import Task

if TYPE_CHECKING:
    from execeval.progress import Reporter
    from execeval.runrecord import SampleRun
    from execeval.store import RunStore

__all__ = ["check_test_strength", "strength_inputs", "BUDGET"]

KIND = "difftest"  # run-store record kind
PHASE = "difftest"  # progress phase
BUDGET = 200  # generated inputs per task
MAX_SEEDS = 30  # of the task's own inputs, as the shapes and parents of the generated ones


def strength_inputs(task: Task, budget: int = BUDGET, seed: int = 0) -> list[list[Any]]:
    """The inputs a task's passing samples are checked on: generated from (a seeded sample of) its own."""
    pool = task_inputs(task)
    seeds = random.Random(seed).sample(pool, min(MAX_SEEDS, len(pool)))
    known = {key_of(a) for a in pool}
    batches = search_inputs(seeds, budget + len(seeds), seed=seed, batch=max(1, budget // 4))
    return [a for batch in batches for a in batch if key_of(a) not in known][:budget]


def _digest(*parts: str) -> str:
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()[:24]


def _passed(run: "SampleRun") -> bool:
    v = run.verdict
    return v is not None and bool(v.plus_passed if v.plus_passed is not None else v.passed)


def check_test_strength(runs: list["SampleRun"], sandbox: Sandbox, store: "RunStore", reporter: "Reporter", *,
                        budget: int = BUDGET, seed: int = 0) -> dict:
    """Search every passing sample against its reference; mark the ones that differ, return the summary part."""
    candidates = [r for r in runs if _passed(r) and task_kind(r.task) == FUNCTION]
    tasks = {r.task.task_id: r.task for r in candidates}
    no_inputs = sorted(t for t, task in tasks.items() if not task_inputs(task))
    tasks = {t: task for t, task in tasks.items() if t not in no_inputs}
    inputs = {t: strength_inputs(task, budget, seed) for t, task in tasks.items()}
    references = _references(tasks, inputs, sandbox, store)
    programs: dict[tuple[str, str], list["SampleRun"]] = {}
    for run in candidates:
        if run.task.task_id in tasks:
            programs.setdefault((run.task.task_id, run.program), []).append(run)
    reporter.phase(PHASE, len(programs))
    found = _search(programs, tasks, inputs, references, sandbox, store, reporter)
    weak: set[str] = set()
    for (tid, _), group in programs.items():
        mark = found[(tid, group[0].program)]
        for run in group:
            run.extra["difftest"] = mark
        if mark["differs"]:
            weak.add(tid)
    checked = sum(len(g) for g in programs.values())
    wrong = sum(len(g) for key, g in programs.items() if found[key]["differs"])
    return {"passes": len(candidates), "passes_checked": checked, "passed_but_wrong": wrong,
            "passes_survived": checked - wrong, "weak_tasks": sorted(weak), "tasks_checked": len(tasks),
            "tasks_without_inputs": no_inputs, "inputs_per_task": budget, "seed": seed}


def _references(tasks: dict[str, Task], inputs: dict[str, list[list[Any]]], sandbox: Sandbox,
                store: "RunStore") -> dict[str, list[Outcome]]:
    """Each task's reference on its inputs, once (kept in the store under the inputs' digest)."""
    out: dict[str, list[Outcome]] = {}
    todo = []
    for tid, task in tasks.items():
        key = f"reference/{tid}/{_digest(task.reference, task.tests.setup, *map(key_of, inputs[tid]))}"
        rec = store.record(KIND, key)
        if rec is not None:
            out[tid] = [Outcome.from_dict(d) for d in rec["outcomes"]]
        else:
            todo.append((tid, key))
    got = observe_many(sandbox, [(task_program(tasks[tid]), inputs[tid]) for tid, _ in todo])
    for (tid, key), outcomes in zip(todo, got):
        store.put_record(KIND, key, {"outcomes": [o.as_dict() for o in outcomes]})
        out[tid] = outcomes
    return out


def _search(programs: dict[tuple[str, str], list["SampleRun"]], tasks: dict[str, Task],
            inputs: dict[str, list[list[Any]]], references: dict[str, list[Outcome]], sandbox: Sandbox,
            store: "RunStore", reporter: "Reporter") -> dict[tuple[str, str], dict]:
    found: dict[tuple[str, str], dict] = {}
    keys: dict[tuple[str, str], str] = {}
    todo = []
    for tid, program in programs:
        task = tasks[tid]
        keys[(tid, program)] = f"sample/{tid}/{_digest(program, task.reference, *map(key_of, inputs[tid]))}"
        rec = store.record(KIND, keys[(tid, program)])
        if rec is not None:
            found[(tid, program)] = rec
            reporter.advance(not rec["differs"], phase=PHASE)
        else:
            todo.append((tid, program))
    batch = max(1, 4 * getattr(sandbox, "capacity", 2))  # keep the workers busy, and the memory bounded
    for start in range(0, len(todo), batch):
        chunk = todo[start:start + batch]
        outs = observe_many(sandbox, [(task_program(tasks[t], p), inputs[t]) for t, p in chunk])
        for (tid, program), cand in zip(chunk, outs):
            mark = _judge(tasks[tid], program, inputs[tid], references[tid], cand, sandbox)
            store.put_record(KIND, keys[(tid, program)], mark)
            found[(tid, program)] = mark
            reporter.advance(not mark["differs"], phase=PHASE)
    return found


def _judge(task: Task, program: str, inputs: list[list[Any]], ref: list[Outcome], cand: list[Outcome],
           sandbox: Sandbox) -> dict:
    atol, oracle = task_oracle(task)
    start = 0
    while (i := first_difference(ref[start:], cand[start:], inputs[start:], atol=atol, oracle=oracle,
                                 p_valid_only=True)) is not None:
        args = inputs[start + i]
        hit = confirm(sandbox, task_program(task), task_program(task, program), args, atol=atol, oracle=oracle)
        if hit is not None:
            return {"differs": True, "input": call_text(task.entry_point, args), "args": key_of(args),
                    "reference": hit[0].describe(), "candidate": hit[1].describe(), "inputs_tried": len(inputs)}
        start += i + 1
    return {"differs": False, "inputs_tried": len(inputs)}
