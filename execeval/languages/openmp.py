"""OpenMP variants of the compiled languages: built with `-fopenmp`, run with a thread count from the job's limits.

Why a fixed thread count and not the machine's cores: a verdict must not depend on the machine. A kernel whose
reduction is racy passes on one core and fails on many; with `OMP_NUM_THREADS` set from the limits (the process
limit, capped at `MAX_THREADS`) the same threads run everywhere, oversubscribing a small machine, which is fine for
correctness tests. Idle threads sleep (`OMP_WAIT_POLICY=passive`): spinning would burn the job's CPU budget.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

from execeval.languages.base import Toolchain
from execeval.languages.c import C, C_FLAGS
from execeval.languages.cpp import CXX_FLAGS, Cpp
from execeval.languages.fortran import FORTRAN_FLAGS, Fortran
from execeval.sandbox.base import Command
from execeval.sandbox.limits import DEFAULT_LIMITS, Limits

OPENMP_FLAG = "-fopenmp"
MAX_THREADS = 8  # enough for any race to show, few enough that a 2-core machine runs them without trouble


def thread_count(limits: Limits | None) -> int:
    """The threads a job may start: its process limit (RLIMIT_NPROC counts threads) minus the main one, capped."""
    processes = (limits or DEFAULT_LIMITS).processes
    return max(1, min(MAX_THREADS, processes - 1))


def openmp_env(limits: Limits | None) -> dict[str, str]:
    """The OpenMP runtime's settings for one run: exactly `thread_count` threads, never fewer, sleeping when idle."""
    threads = str(thread_count(limits))
    return {"OMP_NUM_THREADS": threads, "OMP_THREAD_LIMIT": threads, "OMP_DYNAMIC": "false",
            "OMP_WAIT_POLICY": "passive", "OMP_PROC_BIND": "false"}


class OpenMP(C):
    """The OpenMP build of a C-shaped language; `serial` names the language it extends (its tests' epilogue)."""

    serial = "c"

    def run_command(self, toolchain: Toolchain, artifacts: Mapping[str, bytes], stdin: bytes = b"",
                    args: tuple[str, ...] = (), limits: Limits | None = None) -> Command:
        command = super().run_command(toolchain, artifacts, stdin, args, limits)
        return dataclasses.replace(command, env={**command.env, **openmp_env(limits)})


class COpenMP(OpenMP):
    name = "c-openmp"
    flags = (*C_FLAGS, OPENMP_FLAG)


class CppOpenMP(OpenMP, Cpp):
    name = "cpp-openmp"
    serial = "cpp"
    flags = (*CXX_FLAGS, OPENMP_FLAG)


class FortranOpenMP(OpenMP, Fortran):
    name = "fortran-openmp"
    serial = "fortran"
    flags = (*FORTRAN_FLAGS, OPENMP_FLAG)
