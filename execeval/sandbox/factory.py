"""`open_sandbox`: the one place that decides which backend runs a caller's jobs.

Every caller that needs a sandbox and was given none asks here, so a choice of executor (`--executor ray`) reaches
all of them the same way, and a new backend is added in one place. Plain arguments only: the sandbox package
must not know about the pipeline's config (callers pass its fields).

    with open_sandbox(workers=2) as sandbox:                      # this machine's fork servers
        ...
    sandbox = open_sandbox(executor="ray", address="10.0.0.1:6379")  # a Ray cluster's nodes
"""

from __future__ import annotations

from execeval.errors import UsageError
from execeval.sandbox.base import Sandbox

EXECUTORS = ("local", "ray")  # where jobs run: this machine's fork servers, or a Ray cluster's workers


def open_sandbox(workers: int | None = None, executor: str = "local", address: str | None = None) -> Sandbox:
    """A started sandbox of `executor`'s kind; the caller closes it (it is a context manager).

    workers: parallel jobs (None: every core); with "ray", per node (None: each node's CPUs in Ray).
    address: with "ray", the cluster's address (None: `RAY_ADDRESS`, else a local cluster).
    """
    if executor == "local":
        from execeval.sandbox import early
        from execeval.sandbox.forkserver import ForkServerSandbox

        return ForkServerSandbox(workers, started=early.take(workers))  # servers started early, if any
    if executor == "ray":
        from execeval.sandbox.raycluster import RaySandbox

        return RaySandbox(address, workers_per_node=workers)
    raise UsageError(f"executor {executor!r}: expected one of {', '.join(EXECUTORS)}")
