"""TransCoder-style translation evaluation: CA@1 / CA@N on our fixtures, failure kinds, and forgery attempts.

The numbers are hand-checked in tests/translation_fixtures.py: per language 5 functions with a script (1 passes at
rank 1, 1 at rank 2, 1 at rank 3, 2 never) and 1 without: CA@1 = 0.2, CA@2 = 0.4, CA@5 = 0.6. A Java script that
imports and uses `javafx.util.Pair`, as every one of TransCoder's does, scores its own gold (bench/transcoder_gold.py
checks TransCoder's whole public set).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from execeval.errors import SampleFormatError, TaskFormatError, UsageError
from execeval.languages import BuildCache, Toolchain, get_language
from execeval.languages import java as java_module
from execeval.languages.base import find_toolchain
from execeval.languages.build import build_key
from execeval.metrics.computational_accuracy import ca_at_n, ca_table, first_failure_kinds
from execeval.runs.files import read_results
from execeval.sandbox import ForkServerSandbox
from execeval.translation import evaluate_translations
from execeval.translation.scripts import ScriptSet, fill_in, function_name, load_candidates
from translation_fixtures import (CANDIDATES, EXPECTED_CA, EXPECTED_KINDS, pair_script, write_fixtures,
                                  write_pair_fixture)

RUN_S = 2.0
LANGS = tuple(lang for lang in ("cpp", "java", "python") if get_language(lang).toolchain().available)
NEEDS_JAVA = pytest.mark.skipif("java" not in LANGS, reason="no JDK (apt-get install default-jdk-headless)")


# ---------------------------------------------------------------- the metric, by hand
def test_ca_at_n_by_hand():
    passes = {"a": [True], "b": [False, True], "c": [False, False, True], "d": [False], "e": [], "x": None}
    assert ca_at_n(passes, 1) == pytest.approx(1 / 5)  # x has no script: out of the denominator; e: no candidate
    assert ca_at_n(passes, 2) == pytest.approx(2 / 5)
    assert ca_at_n(passes, 3) == pytest.approx(3 / 5)
    assert ca_at_n(passes, 100) == pytest.approx(3 / 5)
    assert ca_table(passes, (5, 1)) == {"CA@1": 0.2, "CA@5": 0.6, "n_functions": 5, "n_excluded": 1}
    assert ca_at_n({"x": None}, 1) is None
    with pytest.raises(ValueError):
        ca_at_n(passes, 0)


def test_first_failure_kinds_by_hand():
    kinds = {"a": ["success"], "b": ["timeout", "success"], "c": ["compile_error", "runtime_error"], "d": [],
             "x": None}
    assert first_failure_kinds(kinds, 1) == {"timeout": 1, "compile_error": 1, "no_candidate": 1}
    assert first_failure_kinds(kinds, 2) == {"compile_error": 1, "no_candidate": 1}


# ---------------------------------------------------------------- filling a script in
def test_fill_in_renames_the_candidates_function_and_its_recursive_calls():
    script = "int f_gold(int n) { return n; }\n//TOFILL\nint main() { return f_filled(1) - f_gold(1); }\n"
    filled = fill_in(script, "int sd(int n) { return n == 0 ? 0 : sd(n / 10); }", "cpp")
    assert "int f_filled(int n) { return n == 0 ? 0 : f_filled(n / 10); }" in filled and "TOFILL" not in filled
    assert function_name("static boolean f_gold(int n) {", "java") == "f_gold"
    assert function_name("def helper(x):\n    if x:\n        return 1", "python") == "helper"


def test_bad_candidate_lines_name_file_and_line(tmp_path):
    path = tmp_path / "c.jsonl"
    path.write_text('{"id": "A", "language": "cpp", "candidates": ["x"]}\n{"id": "B", "language": "cpp"}\n')
    with pytest.raises(SampleFormatError, match=r"c.jsonl:2: missing key 'candidates'"):
        load_candidates(path)
    path.write_text('{"id": "A", "language": "rust", "candidates": []}\n')
    with pytest.raises(SampleFormatError, match=r"c.jsonl:1: .*not supported"):
        load_candidates(path)


# ---------------------------------------------------------------- end to end, every language
@pytest.fixture(scope="module")
def sandbox():
    with ForkServerSandbox(2) as sb:  # what translate uses; any Sandbox that runs Commands and Scripts does
        yield sb


@pytest.fixture(scope="module")
def run(tmp_path_factory, sandbox):
    root = tmp_path_factory.mktemp("transcoder")
    candidates = write_fixtures(root, LANGS)
    cache = BuildCache(root / "builds")
    summary = evaluate_translations(candidates, root / "scripts", root / "out", ns=(1, 2, 5), run_s=RUN_S,
                                    cache=cache, sandbox=sandbox)
    return root, candidates, cache, summary


@pytest.mark.slow
def test_ca_at_n_matches_the_hand_checked_numbers(run):
    _, _, _, summary = run
    assert set(summary["by_language"]) == set(LANGS)
    for lang, entry in summary["by_language"].items():
        assert {k: v for k, v in entry.items() if k.startswith("CA@")} == EXPECTED_CA, lang
        assert entry["n_functions"] == 5 and entry["n_excluded"] == 1 and entry["no_script"] == ["NO_SCRIPT"]
        assert entry["first_failure_kinds"]["@1"] == {"wrong_output": 1, "compile_error": 1, "timeout": 1,
                                                      "runtime_error": 1}
        assert entry["first_failure_kinds"]["@5"] == {"timeout": 1, "runtime_error": 1}


@pytest.mark.slow
def test_every_candidate_gets_the_right_failure_kind(run):
    root, _, _, _ = run
    rows = read_results(root / "out")
    for lang in LANGS:
        got = {}
        for r in sorted((r for r in rows if r["language"] == lang), key=lambda r: r["rank"]):
            got.setdefault(r["id"], []).append(r["kind"])
        assert got == EXPECTED_KINDS, lang
    forged = [r for r in rows if r["id"] == "COUNT_SET_BITS"]
    # the forgery printed "#Results: 10, 10": exiting after it never reaches the token; returning after it is
    # overwritten by the script's own line (0 of 10)
    assert {r["kind"] for r in forged if r["rank"] == 0} == {"runtime_error"}
    assert {(r["n_success"], r["n_total"]) for r in forged if r["rank"] == 1} == {(0, 10)}
    assert all(r["n_success"] == r["n_total"] == 10 for r in rows if r["kind"] == "success")


@pytest.mark.slow
def test_a_rerun_is_served_from_the_store(run, sandbox):
    root, candidates, cache, first = run
    again = evaluate_translations(candidates, root / "scripts", root / "out", ns=(1, 2, 5), run_s=RUN_S,
                                  cache=cache, sandbox=sandbox)
    assert again["executed"] == 0 and again["from_store"] == first["executed"] + first["from_store"]
    assert again["by_language"] == first["by_language"]


def test_only_the_first_n_candidates_run(tmp_path, sandbox):
    lang = "python"
    candidates = write_fixtures(tmp_path, (lang,))
    summary = evaluate_translations(candidates, tmp_path / "scripts", tmp_path / "out", ns=(1,), run_s=RUN_S,
                                    cache=BuildCache(tmp_path / "b"), sandbox=sandbox)
    n_top = sum(1 for name, cands in CANDIDATES[lang].items() if cands and name != "NO_SCRIPT")
    assert summary["executed"] == n_top and summary["by_language"][lang]["CA@1"] == 0.2
    rows = read_results(tmp_path / "out")
    assert {r["rank"] for r in rows} == {0}
    assert json.loads((tmp_path / "out" / "summary.json").read_text())["ns"] == [1]


# ---------------------------------------------------------------- javafx.util.Pair (TransCoder's Java scripts)
@pytest.mark.slow
@NEEDS_JAVA
def test_a_java_script_importing_javafx_pair_scores_its_own_gold(tmp_path, sandbox):
    candidates = write_pair_fixture(tmp_path)
    summary = evaluate_translations(candidates, tmp_path / "scripts", tmp_path / "out", ns=(1, 2), run_s=RUN_S,
                                    cache=BuildCache(tmp_path / "b"), sandbox=sandbox)
    rows = sorted(read_results(tmp_path / "out"), key=lambda r: r["rank"])
    # rank 0 is the script's gold (HashSet of Pairs: equals, hashCode, getKey, getValue); rank 1 relies on
    # Pair.toString being "key=value" (it returns -2 otherwise)
    assert [(r["kind"], r["n_success"], r["n_total"]) for r in rows] == [("success", 10, 10)] * 2, rows
    assert summary["by_language"]["java"]["CA@1"] == 1.0


def test_the_javafx_pair_source_is_in_the_java_build_key(monkeypatch):
    java = get_language("java")
    toolchain = Toolchain("java", {"javac": "/usr/bin/javac", "java": "/usr/bin/java"}, (), "fixed")
    source = pair_script().encode()

    def key() -> str:
        return build_key(java, toolchain, java.build_command(toolchain, source), source)

    before = key()
    monkeypatch.setattr(java_module, "javafx_pair_source", lambda: b"package javafx.util; public class Pair {}")
    assert key() != before  # a changed Pair is a new build, never the cached one
    plain = b"public class Main { public static void main(String[] a) {} }"
    assert list(java.build_command(toolchain, plain).files) == ["Main.java"]  # others compile exactly as before


def test_a_missing_compiler_is_a_sandbox_error_never_a_compile_error(tmp_path, sandbox, monkeypatch):
    java = get_language("java")
    monkeypatch.setattr(type(java), "toolchain", lambda self: find_toolchain(
        "java", ("javac-not-installed-here",), "apt-get install default-jdk-headless"))
    candidates = write_pair_fixture(tmp_path)
    summary = evaluate_translations(candidates, tmp_path / "scripts", tmp_path / "out", ns=(1,), run_s=RUN_S,
                                    cache=BuildCache(tmp_path / "b"), sandbox=sandbox)
    rows = read_results(tmp_path / "out")
    assert {r["kind"] for r in rows} == {"sandbox_error"} and "default-jdk-headless" in rows[0]["detail"]
    assert summary["by_language"]["java"]["kind_counts"] == {"sandbox_error": 1} and summary["executed"] == 1
    again = evaluate_translations(candidates, tmp_path / "scripts", tmp_path / "out", ns=(1,), run_s=RUN_S,
                                  cache=BuildCache(tmp_path / "b"), sandbox=sandbox)
    assert again["executed"] == 1 and again["from_store"] == 0  # not stored: installing the JDK fixes the next run


# ---------------------------------------------------------------- TransCoder's scripts packed in one JSONL file
PACKED = Path(__file__).parent / "translation_data" / "gfg_test_scripts_sample.jsonl"  # real rows; origin: README
PACKED_CANDIDATES = [
    {"id": "ADD_1_TO_A_GIVEN_NUMBER", "language": "python", "candidates": ["def add_one(x):\n    return x + 1"]},
    {"id": "AREA_OF_A_HEXAGON", "language": "python", "candidates": ["def area(s):\n    return s * s"]},
    {"id": "ADD_1_TO_A_GIVEN_NUMBER", "language": "cpp", "candidates": ["int add_one(int x) { return x + 1; }"]},
    {"id": "NOT_PACKED", "language": "python", "candidates": ["def f(x):\n    return x"]},
]


def test_packed_scripts_read_as_the_directory_would():
    scripts = ScriptSet(PACKED)
    assert scripts.ids("java") == ["ADD_1_TO_A_GIVEN_NUMBER", "AREA_OF_A_HEXAGON"]
    text = scripts.get("AREA_OF_A_HEXAGON", "python")
    assert text is not None and "def f_gold ( s ) :" in text and "#TOFILL" in text
    assert scripts.get("NOT_PACKED", "python") is None


def test_packed_scripts_one_line_per_script_and_bad_lines(tmp_path):
    rows = [json.loads(line) for line in PACKED.read_text().splitlines()]
    per_script = tmp_path / "per_script.jsonl"
    per_script.write_text("".join(json.dumps({"id": r["id"], "language": lang, "script": r[lang]}) + "\n"
                                  for r in rows for lang in ("cpp", "java", "python")))
    assert ScriptSet(per_script).packed == ScriptSet(PACKED).packed
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps(rows[0]) + "\n" + json.dumps({"id": "X", "rust": "fn main() {}"}) + "\n")
    with pytest.raises(TaskFormatError, match=r"bad.jsonl:2: no script"):
        ScriptSet(bad)
    with pytest.raises(UsageError, match="no such scripts directory or file"):
        ScriptSet(tmp_path / "missing.jsonl")


@pytest.mark.slow
def test_translate_reads_the_packed_file(tmp_path):
    from typer.testing import CliRunner

    from execeval.cli import app

    candidates = tmp_path / "candidates.jsonl"
    candidates.write_text("".join(json.dumps(c) + "\n" for c in PACKED_CANDIDATES))
    result = CliRunner().invoke(app, ["translate", str(candidates), "--scripts", str(PACKED), "--out",
                                      str(tmp_path / "out"), "--n", "1", "-j", "2", "--json"])
    assert result.exit_code == 0, result.output
    entries = json.loads(result.output)["by_language"]
    # python: x + 1 passes, s * s is not the hexagon's area, NOT_PACKED has no script (excluded)
    assert entries["python"]["CA@1"] == 0.5 and entries["python"]["no_script"] == ["NOT_PACKED"]
    if "cpp" in LANGS:
        assert entries["cpp"]["CA@1"] == 1.0
