"""`execeval.compare`: two run directories of the demo benchmark with planted regressions.

The runs are written directly as results.jsonl (+ summary.json) rows, as `execeval.runs.files` writes them, from the
demo's real programs and their known verdicts (the `expected` label of each demo sample, which tests/test_demo_data.py
and the evaluate tests hold to the real verdicts). That keeps these tests free of the sandbox and fast.
"""

from __future__ import annotations

import json
from collections import Counter
from math import comb
from pathlib import Path

import pytest
from rich.console import Console

from execeval.compare import compare_runs
from execeval.report.terminal import render_comparison
from execeval.errors import UsageError

DEMO = Path(__file__).resolve().parents[1] / "execeval/tasks/demo"
_TASKS = [json.loads(line) for line in (DEMO / "tasks.jsonl").read_text().splitlines() if line.strip()]
_PROMPT = {t["task_id"]: t["prompt"] for t in _TASKS}
_SAMPLES: dict[str, list[dict]] = {}
for _line in (DEMO / "samples.jsonl").read_text().splitlines():
    if _line.strip():
        _s = json.loads(_line)
        _SAMPLES.setdefault(_s["task_id"], []).append(_s)
IDS = [t["task_id"] for t in _TASKS]  # demo/0 .. demo/19, in file order
BROKEN_BODY = "    return None  # planted regression\n"


def _row(tid: str, cid: int, sample: dict, *, broken: bool = False, plus: bool | None = None,
         status: str | None = None) -> dict:
    passed = sample["expected"] == "pass" and not broken
    program = _PROMPT[tid] + (BROKEN_BODY if broken else sample["completion"])
    row = {"task_id": tid, "completion_id": cid, "passed": passed}
    if plus is not None:
        row["plus_passed"] = plus
    row.update({"status": status or ("passed" if passed else "failed"), "tests_passed": 6 if passed else 0,
                "tests_total": 6, "pass_ratio": 1.0 if passed else 0.0, "executable": True,
                "error_type": None if passed else "AssertionError", "first_failure": "" if passed else "assert ...",
                "detail": "", "wall_s": 0.01, "cpu_s": 0.004, "peak_memory_mb": 15.8, "stdout_tail": "",
                "stderr_tail": "", "source": f"samples.jsonl:{cid + 1}", "program": program})
    return row


def _write(run: Path, rows: list[dict], tasks_sha: str = "demo-sha") -> Path:
    run.mkdir(parents=True, exist_ok=True)
    (run / "results.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    (run / "summary.json").write_text(json.dumps({"benchmark": "demo", "tasks_sha256": tasks_sha}), encoding="utf-8")
    return run


def _single_run(run: Path, pick: dict[str, int]) -> Path:
    """One sample per task: the demo sample `pick[task]` (0 when absent)."""
    return _write(run, [_row(t, 0, _SAMPLES[t][pick.get(t, 0)]) for t in IDS])


# Planted: sample 0 of every demo task passes and sample 4 fails (their `expected` labels).
NEGATIVE = ["demo/3", "demo/8", "demo/12", "demo/17"]  # A passes (sample 0), B fails (sample 4)
POSITIVE = ["demo/5", "demo/15"]                       # A fails (sample 4), B passes (sample 0)


@pytest.fixture
def single_runs(tmp_path: Path) -> tuple[Path, Path]:
    assert all(_SAMPLES[t][0]["expected"] == "pass" and _SAMPLES[t][4]["expected"] == "fail" for t in IDS)
    a = _single_run(tmp_path / "a", {t: 4 for t in POSITIVE})
    b = _single_run(tmp_path / "b", {t: 4 for t in NEGATIVE})
    return a, b


def _exact_bootstrap_quantiles(n_neg: int, n_pos: int, n: int, conf: float = 0.95) -> tuple[float, float]:
    """Quantiles of the exact bootstrap distribution of the mean of n deltas (n_neg of -1, n_pos of +1, rest 0).

    A resample draws N of the -1s and P of the +1s: (N, P, rest) ~ Multinomial(n; n_neg/n, n_pos/n, ...); its mean
    is (P - N) / n. Summing the multinomial probabilities gives the distribution exactly.
    """
    pn, pp = n_neg / n, n_pos / n
    pz = 1 - pn - pp
    dist: Counter = Counter()
    for k_neg in range(n + 1):
        for k_pos in range(n - k_neg + 1):
            k_z = n - k_neg - k_pos
            prob = comb(n, k_neg) * comb(n - k_neg, k_pos) * pn ** k_neg * pp ** k_pos * pz ** k_z
            dist[(k_pos - k_neg) / n] += prob
    alpha = (1 - conf) / 2
    cdf, lo, hi = 0.0, None, None
    for v in sorted(dist):
        cdf += dist[v]
        if lo is None and cdf >= alpha:
            lo = v
        if hi is None and cdf >= 1 - alpha:
            hi = v
    assert lo is not None and hi is not None
    return lo, hi


def test_single_sample_planted_flips(single_runs: tuple[Path, Path]) -> None:
    a, b = single_runs
    c = compare_runs(a, b, seed=0, n_resamples=10_000)
    assert c["single_sample"] and c["n_tasks"] == 20 and c["variant"] == "base"
    assert c["flips"]["negative_tasks"] == NEGATIVE
    assert c["flips"]["positive_tasks"] == POSITIVE
    assert (c["flips"]["negative_flips"], c["flips"]["positive_flips"]) == (4, 2)
    assert c["flips"]["negative_flip_rate"] == 4 / 20 and c["flips"]["positive_flip_rate"] == 2 / 20  # of ALL tasks
    flipped = {t: r["flip"] for t, r in c["tasks"].items() if r["flip"]}
    assert flipped == {**{t: "negative" for t in NEGATIVE}, **{t: "positive" for t in POSITIVE}}
    assert list(c["tasks"]) == IDS  # the task file's order, not sorted strings
    p = c["pass_at_1"]
    assert p["a"] == pytest.approx(18 / 20) and p["b"] == pytest.approx(16 / 20)
    assert p["diff"] == pytest.approx(-0.1)
    # exact McNemar by hand: b=4, c=2 discordant pairs; p = 2 * P(X <= 2 | n=6, 1/2) = 2 * (1 + 6 + 15) / 64
    assert (c["mcnemar"]["b"], c["mcnemar"]["c"]) == (4, 2)
    assert c["mcnemar"]["p_value"] == pytest.approx(44 / 64)
    # paired bootstrap: the Monte Carlo percentiles land on the exact bootstrap distribution's quantiles
    lo, hi = _exact_bootstrap_quantiles(4, 2, 20)
    assert (lo, hi) == (-0.35, 0.15)  # normal approximation: -0.1 ± 1.96 * sqrt(0.29 / 20) = (-0.336, 0.136)
    assert p["ci_low"] == pytest.approx(lo) and p["ci_high"] == pytest.approx(hi)
    assert (p["confidence"], p["n_resamples"], p["seed"]) == (0.95, 10_000, 0)
    assert c["regressed_tasks"] == NEGATIVE and c["improved_tasks"] == POSITIVE
    assert c["mean_regression"] == 1.0
    assert json.loads(json.dumps(c)) == c  # JSON-ready as is


def test_same_seed_same_interval_and_reverse_direction(single_runs: tuple[Path, Path]) -> None:
    a, b = single_runs
    one = compare_runs(a, b, seed=7, n_resamples=2000)
    assert compare_runs(a, b, seed=7, n_resamples=2000) == one
    back = compare_runs(b, a, seed=7, n_resamples=2000)
    assert back["flips"]["negative_tasks"] == POSITIVE and back["flips"]["positive_tasks"] == NEGATIVE
    assert back["mcnemar"]["p_value"] == one["mcnemar"]["p_value"]  # two-sided
    assert back["pass_at_1"]["diff"] == pytest.approx(0.1)


def test_many_samples_planted_rate_changes(tmp_path: Path) -> None:
    """Five samples per task; B breaks known passing samples of demo/2 (both) and demo/9 (one), fixes demo/6."""
    rows_a, rows_b = [], []
    for t in IDS:
        for cid, s in enumerate(_SAMPLES[t]):
            rows_a.append(_row(t, cid, s))
            broken = (t == "demo/2" and s["expected"] == "pass") or (t == "demo/9" and cid == 0)
            row = _row(t, cid, s, broken=broken)
            if t == "demo/6" and cid == 4:  # a failing sample replaced by a passing one
                row = _row(t, cid, _SAMPLES[t][0])
            rows_b.append(row)
    a, b = _write(tmp_path / "a", rows_a), _write(tmp_path / "b", rows_b)
    c = compare_runs(a, b, n_resamples=2000)
    assert not c["single_sample"] and c["flips"] is None and c["mcnemar"] is None
    assert c["regressed_tasks"] == ["demo/2", "demo/9"] and c["improved_tasks"] == ["demo/6"]
    changes = {t: r["change"] for t, r in c["tasks"].items() if r["change"]}
    assert changes == pytest.approx({"demo/2": -0.4, "demo/9": -0.2, "demo/6": 0.2})
    assert c["tasks"]["demo/2"] == {"n_a": 5, "c_a": 2, "n_b": 5, "c_b": 0, "rate_a": 0.4, "rate_b": 0.0,
                                     "change": pytest.approx(-0.4), "flip": None}
    assert c["mean_regression"] == pytest.approx(0.3)  # mean drop over the two regressed tasks
    assert c["pass_at_1"]["a"] == pytest.approx(0.48)  # the demo's 48 of 100
    assert c["pass_at_1"]["diff"] == pytest.approx(-0.02)
    assert c["pass_at_1"]["ci_low"] <= -0.02 <= c["pass_at_1"]["ci_high"]
    assert c["samples_per_task"] == {"a": {"min": 5, "max": 5}, "b": {"min": 5, "max": 5}}


def test_different_tasks_is_one_clear_line(tmp_path: Path, single_runs: tuple[Path, Path]) -> None:
    a, _ = single_runs
    rows = [_row(t, 0, _SAMPLES[t][0]) for t in IDS if t != "demo/7"]
    rows.append({**_row("demo/0", 0, _SAMPLES["demo/0"][0]), "task_id": "demo/99"})
    b = _write(tmp_path / "other", rows)
    with pytest.raises(UsageError) as e:
        compare_runs(a, b)
    line = e.value.one_line()
    assert "\n" not in line
    assert "only in A: demo/7" in line and "only in B: demo/99" in line
    assert str(a) in line and str(b) in line


def test_missing_or_bad_run_dirs(tmp_path: Path, single_runs: tuple[Path, Path]) -> None:
    a, _ = single_runs
    with pytest.raises(UsageError, match="no such directory"):
        compare_runs(a, tmp_path / "nope")
    (tmp_path / "empty").mkdir()
    with pytest.raises(UsageError, match="no results.jsonl"):
        compare_runs(tmp_path / "empty", a)
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "results.jsonl").write_text('{"task_id": "demo/0", "passed": true}\nnot json\n')
    with pytest.raises(UsageError, match=r"results.jsonl:2: not JSON"):
        compare_runs(a, bad)
    with pytest.raises(UsageError, match="unknown variant"):
        compare_runs(a, a, variant="extra")


def test_plus_variant(tmp_path: Path) -> None:
    """demo/1 passes its base tests in both runs but fails the plus tests in B: a flip only on plus."""
    def rows(plus_fail: set[str]) -> list[dict]:
        out = []
        for t in IDS:
            r = _row(t, 0, _SAMPLES[t][0], plus=t not in plus_fail)
            if t in plus_fail:
                r["status"] = "failed"
            out.append(r)
        return out

    a = _write(tmp_path / "a", rows(set()))
    b = _write(tmp_path / "b", rows({"demo/1"}))
    auto = compare_runs(a, b, n_resamples=500)
    assert auto["variant"] == "plus" and auto["flips"]["negative_tasks"] == ["demo/1"]
    base = compare_runs(a, b, variant="base", n_resamples=500)
    assert base["variant"] == "base" and base["flips"]["negative_flips"] == 0 and base["mcnemar"]["p_value"] == 1.0
    plain = _single_run(tmp_path / "plain", {})
    assert compare_runs(a, plain, n_resamples=500)["variant"] == "base"  # auto: only when both have plus
    with pytest.raises(UsageError, match=r"no plus verdicts in .*plain"):
        compare_runs(a, plain, variant="plus")


def test_sandbox_errors_left_out_and_warnings(tmp_path: Path, single_runs: tuple[Path, Path]) -> None:
    a, _ = single_runs
    rows = []
    for t in IDS:
        rows.append(_row(t, 0, _SAMPLES[t][0]))
        if t == "demo/0":
            rows.append(_row(t, 1, _SAMPLES[t][4], status="sandbox_error"))
    b = _write(tmp_path / "b", rows, tasks_sha="other-sha")
    c = compare_runs(a, b, n_resamples=500)
    assert c["single_sample"] and c["tasks"]["demo/0"]["n_b"] == 1
    assert any("1 sandbox-error sample(s) in B" in w for w in c["warnings"])
    assert any("different task files" in w for w in c["warnings"])
    only_errors = [_row(t, 0, _SAMPLES[t][0], status="sandbox_error" if t == "demo/4" else None) for t in IDS]
    with pytest.raises(UsageError, match=r"only sandbox errors: demo/4 \(B\)"):
        compare_runs(a, _write(tmp_path / "c", only_errors), n_resamples=100)


def test_render_comparison(single_runs: tuple[Path, Path], tmp_path: Path) -> None:
    a, b = single_runs
    console = Console(record=True, width=140, color_system=None)
    render_comparison(compare_runs(a, b, n_resamples=1000), console)
    out = console.export_text()
    for needle in ("pass@1 A", "0.9000", "0.8000", "-0.1000", "negative flips", "NFR 20.0%", "PFR 10.0%",
                   "McNemar p", "0.6875", "demo/3", "demo/15", "negative flip", "positive flip"):
        assert needle in out, needle
    rows_a = [_row(t, c, s) for t in IDS for c, s in enumerate(_SAMPLES[t])]
    rows_b = [_row(t, c, s, broken=(t == "demo/2")) for t in IDS for c, s in enumerate(_SAMPLES[t])]
    many = compare_runs(_write(tmp_path / "ma", rows_a), _write(tmp_path / "mb", rows_b), n_resamples=500)
    console = Console(record=True, width=140, color_system=None)
    render_comparison(many, console)
    out = console.export_text()
    assert "mean regression" in out and "40.0 pts" in out and "2/5" in out and "0/5" in out


def test_three_runs_give_every_ordered_pair(single_runs: tuple[Path, Path], tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from execeval.cli import app
    from execeval.compare import compare_many

    a, b = single_runs
    c = _single_run(tmp_path / "c", {"demo/3": 4, "demo/5": 4})  # fails demo/3 and demo/5
    m = compare_many([a, b, c])
    assert m["names"] == ["a", "b", "c"] and m["single_sample"] and m["n_tasks"] == 20
    assert m["pass_at_1"] == pytest.approx([18 / 20, 16 / 20, 18 / 20])
    # NFR[i][j]: tasks run i passed and run j failed, over all 20 tasks (worked by hand from the planted sets)
    assert m["negative_flip_rate"] == [[None, 4 / 20, 1 / 20], [2 / 20, None, 1 / 20], [1 / 20, 3 / 20, None]]
    # compatibility[i][j]: share of run j's passes that run i also passes
    assert m["compatibility"][1][0] == pytest.approx(14 / 18) and m["compatibility"][0][1] == pytest.approx(14 / 16)
    assert m["compatibility"][2][2] == 1.0
    out = CliRunner().invoke(app, ["compare", str(a), str(b), str(c)], env={"COLUMNS": "220"})
    assert out.exit_code == 0, out.output
    assert "NFR 20.0%" in out.output and "pass@1 80.0%" in out.output and "keeps 77.8%" in out.output
    as_json = CliRunner().invoke(app, ["compare", str(a), str(b), str(c), "--json"])
    assert json.loads(as_json.output)["negative_flip_rate"][2][1] == pytest.approx(0.15)
    other = _write(tmp_path / "d", [_row(t, 0, _SAMPLES[t][0]) for t in IDS[:-1]])
    with pytest.raises(UsageError, match="only in A: demo/19"):
        compare_many([a, b, other])
    with pytest.raises(UsageError, match="at least two"):
        compare_many([a])


def test_run_files_errors_name_the_line(tmp_path: Path) -> None:
    from execeval.runs.files import read_results, read_summary

    run = _write(tmp_path / "r", [_row("demo/0", 0, _SAMPLES["demo/0"][0])])
    with open(run / "results.jsonl", "a") as f:
        f.write('{"task_id": "demo/1"}\n')
    assert len(read_results(run)) == 2
    with pytest.raises(UsageError, match=r"results.jsonl:2: not a results row \(needs task_id, passed\)"):
        compare_runs(run, run)
    (run / "summary.json").write_text("{")
    with pytest.raises(UsageError, match="summary.json: unreadable"):
        read_summary(run)
    (run / "summary.json").unlink()
    assert read_summary(run) == {}
