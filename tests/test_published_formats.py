"""Published sample files read as they are (issue #25): Reflexion's HumanEval body file, Reflexion's and
MultiPL-E's `name`-keyed MBPP files, LDB's seed files; the wrong-format warning; the native `prelude`; a
first_failure that names the test's line. Real rows in tests/published_samples/ (origin in its README)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from execeval.errors import UsageError
from execeval.evaluate import EvalConfig, evaluate
from execeval.evaluation.programs import TimePolicy
from execeval.runs.files import read_results
from execeval.samples import load_samples, match_samples, program_for
from execeval.tasks.humaneval import load_humaneval
from execeval.tasks.model import Assert, Task, TaskSet
from execeval.tasks.model import TestSuite as Suite  # (a name pytest would try to collect as a test class)
from execeval.tasks.native import load_native

HERE = Path(__file__).parent / "published_samples"
# the shared data folder next to the checkout (or next to the worktrees' folder)
LDB = next((p / "shared" / "data" / "model-samples" for p in Path(__file__).resolve().parents[2:4]
            if (p / "shared" / "data" / "model-samples").is_dir()), Path("shared/data/model-samples"))
CONFIG = EvalConfig(k=(1,), policy=TimePolicy(speed=1.0))


def _rows(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_reflexions_humaneval_bodies_are_read_as_completions_and_whole_functions_as_programs():
    ss = load_samples(HERE / "reflexion-humaneval-body.jsonl")
    assert ss.format == "reflexion-jsonl"
    assert {s.task_id: s.kind for s in ss} == {"HumanEval/0": "completion", "HumanEval/2": "completion",
                                                "HumanEval/133": "solution"}
    simple = load_samples(HERE / "reflexion-humaneval-simple.jsonl")
    assert simple.format == "reflexion-jsonl" and {s.kind for s in simple} == {"solution"}


def test_reflexions_humaneval_file_scores_as_reflexion_recorded_it(tmp_path, sandbox):
    path = HERE / "reflexion-humaneval-body.jsonl"
    tasks = load_humaneval(path)  # the rows carry HumanEval's own keys: their tasks, for a test without data
    summary = evaluate(path, tasks, tmp_path / "run", CONFIG, sandbox=sandbox)
    got = {r["task_id"]: r["passed"] for r in read_results(tmp_path / "run")}
    assert got == {r["task_id"]: r["is_solved"] for r in _rows(path)} == {"HumanEval/0": True, "HumanEval/2": True,
                                                                           "HumanEval/133": True}
    assert "sample_format_warning" not in summary


def test_a_body_file_read_as_programs_warns_loudly(tmp_path, sandbox):
    path = HERE / "reflexion-humaneval-body.jsonl"
    summary = evaluate(path, load_humaneval(path), tmp_path / "run", EvalConfig(
        k=(1,), policy=TimePolicy(speed=1.0), sample_format="program"), sandbox=sandbox)
    assert "WRONG SAMPLE FORMAT? 2 of 3 samples" in summary["sample_format_warning"]
    assert "--sample-format completion" in summary["sample_format_warning"]
    statuses = {r["task_id"]: r["status"] for r in read_results(tmp_path / "run")}
    assert statuses == {"HumanEval/0": "syntax_error", "HumanEval/2": "syntax_error", "HumanEval/133": "passed"}


def test_sample_format_completion_overrides_detection_and_bad_names_are_refused():
    forced = load_samples(HERE / "reflexion-humaneval-simple.jsonl", sample_format="completion")
    assert {s.kind for s in forced} == {"completion"} and forced.format == "reflexion-jsonl (read as completion)"
    with pytest.raises(UsageError, match="unknown sample format 'body'"):
        load_samples(HERE / "reflexion-humaneval-simple.jsonl", sample_format="body")


def _mbpp_task(task_id: str) -> Task:
    return Task(task_id=task_id, prompt="prose", entry_point="f", reference="def f(): return 1\n",
                tests=Suite(cases=(Assert("assert f() == 1"),)), completion_mode=False)


@pytest.mark.parametrize("ids, name", [(("234", "89", "245", "2"), "mbpp"),
                                       (("Mbpp/234", "Mbpp/89", "Mbpp/245", "Mbpp/2"), "mbpp+")])
def test_multipl_e_names_in_reflexions_mbpp_file_match_mbpp_numbers(ids, name):
    ss = load_samples(HERE / "reflexion-mbpp.jsonl")
    assert ss.format == "reflexion-jsonl"
    assert [s.task_id for s in ss] == ["mbpp_234_volume_cube", "mbpp_89_closest_num", "mbpp_245_max_sum"]
    tasks = TaskSet(name=name, tasks=tuple(_mbpp_task(i) for i in ids), source="mem", content_hash="0")
    m = match_samples(ss, tasks)
    assert m.clean and [t.task_id for t, _ in m.pairs] == [ids[0], ids[1], ids[2]]
    assert program_for(*m.pairs[0]) == ss.samples[0].code  # the whole function, as published


def test_a_multipl_e_name_of_another_benchmark_does_not_match():
    ss = load_samples(HERE / "reflexion-mbpp.jsonl")
    tasks = TaskSet(name="humaneval", tasks=(_mbpp_task("HumanEval/234"),), source="mem", content_hash="0")
    assert "mbpp_234_volume_cube" in match_samples(ss, tasks).unknown_ids


@pytest.mark.parametrize("name", ["codellama", "starcoder", "gpt-3.5-turbo-0613", "gpt-4-1106-preview"])
def test_ldbs_seed_files_are_whole_programs(name):
    path = LDB / f"ldb-seed-humaneval-{name}.jsonl"
    if not path.exists():
        pytest.skip(f"{path} not found")
    ss = load_samples(path)
    assert ss.format == "ldb-jsonl" and len(ss) == 164 and {s.kind for s in ss} == {"solution"}


def test_ldbs_mbpp_seed_files_match_mbpp_numbers():
    path = LDB / "ldb-seed-mbpp-starcoder.jsonl"
    if not path.exists():
        pytest.skip(f"{path} not found")
    ss = load_samples(path)
    assert ss.format == "ldb-jsonl" and len(ss) == 500 and {s.kind for s in ss} == {"solution"}
    tasks = TaskSet(name="mbpp", tasks=tuple(_mbpp_task(str(n)) for n in range(11, 511)), source="mem",
                    content_hash="0")
    m = match_samples(ss, tasks)
    assert m.clean and len(m.pairs) == 500


def _native(tmp_path: Path, header: dict | None) -> Path:
    task = {"task_id": "t/0", "prompt": "Sum a list.", "entry_point": "total",
            "reference": "def total(xs):\n    return sum(xs)\n",
            "tests": ["assert total([1, 2]) == 3"]}
    path = tmp_path / "tasks.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in ([header] if header else []) + [task]))
    return path


def test_a_native_prelude_runs_before_the_program(tmp_path, sandbox):
    """LDB's solutions use `List` and rely on a `from typing import *` header: setup runs too late. (A module-level
    alias: the runner compiles candidates under `from __future__ import annotations`, so annotations alone are
    never evaluated here.)"""
    samples = tmp_path / "s.jsonl"
    samples.write_text(json.dumps({"task_id": "t/0", "solution": "Ints = List[int]\n\n"
                                   "def total(xs: Ints) -> int:\n    return sum(xs)\n"}) + "\n")
    with_prelude = load_native(_native(tmp_path, {"format": "execeval-tasks/1", "prelude": "from typing import *"}))
    task = with_prelude.tasks[0]
    assert task.metadata["prelude"] == "from typing import *\n" and task.reference.startswith("from typing import *\n")
    evaluate(samples, with_prelude, tmp_path / "ok", CONFIG, sandbox=sandbox)
    assert [r["status"] for r in read_results(tmp_path / "ok")] == ["passed"]
    setup_only = load_native(_native(tmp_path, {"format": "execeval-tasks/1", "setup": "from typing import *"}))
    evaluate(samples, setup_only, tmp_path / "late", CONFIG, sandbox=sandbox)
    late = read_results(tmp_path / "late")[0]
    assert late["status"] != "passed" and "List" in late["first_failure"], late


CHECK = ("\n\ndef check(candidate):\n    assert candidate(1) == 1\n    assert candidate(2) == 2\n"
         "    assert candidate(3) == 3\n")


def _check_task(as_setup: bool) -> TaskSet:
    """HumanEval's layout (check in the setup, one `check(f)` case) or a native one (the whole test one case)."""
    tests = (Suite(cases=(Assert("check(f)"),), setup=CHECK) if as_setup
             else Suite(cases=(Assert(CHECK.strip() + "\ncheck(f)\n"),)))
    task = Task(task_id="c/0", prompt="def f(n):\n", entry_point="f", reference="def f(n):\n    return n\n",
                tests=tests, completion_mode=True)
    return TaskSet(name="c", tasks=(task,), source="mem", content_hash="0")


@pytest.mark.parametrize("as_setup", [True, False])
def test_first_failure_names_the_failing_or_timed_out_assert_and_its_line(tmp_path, sandbox, as_setup):
    samples = tmp_path / "s.jsonl"
    samples.write_text("".join(json.dumps({"task_id": "c/0", "completion": c}) + "\n" for c in [
        "    return 0 if n == 2 else n\n",
        "    while n == 3:\n        pass\n    return n\n"]))
    evaluate(samples, _check_task(as_setup), tmp_path / "run", CONFIG, sandbox=sandbox)
    wrong, slow = read_results(tmp_path / "run")
    line = 5 if as_setup else 3  # the setup starts with two blank lines; the native test was stripped
    assert wrong["status"] == "failed"
    assert wrong["first_failure"].endswith(f"line {line} of the test: assert candidate(2) == 2"), wrong
    assert slow["status"] == "timeout"
    assert f", at line {line + 1} of the test: assert candidate(3) == 3" in slow["first_failure"], slow
    assert "::" not in slow["first_failure"]
