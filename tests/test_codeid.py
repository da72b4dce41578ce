"""Stored keys follow the judging code, not just the version: a development checkout at another commit must not
reuse verdicts, references or builds that other code decided. The machine's speed follows only the code that
measures it."""

from __future__ import annotations

import importlib
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from execeval.evaluation import calibration, programs
from execeval.languages import get_language
from execeval import codeid
from execeval.sandbox.base import Assert, Command, PythonTests
from execeval.sandbox.limits import DEFAULT_LIMITS

build_module = importlib.import_module("execeval.languages.build")  # the package's `build` is the function


@pytest.fixture()
def package(tmp_path: Path) -> Path:
    """A copy of the installed package to edit."""
    copy = tmp_path / "execeval"
    shutil.copytree(codeid.PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__"))
    return copy


def test_the_id_is_the_version_and_the_hash_of_the_judging_sources(package):
    assert codeid.code_id(package) == codeid.code_id(package) == codeid.code_id()  # stable, path-free
    assert codeid.code_id().startswith(codeid.execeval.__version__ + "+")
    names = {p.relative_to(package).as_posix() for p in codeid.judging_sources(package)}
    assert {"values.py", "sandbox/base.py", "sandbox/server/process.py", "evaluation/verdict.py",
            "judges/compare.py", "languages/ExecevalBatch.java", "tasks/model.py", "translation/harness.py"} <= names
    assert not any(n.startswith(("report/", "cli/", "runs/")) for n in names)


@pytest.mark.parametrize("path", ["sandbox/base.py", "evaluation/verdict.py", "values.py",
                                  "languages/ExecevalBatch.java", "sandbox/python/lifting/plan.py"])
def test_a_change_to_a_judging_source_changes_the_id(package, path):
    before = codeid.code_id(package)
    with (package / path).open("a") as f:
        f.write("\n# a changed line\n")
    assert codeid.code_id(package) != before


def test_a_new_judging_module_changes_the_id_a_renamed_one_too(package):
    before = codeid.code_id(package)
    (package / "judges" / "newjudge.py").write_text("X = 1\n")
    added = codeid.code_id(package)
    assert added != before
    (package / "judges" / "newjudge.py").rename(package / "judges" / "otherjudge.py")
    assert codeid.code_id(package) not in (before, added)


def test_other_code_and_bytecode_leave_the_id_alone(package):
    before = codeid.code_id(package)
    with (package / "report" / "html.py").open("a") as f:
        f.write("\n# a changed line\n")
    (package / "sandbox" / "__pycache__").mkdir()
    (package / "sandbox" / "__pycache__" / "base.cpython-311.pyc").write_bytes(b"\0" * 16)
    (package / "tasks" / "demo" / "notes.txt").write_text("not code\n")
    assert codeid.code_id(package) == before


def test_computed_once_per_process():
    codeid.judging_code_id()
    hits = codeid.judging_code_id.cache_info().hits
    assert codeid.judging_code_id() == codeid.code_id()
    assert codeid.judging_code_id.cache_info().hits == hits + 1


def test_verdict_and_build_keys_follow_the_id_the_machine_speed_stays_put(monkeypatch):
    """Verdicts and references (`job_key`) and builds change with the id and stay put without; this machine's
    speed stays put either way (a fact about the machine, not the code version: calibration.py)."""
    job = PythonTests("def f(x):\n    return x\n", "f", (Assert("assert f(1) == 1"),))
    python = get_language("python")
    command = Command(("python3", "x.py"), files={"x.py": b"print(1)"})

    def keys() -> tuple[str, ...]:
        return (programs.job_key(job, DEFAULT_LIMITS),
                build_module.build_key(python, python.toolchain(), command, b"print(1)"))

    first, speed = keys(), calibration._cache_key()
    assert keys() == first
    for module in (programs, build_module, calibration, codeid):  # calibration too, should it ever import it
        monkeypatch.setattr(module, "judging_code_id", lambda: "0.1.0+otherjudgingcode", raising=False)
    changed = keys()
    assert all(a != b for a, b in zip(first, changed)), (first, changed)
    assert calibration._cache_key() == speed


@pytest.mark.parametrize("path", calibration.MEASURING_MODULES)
def test_a_change_to_the_code_that_measures_cpu_time_changes_the_speed_key(package, path):
    before = calibration._cache_key(package)
    assert before == calibration._cache_key()  # path-free: the installed package's key
    with (package / path).open("a") as f:
        f.write("\n# a changed line\n")
    assert calibration._cache_key(package) != before


@pytest.mark.parametrize("path", ["sandbox/base.py", "sandbox/python/runner.py", "evaluation/calibration.py"])
def test_a_change_to_other_judging_code_leaves_the_speed_key_alone(package, path):
    before = codeid.code_id(package), calibration._cache_key(package)
    with (package / path).open("a") as f:
        f.write("\n# a changed line\n")
    assert codeid.code_id(package) != before[0] and calibration._cache_key(package) == before[1]


def test_the_sandbox_server_does_not_import_it():
    """The id is the harness's business: the fork server (and so every job forked from it) never loads it."""
    code = ("import sys, execeval.sandbox.server.process, execeval.sandbox.python.runner\n"
            "print('execeval.codeid' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False", out
