"""What a command loads before it runs: each command module imports the library it calls inside the command, so
`execeval evaluate` never pays for generation, every language module or the service, and the rich tables load
only to print. A fresh interpreter tells, since this test process has imported everything already."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import execeval

ROOT = str(Path(execeval.__file__).resolve().parent.parent)

# loaded by other commands, or by `evaluate` only when it needs them (pydantic: typer's own coercion, at parse time)
NOT_AT_IMPORT = ("execeval.generate", "execeval.models", "asyncio", "execeval.languages", "execeval.protocols",
                 "execeval.report.terminal", "rich.console", "rich.table", "pydantic", "httpx", "jinja2",
                 "execeval.sandbox.forkserver")
# never loaded by an evaluation of Python samples, the summary table included
NOT_IN_EVALUATE = ("execeval.generate", "execeval.models", "asyncio", "execeval.languages", "execeval.protocols",
                   "httpx", "jinja2")

_MODULES_AT_EXIT = "import atexit, json, sys; atexit.register(lambda: print(json.dumps(sorted(sys.modules))))\n"


def _modules_after(code: str, cwd: Path | None = None) -> set[str]:
    env = {**os.environ, "PYTHONPATH": ROOT}
    out = subprocess.run([sys.executable, "-c", _MODULES_AT_EXIT + code], capture_output=True, text=True, env=env,
                         cwd=cwd, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    return set(json.loads(out.stdout.splitlines()[-1]))


def test_importing_the_cli_loads_no_command_s_dependencies():
    loaded = _modules_after("import execeval.cli; execeval.cli.app")
    assert "execeval.cli.evaluation" in loaded  # every command is registered
    assert sorted(m for m in NOT_AT_IMPORT if m in loaded) == []


def test_the_commands_load_after_main_could_start_the_fork_servers():
    loaded = _modules_after("import execeval.cli")  # what runs before `main` starts them (cli/prestart.py)
    assert sorted(m for m in ("typer", "execeval.cli.shared", "execeval.evaluation") if m in loaded) == []


def test_an_evaluate_run_loads_only_what_it_runs(tmp_path):
    demo = Path(execeval.__file__).parent / "tasks/demo/samples.jsonl"
    samples = tmp_path / "one.jsonl"
    samples.write_text(demo.read_text().splitlines()[0] + "\n")
    argv = ["execeval", "evaluate", str(samples), "--tasks", "demo", "--out", str(tmp_path / "run"), "-q",
            "--k", "1", "--machine-speed", "1"]
    loaded = _modules_after(f"import sys, runpy; sys.argv = {argv!r}\n"
                            "try:\n    runpy.run_module('execeval.cli', run_name='__main__')\n"
                            "except SystemExit as e:\n    assert not e.code, e.code\n", cwd=tmp_path)
    assert "rich.table" in loaded and "execeval.sandbox.forkserver" in loaded  # it did evaluate and print
    assert sorted(m for m in NOT_IN_EVALUATE if m in loaded) == []
    assert json.loads((tmp_path / "run" / "summary.json").read_text())["pass_at_k"]
