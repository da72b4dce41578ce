"""The main job end to end on the demo benchmark: verdicts against hand labels, resume, bad input."""

from __future__ import annotations

import importlib.resources
import json
import re
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from execeval.errors import SampleFormatError, UsageError
from execeval.evaluate import EvalConfig, evaluate
from execeval.runs.files import read_results

DEMO_SAMPLES = Path(str(importlib.resources.files("execeval") / "tasks/demo/samples.jsonl"))
QUICK_KINDS = {"correct", "wrong", "crash", "exit", "always_eq"}  # no timeouts or memory hogs: fast runs


def _labels() -> list[dict]:
    return [json.loads(line) for line in DEMO_SAMPLES.read_text().splitlines()]


def _write(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory, sandbox):
    out = tmp_path_factory.mktemp("demo-run")
    summary = evaluate(DEMO_SAMPLES, "demo", out, EvalConfig(k=(1, 5)), sandbox=sandbox)
    return out, summary


@pytest.mark.slow
def test_demo_verdicts_match_hand_labels(demo_run):
    out, summary = demo_run
    rows = read_results(out)
    labels = _labels()
    assert len(rows) == len(labels) == 100
    wrong = [(lab["task_id"], lab.get("kind"), row["status"]) for lab, row in zip(labels, rows)
             if row["passed"] != (lab["expected"] == "pass")]
    assert wrong == []
    assert summary["pass_at_k"]["base"]["pass@1"] == pytest.approx(0.48)
    assert summary["isolation"]["level"] == "full"
    kinds = {lab.get("kind"): row["status"] for lab, row in zip(labels, rows)}
    assert kinds["timeout"] == "timeout" and kinds["always_eq"] == "error"


@pytest.mark.slow
def test_summary_gives_the_jobs_cpu_and_what_ran_out_of_time(demo_run):
    out, summary = demo_run
    jobs, rows = summary["jobs"], read_results(out)
    programs = {(r["task_id"], r["program"]): r for r in rows}  # one job each
    limited = [r for r in programs.values() if r["status"] == "timeout"]
    assert jobs["time_limited"] == len(limited) >= 1
    assert jobs["time_limited_cpu_s"] == pytest.approx(sum(r["cpu_s"] for r in limited), abs=2e-3)
    assert jobs["cpu_s"] == pytest.approx(sum(r["cpu_s"] for r in programs.values()), abs=2e-3)
    assert 0 < jobs["time_limited_cpu_s"] < jobs["cpu_s"]


def test_time_limited_note_says_where_the_time_went(demo_run):
    from io import StringIO

    from rich.console import Console

    from execeval.evaluation.executor import time_limited_note
    from execeval.report.terminal import print_summary

    note = time_limited_note({"cpu_s": 3.2, "time_limited": 4, "time_limited_cpu_s": 1.33})
    assert note is not None and note.startswith("4 programs ran out of time: 1.3 s of the jobs' 3.2 s of CPU")
    assert "--timeout" in note
    assert time_limited_note({"cpu_s": 1.2, "time_limited": 1, "time_limited_cpu_s": 1.1}).startswith(
        "1 program ran out of time")  # type: ignore[union-attr]
    assert time_limited_note({"cpu_s": 10.0, "time_limited": 2, "time_limited_cpu_s": 2.0}) is None  # < a quarter
    assert time_limited_note({"cpu_s": 1.5, "time_limited": 1, "time_limited_cpu_s": 0.9}) is None  # < a second
    assert time_limited_note({}) is None  # a summary.json written before these fields
    out, summary = demo_run
    shown = {}
    for name, jobs in (("quiet", {**summary["jobs"], "cpu_s": 10.0, "time_limited": 2, "time_limited_cpu_s": 2.0}),
                       ("said", {**summary["jobs"], "cpu_s": 3.2, "time_limited": 4, "time_limited_cpu_s": 1.33})):
        text = StringIO()
        print_summary({**summary, "jobs": jobs}, out, Console(file=text, width=300))
        shown[name] = text.getvalue()
    assert "ran out of time" not in shown["quiet"]
    assert "4 programs ran out of time: 1.3 s of the jobs' 3.2 s of CPU" in shown["said"]


@pytest.mark.slow
def test_rerun_costs_nothing_and_gives_the_same_results(demo_run, sandbox):
    out, first = demo_run
    before = (out / "results.jsonl").read_text()
    again = evaluate(DEMO_SAMPLES, "demo", out, EvalConfig(k=(1, 5)), sandbox=sandbox)
    assert again["jobs"]["executed"] == 0 and again["jobs"]["from_store"] == first["jobs"]["distinct_programs"]
    assert again["jobs"]["cpu_s"] == 0 and again["jobs"]["time_limited"] == 0  # this run's jobs, not the store's
    assert (out / "results.jsonl").read_text() == before


def _quick_samples(tmp_path: Path) -> Path:
    rows = [{k: v for k, v in r.items() if k in ("task_id", "completion")} for r in _labels()
            if r.get("kind") in QUICK_KINDS]
    return _write(tmp_path / "quick.jsonl", rows)


def _verdicts(out: Path) -> list[tuple]:
    return [(r["task_id"], r["completion_id"], r["passed"], r["status"], r["tests_passed"]) for r in read_results(out)]


def test_two_runs_give_identical_verdicts(tmp_path, sandbox, monkeypatch):
    """Each run with a reference cache of its own: references, CPU times and the machine speed are measured
    twice, so nondeterminism in any of them (calibration included) shows as a verdict difference."""
    samples = _quick_samples(tmp_path)
    for name in ("a", "b"):
        monkeypatch.setenv("EXECEVAL_CACHE_DIR", str(tmp_path / f"cache-{name}"))
        evaluate(samples, "demo", tmp_path / name, EvalConfig(k=(1,)), sandbox=sandbox)
        assert (tmp_path / f"cache-{name}" / "references.sqlite").exists()
    assert _verdicts(tmp_path / "a") == _verdicts(tmp_path / "b")


@pytest.mark.slow
def test_kill_9_mid_run_then_resume_equals_uninterrupted(tmp_path, sandbox):
    samples = _quick_samples(tmp_path)
    evaluate(samples, "demo", tmp_path / "clean", EvalConfig(k=(1,)), sandbox=sandbox)
    out = tmp_path / "killed"
    cmd = [sys.executable, "-m", "execeval.cli", "evaluate", str(samples), "--tasks", "demo", "--out", str(out),
           "--k", "1", "--workers", "1", "--quiet"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    store = out / "execeval.sqlite"
    deadline = time.time() + 60
    stored = 0
    while time.time() < deadline and proc.poll() is None:
        if store.exists():
            try:
                with sqlite3.connect(store) as db:
                    stored = db.execute("SELECT COUNT(*) FROM verdicts").fetchone()[0]
            except sqlite3.Error:
                stored = 0
            if stored >= 5:
                break
        time.sleep(0.02)
    proc.kill()  # SIGKILL: no cleanup runs
    proc.wait()
    assert stored >= 5, "the run finished or stalled before it could be killed mid-way"
    assert not (out / "results.jsonl").exists()
    summary = evaluate(samples, "demo", out, EvalConfig(k=(1,)), sandbox=sandbox)
    assert summary["jobs"]["from_store"] >= 5
    assert _verdicts(out) == _verdicts(tmp_path / "clean")


def test_malformed_line_names_file_and_line(tmp_path, sandbox):
    samples = tmp_path / "bad.jsonl"
    samples.write_text('{"task_id": "demo/0", "completion": "    return 1\\n"}\n{"task_id": "demo/1", oops\n')
    with pytest.raises(SampleFormatError, match=r"bad\.jsonl:2"):
        evaluate(samples, "demo", tmp_path / "out", EvalConfig(k=(1,)), sandbox=sandbox)
    summary = evaluate(samples, "demo", tmp_path / "out", EvalConfig(k=(1,), skip_bad_lines=True), sandbox=sandbox)
    assert len(summary["bad_lines"]) == 1 and "bad.jsonl:2" in summary["bad_lines"][0]
    assert summary["n_samples"] == 1 and len(summary["tasks_without_samples"]) == 19


def test_skipped_bad_lines_are_said_on_screen_not_only_in_the_summary(tmp_path, sandbox):
    from execeval.progress import NullReporter

    class Notes(NullReporter):
        def __init__(self) -> None:
            self.notes: list[str] = []

        def note(self, message: str, *, warning: bool = False) -> None:
            self.notes.append(message)
            assert "[" not in message.split(":", 1)[0], "plain text, no terminal markup"

    samples = tmp_path / "bad.jsonl"
    samples.write_text('{"task_id": "demo/0", "completion": "    return 1\\n"}\n{"task_id": "demo/1", oops\n')
    reporter = Notes()
    evaluate(samples, "demo", tmp_path / "out", EvalConfig(k=(1,), skip_bad_lines=True), sandbox=sandbox,
             reporter=reporter)
    assert any("1 malformed sample line(s) skipped" in n and "bad.jsonl:2" in n for n in reporter.notes), \
        reporter.notes


def test_unknown_ids_are_listed_and_known_ones_still_run(tmp_path, sandbox):
    samples = _write(tmp_path / "s.jsonl", [
        {"task_id": "demo/0", "completion": '    return " ".join(text.split())\n'},
        {"task_id": "HumanEval/0", "completion": "    return 1\n"},
    ])
    summary = evaluate(samples, "demo", tmp_path / "out", EvalConfig(k=(1,)), sandbox=sandbox)
    assert summary["unknown_task_ids"] == ["HumanEval/0"]
    assert summary["status_counts"] == {"passed": 1}


def test_no_matching_sample_is_a_clear_error(tmp_path, sandbox):
    samples = _write(tmp_path / "s.jsonl", [{"task_id": "HumanEval/0", "completion": "    return 1\n"}])
    with pytest.raises(UsageError, match="no sample matches"):
        evaluate(samples, "demo", tmp_path / "out", EvalConfig(k=(1,)), sandbox=sandbox)


def test_cli_errors_are_one_line(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "execeval.cli", "evaluate", str(tmp_path / "missing.jsonl"),
                           "--tasks", "demo", "--out", str(tmp_path / "o")], capture_output=True, text=True)
    assert proc.returncode == 2
    assert proc.stderr.strip().count("\n") == 0 and "missing.jsonl" in proc.stderr
    assert "Traceback" not in proc.stderr
    (tmp_path / "afile").write_text("")  # an --out that cannot be made: one line too, not OSError's traceback
    proc = subprocess.run([sys.executable, "-m", "execeval.cli", "evaluate", "--demo", "--out",
                           str(tmp_path / "afile" / "o")], capture_output=True, text=True)
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [f"error: {tmp_path / 'afile' / 'o'}: cannot make the run directory "
                                                "(a file is in the way) — pass one you can write (--out, or "
                                                "--state-dir for `execeval serve`)"]



class _Events:
    """A reporter that records (phase, passed, when) for every advance."""

    def __init__(self) -> None:
        self.events: list[tuple[str, bool | None, float]] = []
        self.last = ""

    def phase(self, name: str, total: int) -> None:
        self.last = name

    def advance(self, passed: bool | None = None, n: int = 1, phase: str | None = None) -> None:
        self.events.append((phase or self.last, passed, time.monotonic()))

    def note(self, message: str, *, warning: bool = False) -> None:
        pass

    def close(self) -> None:
        pass


def test_a_tasks_samples_run_while_a_slow_reference_is_still_running(tmp_path, sandbox):
    """No barrier after the reference runs: the quick task's sample runs (it says when) before the slow task's
    reference (1.5 s of CPU) is done; each progress bar gets only its own events."""
    spin = "    import time\n    end = time.process_time() + 1.5\n    while time.process_time() < end:\n        pass\n"
    tasks = _write(tmp_path / "tasks.jsonl", [
        {"task_id": "slow", "prompt": "def f(x):\n", "entry_point": "f", "tests": ["assert f(1) == 2"],
         "reference": "def f(x):\n" + spin + "    return x + 1\n"},
        {"task_id": "quick", "prompt": "def g(x):\n", "entry_point": "g", "tests": ["assert g(1) == 2"],
         "reference": "def g(x):\n    return x + 1\n"}])
    quick = "import time\n\ndef g(x):\n    raise ValueError(f'ran at {time.monotonic()} s')\n"
    samples = _write(tmp_path / "samples.jsonl", [{"task_id": "quick", "solution": quick},
                                                  {"task_id": "slow", "solution": "def f(x):\n    return x + 1\n"}])
    events = _Events()
    summary = evaluate(samples, tasks, tmp_path / "run", EvalConfig(k=(1,)), reporter=events, sandbox=sandbox)
    assert summary["pass_at_k"]["base"]["pass@1"] == 0.5
    row = next(r for r in read_results(tmp_path / "run") if r["task_id"] == "quick")
    quick_ran_at = float(re.search(r"ran at ([0-9.]+) s", row["first_failure"])[1])
    references_done = [when for phase, passed, when in events.events if phase == "references" and passed]
    # ordering, not speed: the quick sample ran before the slow reference ended (a barrier would make it after)
    assert len(references_done) == 2 and quick_ran_at < references_done[1], (quick_ran_at, references_done)
    judged = sorted((phase, passed) for phase, passed, _ in events.events if passed is not None)
    assert judged == [("evaluating", False), ("evaluating", True), ("references", True), ("references", True)]
