"""Limits: the one source of truth for what a job may use, and its defaults."""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace


@dataclass(frozen=True)
class Limits:
    """Hard limits for one job. Every field is enforced outside the job's control.

    wall_s:          wall-clock seconds before the job is killed (SIGKILL, whatever it ignores)
    cpu_s:           CPU seconds: RLIMIT_CPU (whole seconds, rounded up) for each process of the job; a program's
                     run (Script, Command) over it in all (processes and threads) is a CPU limit too
    memory_mb:       address space per process (RLIMIT_AS)
    processes:       processes and threads the job may have at once (RLIMIT_NPROC, own uid)
    file_size_mb:    largest file the job may write (RLIMIT_FSIZE)
    disk_mb:         total size of the job's private work dir (a size-capped tmpfs)
    output_bytes:    bytes kept of stdout and of stderr each; more kills the job (output limit)
    network:         False: no network at all (own network namespace, sockets denied)
    """

    wall_s: float = 10.0
    cpu_s: float = 10.0
    memory_mb: int = 4096  # EvalPlus allows 4 GiB too
    processes: int = 64
    file_size_mb: int = 64
    disk_mb: int = 256
    output_bytes: int = 1 << 20
    network: bool = False

    def with_(self, **changes: object) -> "Limits":
        return replace(self, **changes)  # type: ignore[arg-type]

    def with_cpu_budget(self, cpu_s: float) -> "Limits":
        """`cpu_s` of CPU time decides a time-out, so a busy machine never makes one; the wall-clock cap (2x + 1 s)
        only ends what sleeps or blocks, with room for a machine shared by other work."""
        return replace(self, cpu_s=cpu_s, wall_s=2 * cpu_s + 1)

    def as_dict(self) -> dict:
        return asdict(self)


DEFAULT_LIMITS = Limits()
# A compiler is trusted no more than the code it compiles, but needs more room: g++ on <bits/stdc++.h> takes ~1 s,
# javac ~0.4 s plus a JVM's address space. Its output (diagnostics) is kept short.
COMPILE_LIMITS = Limits(wall_s=60.0, cpu_s=60.0, memory_mb=8192, processes=64, file_size_mb=128, disk_mb=512,
                        output_bytes=64 << 10)
