"""What this machine gives execeval: the sandbox's isolation primitives, its speed (time floors scale by it),
and which languages' toolchains are installed. `execeval doctor` prints it; scripts call `diagnose()`.
"""

from __future__ import annotations

from dataclasses import dataclass

from execeval.evaluation.calibration import measure_machine_speed
from execeval.languages import Toolchain, toolchains
from execeval.sandbox.base import IsolationReport
from execeval.sandbox.factory import open_sandbox


@dataclass(frozen=True)
class Diagnosis:
    isolation: IsolationReport
    machine_speed: float  # CPU time per reference-machine second (docs/time-limits.md)
    toolchains: tuple[Toolchain, ...]

    @property
    def healthy(self) -> bool:
        """Every isolation primitive is active (what `execeval doctor`'s exit status says)."""
        return self.isolation.level == "full"

    def as_dict(self) -> dict:
        return {**self.isolation.as_dict(), "machine_speed": self.machine_speed, "toolchains": {
            t.language: {"available": t.available, "paths": dict(t.paths), "missing": list(t.missing),
                         "install": t.install} for t in self.toolchains}}


def diagnose() -> Diagnosis:
    """Start one fork server, ask it both questions (isolation, speed), stop it; look up the toolchains."""
    with open_sandbox(workers=1) as sandbox:
        isolation, speed = sandbox.isolation(), measure_machine_speed(sandbox)
    return Diagnosis(isolation, speed, tuple(toolchains()))
