"""Guaranteed Guess's protocol on the built-in HumanEval in C: the gold passes in C and in each ISA's assembly,
mutated assembly fails, and a pass whose tests cover too little of the source is `passed_undertested`."""

from __future__ import annotations

import dataclasses
import importlib.util
import json
import re
from pathlib import Path

import pytest

from execeval.errors import UsageError
from execeval.languages import LANGUAGES, get_language
from execeval.sandbox.limits import DEFAULT_LIMITS
from execeval.translation import guaranteed_guess as gg
from execeval.translation.scripts import Candidates

ASM = ("asm-x86_64", "asm-aarch64", "asm-riscv64")
LIMITS = DEFAULT_LIMITS.with_(cpu_s=2.0, wall_s=5.0)
# the strictness of a comparison (`<` <-> `<=`): an off-by-one in a loop bound
STRICTNESS = {"jl": "jle", "jle": "jl", "jg": "jge", "jge": "jg",
              "blt": "ble", "ble": "blt", "bgt": "bge", "bge": "bgt"}
# the opposite condition: a wrong condition code
OPPOSITE = {"js": "jns", "jns": "js", "jl": "jge", "jge": "jl", "jg": "jle", "jle": "jg", "je": "jne", "jne": "je",
            "blt": "bge", "bge": "blt", "bgt": "ble", "ble": "bgt", "beq": "bne", "bne": "beq"}
_BRANCH = re.compile(r"^(\s+)(j\w+|b\w+)(\s)", re.MULTILINE)


@pytest.fixture(scope="module")
def tasks():
    return {t.task_id: t for t in gg.load_tasks()}


def _available(target: str) -> None:
    if target not in LANGUAGES:
        pytest.skip(f"{target} is not a language of this checkout")
    toolchain = get_language(target).toolchain()
    if not toolchain.available:
        pytest.skip(toolchain.missing_message())


def _mutate(asm: str, table: dict[str, str], last: bool) -> str:
    """The first (or last) conditional branch whose mnemonic is in `table`, changed as the table says."""
    hits = [m for m in _BRANCH.finditer(asm) if m.group(2) in table]
    assert hits, "no conditional branch to mutate"
    m = hits[-1] if last else hits[0]
    return asm[:m.start(2)] + table[m.group(2)] + asm[m.end(2):]


def test_the_built_in_set_loads_with_its_origin(tasks):
    assert len(tasks) == 55
    t = tasks["HumanEval-C/3"]
    assert t.origin == "HumanEval-X CPP/3" and t.function == "below_zero"
    assert "bool below_zero(const int *operations, int operations_n);" in t.header
    assert "main" in t.tests and "main" not in t.gold


def test_gold_c_passes_and_a_wrong_c_function_fails(tasks, sandbox):
    t = tasks["HumanEval-C/24"]
    assert gg.judge(t, "c", t.gold, sandbox, LIMITS) == "passed"
    assert gg.judge(t, "c", t.gold.replace("i*i<=n", "i*i<n"), sandbox, LIMITS) == "failed"
    assert gg.judge(t, "c", t.gold.replace("for (", "for x ("), sandbox, LIMITS) == "syntax_error"


@pytest.mark.parametrize("target", ASM)
def test_gold_assembly_passes_and_mutated_assembly_fails(target, tasks, sandbox):
    _available(target)
    bound, condition = tasks["HumanEval-C/24"], tasks["HumanEval-C/3"]
    for t in (bound, condition):
        assert gg.judge(t, target, gg.to_assembly(t, target, sandbox), sandbox, LIMITS) == "passed"
    # i*i <= n becomes i*i < n at the loop's test (the last branch at -O0): largest_divisor(49) is no longer 7
    off_by_one = _mutate(gg.to_assembly(bound, target, sandbox), STRICTNESS, last=True)
    assert gg.judge(bound, target, off_by_one, sandbox, LIMITS) == "failed"
    # `if (num < 0)` inverted: below_zero answers true for the lists that never go below zero
    inverted = _mutate(gg.to_assembly(condition, target, sandbox), OPPOSITE, last=False)
    assert gg.judge(condition, target, inverted, sandbox, LIMITS) == "failed"


def test_a_pass_whose_tests_cover_too_little_of_the_source_is_undertested(tasks, sandbox, tmp_path):
    # prime_fib's gold has a path its tests never take (the loop's end without a return): 12 of 13 lines
    low, full = tasks["HumanEval-C/39"], tasks["HumanEval-C/13"]
    cov = gg.source_coverage(low, sandbox, LIMITS)
    assert cov["status"] == "measured" and cov["line_coverage"] < gg.DEFAULT_MIN_COVERAGE
    groups = [Candidates(t.task_id, "c", (t.gold,), "test") for t in (low, full)]
    summary = gg.evaluate_gg(groups, tmp_path / "strict", tasks=[low, full], sandbox=sandbox)
    rows = {r["id"]: r for r in map(json.loads, (tmp_path / "strict" / "results.jsonl").read_text().splitlines())}
    assert rows[low.task_id]["status"] == "passed_undertested" and not rows[low.task_id]["accepted"]
    assert rows[low.task_id]["functional"] and rows[full.task_id]["accepted"]
    c = summary["by_target"]["c"]
    assert (c["functional_correctness"], c["accepted"]) == (1.0, 0.5)
    assert c["programs_detail"][low.task_id] == {"functional": True, "source_line_coverage": cov["line_coverage"],
                                                 "accepted": False}
    lenient = gg.evaluate_gg(groups, tmp_path / "lenient", tasks=[low, full], sandbox=sandbox, min_coverage=0.9)
    assert lenient["by_target"]["c"]["accepted"] == 1.0


def test_a_rerun_takes_every_outcome_from_the_store(tasks, sandbox, tmp_path):
    t = tasks["HumanEval-C/53"]
    groups = [Candidates(t.task_id, "c", (t.gold, "int add(int x, int y) { return x - y; }"), "test")]
    first = gg.evaluate_gg(groups, tmp_path, tasks=[t], sandbox=sandbox)
    again = gg.evaluate_gg(groups, tmp_path, tasks=[t], sandbox=sandbox)
    assert (first["executed"], again["executed"], again["from_store"]) == (3, 0, 3)  # the coverage, two verdicts
    assert again["by_target"] == first["by_target"] and first["by_target"]["c"]["status_counts"] == \
        {"passed": 1, "failed": 1}


def test_a_target_that_is_not_gg_s_is_one_line_with_the_choices(tasks, sandbox):
    with pytest.raises(UsageError, match="not supported"):
        gg.target_of("java")
    with pytest.raises(UsageError, match="shown assembly"):
        gg.prompts(list(tasks.values())[:1], "c", sandbox)


def test_candidates_for_unknown_tasks_are_refused(tasks, tmp_path):
    with pytest.raises(UsageError, match="not tasks of the set"):
        gg.evaluate_gg([Candidates("HumanEval-C/999", "c", ("int x;",), "t")], tmp_path, tasks=list(tasks.values()))


def _converter():
    spec = importlib.util.spec_from_file_location("humaneval_c", Path(__file__).parent.parent / "bench" /
                                                  "humaneval_c.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# HumanEval-X's C++ record for CPP/52 (its fields as published: task_id, prompt, declaration, canonical_solution,
# test, example_test), shortened to two asserts
CPP_52 = {"task_id": "CPP/52", "prompt": "", "example_test": "",
          "declaration": "#include<stdio.h>\n#include<vector>\nusing namespace std;\n#include<algorithm>\n"
                         "#include<math.h>\n#include<stdlib.h>\nbool below_threshold(vector<int>l, int t){\n",
          "canonical_solution": "    for (int i=0;i<l.size();i++)\n        if (l[i]>=t) return false;\n"
                                "    return true;\n}\n",
          "test": "#undef NDEBUG\n#include<assert.h>\nint main(){\n    assert (below_threshold({1, 2, 4, 10}, 100));\n"
                  "    assert (not(below_threshold({}, 5) == false));\n}\n"}


def test_the_converter_reads_vectors_as_arrays_and_leaves_out_what_c_cannot_return():
    conv = _converter()
    task = conv.convert(CPP_52)
    assert task["task_id"] == "HumanEval-C/52" and task["origin"] == "HumanEval-X CPP/52"
    assert "bool below_threshold(const int *l, int l_n, int t){" in task["gold"] and "i<l_n" in task["gold"]
    assert "below_threshold((int[]){1, 2, 4, 10}, 4, 100)" in task["tests"]
    assert "below_threshold(NULL, 0, 5)" in task["tests"]
    vector_return = dict(CPP_52, declaration=CPP_52["declaration"].replace("bool below", "vector<int> below"))
    with pytest.raises(conv.Skip, match="returns vector<int>"):
        conv.convert(vector_return)


def test_the_commands_write_prompts_and_judge_candidates(tasks, tmp_path):
    from typer.testing import CliRunner

    from execeval.cli import app

    own = tmp_path / "tasks.jsonl"
    own.write_text("".join(json.dumps(dataclasses.asdict(tasks[t])) + "\n" for t in ("HumanEval-C/13", "HumanEval-C/39")))
    gold = CliRunner().invoke(app, ["gg", "gold", "--targets", "c", "--tasks", str(own), "--out", str(tmp_path / "g"),
                                    "-j", "2"])
    assert gold.exit_code == 0, gold.output
    assert "c: functional 1.000 (2/2)  accepted with guarantee 0.500 (1)" in gold.output
    judged = CliRunner().invoke(app, ["gg", "judge", str(tmp_path / "g" / "candidates.jsonl"), "--tasks", str(own),
                                      "--out", str(tmp_path / "j"), "--min-coverage", "0.9", "-j", "2"])
    assert judged.exit_code == 0 and "accepted with guarantee 1.000 (2)" in judged.output, judged.output
    _available("asm-x86_64")
    prompts = CliRunner().invoke(app, ["gg", "prompts", "--tasks", str(own), "--out", str(tmp_path / "p.jsonl")])
    assert prompts.exit_code == 0, prompts.output
    first = json.loads((tmp_path / "p.jsonl").read_text().splitlines()[0])
    assert first["source"] == "asm-x86_64" and "greatest_common_divisor:" in first["assembly"]
    assert first["prototype"] == "int greatest_common_divisor(int a, int b);"


def test_a_model_shown_x86_assembly_is_judged_on_its_aarch64_answer(tasks, sandbox, tmp_path):
    import asyncio

    from execeval.models.fake import FakeBackend
    from execeval.translation.gg_model import ask_model

    _available("asm-x86_64")
    _available("asm-aarch64")
    right, wrong = tasks["HumanEval-C/13"], tasks["HumanEval-C/24"]
    shown = gg.prompts([right, wrong], "asm-x86_64", sandbox)
    answers = {right.function: gg.to_assembly(right, "asm-aarch64", sandbox),
               wrong.function: gg.to_assembly(wrong, "asm-x86_64", sandbox)}  # x86-64 does not assemble for AArch64

    def reply(prompt: str) -> str:
        assert "x86-64 assembly" in prompt and "AArch64" in prompt and "movl" in prompt
        name = next(f for f in answers if f"{f}(" in prompt)
        return f"Here it is:\n```asm\n{answers[name]}```\n"

    groups = asyncio.run(ask_model(FakeBackend(reply), shown, "asm-aarch64"))
    summary = gg.evaluate_gg(groups, tmp_path, tasks=[right, wrong], sandbox=sandbox)
    entry = summary["by_target"]["asm-aarch64"]
    assert entry["status_counts"] == {"passed": 1, "syntax_error": 1} and entry["not_functional"] == [wrong.task_id]
