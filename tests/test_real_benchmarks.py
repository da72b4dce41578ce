"""Canonical solutions of the real benchmarks pass under execeval (the files in ../shared/data; skipped if absent)."""

from __future__ import annotations

import gzip
import json

import pytest

from execeval.evaluate import EvalConfig, evaluate
from execeval.runs.files import read_results

pytestmark = [pytest.mark.data, pytest.mark.slow]


def _jsonl(path):
    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "rt") as f:
        return [json.loads(line) for line in f if line.strip()]


def _run(tmp_path, sandbox, rows, tasks, data_dir, **config):
    samples = tmp_path / "canonical.jsonl"
    samples.write_text("".join(json.dumps(r) + "\n" for r in rows))
    summary = evaluate(samples, tasks, tmp_path / "run", EvalConfig(k=(1,), data_dir=str(data_dir), **config),
                       sandbox=sandbox)
    failed = [(r["task_id"], r["status"], r["first_failure"][:200]) for r in read_results(tmp_path / "run")
              if not (r["passed"] and r.get("plus_passed", True))]
    return summary, failed


def test_humaneval_canonical_164(tmp_path, sandbox, data_dir):
    rows = [{"task_id": r["task_id"], "completion": r["canonical_solution"]}
            for r in _jsonl(data_dir / "HumanEval.jsonl.gz")]
    summary, failed = _run(tmp_path, sandbox, rows, "humaneval", data_dir)
    assert failed == [] and summary["n_samples"] == 164


@pytest.mark.parametrize("name, tasks", [("HumanEvalPlus-v0.1.10.jsonl.gz", "humaneval+"),
                                         ("HumanEvalPlus-Mini-v0.1.10.jsonl.gz", "humaneval+-mini")])
def test_humaneval_plus_canonical_base_and_plus(tmp_path, sandbox, data_dir, name, tasks):
    rows = [{"task_id": r["task_id"], "solution": r["prompt"] + r["canonical_solution"]}
            for r in _jsonl(data_dir / name)]
    summary, failed = _run(tmp_path, sandbox, rows, tasks, data_dir, all_tests=True)
    assert failed == []
    assert summary["pass_at_k"]["base"]["pass@1"] == 1.0 and summary["pass_at_k"]["plus"]["pass@1"] == 1.0
    assert summary["reference_failures"] == {}


def test_mbpp_sanitized_canonical_427(tmp_path, sandbox, data_dir):
    rows = [{"task_id": r["task_id"], "solution": r["code"]}
            for r in json.loads((data_dir / "sanitized-mbpp.json").read_text())]
    summary, failed = _run(tmp_path, sandbox, rows, "mbpp-sanitized", data_dir)
    assert failed == [] and summary["n_samples"] == 427


def test_mbpp_all_974(tmp_path, sandbox, data_dir):
    rows = [{"task_id": r["task_id"], "solution": r["code"]} for r in _jsonl(data_dir / "mbpp.jsonl")]
    summary, failed = _run(tmp_path, sandbox, rows, "mbpp", data_dir, split="all")
    assert failed == [] and summary["n_samples"] == 974


def test_mbpp_plus_dev_snapshot_canonical(tmp_path, sandbox, data_dir):
    rows = [{"task_id": r["task_id"], "solution": r["canonical_solution"]}
            for r in _jsonl(data_dir / "MbppPlus-dev-20231122.jsonl")]
    summary, failed = _run(tmp_path, sandbox, rows, "mbpp+", data_dir, all_tests=True)
    # Mbpp/255's plus input 88 returns 1.7 million tuples of 77 strings (1.1 GB): its reference completes since such
    # lists travel as a digest of their marshalled bytes (execeval.digests.row_list_digest)
    assert failed == [] and summary["n_samples"] == 399 and summary["reference_failures"] == {}
