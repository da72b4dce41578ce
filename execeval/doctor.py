"""What this machine gives execeval: the sandbox's isolation primitives, its speed (time floors scale by it),
and which languages' toolchains are installed. `execeval doctor` prints it; scripts call `diagnose()`.

The speed is measured fresh and shown beside the one the shared cache keeps for this machine (what runs use):
a run never re-measures a stored speed, so a stored one measured under load stays until it is replaced here.
"""

from __future__ import annotations

from dataclasses import dataclass

from execeval.errors import UsageError
from execeval.evaluation.calibration import SPEED_STEP, measure_machine_speed, store_speed, stored_speed
from execeval.evaluation.pipeline import shared_cache
from execeval.languages import Toolchain, toolchains
from execeval.sandbox.base import IsolationReport
from execeval.sandbox.factory import open_sandbox


@dataclass(frozen=True)
class Diagnosis:
    isolation: IsolationReport
    machine_speed: float  # measured now: CPU time per reference-machine second (docs/time-limits.md)
    toolchains: tuple[Toolchain, ...]
    stored_speed: float | None = None  # what runs on this machine use (the shared cache's), None if none yet

    @property
    def healthy(self) -> bool:
        """Every isolation primitive is active (what `execeval doctor`'s exit status says)."""
        return self.isolation.level == "full"

    @property
    def speed_drift(self) -> str | None:
        """One line when the fresh speed is more than a step away from the stored one, with how to replace it."""
        if self.stored_speed is None or round(abs(self.machine_speed - self.stored_speed), 2) <= SPEED_STEP:
            return None
        return (f"the stored speed {self.stored_speed:g} is more than {SPEED_STEP:g} from the one measured now "
                f"({self.machine_speed:g}): if this machine was busy when it was stored, `execeval doctor "
                "--recalibrate` stores the fresh one")

    def as_dict(self) -> dict:
        return {**self.isolation.as_dict(), "machine_speed": self.machine_speed,
                "stored_machine_speed": self.stored_speed, "toolchains": {
                    t.language: {"available": t.available, "paths": dict(t.paths), "missing": list(t.missing),
                                 "install": t.install} for t in self.toolchains}}


def diagnose(recalibrate: bool = False) -> Diagnosis:
    """Start one fork server, ask it both questions (isolation, speed), stop it; look up the toolchains and this
    machine's stored speed. `recalibrate`: store the fresh speed as this machine's first (runs already started
    keep their own)."""
    cache = shared_cache()
    if cache is None and recalibrate:  # said before a fork server starts and the speed is measured for nothing
        raise UsageError("--recalibrate: the shared cache is not writable",
                         hint="set EXECEVAL_CACHE_DIR to a writable directory")
    try:
        with open_sandbox(workers=1) as sandbox:
            isolation, speed = sandbox.isolation(), measure_machine_speed(sandbox)
        if cache is not None and recalibrate:
            store_speed(cache, speed)
        stored = stored_speed(cache) if cache is not None else None
    finally:
        if cache is not None:
            cache.close()
    return Diagnosis(isolation, speed, tuple(toolchains()), stored)
