"""Fork servers started before the CLI loads its commands: which command lines start them, and that a run
uses them (or closes them) rather than starting its own beside them."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
import typer

from execeval.cli.prestart import workers_to_start
from execeval.sandbox import Script, early, open_sandbox

CORES = os.cpu_count() or 1


@pytest.mark.parametrize("argv, workers", [
    (["evaluate", "samples.jsonl", "-t", "humaneval"], CORES),
    (["evaluate", "--demo", "-j", "3"], 3),
    (["evaluate", "--demo", "-j3"], 3),
    (["evaluate", "--demo", "--workers", "2"], 2),
    (["evaluate", "--demo", "--workers=4"], 4),
    (["evaluate", "--demo", "-j", "0"], CORES),  # 0 is every core, as for the pool
    (["evaluate", "--demo", "--executor", "ray"], None),  # another sandbox
    (["evaluate", "--demo", "--executor=local"], None),  # anything about the sandbox: leave it to the command
    (["evaluate", "--help"], None),
    (["evaluate", "-h"], None),
    (["evaluate", "--demo", "-j", "two"], None),  # the command says what is wrong
    (["evaluate", "--demo", "-j", "-1"], None),
    (["evaluate", "--demo", "-j", "100000"], None),  # more than the pool takes: none started for it
    (["evaluate", "--demo", "-j"], None),
    (["run", "--model", "x"], None),
    (["--help"], None),
    ([], None),
])
def test_which_command_lines_start_servers(argv, workers):
    assert workers_to_start(argv) == workers


def test_the_flags_read_are_the_evaluate_command_s_own():
    from execeval.cli import app

    command = typer.main.get_command(app).commands["evaluate"]  # type: ignore[attr-defined]
    flags = {opt for param in command.params for opt in param.opts}
    assert {"--workers", "-j", "--executor"} <= flags


def test_a_local_sandbox_takes_the_parked_servers():
    early.start(1)
    parked = list(early._parked)
    with open_sandbox(workers=1) as sandbox:
        assert sandbox.pool._workers[0] is parked[0]  # no second server started beside it
        assert sandbox.run(Script("print(6 * 7)")).stdout == b"42\n"
    assert early._parked == [] and parked[0].proc.poll() is not None  # closed with the sandbox


def test_servers_a_pool_does_not_need_are_closed():
    early.start(2)
    parked = list(early._parked)
    with open_sandbox(workers=1) as sandbox:
        assert sandbox.pool._workers[0] is parked[0]
        assert parked[1].proc.wait(timeout=10) is not None
    assert early.take(1) == []  # nothing parked any more: a later pool starts its own


def test_parked_servers_nobody_takes_end_with_the_process():
    code = "from execeval.sandbox import early; early.start(2); print(len(early._parked))"
    out = subprocess.run([sys.executable, "-W", "error", "-c", code], capture_output=True, text=True, timeout=60,
                         env={**os.environ, "PYTHONPATH": os.getcwd()})
    assert out.returncode == 0 and out.stdout == "2\n" and out.stderr == ""
