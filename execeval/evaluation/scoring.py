"""Per-run numbers from verdicts: pass@k (base and plus), pass ratio, executability, statuses, per-task counts.

Samples whose verdict is a sandbox error are the harness's fault: they are left out of every metric and counted.
A pass gated by coverage (`passed_undertested`, see `execeval.coverage`) is not a pass; when a run has any, pass@k
is also reported as if the gate were off ("pass_at_k_ungated"), so both readings are on the page.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING

from execeval.metrics import mean_pass_at_k
from execeval.tasks.model import TaskSet
from execeval.evaluation.verdict import PASSED_UNDERTESTED, SANDBOX_ERROR

if TYPE_CHECKING:
    from execeval.evaluation.runrecord import SampleRun


def score_run(runs: Sequence["SampleRun"], taskset: TaskSet, ks: Sequence[int], plus: bool) -> dict:
    per_task: dict[str, dict] = {}
    ratios, executable = [], []
    statuses: Counter = Counter()
    for run in runs:
        v = run.verdict
        assert v is not None
        statuses[v.status] += 1
        if v.status == SANDBOX_ERROR:
            continue
        entry = per_task.setdefault(run.task.task_id, {"n": 0, "c": 0, **({"c_plus": 0} if plus else {})})
        entry["n"] += 1
        entry["c"] += v.passed
        if plus:
            entry["c_plus"] += bool(v.plus_passed)
        if v.status == PASSED_UNDERTESTED:  # every test passed (base and plus): a pass with the gate off
            entry["undertested"] = entry.get("undertested", 0) + 1
        ratios.append(v.tests_passed / v.tests_total if v.tests_total else 0.0)
        executable.append(v.executable)
    counts = [(e["n"], e["c"]) for e in per_task.values()]
    base = mean_pass_at_k(counts, ks)
    result = {
        "n_tasks": len(taskset.tasks), "n_tasks_evaluated": len(per_task), "n_samples": len(runs),
        "samples_per_task": {"min": min((e["n"] for e in per_task.values()), default=0),
                             "max": max((e["n"] for e in per_task.values()), default=0)},
        "pass_at_k": {"base": base.as_dict()},
        "pass_at_k_skipped": {f"pass@{k}": why for k, why in base.skipped.items()},
        "pass_ratio": round(sum(ratios) / len(ratios), 6) if ratios else None,
        "executability": round(sum(executable) / len(executable), 6) if executable else None,
        "status_counts": dict(statuses.most_common()),
        "per_task": per_task,
    }
    if plus:
        result["pass_at_k"]["plus"] = mean_pass_at_k([(e["n"], e["c_plus"]) for e in per_task.values()], ks).as_dict()  # type: ignore[index]  # result["pass_at_k"] is the dict made above
    by_difficulty = _by_difficulty(per_task, taskset, plus)
    if by_difficulty:
        result["by_difficulty"] = by_difficulty
    if statuses[PASSED_UNDERTESTED]:
        ungated = lambda key: mean_pass_at_k(  # noqa: E731
            [(e["n"], e[key] + e.get("undertested", 0)) for e in per_task.values()], ks).as_dict()
        result["pass_at_k_ungated"] = {"base": ungated("c"), **({"plus": ungated("c_plus")} if plus else {})}
    return result


def _by_difficulty(per_task: dict[str, dict], taskset: TaskSet, plus: bool) -> dict[str, dict]:
    """pass@1 per `metadata["difficulty"]` (LiveCodeBench: easy, medium, hard), as LiveCodeBench reports it; the
    "plus" figure (public and private tests) is LiveCodeBench's own. Empty when no task has a difficulty."""
    levels = {t.task_id: t.metadata.get("difficulty") for t in taskset.tasks}
    groups: dict[str, list[dict]] = {}
    for task_id, entry in per_task.items():
        level = levels.get(task_id)
        if isinstance(level, str) and level:
            groups.setdefault(level, []).append(entry)
    out = {}
    for level in sorted(groups):
        entries = groups[level]
        row = {"tasks": len(entries), "base": mean_pass_at_k([(e["n"], e["c"]) for e in entries], [1]).as_dict()}
        if plus:
            row["plus"] = mean_pass_at_k([(e["n"], e["c_plus"]) for e in entries], [1]).as_dict()
        out[level] = row
    return out
