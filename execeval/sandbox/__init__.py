"""execeval.sandbox: the only place in execeval that starts processes.

    from execeval.sandbox import ForkServerSandbox, PythonTests, Assert, Limits
    with ForkServerSandbox(workers=2) as sandbox:
        result = sandbox.run(PythonTests("def f(x): return x + 1", "f", (Assert("assert f(1) == 2"),)))
        result.all_cases_passed   # True

Backends (`Sandbox` protocol in base.py): `ForkServerSandbox` (pre-warmed Python, fork per job),
`CommandSandbox` (any argv) and `raycluster.RaySandbox` (jobs on the nodes of a Ray cluster; imported from
its module, so Ray stays optional). `execeval.doctor.diagnose()` tells which isolation primitives this machine gives.
"""

from execeval.sandbox.base import (Assert, Call, CaseResult, CaseStatus, Command, ExecResult, IsolationReport,
                                   Primitive, Program, PythonTests, Sandbox, Script, Status, TestCase)
from execeval.sandbox.command import CommandSandbox
from execeval.sandbox.forkserver import ForkServerSandbox, WorkerPool
from execeval.sandbox.limits import DEFAULT_LIMITS, Limits

__all__ = ["Assert", "Call", "CaseResult", "CaseStatus", "Command", "CommandSandbox", "DEFAULT_LIMITS",
           "ExecResult", "ForkServerSandbox", "IsolationReport", "Limits", "Primitive", "Program", "PythonTests",
           "Sandbox", "Script", "Status", "TestCase", "WorkerPool"]
