"""Small trusted jobs the fork server runs in its own process before it serves, so that every job it forks finds the
runner's code already warm.

Why: CPython 3.11 counts each function's first calls in its code object and then rewrites the bytecode in place
(quickening, with inline caches whose counters change as the code runs). A forked job that runs the runner's code
for the first time therefore writes to the server's code objects, and each page written costs the job a
copy-on-write fault (~3 us here). Run here, those writes happen once, before the fork.

What these jobs leave behind is put back as every job's own changes are (`Snapshot.restore`), and the candidate's
module they register is removed; the server takes its snapshot's version counters after this, and collects and
freezes its heap after this too.
"""

from __future__ import annotations

import os
import sys

from execeval.sandbox.base import Assert, Call, PythonTests
from execeval.sandbox.python.runner import JobOver, report_tests
from execeval.sandbox.python.snapshot import Snapshot
from execeval.values import encode

ROUNDS = 12  # more than the calls CPython counts before it quickens a function (8 in 3.11)
_PROGRAM = "import math\n\ndef f(x, y=1):\n    return x + y if x != 'boom' else math.floor(x)\n"
_SETUP = "def check(candidate):\n    assert candidate(1) == 2\n"
_CPU = 5.0  # a case's CPU budget: arms and disarms the per-case timer as jobs do; these cases take microseconds

# (job, lifted arguments by case index): the paths real jobs take most, passing and failing
_JOBS: tuple[tuple[PythonTests, dict[int, tuple] | None], ...] = (
    (PythonTests(_PROGRAM, "f", (Call("[1, 2]"), Call("[3]"), Call(encode([1.5, 2.0]), tagged=True),
                                 Call('["a", "b"]')), case_cpu_s=(_CPU,) * 4), {0: (1, 2), 1: (3,)}),
    (PythonTests(_PROGRAM, "f", (Assert("check(f)"), Assert("assert f(2, 2) == 5")), _SETUP,
                 case_cpu_s=(_CPU,) * 2), None),
    (PythonTests(_PROGRAM, "f", (Call('["boom"]'),), case_cpu_s=(_CPU,)), None),
    (PythonTests("def f(x:\n    return x\n", "f", (Call("[1]"),)), None),
)


def warm_up(snapshot: Snapshot) -> None:
    """Run the warm-up jobs `ROUNDS` times in this process, their reports going to /dev/null."""
    sink = os.open(os.devnull, os.O_WRONLY | os.O_CLOEXEC)
    try:
        for _ in range(ROUNDS):
            for job, lifted in _JOBS:
                try:
                    report_tests(job, sink, "warm-up", snapshot, lifted=lifted)
                except JobOver:
                    pass
    finally:
        os.close(sink)
        sys.modules.pop("__candidate__", None)
