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
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from execeval.judges import FUNCTION, task_kind
from execeval.protocols.difftest.search import first_difference
from execeval.protocols.inputs import key_of, search_inputs
from execeval.protocols.observe import (CASE_CPU_S, Outcome, call_text, differs, observe_many, task_inputs, task_oracle,
                                       task_program, with_contract)
from execeval.sandbox.base import Sandbox
from execeval.tasks.model import Task

if TYPE_CHECKING:
    from execeval.progress import Reporter
    from execeval.evaluation.runrecord import SampleRun
    from execeval.runs.store import RunStore

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
        key = f"reference/{tid}/{_digest(with_contract(task), task.tests.setup, *map(key_of, inputs[tid]))}"
        rec = store.record(KIND, key)
        if rec is not None:
            out[tid] = [Outcome.from_dict(d) for d in rec["outcomes"]]
        else:
            todo.append((tid, key))
    got = observe_many(sandbox, [(task_program(tasks[tid], contract=True), inputs[tid]) for tid, _ in todo])
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
        keys[(tid, program)] = f"sample/{tid}/{_digest(program, with_contract(task), *map(key_of, inputs[tid]))}"
        rec = store.record(KIND, keys[(tid, program)])
        if rec is not None:
            found[(tid, program)] = rec
            reporter.advance(not rec["differs"], phase=PHASE)
        else:
            todo.append((tid, program))
    batch = max(1, 4 * sandbox.capacity)  # keep the workers busy, and the memory bounded
    for start in range(0, len(todo), batch):
        chunk = todo[start:start + batch]
        outs = observe_many(sandbox, [(task_program(tasks[t], p), inputs[t]) for t, p in chunk],
                            enough=_differs_already(chunk, tasks, inputs, references))
        marks = _judge(chunk, tasks, inputs, references, outs, sandbox)
        for (tid, program), mark in zip(chunk, marks):
            store.put_record(KIND, keys[(tid, program)], mark)
            found[(tid, program)] = mark
            reporter.advance(not mark["differs"], phase=PHASE)
    return found


def _differs_already(chunk: list[tuple[str, str]], tasks: dict[str, Task], inputs: dict[str, list[list[Any]]],
                     references: dict[str, list[Outcome]]) -> Callable[[int, list[list[Outcome]]], bool]:
    """For `observe_many`: program i needs no more runs once it differs from its reference somewhere."""
    def seen(i: int, outs: list[list[Outcome]]) -> bool:
        tid = chunk[i][0]
        atol, oracle = task_oracle(tasks[tid])
        return first_difference(references[tid], outs[i], inputs[tid], atol=atol, oracle=oracle,
                                p_valid_only=True) is not None
    return seen


def _judge(chunk: list[tuple[str, str]], tasks: dict[str, Task], inputs: dict[str, list[list[Any]]],
           references: dict[str, list[Outcome]], outs: list[list[Outcome]], sandbox: Sandbox) -> list[dict]:
    """Each program's first difference from its reference, confirmed (all confirmations of a chunk at once;
    one that does not hold moves that program on to its next difference)."""
    marks: list[dict | None] = [None] * len(chunk)
    start = [0] * len(chunk)
    while True:
        pending = []  # (chunk index, input index)
        for n, (tid, _) in enumerate(chunk):
            if marks[n] is not None:
                continue
            atol, oracle = task_oracle(tasks[tid])
            i = first_difference(references[tid][start[n]:], outs[n][start[n]:], inputs[tid][start[n]:], atol=atol,
                                 oracle=oracle, p_valid_only=True)
            if i is None:
                marks[n] = {"differs": False, "inputs_tried": len(inputs[tid])}
            else:
                pending.append((n, start[n] + i))
        if not pending:
            return [m for m in marks if m is not None]
        work = []
        for n, i in pending:
            tid, program = chunk[n]
            args = inputs[tid][i]
            work += [(task_program(tasks[tid], contract=True), [args]), (task_program(tasks[tid], program), [args])]
        again = observe_many(sandbox, work, case_cpu_s=2 * CASE_CPU_S)
        for k, (n, i) in enumerate(pending):
            tid = chunk[n][0]
            atol, oracle = task_oracle(tasks[tid])
            ref, cand, args = again[2 * k][0], again[2 * k + 1][0], inputs[tid][i]
            if differs(ref, cand, atol=atol, oracle=oracle, args=args):
                marks[n] = {"differs": True, "input": call_text(tasks[tid].entry_point, args), "args": key_of(args),
                            "reference": ref.describe(), "candidate": cand.describe(),
                            "inputs_tried": len(inputs[tid])}
            start[n] = i + 1
