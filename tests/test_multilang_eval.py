"""Multi-language function benchmarks (MultiPL-E format) through the real `execeval.evaluate.evaluate`.

The "Done when" of issue 5: a dozen tasks of ours, translated to C++, Java, JavaScript and Python, give identical
verdicts in every language for the correct and the wrong variants (wrong answer, crash, infinite loop, early
exit(0)), and a rerun is served from the store. Plus the end-of-tests marker's hostile cases and the loaders.
"""

from __future__ import annotations

import json

import pytest

from execeval.errors import SampleFormatError, TaskFormatError, UsageError
from execeval.evaluate import EvalConfig, evaluate
from execeval.judges import judge
from execeval.judges.endmarker import END_TOKEN_ENV, new_token
from execeval.languages import BuildCache, get_language
from execeval.evaluation.programs import TimePolicy
from execeval.runs.files import read_results
from execeval.samples import Sample, SampleSet, load_samples, program_for
from execeval.sandbox import CommandSandbox
from execeval.sandbox.limits import Limits
from execeval.tasks import load_tasks
from execeval.tasks.records import make_taskset
from execeval.tasks.model import IOTest, Task
from execeval.tasks.model import TestSuite as Suite
import multilang_fixtures as fx
from multilang_fixtures import LANGS, SPECS, prompt, write_benchmark

RUN_S = 2.0  # CPU seconds per run: a JVM starts in well under that; the infinite loops end there
LANGUAGE_OF = {"cpp": "cpp", "java": "java", "js": "js", "py": "python"}


def _available(lang: str) -> bool:
    try:
        return get_language(LANGUAGE_OF[lang]).toolchain().available
    except UsageError:  # no runner for it in this version
        return False


@pytest.fixture(scope="module")
def bench(tmp_path_factory):
    root = tmp_path_factory.mktemp("multipl-e")
    return root, write_benchmark(root)


@pytest.fixture(scope="module")
def config(bench):
    return EvalConfig(k=(1,), workers=2, policy=TimePolicy(run_s=RUN_S), build_cache=BuildCache(bench[0] / "builds"))


@pytest.fixture(scope="module")
def runs(bench, sandbox, config):
    """lang -> (summary, {(task, completion_id): status}) for every language whose runner and toolchain exist."""
    root, _ = bench
    out = {}
    for lang in LANGS:
        if not _available(lang):
            continue
        summary = evaluate(root / f"samples_{lang}.jsonl", root / f"tasks_{lang}.jsonl", root / f"run_{lang}",
                           config, sandbox=sandbox)
        rows = read_results(root / f"run_{lang}")
        out[lang] = (summary, {(r["task_id"], r["completion_id"]): r for r in rows})
    return out


@pytest.mark.slow
@pytest.mark.parametrize("lang", LANGS)
def test_each_language_gives_the_expected_verdicts(lang, bench, runs):
    if lang not in runs:
        pytest.skip(f"no {LANGUAGE_OF[lang]} runner or toolchain on this machine")
    _, expected = bench
    summary, rows = runs[lang]
    got = {key: row["status"] for key, row in rows.items()}
    assert got == expected[lang]
    assert summary["status_counts"] == {"passed": 12, "failed": 12, "error": 5, "timeout": 2}
    # 5 tasks with 2 samples and 7 with 3, one correct each: pass@1 = (5/2 + 7/3) / 12
    assert summary["pass_at_k"]["base"]["pass@1"] == pytest.approx((5 / 2 + 7 / 3) / 12, abs=1e-6)
    wrong = rows[("Mine_0_add", 1)]
    assert wrong["error_type"] == "AssertionError" and wrong["first_failure"].startswith("the tests:")
    loop = rows[("Mine_0_add", 2)]
    assert loop["error_type"] in ("CPUTimeLimit", "WallTimeLimit")
    early = rows[("Mine_2_factorial", 2)]
    assert early["error_type"] == "EarlyExit" and "before its tests finished" in early["first_failure"]


@pytest.mark.slow
def test_verdicts_are_identical_in_every_language(runs):
    missing = [LANGUAGE_OF[lang] for lang in LANGS if lang not in runs]
    if missing:
        pytest.skip(f"not every language is available yet: {', '.join(missing)}")
    statuses = {lang: {key: row["status"] for key, row in rows.items()} for lang, (_, rows) in runs.items()}
    reference = statuses["py"]
    assert len(reference) == 31
    for lang, got in statuses.items():
        assert got == reference, lang


@pytest.mark.slow
def test_a_rerun_is_served_from_the_store(bench, sandbox, config, runs):
    root, expected = bench
    lang = next(iter(runs))
    summary = evaluate(root / f"samples_{lang}.jsonl", root / f"tasks_{lang}.jsonl", root / f"run_{lang}", config,
                       sandbox=sandbox)
    assert summary["jobs"]["executed"] == 0 and summary["jobs"]["from_store"] == 31
    assert {(r["task_id"], r["completion_id"]): r["status"] for r in read_results(root / f"run_{lang}")} == \
        expected[lang]


# ---------------------------------------------------------------- the end-of-tests marker, against hostile code
@pytest.fixture(scope="module")
def commands():
    with CommandSandbox(2) as sb:
        yield sb


def _cpp_task(name: str = "add") -> Task:
    return load_tasks_from_records([{"name": f"T_0_{name}", "language": "cpp", "prompt": prompt("cpp", name),
                                     "tests": fx.tests("cpp", name), "stop_tokens": ["\n}"]}])[0]


def load_tasks_from_records(records: list[dict]) -> tuple[Task, ...]:
    from execeval.tasks.multipl_e import task_from_record

    return tuple(task_from_record(r, f"t:{i}") for i, r in enumerate(records))


def _judge_cpp(body: str, sandbox, cache) -> object:
    task = _cpp_task()
    return judge(task, task.prompt + body, sandbox, limits=Limits(cpu_s=RUN_S, wall_s=2 * RUN_S + 1), cache=cache)


def test_printing_a_token_shaped_line_and_exiting_fails(commands, tmp_path):
    forged = new_token()  # the right shape, but not this run's token
    body = f'    __builtin_printf("\\n{forged}\\n"); std::exit(0);\n    return a + b;\n'
    result = _judge_cpp(body, commands, BuildCache(tmp_path))
    assert not result.all_cases_passed and result.cases[0].error_type == "EarlyExit"


def test_ndebug_cannot_switch_the_asserts_off(commands, tmp_path):
    body = "    return a - b;\n}\n#define NDEBUG\n#include <cassert>\nlong unused() {\n    return 0;\n"
    result = _judge_cpp(body, commands, BuildCache(tmp_path))
    assert result.cases[0].status.value == "failed" and result.cases[0].error_type == "AssertionError"


def test_a_compile_error_is_an_error_naming_the_compiler_line(commands, tmp_path):
    result = _judge_cpp("    return a +;\n", commands, BuildCache(tmp_path))
    assert result.cases[0].error_type == "CompileError" and "error" in result.cases[0].message
    assert not result.all_cases_passed


def test_a_candidate_that_reads_the_token_cannot_forge_a_pass(commands, tmp_path):
    body = f'    __builtin_printf("\\n%s\\n", std::getenv("{END_TOKEN_ENV}")); std::exit(0);\n    return a - b;\n'
    result = _judge_cpp(body, commands, BuildCache(tmp_path))
    assert not result.all_cases_passed


def test_stdin_stdout_tasks_run_through_evaluate(sandbox, config, tmp_path):
    """An IOTest task in C++ goes through the same evaluate pipeline (helper B's judge) and the same store."""
    suite = Suite(cases=(IOTest("1 2\n", "3\n"), IOTest("10 -4\n", "6\n")))
    task = Task("io/sum", "", "main", "", suite, completion_mode=False, language="cpp")
    taskset = make_taskset("io", [("t:1", task)], "io.jsonl", "0" * 64)
    ok = "#include <iostream>\nint main() { long a, b; std::cin >> a >> b; std::cout << a + b << '\\n'; }\n"
    wrong = ok.replace("a + b", "a - b")
    samples = SampleSet([Sample("io/sum", 0, ok, "solution", "s:1"), Sample("io/sum", 1, wrong, "solution", "s:2")],
                        [], "jsonl", "samples")
    summary = evaluate(samples, taskset, tmp_path / "run", config, sandbox=sandbox)
    assert [r["status"] for r in read_results(tmp_path / "run")] == ["passed", "failed"]
    assert summary["jobs"]["executed"] == 2


# ---------------------------------------------------------------- the MultiPL-E format: tasks and samples
def test_tasks_are_detected_by_content_and_completions_are_cut_at_stop_tokens(bench):
    root, _ = bench
    taskset = load_tasks(root / "tasks_cpp.jsonl")
    assert len(taskset.tasks) == len(SPECS) and taskset.tasks[0].language == "cpp"
    assert taskset.tasks[0].entry_point == "add"
    samples = load_samples(root / "samples_cpp.jsonl")
    assert samples.format == "multipl-e-jsonl" and len(samples) == 31
    program = program_for(taskset.tasks[0], samples.samples[0])
    assert program.endswith("    return a + b;") and "unrelated" not in program
    py = load_tasks(root / "tasks_py.jsonl").tasks[0]
    assert py.language == "python"


def test_a_per_problem_json_file_is_a_task_file_and_a_samples_file(tmp_path):
    rec = {"name": "HumanEval_1_x", "language": "js", "prompt": "function x(){\n", "tests": "\nx();\n",
           "stop_tokens": ["\nfunction "], "completions": ["  return 1;\n}\n", "  return 2;\n}\n"]}
    path = tmp_path / "HumanEval_1_x.json"
    path.write_text(json.dumps(rec, indent=2))
    assert load_tasks(path).tasks[0].task_id == "HumanEval_1_x"
    samples = load_samples(path)
    assert samples.format == "multipl-e-json" and [s.completion_id for s in samples] == [0, 1]


def test_bad_lines_name_the_file_and_line(tmp_path):
    good = {"name": "A_1_a", "language": "cpp", "prompt": "p", "tests": "t"}
    path = tmp_path / "tasks.jsonl"
    path.write_text(json.dumps(good) + "\n" + json.dumps({**good, "name": "A_2_b", "tests": 3}) + "\n")
    with pytest.raises(TaskFormatError, match=r"tasks.jsonl:2: key 'tests'"):
        load_tasks(path)
    samples = tmp_path / "samples.jsonl"
    samples.write_text(json.dumps({"name": "A_1_a", "completions": "not a list"}) + "\n")
    with pytest.raises(SampleFormatError, match=r"samples.jsonl:1: key 'completions' should be a list"):
        load_samples(samples)
