"""Any argv — a compiler, a built binary, another language's interpreter — under the same isolation and limits.

Shares the fork servers' machinery: the server forks, confines the child exactly as for Python jobs, then
`execve`s the command. A `Script` runs as a fresh interpreter (`python -s -P script.py`), which makes this backend a
slower but independent second implementation of the same conformance suite.
"""

from __future__ import annotations

import os
import sys
from concurrent.futures import Future

from execeval.errors import SandboxError
from execeval.sandbox.base import Command, ExecResult, IsolationReport, Program, Script
from execeval.sandbox.forkserver import WorkerPool
from execeval.sandbox.limits import DEFAULT_LIMITS, Limits


class CommandSandbox:
    """Runs `Command`s (and `Script`s as `python -s -P script.py`) in isolated, limited child processes."""

    def __init__(self, workers: int | None = None, pool: WorkerPool | None = None) -> None:
        self.pool = pool or WorkerPool(workers)
        self._owns_pool = pool is None

    def supports(self, program: Program) -> bool:
        return isinstance(program, (Command, Script))

    def submit(self, program: Program, limits: Limits = DEFAULT_LIMITS, priority: float = 0.0) -> Future:
        if isinstance(program, Script):
            program = Command((os.path.realpath(sys.executable), "-s", "-P", "script.py"), stdin=program.stdin,
                              files={**program.files, "script.py": program.code.encode()})
        if not isinstance(program, Command):
            raise SandboxError(f"{type(self).__name__} cannot run a {type(program).__name__}")
        return self.pool.submit(program, limits, priority)

    def run(self, program: Program, limits: Limits = DEFAULT_LIMITS) -> ExecResult:
        return self.submit(program, limits).result()

    def isolation(self) -> IsolationReport:
        return self.pool.isolation

    def close(self) -> None:
        if self._owns_pool:
            self.pool.close()

    def __enter__(self) -> "CommandSandbox":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
