"""execeval.sandbox: the only place in execeval that starts processes.

    from execeval.sandbox import ForkServerSandbox, PythonTests, Assert, Limits
    with ForkServerSandbox(workers=2) as sandbox:
        result = sandbox.run(PythonTests("def f(x): return x + 1", "f", (Assert("assert f(1) == 2"),)))
        result.all_cases_passed   # True

Module map (the contract and the backends here; one concern per sub-package):
- `base.py`: what a job is (`Script`, `PythonTests`, `Command`, `Program`), what it gives back (`ExecResult`,
  `CaseResult`), and the `Sandbox` protocol; `limits.py`: `Limits`; `conformance.py`: the suite every backend passes.
- Backends: `forkserver.py` (pre-warmed Python fork servers, one fork per job), `command.py` (any argv, through the
  same servers), `raycluster.py` (the same protocol over a Ray cluster's nodes; imported from its module, so Ray stays optional).
- `grading.py`: a job's streamed outputs compared with the expected ones, in the harness, never in the job;
  `crashes.py`: how runtimes name the exception that ended a process.
- `isolation/`: namespaces, the unprivileged uid, Landlock, seccomp, rlimits, the cgroup (v2 or v1, `isolation/cgroup/`), the work dir.
- `server/`: the fork-server process. `server/process.py:Server._run_in` is where a job starts and where a
  `PythonTests` job's asserts are sent one of three ways: lifted (`python/lifting/`: expected values computed in the
  server, compared outside the candidate), in-process (`python/runner.py`), or split (`python/split/`: tests and
  candidate in two processes, only plain data crossing).
- `python/`: what runs in the job's child for Python jobs.
- `factory.py`: `open_sandbox(workers, executor, address)`, how every caller gets its sandbox (local or Ray);
  `fake.py`: `FakeSandbox(handler)` answers jobs from a function, for tests that need no process.

`execeval.doctor.diagnose()` tells which isolation primitives this machine gives.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from execeval.sandbox.base import (Assert, Call, CaseResult, CaseStatus, Command, ExecResult, IsolationReport,
                                       Primitive, Program, PythonTests, Sandbox, Script, Status, TestCase)
    from execeval.sandbox.command import CommandSandbox
    from execeval.sandbox.factory import EXECUTORS, open_sandbox
    from execeval.sandbox.fake import FakeSandbox
    from execeval.sandbox.forkserver import ForkServerSandbox, WorkerPool
    from execeval.sandbox.limits import DEFAULT_LIMITS, Limits

# Public name -> the module that defines it, imported on first use (PEP 562). Lazy because the fork server
# imports this package on its way to `server/process.py`: eager imports of the backends would load subprocess,
# queue, concurrent.futures and logging there, whose extension modules and shared libraries each add memory
# mappings that every fork copies (a fork's CPU grows with the mappings, ~3-4 us each).
_HOME = {
    **dict.fromkeys(("Assert", "Call", "CaseResult", "CaseStatus", "Command", "ExecResult", "IsolationReport",
                     "Primitive", "Program", "PythonTests", "Sandbox", "Script", "Status", "TestCase"), "base"),
    "CommandSandbox": "command", "EXECUTORS": "factory", "open_sandbox": "factory", "FakeSandbox": "fake",
    "ForkServerSandbox": "forkserver", "WorkerPool": "forkserver", "DEFAULT_LIMITS": "limits", "Limits": "limits",
}

__all__ = ["Assert", "Call", "CaseResult", "CaseStatus", "Command", "CommandSandbox", "DEFAULT_LIMITS",
           "EXECUTORS", "ExecResult", "FakeSandbox", "ForkServerSandbox", "IsolationReport", "Limits", "Primitive",
           "Program", "PythonTests", "Sandbox", "Script", "Status", "TestCase", "WorkerPool", "open_sandbox"]


def __getattr__(name: str) -> Any:
    module = _HOME.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value  # looked up once
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_HOME})
