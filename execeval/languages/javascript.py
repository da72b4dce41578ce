"""JavaScript with Node.js: the source run as is by `node`, a fresh process per input."""

from __future__ import annotations

import re

from execeval.languages.base import Interpreted
from execeval.sandbox.limits import Limits

# V8 reserves its code range and heap cages up front: `node -e 1` needs ~720 MiB of address space whatever its
# heap limit (measured, Node 20), so RLIMIT_AS gets that much on top of the program's heap (--max-old-space-size,
# the task's memory_mb). Threads: the main one, 4 libuv workers, V8's platform workers.
NODE_RESERVE_MB = 1024
NODE_THREADS = 16


class JavaScript(Interpreted):
    name = "javascript"
    source_name = "main.js"
    tool = "node"
    install = "apt-get install nodejs"
    error_line = re.compile(rb"(?m)^(?:Uncaught )?([A-Za-z_$][\w$]*(?:Error|Exception))(?::|$)")

    def run_flags(self, limits: Limits | None) -> tuple[str, ...]:
        return (f"--max-old-space-size={(limits or Limits()).memory_mb}",)

    def run_limits(self, limits: Limits) -> Limits:
        return limits.with_(memory_mb=limits.memory_mb + NODE_RESERVE_MB, processes=limits.processes + NODE_THREADS)
