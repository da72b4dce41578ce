"""Python with numba (`python-numba`): the HPC kernels' Python model, judged only where numba is installed.

numba is an optional extra (`pip install 'execeval[hpc]'`), so its absence is a missing toolchain like a missing
compiler: `toolchain()` names it with the install hint and a build gives `SANDBOX_ERROR`, never a verdict against
the program. It is found without importing it (importing numba costs ~0.5 s). A run is a Python run with numba's
settings in its environment: `NUMBA_NUM_THREADS` from the job's limits, as OpenMP's thread count (never the
machine's cores), and no on-disk cache (`NUMBA_CACHE_DIR` in the job's private work dir, should a kernel ask for
`cache=True`), so every run compiles its own kernels and nothing leaks between jobs.
"""

from __future__ import annotations

import dataclasses
import hashlib
import importlib.util
import os
from collections.abc import Mapping

from execeval.languages.base import Toolchain
from execeval.languages.openmp import thread_count
from execeval.languages.python import Python
from execeval.sandbox.base import Command, Script
from execeval.sandbox.limits import Limits

NUMBA_INSTALL = "pip install 'execeval[hpc]'"


def numba_env(limits: Limits | None) -> dict[str, str]:
    """numba's settings for one run: `thread_count` threads (the limits', like OpenMP), caches in the work dir."""
    return {"NUMBA_NUM_THREADS": str(thread_count(limits)), "NUMBA_THREADING_LAYER": "workqueue",
            "NUMBA_CACHE_DIR": ".numba_cache"}


class PythonNumba(Python):
    name = "python-numba"
    serial = "python"  # the tests are Python asserts: Python's end-of-tests epilogue and failure reading
    module = "numba"  # what a run must be able to import

    def toolchain(self) -> Toolchain:
        python = super().toolchain()
        spec = importlib.util.find_spec(self.module)
        if spec is None or spec.origin is None:
            return Toolchain(self.name, python.paths, (self.module,), python.identity, NUMBA_INSTALL,
                             looked=f"not importable by {python['python']}")
        st = os.stat(spec.origin)  # an upgraded numba changes every job's key, as a new compiler does
        ident = hashlib.sha256(f"{python.identity}\0{spec.origin}\0{st.st_size}\0{st.st_mtime_ns}".encode())
        return Toolchain(self.name, python.paths, (), ident.hexdigest()[:16], NUMBA_INSTALL)

    def run_command(self, toolchain: Toolchain, artifacts: Mapping[str, bytes], stdin: bytes = b"",  # type: ignore[override]  # a Script or a Command, as Python's
                    args: tuple[str, ...] = (), limits: Limits | None = None) -> Command | Script:
        command = super().run_command(toolchain, artifacts, stdin, args, limits)
        return dataclasses.replace(command, env={**command.env, **numba_env(limits)})
