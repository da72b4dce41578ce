"""`execeval run`: generation against a real loopback OpenAI-compatible server, piped into evaluation."""

from __future__ import annotations

import json
import time

import pytest

from execeval.evaluate import EvalConfig
from execeval.generate import GenConfig, generate, run
from execeval.models import SamplingParams
from execeval.runs.files import read_results
from execeval.tasks import load_tasks
from openai_test_server import Fault, openai_server  # noqa: F401  (fixture)

DEMO = load_tasks("demo")
ANSWERS = {t.prompt: t.reference[len(t.prompt):] for t in DEMO.tasks}


def _answer_with_reference(server, wrong_for: str = "") -> None:
    def reply(prompt: str) -> str:
        if wrong_for and wrong_for in prompt:
            return "    return None\n"
        return ANSWERS.get(prompt, "    return None\n")
    server.reply = reply


def _cfg(server, n: int = 2, **kw) -> GenConfig:
    return GenConfig("openai:tiny", n=n, base_url=server.url, params=SamplingParams(temperature=0.8), **kw)


def test_run_scores_and_a_rerun_makes_zero_requests(tmp_path, openai_server, sandbox):
    _answer_with_reference(openai_server, wrong_for="def flatten(")
    summary = run(DEMO, tmp_path, _cfg(openai_server), EvalConfig(k=(1, 2)), sandbox=sandbox)
    assert summary["n_samples"] == 40 and summary["generation"]["generated"] == 40
    assert summary["pass_at_k"]["base"]["pass@1"] == pytest.approx(19 / 20)
    failed = {r["task_id"] for r in read_results(tmp_path) if not r["passed"]}
    assert failed == {"demo/1"}
    requests = openai_server.count("/v1/completions")
    again = run(DEMO, tmp_path, _cfg(openai_server), EvalConfig(k=(1, 2)), sandbox=sandbox)
    assert openai_server.count("/v1/completions") == requests
    assert again["generation"]["from_cache"] == 40 and again["jobs"]["executed"] == 0
    lines = [json.loads(x) for x in (tmp_path / "samples.jsonl").read_text().splitlines()]
    assert len(lines) == 40 and {"task_id", "completion"} <= lines[0].keys()


def test_extending_n_requests_only_the_missing_samples(tmp_path, openai_server):
    _answer_with_reference(openai_server)
    generate(DEMO, tmp_path, _cfg(openai_server, n=2))
    before = len(openai_server.generation_requests())
    stats = generate(DEMO, tmp_path, _cfg(openai_server, n=3))
    asked = openai_server.generation_requests()[before:]
    assert stats["from_cache"] == 40 and stats["generated"] == 20
    assert all(r.body.get("n", 1) == 1 for r in asked) and len(asked) == 20


def test_faults_still_complete_every_sample_without_duplicates(tmp_path, openai_server, sandbox):
    _answer_with_reference(openai_server)
    openai_server.faults.extend([Fault(status=429, retry_after="0"), Fault(status=500), Fault(body="{not json")])
    summary = run(DEMO, tmp_path, _cfg(openai_server, request_timeout=5), EvalConfig(k=(1,)), sandbox=sandbox)
    assert summary["n_samples"] == 40 and summary["status_counts"] == {"passed": 40}
    keys = [(r["task_id"], r["completion_id"]) for r in read_results(tmp_path)]
    assert len(keys) == len(set(keys)) == 40


def test_unreachable_server_is_one_clear_error(tmp_path):
    from execeval.errors import ModelError

    cfg = GenConfig("openai:tiny", base_url="http://127.0.0.1:9/v1")
    with pytest.raises(ModelError, match="127.0.0.1:9"):
        generate(DEMO, tmp_path, cfg)


def test_an_unknown_backend_fails_before_any_work(tmp_path):
    """No progress bar, run directory, references or fork servers for a model spec that names no backend."""
    from execeval.errors import UsageError

    for make in (generate, run):
        with pytest.raises(UsageError, match="unknown backend 'nosuch'"):
            make(DEMO, tmp_path / make.__name__, GenConfig("nosuch"))
        assert not (tmp_path / make.__name__).exists()


def test_the_progress_bar_draws_nothing_until_a_phase_starts():
    """An error before any work is the error line alone (the bar used to leave a blank line before it)."""
    import io

    from rich.console import Console

    from execeval.progress import RichReporter

    quiet_one, used = io.StringIO(), io.StringIO()
    RichReporter(Console(file=quiet_one, width=80)).close()
    assert quiet_one.getvalue() == ""
    reporter = RichReporter(Console(file=used, width=80))
    reporter.phase("generating", 2)
    reporter.advance(None, 2)
    reporter.close()
    assert "generating" in used.getvalue() and "2/2" in used.getvalue()


def test_verdicts_are_reported_while_the_model_is_still_generating(tmp_path, openai_server, sandbox):
    """A live pass rate during a long generation: each verdict is reported when the next sample arrives, not
    after the last one."""
    from execeval.generate import GENERATING
    from execeval.progress import NullReporter

    def slow(prompt: str) -> str:
        time.sleep(0.05)
        return ANSWERS.get(prompt, "    return None\n")

    openai_server.reply = slow
    events: list[tuple[str, bool | None]] = []

    class Events(NullReporter):
        def advance(self, passed=None, n=1, phase=None):
            events.append((phase, passed))

    run(DEMO, tmp_path, _cfg(openai_server, n=1, max_connections=1), EvalConfig(k=(1,)), reporter=Events(),
        sandbox=sandbox)
    last_generated = max(i for i, (phase, _) in enumerate(events) if phase == GENERATING)
    first_judged = min(i for i, (phase, passed) in enumerate(events) if phase == "evaluating" and passed is not None)
    assert first_judged < last_generated, events


def test_run_command_takes_every_execution_flag_of_evaluate(tmp_path, openai_server):
    """`execeval run` and `execeval evaluate` are built from one list of execution flags (cli/options.py)."""
    from typer.testing import CliRunner

    from execeval.cli import app
    from execeval.cli.options import EXECUTION_OPTIONS

    def flags(command: str) -> set[str]:
        return {p.opts[0] for p in typer_command(app, command).params if p.opts[0].startswith("--")}

    execution = {opt.param_decls[0] for _, opt in EXECUTION_OPTIONS.values()}
    assert execution <= flags("run") and execution <= flags("evaluate")
    _answer_with_reference(openai_server)
    result = CliRunner().invoke(app, ["run", "--model", "openai:tiny", "--base-url", openai_server.url, "--tasks",
                                      "demo", "--out", str(tmp_path), "--n", "1", "--k", "1", "--time-factor", "3",
                                      "--memory-mb", "1024", "--run-timeout", "7", "--json"])
    assert result.exit_code == 0, result.output
    settings = json.loads(result.stdout)["settings"]
    assert (settings["time_factor"], settings["memory_mb"], settings["run_timeout_s"]) == (3.0, 1024, 7.0)


def typer_command(app, name: str):
    import typer.main

    return typer.main.get_command(app).commands[name]  # type: ignore[attr-defined]
