"""Real models' MBPP samples (LDB's seed solutions, ../shared/data/model-samples) judged on MBPP+ as EvalPlus 0.3.1
judges them: the tasks where execeval used to differ (bench/mbppplus_vs_evalplus.py finds them; skipped when the
files are absent). Each expected pair is EvalPlus 0.3.1's (base, base and plus) verdict on the same sample and the
same task file (the MBPP+ dev snapshot, MBPP_OVERRIDE_PATH), run on 2026-12-06."""

from __future__ import annotations

import json

import pytest

from execeval.evaluate import EvalConfig, evaluate
from execeval.runs.files import read_results

pytestmark = [pytest.mark.data, pytest.mark.slow]

MODELS = ("codellama", "gpt-3.5-turbo-0613", "starcoder")
# (base passed, plus passed) per model, in MODELS order
EVALPLUS = {
    "Mbpp/88": [(True, True)] * 3,  # the reference returns a Counter; the samples a dict of the same counts
    "Mbpp/140": [(True, False), (False, False), (True, False)],  # a set expected, lists compared as sets
    "Mbpp/232": [(True, False), (True, True), (True, True)],  # n largest, in any order
    "Mbpp/249": [(True, True)] * 3,  # an intersection, in any order
    "Mbpp/287": [(False, False), (True, False), (False, False)],  # an exact int where the reference gives a float
}


def test_verdicts_equal_evalplus_on_the_tasks_that_differed(tmp_path, sandbox, data_dir):
    rows = []
    for model in MODELS:
        with open(data_dir / "model-samples" / f"ldb-seed-mbpp-{model}.jsonl") as f:
            by_task = {(r := json.loads(line))["task_id"].replace("MBPP/", "Mbpp/"): r["solution"] for line in f}
        rows += [{"task_id": task, "solution": by_task[task]} for task in EVALPLUS]
    rows.sort(key=lambda r: list(EVALPLUS).index(r["task_id"]))  # a task's samples in MODELS order
    tasks = tmp_path / "MbppPlus.jsonl"
    with open(data_dir / "MbppPlus-dev-20231122.jsonl") as f:
        tasks.write_text("".join(line for line in f if json.loads(line)["task_id"] in EVALPLUS))
    samples = tmp_path / "samples.jsonl"
    samples.write_text("".join(json.dumps(r) + "\n" for r in rows))
    evaluate(samples, tasks, tmp_path / "run", EvalConfig(k=(1,)), sandbox=sandbox)
    got: dict[str, list] = {}
    for r in sorted(read_results(tmp_path / "run"), key=lambda r: r["completion_id"]):
        got.setdefault(r["task_id"], []).append((r["passed"], r["plus_passed"], r["first_failure"][:120]))
    assert {t: [v[:2] for v in got[t]] for t in EVALPLUS} == EVALPLUS, got
