"""`iterate`: scripted replies through the loopback OpenAI server reproduce a hand-computed success-by-round
table on HumanEval+; turns are recorded and a rerun generates nothing; example choice and hints."""

from __future__ import annotations

import random
import threading
from collections import Counter

import pytest

from execeval.models import load_backend
from execeval.protocols.iterate.examples import choose_examples, first_prompt
from execeval.protocols.iterate import IterateConfig, dialogue, iterate
from execeval.protocols.observe import Outcome
from execeval.report.html import render_report
from execeval.runs.files import read_results, read_summary
from execeval.tasks import load_tasks
from execeval.tasks.model import Call, Task, TaskSet
from execeval.tasks.model import TestSuite as Suite
from openai_test_server import openai_server  # noqa: F401  (fixture)

WRONG = "```python\ndef {ep}(*args):\n    return None\n```"
SYNTAX = "```python\ndef {ep}(a, b) return a\n```"
RAISES = "```python\ndef {ep}(*args):\n    raise ValueError('no')\n```"
PROSE = "I am not sure how to do this one."
RIGHT = "right"

# task -> reply per round (the last repeats); hand-computed: the round each is first solved in
SCRIPT = {
    "HumanEval/0": ([RIGHT], 1),
    "HumanEval/2": ([WRONG, RIGHT], 2),
    "HumanEval/4": ([WRONG, RAISES, RIGHT], 3),
    "HumanEval/7": ([RAISES], None),
    "HumanEval/13": ([SYNTAX, RIGHT], 2),
    "HumanEval/12": ([PROSE, RIGHT], 2),
    "HumanEval/23": ([RIGHT], 1),
}
# rounds 1..3, cumulative: 0 and 23 in round 1; 2, 13 and 12 in round 2; 4 in round 3; 7 never
TABLE = [2, 5, 6]


class Script:
    """Replies by entry point and how many times that task has been asked (its round)."""

    def __init__(self, tasks: dict[str, Task], nl_right: set[str]) -> None:
        self.tasks, self.nl_right = tasks, nl_right
        self.asked: Counter = Counter()
        self.lock = threading.Lock()

    def __call__(self, content: str) -> str:
        task = next(t for t in self.tasks.values() if f"`{t.entry_point}`" in content
                    or f"def {t.entry_point}(" in content or f">>> {t.entry_point}(" in content)
        if content.startswith("Complete the following Python function"):  # the plain NL prompt
            return self._code(task, RIGHT if task.task_id in self.nl_right else WRONG)
        with self.lock:
            self.asked[task.task_id] += 1
            n = self.asked[task.task_id]
        replies = SCRIPT[task.task_id][0]
        return self._code(task, replies[min(n, len(replies)) - 1])

    @staticmethod
    def _code(task: Task, reply: str) -> str:
        if reply == RIGHT:
            return f"Here you go:\n```python\n{task.reference}\n```"
        return reply.format(ep=task.entry_point)


@pytest.fixture(scope="module")
def humaneval_plus(data_dir) -> TaskSet:
    path = data_dir / "HumanEvalPlus-Mini-v0.1.10.jsonl.gz"
    if not path.exists():
        pytest.skip(f"{path} not found")
    ts = load_tasks(str(path))
    by = ts.by_id()
    return TaskSet(ts.name, tuple(by[t] for t in SCRIPT), ts.source, ts.content_hash, ts.has_plus)


def _backend(server):
    return load_backend("openai:tiny", base_url=server.url, max_retries=0)


def test_scripted_humaneval_plus_reproduces_the_success_by_round_table(humaneval_plus, openai_server, sandbox,
                                                                      tmp_path):
    script = Script(humaneval_plus.by_id(), nl_right={"HumanEval/0", "HumanEval/2"})
    openai_server.reply = script
    config = IterateConfig(k=3, rounds=3, nl_baseline=True)
    summary = iterate(humaneval_plus, _backend(openai_server), tmp_path, config, sandbox=sandbox)
    it = summary["iterate"]
    assert it["solved_by_round"] == TABLE
    assert it["success_by_round"] == [round(c / 7, 6) for c in TABLE]
    assert it["first_round_share"] == round(2 / 6, 6)
    assert it["nl_success_rate"] == round(2 / 7, 6)
    # turns: 1 + 2 + 3 + 3 + 2 + 2 + 1 = 14 asked in the dialogues, and 7 plain prompts
    assert it["turns"] == 14 and openai_server.count("/v1/chat/completions") == 21
    rows = {r["task_id"]: r for r in read_results(tmp_path)}
    for tid, (_, solved_in) in SCRIPT.items():
        assert rows[tid]["iterate"]["success_round"] == solved_in, tid
        assert rows[tid]["passed"] is (solved_in is not None)
    assert rows["HumanEval/7"]["status"] == "error" and rows["HumanEval/7"]["error_type"] == "ValueError"
    # conformance: every right answer gives the shown outputs, the syntax error and the raiser none
    assert rows["HumanEval/13"]["iterate"]["conformance"] == [False, True]
    assert rows["HumanEval/7"]["iterate"]["conformance"] == [False, False, False]
    assert read_summary(tmp_path)["iterate"] == it

    turns = dialogue(tmp_path, "HumanEval/2")
    assert [t["round"] for t in turns] == [1, 2]
    ce = turns[0]["counterexample"]
    assert ce["got"] == {"kind": "value", "value": "null"} and ce["input"].startswith("truncate_number(")
    second = turns[1]["messages"]
    assert [m["role"] for m in second] == ["user", "assistant", "user"]
    assert ce["input"] in second[2]["content"] and "yours returns None" in second[2]["content"]
    assert len(turns[1]["messages"][0]["content"].split(">>> ")) == 4  # k = 3 examples shown first

    page = render_report(tmp_path).read_text()
    assert 'id="iterate"' in page and "after round 3: 85.7%" in page  # the curve's last point: 6 of 7
    assert "HumanEval/4: solved in round 3" in page and "yours returns None" in page  # a dialogue
    assert "<details open><summary>HumanEval/" in page

    before = openai_server.count()
    again = iterate(humaneval_plus, _backend(openai_server), tmp_path, config, sandbox=sandbox)
    assert openai_server.count() == before  # every turn from the store: nothing generated twice
    assert again["iterate"]["solved_by_round"] == TABLE


def _native_task() -> Task:
    inputs = [[i] for i in range(-5, 15)]
    return Task("own/clamp", "", "clamp", "def clamp(x):\n    return max(0, min(10, x))\n",
                Suite(tuple(Call(f"[{a[0]}]") for a in inputs)), completion_mode=False)


def test_a_native_task_dialogue_with_counterexamples(openai_server, sandbox, tmp_path):
    """A model that first ignores the upper bound is shown an input above 10, then gets it right."""
    replies = iter(["```python\ndef clamp(x):\n    return max(0, x)\n```",
                    "```python\ndef clamp(x):\n    return max(0, min(10, x))\n```"])
    openai_server.reply = lambda content: next(replies)
    ts = TaskSet("own", (_native_task(),), "mem", "0")
    summary = iterate(ts, _backend(openai_server), tmp_path, IterateConfig(k=2, rounds=4, examples="diverse"),
                      sandbox=sandbox)
    assert summary["iterate"]["solved_by_round"] == [0, 1, 1, 1]
    first = dialogue(tmp_path, "own/clamp")[0]
    assert first["counterexample"]["input"] == "clamp(11)"  # the smallest input it gets wrong
    assert first["counterexample"]["expected"] == {"kind": "value", "value": "10"}


def test_diverse_examples_cover_types_and_sizes():
    inputs = [[[]], [[1]], [[1, 2, 3, 4, 5, 6]], [[1, 2]], ["a"], ["abcdef"], [[1, 2, 3]]]
    picked = choose_examples(inputs, 3, "diverse", random.Random(0))
    kinds = {type(inputs[i][0]).__name__ for i in picked}
    assert kinds == {"list", "str"}  # both signatures before a third of either
    assert 0 in picked or 2 in picked  # a list extreme (the smallest or the largest)
    assert choose_examples(inputs, 3, "random", random.Random(1)) == choose_examples(inputs, 3, "random",
                                                                                     random.Random(1))


def test_hints_none_partial_full():
    task = Task("t", 'def f(x):\n    """Double it. Then some more words.\n    >>> f(2)\n    4\n    """\n', "f",
                "def f(x):\n    return 2 * x\n", Suite(()))
    shown = [([3], Outcome("value", "6"))]
    assert "What it should do" not in first_prompt(task, shown, "none")
    partial = first_prompt(task, shown, "partial")
    assert "What it should do: Double it." in partial and "more words" not in partial
    assert "Then some more words." in first_prompt(task, shown, "full")
    assert ">>> f(3)\n6" in partial


@pytest.mark.slow  # starts a sandbox of its own, as the command does
def test_iterate_command_on_a_native_task_file(openai_server, tmp_path):
    import json

    from typer.testing import CliRunner

    from execeval.cli import app

    tasks = tmp_path / "tasks.jsonl"
    tasks.write_text(json.dumps({"task_id": "own/double", "prompt": "", "entry_point": "double",
                                 "reference": "def double(x):\n    return 2 * x\n", "inputs": [[i] for i in range(8)],
                                 "completion_mode": False}) + "\n")
    openai_server.reply = lambda content: "```python\ndef double(x):\n    return x + x\n```"
    out = tmp_path / "run"
    got = CliRunner().invoke(app, ["iterate", "--tasks", str(tasks), "--model", "openai:tiny", "--base-url",
                                   openai_server.url, "--out", str(out), "--rounds", "2", "--k", "2", "--quiet"])
    assert got.exit_code == 0, got.output
    assert "1 of 1 tasks solved; success by round (cumulative) 1: 100.0%, 2: 100.0%" in got.output
    assert read_summary(out)["iterate"]["first_round_share"] == 1.0
