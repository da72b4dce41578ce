"""Difference search: the model-free search on 34 mutant pairs and 6 equivalent ones, inputs parsed safely, the
model-driven loop through the loopback OpenAI server (feedback, records, resume), and the command."""

from __future__ import annotations

import asyncio
import json

import pytest
from typer.testing import CliRunner

from difftest_pairs import EQUIVALENT, MUTANTS
from execeval.cli import app
from execeval.models import load_backend
from execeval.protocols.difftest import find_difference
from execeval.protocols.inputs import search_inputs
from execeval.protocols.difftest.model_search import ModelSearchConfig, parse_input, search_with_model
from execeval.protocols.observe import Outcome, Program, differs, observe_many
from execeval.runs.store import RunStore
from openai_test_server import openai_server  # noqa: F401  (fixture)


def _programs(pair):
    return Program(pair.original, pair.entry), Program(pair.mutant, pair.entry)


def test_every_pair_agrees_on_its_seed_and_mutants_differ_on_their_known_input(sandbox):
    work = []
    for pair in MUTANTS + EQUIVALENT:
        p, q = _programs(pair)
        inputs = [pair.seed] + ([pair.exposing] if pair.exposing is not None else [])
        work += [(p, inputs), (q, inputs)]
    outs = observe_many(sandbox, work, case_cpu_s=0.2)
    assert len(MUTANTS) >= 30 and len(EQUIVALENT) >= 5
    for n, pair in enumerate(MUTANTS + EQUIVALENT):
        p_out, q_out = outs[2 * n], outs[2 * n + 1]
        assert not differs(p_out[0], q_out[0]), (pair.name, "seed", p_out[0], q_out[0])
        if pair.exposing is not None:
            assert differs(p_out[1], q_out[1]), (pair.name, "exposing", p_out[1], q_out[1])


@pytest.mark.slow
def test_model_free_search_finds_mutants_and_never_claims_equivalents(sandbox):
    found = {}
    for pair in MUTANTS:
        p, q = _programs(pair)
        result = find_difference(p, q, [pair.seed], sandbox, case_cpu_s=0.2)  # one pair loops forever
        found[pair.name] = result.found
        if result.found:  # what it claims is true when run again
            again = observe_many(sandbox, [(p, [result.input]), (q, [result.input])])
            assert differs(again[0][0], again[1][0]), pair.name
            assert result.rounds[-1]["found"] and result.round_found == len(result.rounds)
    share = sum(found.values()) / len(found)
    assert share >= 0.9, [name for name, ok in found.items() if not ok]
    for pair in EQUIVALENT:  # a smaller budget than the mutants' (they stop early), to keep the test short
        p, q = _programs(pair)
        result = find_difference(p, q, [pair.seed], sandbox, budget=150, case_cpu_s=0.2)
        assert not result.found, (pair.name, result.input, result.p, result.q)
        assert result.inputs_tried == 150  # it did search


def test_inputs_are_seeded_and_distinct():
    a = [x for batch in search_inputs([[3, [1, 2]], ["ab"]], 120, seed=7) for x in batch]
    b = [x for batch in search_inputs([[3, [1, 2]], ["ab"]], 120, seed=7) for x in batch]
    assert a == b and len(a) == 120
    assert len({json.dumps(x) for x in a}) == len(a)
    assert a != [x for batch in search_inputs([[3, [1, 2]], ["ab"]], 120, seed=8) for x in batch]


@pytest.mark.parametrize("reply, args", [
    ("f(1, [2, 3])", [1, [2, 3]]),
    ("Try this:\n```python\nf('a', (1, 2), {3: None})\n```", ["a", (1, 2), {3: None}]),
    ("(4, 'x')", [4, "x"]),
    ("```\n-7\n```", [-7]),
    ("f(__import__('os').system('touch /tmp/pwned'))", None),  # a call inside is not a literal: refused
    ("g(1)", None),  # another function
    ("f(x=1)", None),
    ("no input here", None),
])
def test_proposed_inputs_are_literals_only(reply, args):
    assert parse_input(reply, "f") == args


P = "def f(xs):\n    return max(xs)\n"
Q = "def f(xs):\n    m = 0\n    for v in xs:\n        if v > m:\n            m = v\n    return m\n"


def test_model_driven_search_feedback_records_and_resume(openai_server, sandbox, tmp_path):
    """Round 1 proposes inputs both agree on (and one that is not an input); round 2 the empty list."""
    asked = []

    def reply(content: str) -> str:
        asked.append(content)
        if "identical output" not in content:
            return "f([4, 1])" if len(asked) % 2 else "I think it is fine."
        return "```python\nf([])\n```"

    openai_server.reply = reply
    config = ModelSearchConfig(rounds=4, n=2, parts=("patched", "seed", "trace"))
    store = RunStore.in_dir(tmp_path)

    async def run():
        async with load_backend("openai:tiny", base_url=openai_server.url, max_retries=0) as backend:
            return await search_with_model(Program(P, "f"), Program(Q, "f"), backend, sandbox, config,
                                           seed_input=[[1, 5, 2]], store=store)

    result = asyncio.run(run())
    assert result.found and result.round_found == 2 and result.input == [[]]
    assert result.p == Outcome("raise", error="ValueError") and result.q == Outcome("value", "0")
    assert result.samples == 4 and result.tokens > 0 and [r["found"] for r in result.rounds] == [False, True]
    first = openai_server.generation_requests()[0].body["messages"][0]["content"]
    assert Q.splitlines()[1] in first and "return max(xs)" not in first  # the patched version only
    assert "both versions give 5" in first and "m = 0, 1, 5" in first  # seed output; values only Q holds
    second = openai_server.generation_requests()[1].body["messages"]
    assert second[-1]["content"].startswith("Both versions give identical output on each input you gave: "
                                            "f([4, 1]) gives 4.")
    assert "1 reply was not a literal call" in second[-1]["content"]
    assert len(store.records("difftest")) == 2

    before = openai_server.count()
    again = asyncio.run(run())
    assert openai_server.count() == before and again.as_dict() == result.as_dict()
    store.close()


def test_difftest_command_exit_status_and_run_dir(tmp_path):
    (tmp_path / "p.py").write_text(P)
    (tmp_path / "q.py").write_text(Q)
    runner = CliRunner()
    out = tmp_path / "run"
    got = runner.invoke(app, ["difftest", str(tmp_path / "p.py"), str(tmp_path / "q.py"), "--seed-input",
                              "f([1, 5, 2])", "--out", str(out)])
    assert got.exit_code == 0, got.output
    assert "f([]): P raises ValueError, Q 0" in got.output
    summary = json.loads((out / "summary.json").read_text())
    assert summary["difftest_search"]["found"] and summary["difftest_search"]["found_by_round"][-1] == 1
    same = runner.invoke(app, ["difftest", str(tmp_path / "p.py"), str(tmp_path / "p.py"), "--seed-input",
                               "f([1, 5, 2])", "--budget", "40"])
    assert same.exit_code == 1 and "no difference found in 40 inputs" in same.output
    bad = runner.invoke(app, ["difftest", str(tmp_path / "p.py"), str(tmp_path / "q.py"), "--seed-input", "f(1"])
    assert bad.exit_code == 2 and "not a call with literal arguments" in bad.output


def test_model_driven_search_over_pairs_gives_a_hand_computed_curve(openai_server, sandbox, tmp_path):
    """Pairs searched one at a time; the script answers by pair and round. Found in round: A 1, B 2, D 3; C (no
    literal ever) and the equivalent pair E never: by round 1, 2, 3 that is 1, 2, 3 of 5."""
    from execeval.protocols.difftest.run import PairSpec, run_pairs
    from execeval.report.html import render_report

    picks = {"A": (MUTANTS[0], ["f(6)"]), "B": (MUTANTS[2], ["f(4)", "f(-2)"]), "C": (MUTANTS[4], ["no idea"]),
             "D": (MUTANTS[8], ["f(3)", "f(5)", "f(0)"]), "E": (EQUIVALENT[0], ["f([1])", "f([])", "f([2, 2])"])}
    state = {"pair": None, "round": 0}

    def reply(content: str) -> str:
        if "Version 1:" in content:  # a pair's first prompt
            state["pair"] = next(k for k, (pair, _) in picks.items() if pair.mutant.strip() in content)
            state["round"] = 0
        state["round"] += 1
        script = picks[state["pair"]][1]
        return script[min(state["round"], len(script)) - 1]

    openai_server.reply = reply
    pairs = [PairSpec(k, pair.original, pair.mutant, (f"f({pair.seed[0]!r})",)) for k, (pair, _) in picks.items()]
    backend = load_backend("openai:tiny", base_url=openai_server.url, max_retries=0)
    summary = run_pairs(pairs, backend=backend, model_config=ModelSearchConfig(rounds=3, n=1), out_dir=tmp_path,
                        sandbox=sandbox, concurrency=1)
    assert summary["found_by_round"] == [0.2, 0.4, 0.6] and summary["found"] == 3
    assert summary["samples"] == 1 + 2 + 3 + 3 + 3
    rows = {r["task_id"]: r["difftest"] for r in (json.loads(line) for line in (tmp_path / "results.jsonl").open())}
    assert [rows[k]["round_found"] for k in "ABCDE"] == [1, 2, None, 3, None]
    assert rows["A"]["input"] == "f(6)" and rows["D"]["input"] == "f(0)"
    assert 'id="difftest"' in render_report(tmp_path).read_text()



def test_tasks_tested_by_asserts_give_their_literal_call_arguments_as_inputs():
    from execeval.protocols.observe import task_inputs
    from execeval.tasks.model import Assert, Task
    from execeval.tasks.model import TestSuite as Suite

    setup = "def check(candidate):\n    assert candidate([1, 2], 3) == 1\n    assert candidate(x, 1) == 2\n"
    task = Task("t", "", "f", "def f(a, b):\n    return 1\n",
                Suite((Assert("check(f)"), Assert("assert f('a', (1, 2)) == 0"), Assert("assert f([1, 2], 3)")),
                      setup=setup))
    assert task_inputs(task) == [[[1, 2], 3], ["a", (1, 2)]]  # `x` is not a literal; duplicates once


def test_difftest_command_with_a_model(openai_server, tmp_path):
    (tmp_path / "p.py").write_text(P)
    (tmp_path / "q.py").write_text(Q)
    openai_server.reply = lambda content: "```python\nf([-1])\n```"
    got = CliRunner().invoke(app, ["difftest", str(tmp_path / "p.py"), str(tmp_path / "q.py"), "--model",
                                   "openai:tiny", "--base-url", openai_server.url, "--samples", "1", "--rounds", "2",
                                   "--seed-input", "f([1, 5, 2])", "--out", str(tmp_path / "run")])
    assert got.exit_code == 0, got.output
    assert "difference in round 1 (1 inputs tried): f([-1]): P -1, Q 0" in got.output
    assert openai_server.count("/v1/chat/completions") == 1
