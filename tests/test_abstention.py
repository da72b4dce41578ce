"""Abstention scores (BouncerBench's definitions) against tables worked by hand, and `execeval score-abstention`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from execeval.cli import app
from execeval.errors import UsageError
from execeval.metrics.abstention import abstention_scores, i_score, o_score, score_run_abstention

# (abstained, should_abstain) -> (tp, fp, fn, tn, P_bounce, R_bounce, F1_bounce, P_accept, R_accept, F1_accept,
#  macro-F1, FNR_a), each worked by hand from the definitions (0 when a denominator is 0)
TABLE = [
    ([1, 1, 0, 0], [1, 0, 1, 0], (1, 1, 1, 1, 1 / 2, 1 / 2, 1 / 2, 1 / 2, 1 / 2, 1 / 2, 1 / 2, 1 / 2)),
    ([1, 0, 0], [1, 0, 0], (1, 0, 0, 2, 1, 1, 1, 1, 1, 1, 1, 0)),
    # all abstain: answering has no predictions (precision 0/0 -> 0) and recalls none of the 3 answerable
    ([1, 1, 1, 1], [1, 0, 0, 0], (1, 3, 0, 0, 1 / 4, 1, 2 * 0.25 / 1.25, 0, 0, 0, 0.2, 1)),
    # never abstains: abstaining has no predictions
    ([0, 0, 0], [1, 1, 0], (0, 0, 2, 1, 0, 0, 0, 1 / 3, 1, 1 / 2, 1 / 4, 0)),
    ([1, 0, 1, 0, 1], [1, 1, 0, 0, 1], (2, 1, 1, 1, 2 / 3, 2 / 3, 2 / 3, 1 / 2, 1 / 2, 1 / 2, 7 / 12, 1 / 2)),
]
FIELDS = ("tp", "fp", "fn", "tn", "precision_bounce", "recall_bounce", "f1_bounce", "precision_accept",
          "recall_accept", "f1_accept", "macro_f1", "fnr_accept")


@pytest.mark.parametrize("abstained,truth,want", TABLE)
def test_abstention_scores_match_hand_table(abstained, truth, want):
    got = abstention_scores(abstained, truth).as_dict()
    assert got["n"] == len(truth)
    for field, value in zip(FIELDS, want):
        assert got[field] == pytest.approx(value), field


def test_empty_has_no_scores():
    got = abstention_scores([], [])
    assert got.n == 0 and got.macro_f1 is None and got.precision_bounce is None
    assert i_score([], []) is None and o_score([], []) is None


@pytest.mark.parametrize("abstained,quality,want", [
    ([1, 0], [3, 0], 1.0),  # abstains on the impossible, answers the clear one: best
    ([0, 1], [3, 0], -1.0),  # the reverse: worst
    ([1, 1, 1], [3, 2, 0], (2 / 3) * (1.5 + 0.5 - 1.5) / 3),  # all abstain: 1/9
    ([0, 0], [1, 2], 0.0),  # q = 1 and 2 weigh a third each, opposite signs
    ([1], [1.5], 0.0),
])
def test_i_score_by_hand(abstained, quality, want):
    assert i_score(abstained, quality) == pytest.approx(want)


@pytest.mark.parametrize("abstained,wrong,weights,want", [
    ([1, 0, 1], [1, 0, 0], None, 1 / 3),  # right, right, wrong
    ([1, 1, 1, 1], [1, 1, 0, 0], None, 0.0),  # all abstain: right on the 2 wrong outputs only
    ([1, 0], [0, 0], [0.5, 2.0], (-0.5 + 2.0) / 2),
    ([0, 0], [1, 1], None, -1.0),  # trusts two wrong outputs
    ([1, 1], [1, 1], None, 1.0),
])
def test_o_score_by_hand(abstained, wrong, weights, want):
    assert o_score(abstained, wrong, weights) == pytest.approx(want)


def test_bad_inputs_are_one_line_errors():
    with pytest.raises(UsageError, match="2 abstention decisions but 1 labels"):
        abstention_scores([1, 0], [1])
    with pytest.raises(UsageError, match="between 0"):
        i_score([1], [4])
    with pytest.raises(UsageError, match=">= 0"):
        o_score([1], [1], [-1])


def _rows() -> list[dict]:
    # t/a should be abstained on (underspecified); t/b should not. Samples 0 abstain per the samples file.
    return [
        {"task_id": "t/a", "completion_id": 0, "passed": False, "status": "failed"},
        {"task_id": "t/a", "completion_id": 1, "passed": False, "status": "failed"},
        {"task_id": "t/b", "completion_id": 0, "passed": True, "status": "passed"},
        {"task_id": "t/b", "completion_id": 1, "passed": False, "status": "failed"},
        {"task_id": "t/b", "completion_id": 2, "passed": True, "status": "sandbox_error"},
    ]


def test_run_scores_both_sides():
    rows = _rows()
    for r in rows:
        r["abstain"] = r["completion_id"] == 0
    got = score_run_abstention(rows, {"t/a": {"should_abstain": True}, "t/b": {"should_abstain": False}})
    assert got["n_samples"] == 4 and got["n_abstained"] == 2  # the sandbox error is left out
    # input: decisions (1, 0 | 1, 0) against truth (1, 1 | 0, 0): tp 1, fn 1, fp 1, tn 1; q = 3 or 0 -> I = 0
    assert (got["input"]["tp"], got["input"]["fn"], got["input"]["fp"], got["input"]["tn"]) == (1, 1, 1, 1)
    assert got["input"]["i_score"] == pytest.approx(0.0)
    # output: wrong = (1, 1, 0, 1), abstained = (1, 0, 1, 0): right, wrong, wrong, wrong -> O = -1/2
    assert got["output"]["o_score"] == pytest.approx(-0.5)
    assert got["output"]["recall_bounce"] == pytest.approx(1 / 3)


def test_cli_reads_flags_from_the_samples_file(tmp_path: Path):
    run = tmp_path / "run"
    run.mkdir()
    (run / "results.jsonl").write_text("".join(json.dumps(r) + "\n" for r in _rows()))
    labels = tmp_path / "labels.jsonl"
    labels.write_text('{"task_id": "t/a", "should_abstain": true, "input_quality": 2}\n'
                      '{"task_id": "t/b", "should_abstain": false}\n')
    samples = tmp_path / "samples.jsonl"
    samples.write_text("".join(json.dumps({"task_id": t, "completion": "", "abstain": i == 0}) + "\n"
                               for t, n in (("t/a", 2), ("t/b", 3)) for i in range(n)))
    result = CliRunner().invoke(app, ["score-abstention", str(run), "--labels", str(labels), "--samples",
                                      str(samples), "--json"])
    assert result.exit_code == 0, result.output
    got = json.loads(result.output)
    assert got["n_abstained"] == 2
    # t/a has q = 2: abstaining earns (2/3)(0.5), answering -(2/3)(0.5); t/b q = 0: +1 and -1 -> mean 0
    assert got["input"]["i_score"] == pytest.approx(0.0)
    text = CliRunner().invoke(app, ["score-abstention", str(run), "--labels", str(labels)])
    assert text.exit_code == 0 and "0 of 4 samples abstained" in text.output
    bad = CliRunner().invoke(app, ["score-abstention", str(run), "--labels", str(samples)])
    assert bad.exit_code == 2 and "samples.jsonl:1: not a task label (needs task_id, should_abstain)" in bad.output


def test_labels_in_the_task_file_reach_results_and_score_without_a_label_file(tmp_path: Path):
    """`should_abstain` / `input_quality` on a native task travel through `evaluate` into results.jsonl, and
    `score-abstention RUN` then needs no --labels: the same scores as with a label file saying the same."""
    from execeval.evaluate import EvalConfig, evaluate

    tasks = tmp_path / "tasks.jsonl"
    tasks.write_text(
        json.dumps({"task_id": "t/a", "prompt": "def f(x):\n", "entry_point": "f", "reference":
                    "def f(x):\n    return x\n", "tests": ["assert f(1) == 1"], "should_abstain": True,
                    "input_quality": 2}) + "\n" +
        json.dumps({"task_id": "t/b", "prompt": "def g(x):\n", "entry_point": "g", "reference":
                    "def g(x):\n    return x\n", "tests": ["assert g(1) == 1"], "should_abstain": False}) + "\n")
    samples = tmp_path / "samples.jsonl"
    samples.write_text("".join(json.dumps({"task_id": t, "completion": "    return x\n", "abstain": a}) + "\n"
                               for t, a in (("t/a", True), ("t/a", False), ("t/b", True), ("t/b", False))))
    evaluate(samples, str(tasks), tmp_path / "run", EvalConfig(workers=1, k=(1,)))
    rows = [json.loads(line) for line in (tmp_path / "run" / "results.jsonl").read_text().splitlines()]
    assert [(r["task_id"], r.get("should_abstain"), r.get("input_quality")) for r in rows] == [
        ("t/a", True, 2.0), ("t/a", True, 2.0), ("t/b", False, None), ("t/b", False, None)]
    own = CliRunner().invoke(app, ["score-abstention", str(tmp_path / "run"), "--json"])
    assert own.exit_code == 0, own.output
    labels = tmp_path / "labels.jsonl"
    labels.write_text('{"task_id": "t/a", "should_abstain": true, "input_quality": 2}\n'
                      '{"task_id": "t/b", "should_abstain": false}\n')
    given = CliRunner().invoke(app, ["score-abstention", str(tmp_path / "run"), "--labels", str(labels), "--json"])
    assert json.loads(own.output) == json.loads(given.output)
    # decisions (1, 0 | 1, 0) against truth (1, 1 | 0, 0): one of each
    assert json.loads(own.output)["input"]["tp"] == 1 and json.loads(own.output)["input"]["fp"] == 1


def test_no_labels_anywhere_is_one_line_and_bad_labels_in_a_task_file_name_the_line(tmp_path: Path):
    run = tmp_path / "run"
    run.mkdir()
    (run / "results.jsonl").write_text("".join(json.dumps(r) + "\n" for r in _rows()))
    result = CliRunner().invoke(app, ["score-abstention", str(run)])
    assert result.exit_code == 2 and 'no task of this run has a "should_abstain" label' in result.output
    from execeval.errors import TaskFormatError
    from execeval.tasks.native import load_native

    base = {"task_id": "t", "prompt": "", "entry_point": "f", "reference": "def f(): pass\n", "tests": ["assert 1"]}
    for bad, says in (({"should_abstain": "yes"}, "should_abstain"), ({"input_quality": 7}, "from 0")):
        path = tmp_path / "bad.jsonl"
        path.write_text(json.dumps(base) + "\n" + json.dumps({**base, "task_id": "u", **bad}) + "\n")
        with pytest.raises(TaskFormatError, match=f"bad.jsonl:2: .*{says}"):
            load_native(path)
