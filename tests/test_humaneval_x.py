"""HumanEval-X (THUDM/CodeGeeX) as published, and MultiPL-E's Go and Rust: real records from
tests/benchmark_fixtures (origins in its README), judged through the real sandbox and toolchains (a language whose
toolchain is missing here is skipped with the reason). The whole files' canonical solutions:
bench/humaneval_x_gold.py, or this file's last test with EXECEVAL_HUMANEVAL_X_DIR set."""

from __future__ import annotations

import gzip
import json
import os
import shutil
from pathlib import Path

import pytest

from execeval.errors import TaskFormatError
from execeval.judges import judge
from execeval.languages import get_language
from execeval.samples.matching import program_for
from execeval.samples.model import Sample
from execeval.sandbox import CommandSandbox, Limits, Status
from execeval.tasks import load_tasks

FIXTURES = Path(__file__).parent / "benchmark_fixtures"
LANGS = ("cpp", "go", "java", "js", "python", "rust")
LIMITS = Limits(wall_s=30, cpu_s=10, memory_mb=1024)
# a wrong body for HumanEval/0 (has_close_elements) in each language, as a completion of the prompt
WRONG = {"cpp": "    return false;\n}\n", "go": "    return false\n}\n", "java": "        return false;\n    }\n}\n",
         "js": "  return false;\n}\n", "python": "    return False\n", "rust": "    return false;\n}\n"}
EXECEVAL_LANGUAGE = {"js": "javascript"}


@pytest.fixture(scope="module")
def sandbox():
    with CommandSandbox(workers=2) as sb:
        yield sb



def _require(lang: str) -> None:
    toolchain = get_language(EXECEVAL_LANGUAGE.get(lang, lang)).toolchain()
    if not toolchain.available:
        pytest.skip(toolchain.missing_message())


def _completion(task, code: str) -> str:
    return program_for(task, Sample(task.task_id, 0, code, "completion", "test"))


@pytest.mark.parametrize("lang", LANGS)
def test_loads_by_name_from_the_data_dir(tmp_path, lang):
    shutil.copy(FIXTURES / f"humaneval_{lang}.jsonl", tmp_path / f"humaneval_{lang}.jsonl")
    taskset = load_tasks(f"humaneval-x-{lang}", data_dir=tmp_path)
    assert [t.task_id.split("/")[1] for t in taskset.tasks] == ["0", "1", "2"]
    task = taskset.tasks[0]
    assert task.language == EXECEVAL_LANGUAGE.get(lang, lang) and task.completion_mode
    assert task.entry_point.lower().replace("_", "") == "hascloseelements", task.entry_point


def test_a_bad_record_is_named_by_file_and_line(tmp_path):
    lines = (FIXTURES / "humaneval_go.jsonl").read_text().splitlines()
    rec = json.loads(lines[1])
    del rec["test_setup"]
    path = tmp_path / "humaneval_go.jsonl"
    path.write_text(lines[0] + "\n" + json.dumps(rec) + "\n")
    with pytest.raises(TaskFormatError, match=r"humaneval_go\.jsonl:2.*test_setup"):
        load_tasks(path)


@pytest.mark.parametrize("lang", LANGS)
def test_canonical_solutions_pass_and_a_wrong_body_fails(sandbox, cache, lang):
    _require(lang)
    taskset = load_tasks(FIXTURES / f"humaneval_{lang}.jsonl")
    records = [json.loads(line) for line in (FIXTURES / f"humaneval_{lang}.jsonl").read_text().splitlines()]
    for task, rec in zip(taskset.tasks, records):
        result = judge(task, _completion(task, rec["canonical_solution"]), sandbox, limits=LIMITS, cache=cache)
        assert result.status is Status.OK and result.completed, (task.task_id, result.detail, result.stderr[-800:])
    wrong = judge(taskset.tasks[0], _completion(taskset.tasks[0], WRONG[lang]), sandbox, limits=LIMITS, cache=cache)
    assert wrong.status is Status.FAILED and not wrong.completed, wrong
    assert wrong.error_type == "AssertionError", (wrong.error_type, wrong.detail)


@pytest.mark.parametrize("lang, early_exit", [("go", "    panic(\"no\")\n}\n"),
                                              ("rust", "    std::process::exit(0);\n}\n")])
def test_an_early_exit_or_a_panic_is_not_a_pass(sandbox, cache, lang, early_exit):
    _require(lang)
    task = load_tasks(FIXTURES / f"humaneval_{lang}.jsonl").tasks[0]
    result = judge(task, _completion(task, early_exit), sandbox, limits=LIMITS, cache=cache)
    assert result.status is not Status.OK and not result.completed, result


MULTIPL_E_BODIES = {
    "go": "    for i := 0; i < len(numbers); i++ {\n        for j := i + 1; j < len(numbers); j++ {\n"
          "            d := numbers[i] - numbers[j]\n            if d < 0 {\n                d = -d\n            }\n"
          "            if d < threshold {\n                return true\n            }\n        }\n    }\n"
          "    return false\n}\n\nfunc unused() {}\n",  # past the stop token: cut off, as MultiPL-E does
    "rust": "    let mut sorted_numbers = numbers.clone();\n    sorted_numbers.sort_by(|a, b| a.partial_cmp(b).unwrap());\n"
            "    let mut prev_number = sorted_numbers[0];\n    for number in sorted_numbers.iter().skip(1) {\n"
            "        if (prev_number - number).abs() < threshold {\n            return true;\n        }\n"
            "        prev_number = *number;\n    }\n    false\n\n",
}


@pytest.mark.parametrize("lang", ["go", "rust"])
def test_multipl_e_go_and_rust_load_and_a_correct_sample_passes(sandbox, cache, lang):
    _require(lang)
    (task,) = load_tasks(FIXTURES / f"multipl_e_{'rs' if lang == 'rust' else lang}.jsonl").tasks
    assert task.language == lang
    good = judge(task, _completion(task, MULTIPL_E_BODIES[lang]), sandbox, limits=LIMITS, cache=cache)
    assert good.status is Status.OK and good.completed, (good.detail, good.stderr[-800:])
    bad = judge(task, _completion(task, WRONG[lang]), sandbox, limits=LIMITS, cache=cache)  # cut at "\n}" in Rust
    assert bad.status is Status.FAILED and not bad.completed, bad


@pytest.mark.skipif(not os.environ.get("EXECEVAL_HUMANEVAL_X_DIR"),
                    reason="set EXECEVAL_HUMANEVAL_X_DIR to a directory of humaneval_LANG.jsonl.gz (THUDM/CodeGeeX)")
@pytest.mark.parametrize("lang", LANGS)
def test_every_published_canonical_solution_passes_but_the_listed_ones(tmp_path, lang):
    _require(lang)
    from bench.humaneval_x_gold import EXCEPTIONS, gold_failures

    data = Path(os.environ["EXECEVAL_HUMANEVAL_X_DIR"])
    with gzip.open(data / f"humaneval_{lang}.jsonl.gz", "rt") as f:
        assert sum(1 for line in f if line.strip()) == 164
    assert set(gold_failures(lang, data, tmp_path)) == set(EXCEPTIONS[lang])
