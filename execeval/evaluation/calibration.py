"""This machine's speed, so that absolute time limits mean the same work on every machine.

Per-test limits are max(floor, factor × the reference's CPU time). The second term is measured on the machine
that runs the evaluation, so it follows that machine's speed; the floor is a constant, and without calibration
a machine twice as slow would give slow-but-correct programs half the room (EvalPlus's issue #5: the same
samples scored 0.40 on a laptop and 0.23 on a slower cloud CPU). So the floor (and the fixed run budget of
compiled tasks) is stated in CPU seconds of a *reference machine*, and scaled by `speed`: this machine's CPU time
for a fixed pure-Python workload over the reference machine's.

The measurement (~0.1 s of CPU) runs in the sandbox exactly as a candidate does (forked from the warm server,
alongside the reference solutions), takes the fastest of a few runs and is rounded to `SPEED_STEP`, then kept in
the run's store, so a resumed run gets the same limits and so the same verdict keys, and in the shared cache, so
every run on this machine agrees.

The speed is a fact about the machine, not about the code version: the shared cache keys it by what the number
depends on (the workload, the modules that read a case's CPU time in the job, Python, the CPU), not by the judging
code id. Keyed by that id, every upgrade re-measured under whatever load the machine had then (cached speeds here
ranged 0.9-3.65 across versions), and a sample near its floor flipped verdict between versions. It is measured
again only when the measuring code changes, or on `execeval doctor --recalibrate` (`diagnose(recalibrate=True)`).
"""

from __future__ import annotations

import dataclasses
import hashlib
import math
import platform
from pathlib import Path
from typing import TYPE_CHECKING

from execeval.codeid import PACKAGE, sources_hash
from execeval.errors import SandboxError
from execeval.sandbox.base import Call, CaseStatus, PythonTests, Sandbox
from execeval.sandbox.limits import DEFAULT_LIMITS

if TYPE_CHECKING:
    from execeval.evaluation.programs import TimePolicy
    from execeval.runs.store import RunStore

# A little of what candidate code does: integer arithmetic, dict and list building, string work, calls.
WORKLOAD = '''
def work(n):
    total, seen, words = 0, {}, []
    for i in range(n):
        total += (i * i) % 7
        seen[i % 97] = seen.get(i % 97, 0) + 1
        if i % 50 == 0:
            words.append(str(i)[::-1])
    return total + len(seen) + len(" ".join(sorted(words)))
'''
WORKLOAD_ARGS = "[100000]"
# CPU seconds of WORKLOAD on the reference machine: the 2-core Linux VM (Python 3.11) where execeval's defaults
# and benchmarks were measured (bench/README.md).
REFERENCE_CPU_S = 0.012  # the median fastest-of-3 there (11.4-13.5 ms over 15 measurements)
# One run of ~15 ms reads 13-21 ms here with nothing else running (a 2-vCPU VM): the fastest of three gave this
# machine's cached speed anywhere from 1.1 to 1.95 between code versions. Of seven: 1.1-1.2 (~0.1 s of CPU, once
# per machine and measuring code).
REPEATS = 7
SPEED_STEP = 0.05  # speeds are rounded to this, so noise between measurements rarely changes a limit
SPEED_RANGE = (0.2, 5.0)  # outside this the measurement is more likely broken than the machine
# The job's code that reads a case's CPU time (the runner takes it before and after the case): the clock
# (cpuclock.py: exact, where time.process_time() moves in scheduler ticks while RLIMIT_CPU's timer is armed) and the
# per-case CPU timer (casetimer.py: whether and how it is armed changes what that clock reads). A change to either
# can change the measured speed, so it re-measures; the rest of the judging code runs around the workload, not in
# the reading (the runner's own per-case work is microseconds, far under SPEED_STEP of its ~12 ms).
MEASURING_MODULES = ("sandbox/python/cpuclock.py", "sandbox/python/casetimer.py")


def speed_from_cpu(cpu_s: float) -> float:
    """This machine's CPU time per reference-machine CPU second, rounded and bounded."""
    raw = cpu_s / REFERENCE_CPU_S
    rounded = round(round(raw / SPEED_STEP) * SPEED_STEP, 2)
    return min(max(rounded, SPEED_RANGE[0]), SPEED_RANGE[1])


class SpeedMeasurement:
    """The workload submitted `repeats` times to the sandbox; `speed()` waits for it. Submitting early lets it run
    alongside other start-up work (the reference solutions)."""

    def __init__(self, sandbox: Sandbox, repeats: int = REPEATS) -> None:
        job = PythonTests(WORKLOAD, "work", (Call(WORKLOAD_ARGS),))
        self._futures = [sandbox.submit(job, DEFAULT_LIMITS, priority=-math.inf) for _ in range(repeats)]  # first

    def speed(self) -> float:
        """The fastest run gives the speed (noise only ever adds time)."""
        times = [c.cpu_s for f in self._futures for c in f.result().cases[:1] if c.status is CaseStatus.PASSED]
        if not times:
            raise SandboxError("the machine-speed calibration job did not run",
                               hint="run `execeval doctor`; or give --machine-speed 1 to use the limits as stated")
        return speed_from_cpu(min(times))


def measure_machine_speed(sandbox: Sandbox) -> float:
    """This machine's speed now, fresh (what `execeval doctor` shows), from a few more runs than a run makes."""
    return SpeedMeasurement(sandbox, repeats=REPEATS + 2).speed()


def _cache_key(package: Path = PACKAGE) -> str:
    """What a stored speed depends on: the workload and its reference time, the code that reads the CPU time
    (`MEASURING_MODULES` under `package`), Python, the CPU. Not the judging code id: see the module docstring."""
    what = hashlib.sha256(f"{WORKLOAD}{WORKLOAD_ARGS}{REFERENCE_CPU_S}".encode()).hexdigest()[:12]
    measuring = sources_hash([package / name for name in MEASURING_MODULES], package)
    return f"speed:{what}:{measuring}:{platform.python_version()}:{_cpu_model()}"


def stored_speed(shared: RunStore) -> float | None:
    """This machine's speed as the shared cache keeps it; None until it is measured with this measuring code."""
    value = shared.get_meta(_cache_key())
    return None if value is None else float(value)  # type: ignore[arg-type]  # a number from the store's meta


def store_speed(shared: RunStore, speed: float) -> None:
    """Keep `speed` as this machine's, for every later run that has no speed of its own."""
    shared.set_meta(_cache_key(), speed)


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.machine()


class Calibration:
    """A run's speed: given by the caller, kept from an earlier start of this run, shared by this machine's runs,
    or else measured now (in the background until `policy()` is called) and kept in both stores."""

    def __init__(self, policy: TimePolicy, sandbox: Sandbox, store: RunStore,
                 shared: RunStore | None) -> None:
        self._policy, self._store, self._shared = policy, store, shared
        known = policy.speed if policy.speed is not None else store.get_meta("machine_speed")
        if known is None and shared is not None:
            known = stored_speed(shared)
        self._known = known
        self._measuring = SpeedMeasurement(sandbox) if known is None else None

    def policy(self) -> TimePolicy:
        """The time policy with this run's speed (waits for the measurement if one is running)."""
        if self._policy.speed is not None:
            return self._policy
        if self._known is None:
            self._known = self._measuring.speed()  # type: ignore[union-attr]  # _measuring is set while _known is None
            if self._shared is not None:
                store_speed(self._shared, self._known)
        self._store.set_meta("machine_speed", self._known)
        self._policy = dataclasses.replace(self._policy, speed=float(self._known))  # type: ignore[arg-type]  # a number from the store's meta
        return self._policy
