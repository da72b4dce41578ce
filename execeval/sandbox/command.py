"""Any argv — a compiler, a built binary, another language's interpreter — under the same isolation and limits.

Shares the fork servers' machinery: the server forks, confines the child exactly as for Python jobs, then
`execve`s the command. A `Script` runs as a fresh interpreter (`python -s -P script.py`), which makes this backend a
slower but independent second implementation of the same conformance suite.
"""

from __future__ import annotations

import os
import sys

from execeval.sandbox.base import Command, Program, Script
from execeval.sandbox.forkserver import PoolSandbox


class CommandSandbox(PoolSandbox):
    """Runs `Command`s (and `Script`s as `python -s -P script.py`) in isolated, limited child processes."""

    def supports(self, program: Program) -> bool:
        return isinstance(program, (Command, Script))

    def prepare(self, program: Program) -> Program:
        if isinstance(program, Script):
            return Command((os.path.realpath(sys.executable), "-s", "-P", "script.py"), stdin=program.stdin,
                           files={**program.files, "script.py": program.code.encode()})
        return program
