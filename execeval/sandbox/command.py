"""Any argv — a compiler, a built binary, another language's interpreter — under the same isolation and limits.

Shares the fork servers' machinery: the server forks, confines the child exactly as for Python jobs, then
`execve`s the command. A `Script` runs as a fresh interpreter (`python -s -P script.py`), which makes this backend a
slower but independent second implementation of the same conformance suite.
"""

from __future__ import annotations

import os
import sys

from execeval.sandbox.base import Command, Program, Script
from execeval.sandbox.forkserver import PoolSandbox, WorkerPool


class CommandSandbox(PoolSandbox):
    """Runs `Command`s (and `Script`s) in isolated, limited child processes.

    fresh_python: run a `Script` as `python -s -P script.py` (True: an independent second implementation, which
    the conformance suite holds to the fork server's contract) or in the pre-warmed fork server (False: ~10x
    cheaper per run, what judging many Python stdin/stdout runs wants)."""

    def __init__(self, workers: int | None = None, pool: WorkerPool | None = None, *,
                 fresh_python: bool = True) -> None:
        super().__init__(workers, pool)
        self.fresh_python = fresh_python

    def supports(self, program: Program) -> bool:
        return isinstance(program, (Command, Script))

    def prepare(self, program: Program) -> Program:
        if isinstance(program, Script) and self.fresh_python:
            return Command((os.path.realpath(sys.executable), "-s", "-P", "script.py", *program.args),
                           stdin=program.stdin, files={**program.files, "script.py": program.code.encode()},
                           env=program.env)
        return program
