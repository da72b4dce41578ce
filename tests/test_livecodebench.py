"""LiveCodeBench's LeetCode (functional) problems: loaded from a real row, graded as lcb_runner's testing_util does."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from execeval.errors import UsageError
from execeval.evaluate import EvalConfig, evaluate
from execeval.runs.files import read_results
from execeval.sandbox.base import Call
from execeval.tasks import load_tasks
from execeval.tasks.dates import select_dates
from execeval.tasks.livecodebench import ENTRY_POINT
from execeval.tasks.stdio import load_stdio_tasks
from execeval.values import decode

FIXTURE = Path(__file__).parent / "benchmark_fixtures" / "livecodebench_functional.jsonl"

RIGHT = """class Solution:
    def findIntersectionValues(self, nums1: List[int], nums2: List[int]) -> List[int]:
        s1, s2 = set(nums1), set(nums2)
        return [sum(x in s2 for x in nums1), sum(x in s1 for x in nums2)]
"""
SAMPLES = {
    "right": RIGHT,
    "right_tuple": RIGHT.replace("return [", "return (").replace(")]\n", "))\n"),  # LCB: a tuple counts as a list
    "distinct": RIGHT.replace("for x in nums1", "for x in s1").replace("for x in nums2", "for x in s2"),
    "equals_all": "class E(list):\n    def __eq__(self, o):\n        return True\n    __hash__ = None\n"
                  "class Solution:\n    def findIntersectionValues(self, a, b):\n        return E([0, 0])\n",
    "no_method": "class Solution:\n    def other(self, a, b):\n        return [0, 0]\n",
    "exit_at_load": RIGHT + "import sys\nsys.exit(0)\n",  # leaves before any test runs
    "os_exit_in_call": "import os\nclass Solution:\n    def findIntersectionValues(self, a, b):\n        os._exit(0)\n",
    "own_entry_point": "def __lcb_call__(*args):\n    return [3, 4]\nclass Solution:\n"
                       "    def findIntersectionValues(self, a, b):\n        return [3, 4]\n",
    "floaty": RIGHT.replace("return [sum(x in s2 for x in nums1), sum(x in s1 for x in nums2)]",
                            "return [sum(x in s2 for x in nums1) + 1e-9, sum(x in s1 for x in nums2)]"),
}


def test_functional_row_becomes_calls_with_the_rows_outputs():
    [task] = load_stdio_tasks(FIXTURE).tasks
    assert (task.task_id, task.entry_point, task.completion_mode) == ("3206", ENTRY_POINT, False)
    assert task.metadata["func_name"] == "findIntersectionValues" and task.metadata["difficulty"] == "easy"
    assert len(task.tests.cases) == 2 and len(task.plus_tests.cases) == 4
    first = task.tests.cases[0]
    assert isinstance(first, Call) and json.loads(first.args_json) == [[4, 3, 2, 3, 1], [2, 2, 5, 2, 3, 6]]
    assert decode(first.expected) == [3, 4] and first.oracle == "exact"
    assert "from typing import *" in task.metadata["prelude"]


def test_unreadable_functional_tests_name_the_line(tmp_path):
    row = json.loads(FIXTURE.read_text())
    row["metadata"] = "{}"
    bad = tmp_path / "lcb.jsonl"
    bad.write_text(json.dumps(row) + "\n")
    with pytest.raises(Exception, match="lcb.jsonl:1: .*func_name"):
        load_stdio_tasks(bad)


def test_samples_are_graded_as_livecodebench_grades_them(tmp_path, sandbox):
    samples = tmp_path / "samples.jsonl"
    samples.write_text("".join(json.dumps({"task_id": "3206", "solution": code, "completion_id": i}) + "\n"
                               for i, code in enumerate(SAMPLES.values())))
    evaluate(samples, str(FIXTURE), tmp_path / "out", EvalConfig(k=(1,)), sandbox=sandbox)
    by_id = {r["completion_id"]: r for r in read_results(tmp_path / "out")}
    verdicts = {name: by_id[i]["plus_passed"] for i, name in enumerate(SAMPLES)}
    assert verdicts == {"right": True, "right_tuple": True, "distinct": False, "equals_all": False,
                        "no_method": False, "exit_at_load": False, "os_exit_in_call": False,
                        "own_entry_point": False, "floaty": False}


def _two_dates(tmp_path: Path) -> Path:
    """The fixture row, and a copy of it dated later and marked medium (a second id), for the window tests."""
    row = json.loads(FIXTURE.read_text())
    later = {**row, "question_id": "later", "contest_date": "2024-09-01T00:00:00", "difficulty": "medium"}
    path = tmp_path / "lcb.jsonl"
    path.write_text(json.dumps(row) + "\n" + json.dumps(later) + "\n")
    return path


def test_date_window_selects_as_livecodebench_does(tmp_path):
    ts = load_stdio_tasks(_two_dates(tmp_path))
    ids = lambda since, until: [t.task_id for t in select_dates(ts, since, until)[0].tasks]  # noqa: E731
    assert ids("2023-12-09", None) == ["3206", "later"]  # since <= contest_date
    assert ids("2023-12-10", None) == ["later"]
    assert ids(None, "2023-12-09") == ["3206"]  # contest_date <= until (midnight of that day)
    assert ids("2024-01-01", "2024-12-31") == ["later"]
    with pytest.raises(UsageError, match="no task .* dated within"):
        select_dates(ts, "2030-01-01", None)
    with pytest.raises(UsageError, match="YYYY-MM-DD"):
        select_dates(ts, "12/09/2023", None)
    with pytest.raises(UsageError, match="has no contest dates"):
        select_dates(load_tasks("demo"), "2023-01-01", None)


def test_summary_gives_the_window_and_pass_at_1_per_difficulty(tmp_path, sandbox):
    tasks = _two_dates(tmp_path)
    samples = tmp_path / "samples.jsonl"
    samples.write_text("".join(json.dumps({"task_id": tid, "solution": code}) + "\n"
                               for tid in ("3206", "later") for code in (RIGHT, SAMPLES["distinct"])))
    summary = evaluate(samples, str(tasks), tmp_path / "all", EvalConfig(k=(1,)), sandbox=sandbox)
    assert summary["by_difficulty"] == {"easy": {"tasks": 1, "base": {"pass@1": 0.5}, "plus": {"pass@1": 0.5}},
                                        "medium": {"tasks": 1, "base": {"pass@1": 0.5}, "plus": {"pass@1": 0.5}}}
    assert "contest_dates" not in summary
    late = evaluate(samples, str(tasks), tmp_path / "late", EvalConfig(k=(1,), since="2024-01-01"), sandbox=sandbox)
    assert late["contest_dates"] == {"since": "2024-01-01", "until": None, "tasks": 1, "of": 2, "undated": 0,
                                     "sampled_tasks_outside": 1}
    assert list(late["by_difficulty"]) == ["medium"] and late["n_tasks"] == 1


def test_chat_prompt_is_livecodebenchs_with_the_starter_code():
    from execeval.models.prompts import LCB_SYSTEM, InstructStyle

    [task] = load_stdio_tasks(FIXTURE).tasks
    _, (system, user) = InstructStyle().render(task)
    assert system == {"role": "system", "content": LCB_SYSTEM}
    assert user["content"].startswith("### Question:\nYou are given two 0-indexed integer arrays")
    assert "```python\nclass Solution:\n    def findIntersectionValues(" in user["content"]
    assert user["content"].endswith("### Answer: (use the provided format with backticks)\n\n")


def test_each_test_may_use_livecodebenchs_6_seconds():
    from execeval.evaluation.programs import Reference, TimePolicy, plan_tests

    [task] = load_stdio_tasks(FIXTURE).tasks
    cases = task.tests.cases + task.plus_tests.cases
    plan = plan_tests(task, Reference(tuple(c.expected for c in cases), (0.0,) * 6), TimePolicy(speed=1.0))
    assert plan.case_cpu_s == (6.0,) * 6


def test_livecodebenchs_own_output_file_is_read_as_samples(tmp_path, sandbox):
    """lcb_runner writes [{"question_id", "code_list", ...}]: its extracted programs are whole programs here."""
    samples = tmp_path / "lcb_output.json"
    samples.write_text(json.dumps([{"question_id": "3206", "code_list": [RIGHT, SAMPLES["distinct"]]}]))
    summary = evaluate(samples, str(FIXTURE), tmp_path / "out", EvalConfig(k=(1,)), sandbox=sandbox)
    assert summary["pass_at_k"]["plus"] == {"pass@1": 0.5}


def test_generate_and_run_take_the_window_and_the_model_sees_livecodebenchs_prompt(tmp_path, sandbox):
    from execeval.generate import GenConfig, generate, run
    from execeval.models.fake import FakeBackend

    tasks = _two_dates(tmp_path)
    backend = FakeBackend(lambda prompt: "```python\n" + RIGHT + "```")
    cfg = GenConfig(model="fake", chat=True)
    stats = generate(str(tasks), tmp_path / "gen", cfg, backend=backend, since="2024-01-01")
    assert stats["generated"] == 1 and [r.task_id for r in backend.requests] == ["later"]
    assert backend.requests[0].messages[0]["content"].startswith("You are an expert Python programmer")
    summary = run(str(tasks), tmp_path / "run", cfg, EvalConfig(k=(1,), until="2023-12-31"), sandbox=sandbox,
                  backend=FakeBackend(lambda prompt: "```python\n" + RIGHT + "```"))
    assert summary["contest_dates"]["tasks"] == 1 and summary["pass_at_k"]["plus"] == {"pass@1": 1.0}


def _release_dir(tmp_path: Path, per_file: int = 2) -> Path:
    """A data dir laid out as the hub dataset is: test.jsonl (release v1), test2.jsonl (v2), test3.jsonl (v3)."""
    row = json.loads(FIXTURE.read_text())
    d = tmp_path / "lcb"
    d.mkdir()
    for n, name in enumerate(("test.jsonl", "test2.jsonl", "test3.jsonl"), start=1):
        rows = [{**row, "question_id": f"{row['question_id']}-{n}-{i}"} for i in range(per_file)]
        (d / name).write_text("".join(json.dumps(r) + "\n" for r in rows))
    return d


@pytest.mark.parametrize("name,count", [("livecodebench-v1", 2), ("livecodebench-v3", 6), ("livecodebench-only-v2", 2)])
def test_a_release_name_reads_the_files_livecodebench_reads(tmp_path, name, count):
    tasks = load_tasks(name, data_dir=_release_dir(tmp_path))
    assert len(tasks.tasks) == count and tasks.name == name
    if name == "livecodebench-only-v2":
        assert all("-2-" in t.task_id for t in tasks.tasks)


def test_a_release_with_a_missing_file_is_refused_naming_it(tmp_path, monkeypatch):
    monkeypatch.delenv("EXECEVAL_DATA_DIR", raising=False)
    d = _release_dir(tmp_path)
    with pytest.raises(UsageError, match="test4.jsonl, test5.jsonl, test6.jsonl not in"):
        load_tasks("livecodebench", data_dir=d)
    with pytest.raises(UsageError, match="releases v1 .. v6"):
        load_tasks("livecodebench-v7", data_dir=d)
    with pytest.raises(UsageError, match="give the directory holding LiveCodeBench's test.jsonl"):
        load_tasks("livecodebench-v1")
