"""CRUXEval output and input prediction on 20 real rows: the true predictions pass in both directions, and no
answer that is not the asked literal prediction passes (the sample is parsed outside the sandbox; only literals
enter the job; values are compared outside it)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from execeval.errors import TaskFormatError
from execeval.evaluate import EvalConfig, evaluate
from execeval.runs.files import read_results
from execeval.tasks import load_tasks
from execeval.tasks.cruxeval import NotAPrediction, parse_prediction

FIXTURE = Path(__file__).parent / "benchmark_fixtures" / "cruxeval_20.jsonl"
ROWS = [json.loads(line) for line in FIXTURE.read_text().splitlines()]

# what a model might write instead of the prediction: every one must fail, for every row, in both directions
HOSTILE = {
    "assert_true": "assert True",
    "f_equals_f": "assert f({inp}) == f({inp})",
    "equals_everything": "assert f({inp}) == type('E', (), {{'__eq__': lambda s, o: True}})()",
    "equals_everything_input": "assert f(type('E', (), {{'__eq__': lambda s, o: True}})()) == {out}",
    "or_true": "assert f({inp}) == {out} or True",
    "side_effect": "assert f({inp}) == (__import__('os').system('touch /tmp/execeval-crux-pwned') or {out})",
    "side_effect_input": "assert f(__import__('os').system('touch /tmp/execeval-crux-pwned')) == {out}",
    "eval_value": "assert f({inp}) == eval({out!r})",
    "eval_input": "assert f(eval({inp!r})) == {out}",
    "starred_input": "assert f(*[{inp}]) == {out}",
    "kwargs_input": "assert f(**{{}}) == {out}",
    "redefine_f": "def f(*a, **k):\n    return {out}\nassert f({inp}) == {out}",
    "two_statements": "import os\nassert f({inp}) == {out}",
    "lambda": "assert (lambda: True)()",
    "walrus": "assert (x := f({inp})) == x",
    "wrong_literal": "assert f({inp}) == 'no CRUXEval output is this string 7f3a'",
    "wrong_literal_input": "assert f('no CRUXEval input is this string 7f3a', -987654321) == {out}",
    "not_python": "the answer is {out}",
}


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    d = tmp_path_factory.mktemp("crux-data")
    shutil.copy(FIXTURE, d / "cruxeval.jsonl")
    return d


def _run(tmp_path, sandbox, data_dir, bench: str, answers: dict[str, str]) -> dict[tuple[str, str], bool]:
    """Each answer template for each row: {(row id, answer name): passed}."""
    names = list(answers)
    rows = [{"task_id": r["id"], "solution": answers[n].format(inp=r["input"], out=r["output"]),
             "completion_id": i} for r in ROWS for i, n in enumerate(names)]
    samples = tmp_path / f"{bench}.jsonl"
    samples.write_text("".join(json.dumps(r) + "\n" for r in rows))
    evaluate(samples, bench, tmp_path / bench, EvalConfig(k=(1,), data_dir=data_dir), sandbox=sandbox)
    return {(r["task_id"], names[r["completion_id"]]): r["passed"] for r in read_results(tmp_path / bench)}


def test_names_load_the_file_in_both_directions(data_dir):
    for bench, mode in (("cruxeval-o", "output"), ("cruxeval-i", "input")):
        ts = load_tasks(bench, data_dir=data_dir)
        assert ts.name == bench and len(ts.tasks) == 20
        assert all(t.metadata["cruxeval"] == mode for t in ts.tasks)
    with pytest.raises(TaskFormatError, match="a CRUXEval file"):
        load_tasks(data_dir / "cruxeval.jsonl")


@pytest.mark.parametrize("bench", ["cruxeval-o", "cruxeval-i"])
def test_true_predictions_pass_for_every_row(tmp_path, sandbox, data_dir, bench):
    answers = {"assert": "assert f({inp}) == {out}", "fenced": "```python\nassert f({inp}) == {out}\n```",
               "tagged": "[ANSWER]\nassert f({inp}) == {out}\n[/ANSWER]",
               "bare": "{out}" if bench == "cruxeval-o" else "f({inp})"}
    verdicts = _run(tmp_path, sandbox, data_dir, bench, answers)
    assert len(verdicts) == 20 * len(answers)
    assert [k for k, ok in verdicts.items() if not ok] == []


@pytest.mark.parametrize("bench", ["cruxeval-o", "cruxeval-i"])
def test_hostile_answers_fail_for_every_row(tmp_path, sandbox, data_dir, bench):
    marker = Path("/tmp/execeval-crux-pwned")
    marker.unlink(missing_ok=True)
    verdicts = _run(tmp_path, sandbox, data_dir, bench, HOSTILE)
    assert len(verdicts) == 20 * len(HOSTILE)
    assert [k for k, ok in verdicts.items() if ok] == []
    assert not marker.exists()


@pytest.mark.parametrize("text, mode", [
    ("assert f(1) == f(1)", "output"), ("assert True", "output"), ("assert True", "input"),
    ("assert f(x) == 1", "input"), ("f([i for i in range(3)])", "input"), ("assert f(1) == 2, 'm'", "output"),
    ("1 + 1j if 1 else 2", "output"), ("'a' * 10", "output"), ("assert f(1) == 10**10", "output"),
])
def test_non_literal_predictions_are_refused_before_any_run(text, mode):
    with pytest.raises(NotAPrediction):
        parse_prediction(text, mode)


def test_literals_are_kept_as_written():
    assert parse_prediction("assert f([1, 2], k=(3,)) == {'a': None}", "input") == "[1, 2], k=(3,)"
    assert parse_prediction("assert f([1, 2], k=(3,)) == {'a': None}", "output") == "{'a': None}"
    assert parse_prediction("-1.5", "output") == "-1.5"


def test_chat_prompt_shows_the_assertion_and_the_reply_is_kept_as_written(data_dir):
    from execeval.models import Generation
    from execeval.models.prompts import InstructStyle

    task = load_tasks("cruxeval-i", data_dir=data_dir).tasks[0]
    _, messages = InstructStyle().render(task)
    assert "assert f(??) == [(4, 1), (4, 1), (4, 1), (4, 1), (2, 3), (2, 3)]" in messages[-1]["content"]
    reply = "Sure:\n```python\nassert f([1, 1, 3, 1, 3, 1]) == [(4, 1), (4, 1), (4, 1), (4, 1), (2, 3), (2, 3)]\n```"
    done = InstructStyle().finish(task, Generation("X", 0, reply, "stop", {}, reply))
    assert parse_prediction(done.text, "input") == "[1, 1, 3, 1, 3, 1]"


def test_a_records_own_non_literal_input_is_accepted_verbatim_and_nothing_else(tmp_path, sandbox):
    """12 of CRUXEval's 800 inputs are expressions (`dict(did=0)`): the record's own text is trusted, so the
    true answer passes; any other non-literal stays refused."""
    row = json.loads((FIXTURE.parent / "cruxeval_nonliteral.jsonl").read_text())
    d = tmp_path / "data"
    d.mkdir()
    (d / "cruxeval.jsonl").write_text(json.dumps(row) + "\n")
    answers = {"gold": "assert f({inp}) == {out}", "gold_spaced": "f(dict( did = 0 ),'u')",
               "literal": "assert f({{'did': 0}}, 'u') == {out}", "other_call": "assert f(dict(did=1), 'u') == {out}",
               "gold_plus_code": "assert f(dict(did=0), 'u' + '') == {out}"}
    rows = [{"task_id": row["id"], "completion_id": i, "solution": a.format(inp=row["input"], out=row["output"])}
            for i, a in enumerate(answers.values())]
    samples = tmp_path / "s.jsonl"
    samples.write_text("".join(json.dumps(r) + "\n" for r in rows))
    evaluate(samples, "cruxeval-i", tmp_path / "out", EvalConfig(k=(1,), data_dir=str(d)), sandbox=sandbox)
    got = {list(answers)[r["completion_id"]]: r["passed"] for r in read_results(tmp_path / "out")}
    assert got == {"gold": True, "gold_spaced": True, "literal": True, "other_call": False, "gold_plus_code": False}


def test_run_with_a_chat_model_end_to_end(tmp_path, sandbox):
    from execeval.generate import GenConfig, run
    from execeval.models.fake import FakeBackend

    d = tmp_path / "data"
    d.mkdir()
    (d / "cruxeval.jsonl").write_text(FIXTURE.read_text().splitlines()[0] + "\n")  # sample_0
    answer = "[ANSWER]\nassert f([1, 1, 3, 1, 3, 1]) == [(4, 1), (4, 1), (4, 1), (4, 1), (2, 3), (2, 3)]\n[/ANSWER]"
    summary = run("cruxeval-o", tmp_path / "run", GenConfig(model="fake", chat=True),
                  EvalConfig(k=(1,), data_dir=str(d)), sandbox=sandbox, backend=FakeBackend(lambda p: answer))
    assert summary["pass_at_k"]["base"] == {"pass@1": 1.0}
