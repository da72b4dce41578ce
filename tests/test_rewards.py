"""`execeval.rewards` called the way TRL's GRPOTrainer calls a reward function: real model replies (LDB's GPT-4
HumanEval programs, as chat messages with fences) scored as `execeval evaluate` scores them, plain strings,
stdin/stdout cases in the three column shapes, an unextractable and hostile replies, and the service URL backend."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from execeval.evaluate import evaluate
from execeval.evaluation.pipeline import EvalConfig
from execeval.evaluation.programs import TimePolicy
from execeval.models.extract import extract_code, sanitize
from execeval.rewards import CodeReward, reply_text
from execeval.runs.files import read_results
from tests.conftest import DATA_DIR

DATA = DATA_DIR  # ../shared/data beside the checkout (tests skip without it)
SAMPLES = DATA / "model-samples" / "ldb-seed-humaneval-gpt-4-1106-preview.jsonl"
CONFIG = EvalConfig(policy=TimePolicy(speed=1.0))
F_TESTS = ["assert f(1) == 2", "assert f(2) == 3", "assert f(0) == 1", "assert f(10) == 11"]


@pytest.fixture(scope="module")
def reward(sandbox):
    with CodeReward(sandbox=sandbox, config=CONFIG) as r:
        yield r


def chat(text: str) -> list[dict]:
    return [{"role": "assistant", "content": text}]


def test_reply_text_shapes():
    assert reply_text("x") == "x"
    assert reply_text([{"role": "user", "content": "q"}, {"role": "assistant", "content": "a"}]) == "a"
    assert reply_text([{"role": "assistant", "content": [{"type": "text", "text": "a"}, {"type": "text",
                                                                                          "text": "b"}]}]) == "ab"


def test_real_humaneval_replies_score_as_evaluate_does(reward, sandbox, tmp_path):
    if not SAMPLES.is_file() or not (DATA / "HumanEval.jsonl.gz").is_file():
        pytest.skip(f"model samples or HumanEval not found under {DATA}")
    rows = [json.loads(line) for line in SAMPLES.read_text().splitlines() if line.strip()]
    picked = random.Random(26).sample([r for r in rows if r["is_solved"]], 5) + [r for r in rows
                                                                                   if not r["is_solved"]][:5]
    completions = [chat(f"Here is my solution.\n\n```python\n{r['solution']}\n```\n\nIt handles the edge cases.")
                   for r in picked]
    # what `execeval generate` keeps of such a reply (the block defining the entry point, its demo asserts and
    # prints dropped: HumanEval/64's own wrong asserts would fail a run of the raw text), then `evaluate`d
    samples = tmp_path / "samples.jsonl"
    samples.write_text("".join(json.dumps({"task_id": r["task_id"], "solution": sanitize(extract_code(
        reply_text(c), r["entry_point"]), r["entry_point"])}) + "\n" for r, c in zip(picked, completions)))
    evaluate(samples, "humaneval", tmp_path / "run", EvalConfig(k=(1,), data_dir=str(DATA)), sandbox=sandbox)
    expected = {r["task_id"]: r["passed"] for r in read_results(tmp_path / "run")}
    columns = {"setup": [r["test"] for r in picked], "tests": [[f"check({r['entry_point']})"] for r in picked],
               "entry_point": [r["entry_point"] for r in picked], "prompts": [r["prompt"] for r in picked]}
    scores = reward(completions, **columns)
    assert scores == [1.0 if expected[r["task_id"]] else 0.0 for r in picked]
    assert 0 < sum(scores) < len(scores)  # both kinds are in the sample


def test_pass_fraction_and_all_or_nothing_on_plain_strings(reward, sandbox):
    replies = ["def f(x):\n    return x + 1\n",  # all four
               "def f(x):\n    return x + 1 if x < 5 else x\n\nprint(f(3))\n",  # three of four; its print dropped
               "```python\ndef f(x):\n    return 0\n```"]  # none
    assert reward(replies, tests=[F_TESTS] * 3) == [1.0, 0.75, 0.0]
    with CodeReward(sandbox=sandbox, config=CONFIG, all_or_nothing=True) as strict:
        assert strict(replies, tests=[F_TESTS] * 3) == [1.0, 0.0, 0.0]
        assert strict.__name__ == "execeval_all_or_nothing"


def test_unextractable_and_hostile_replies(reward):
    hostile = ["I am sorry, I can't help with that.",  # no code: 0.0 without running
               "```python\nimport sys\nsys.exit(0)\n```",  # exits 0 before any test
               "```python\nimport builtins\nbuiltins.AssertionError = type('E', (BaseException,), {})\n"
               "def f(x):\n    return 0\n```",  # breaks assert's exception
               "```python\nimport os\ndef f(x):\n    os.kill(os.getppid(), 9)\n```",  # kills its parent
               "```python\ndef f(x):\n    while True:\n        pass\n```"]  # never returns
    assert reward([chat(h) for h in hostile], tests=[F_TESTS] * len(hostile)) == [0.0] * len(hostile)
    assert reward(["def f(x):\n    return x + 1"], tests=[F_TESTS]) == [1.0]  # the sandbox still works


def test_stdin_stdout_columns(reward):
    right = chat("```python\na, b = map(int, input().split())\nprint(a + b)\n```")
    half = "```python\na, b = map(int, input().split())\nprint(a + b if a < 5 else 0)\n```"
    ins, outs = ["1 2", "10 5"], ["3", "15"]
    assert reward([right, half], stdin=[ins, ins], stdout=[outs, outs]) == [1.0, 0.5]
    cases = [{"input": i, "output": o} for i, o in zip(ins, outs)]
    assert reward([right, half], test_cases=[cases, {"inputs": ins, "outputs": outs}]) == [1.0, 0.5]
    info = json.dumps({"language": "python", "test_cases": [dict(c, type="stdin_stdout") for c in cases]})
    assert reward([half, "no code here"], verification_info=[info, info]) == [0.5, 0.0]


def test_rows_without_tests_score_none(reward):
    assert reward(["def f(x):\n    return 1"], prompts=["p"], completion_ids=[[1, 2]]) == [None]


def test_service_url_backend(tmp_path):
    pytest.importorskip("uvicorn")
    from execeval.service.app import ServiceSettings
    from execeval.service.engine import Verifier
    from execeval.tasks import load_tasks
    from tests.test_service import served

    with Verifier([load_tasks("demo")], tmp_path, CONFIG) as v, served(v, ServiceSettings(token="t0k")) as url:
        with CodeReward(url=url, token="t0k") as remote:
            replies = [chat("```python\ndef f(x):\n    return x + 1 if x < 5 else x\n```"), "nothing"]
            assert remote(replies, tests=[F_TESTS] * 2) == [0.75, 0.0]
