"""What every language's coverage comes to: covered/total lines and branches, and the combined figure the gate
reads, so a C pass and a Python pass are judged by the same number."""

from __future__ import annotations

import dataclasses

from execeval.sandbox.limits import Limits

__all__ = ["COVERAGE_PHASE", "Figures", "slower"]

COVERAGE_PHASE = "coverage"  # the progress phase of every language's measuring runs

_SLOWDOWN = 4.0  # measured code is slower (a tracer, or counters in an unoptimised binary): its CPU budget is
# the job's times this, plus a second


@dataclasses.dataclass(frozen=True)
class Figures:
    """Coverage of one candidate: statements (lines) and branches, each covered out of total, and the lines
    never run. Python's are coverage.py's (branches = arcs out of lines with 2+ exits), C/C++'s gcov's."""

    covered_lines: int
    total_lines: int
    covered_branches: int
    total_branches: int
    missing_lines: tuple[int, ...]

    @property
    def coverage(self) -> float:
        """coverage.py's total with --branch: (covered lines + branches) / (lines + branches); 1.0 when empty."""
        total = self.total_lines + self.total_branches
        return (self.covered_lines + self.covered_branches) / total if total else 1.0

    def as_dict(self) -> dict:
        ratio = lambda a, b: round(a / b, 6) if b else 1.0  # noqa: E731
        return {"covered_lines": self.covered_lines, "total_lines": self.total_lines,
                "line_coverage": ratio(self.covered_lines, self.total_lines),
                "covered_branches": self.covered_branches, "total_branches": self.total_branches,
                "branch_coverage": ratio(self.covered_branches, self.total_branches),
                "coverage": round(self.coverage, 6), "missing_lines": list(self.missing_lines)}


def slower(limits: Limits) -> Limits:
    """The limits of a measuring run: the job's CPU budget times the slowdown, plus a second; wall-clock twice."""
    budget = limits.cpu_s * _SLOWDOWN + 1.0
    return limits.with_(cpu_s=budget, wall_s=max(limits.wall_s, budget) * 2)
