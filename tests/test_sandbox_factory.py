"""`open_sandbox`: the one factory; the pipeline's config reaches it field by field."""

from __future__ import annotations

import pytest

from execeval.errors import UsageError
from execeval.evaluation import pipeline
from execeval.evaluation.pipeline import EvalConfig, make_sandbox
from execeval.sandbox import EXECUTORS, ForkServerSandbox, Script, factory, open_sandbox


def test_local_is_this_machines_fork_servers():
    with open_sandbox(workers=1) as sb:
        assert isinstance(sb, ForkServerSandbox) and sb.capacity == 1
        assert sb.run(Script("print(6 * 7)")).stdout == b"42\n"


def test_an_unknown_executor_is_a_usage_error_naming_the_choices():
    with pytest.raises(UsageError, match="local, ray"):
        open_sandbox(executor="slurm")
    assert EXECUTORS == ("local", "ray")


def test_ray_goes_to_the_ray_sandbox_with_address_and_workers_per_node(monkeypatch):
    from execeval.sandbox import raycluster

    made = []
    monkeypatch.setattr(raycluster, "RaySandbox", lambda address, *, workers_per_node: made.append(
        (address, workers_per_node)) or "ray-sandbox")
    assert open_sandbox(3, "ray", "10.0.0.1:6379") == "ray-sandbox"
    assert made == [("10.0.0.1:6379", 3)]


def test_the_pipeline_passes_its_config_to_the_factory(monkeypatch):
    seen = []
    monkeypatch.setattr(pipeline, "open_sandbox", lambda *args: seen.append(args) or "sandbox")
    assert make_sandbox(EvalConfig(workers=5, executor="ray", ray_address="auto")) == "sandbox"
    assert seen == [(5, "ray", "auto")]
    assert factory.open_sandbox is open_sandbox


def test_a_negative_worker_count_is_a_usage_error_not_a_traceback(tmp_path):
    import subprocess
    import sys

    with pytest.raises(UsageError, match="0 or more"):
        open_sandbox(workers=-1)
    out = subprocess.run([sys.executable, "-m", "execeval.cli", "evaluate", "--demo", "-j", "-1", "-q", "-o",
                          str(tmp_path / "run")], capture_output=True, text=True, timeout=120)
    assert out.returncode == 2 and "Traceback" not in out.stderr
    assert out.stderr.strip().splitlines()[-1].startswith("error: -1 workers: a pool needs 0 or more")


def test_more_workers_than_the_machine_can_hold_is_a_usage_error_before_any_server_starts(tmp_path):
    """`-j 100000` started (in the CLI, before its commands loaded) a fork server each until the OOM killer came."""
    import os
    import subprocess
    import sys

    from execeval.sandbox.forkserver import MAX_PER_CORE

    most = MAX_PER_CORE * (os.cpu_count() or 1)
    with pytest.raises(UsageError, match=f"at most {MAX_PER_CORE} per core"):
        open_sandbox(workers=most + 1)
    out = subprocess.run([sys.executable, "-m", "execeval.cli", "evaluate", "--demo", "-j", "100000", "-q", "-o",
                          str(tmp_path / "run")], capture_output=True, text=True, timeout=120)
    assert out.returncode == 2 and out.stderr.strip().splitlines() == [
        f"error: 100000 workers: a pool needs 0 or more (0: one per core), at most {MAX_PER_CORE} per core ({most} "
        f"here) — pass --workers 0 to {most}"]  # and none started for it: test_prestart's -j 100000
