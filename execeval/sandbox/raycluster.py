"""A `Sandbox` over a Ray cluster: one actor per node, each holding that node's own `ForkServerSandbox`.

Jobs wait here, in one priority queue (lower first, as the local pool does), and go to the actor with the most
free slots the moment one frees; each result comes back as the job's future, so the executor commits verdicts as
they finish, wherever they ran. Expected outputs travel with the job to the node's harness (the actor), never into
the job's process: the actor is the trusted side, as the harness is locally.

A job is idempotent, so a lost one is simply run again: when an actor dies (its process killed, its node gone),
every job it held goes back to the front of the queue for the other actors. Ray restarts a killed actor on its
node (`max_restarts`); an actor that does not answer again within `REVIVE_S` is dropped.

    with RaySandbox("127.0.0.1:6379") as sandbox:      # None: RAY_ADDRESS, else a local Ray started here
        sandbox.run(Script("print(1)")).stdout          # b"1\\n"
"""

from __future__ import annotations

import heapq
import itertools
import os
import socket
import threading
import time
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any, Self

import execeval
from execeval.errors import SandboxError, UsageError
from execeval.codeid import judging_code_id
from execeval.sandbox.base import ExecResult, IsolationReport, Program, PythonTests, Command, Script, Status
from execeval.sandbox.limits import DEFAULT_LIMITS, Limits

MAX_ATTEMPTS = 3  # a job whose actor died this many times is reported as a sandbox error, not retried forever
REVIVE_S = 60.0  # how long a dead actor may take to come back (Ray restarts it) before it is dropped
_PKG_PARENT = os.path.dirname(os.path.dirname(os.path.abspath(execeval.__file__)))


class NodeSandbox:
    """The Ray actor: this node's fork servers. Threaded (`max_concurrency`), so `workers` jobs run at once."""

    def __init__(self, workers: int | None) -> None:
        from execeval.sandbox.forkserver import ForkServerSandbox

        self.sandbox = ForkServerSandbox(workers)

    def describe(self) -> dict:
        import ray

        return {"version": judging_code_id(), "pid": os.getpid(), "capacity": self.sandbox.capacity,
                "isolation": self.sandbox.isolation(), "node_id": ray.get_runtime_context().get_node_id()}

    def run(self, program: Program, limits: Limits) -> ExecResult:
        return self.sandbox.run(program, limits)


@dataclass(order=True)
class _Job:
    priority: float
    seq: int
    program: Program = field(compare=False)
    limits: Limits = field(compare=False)
    future: Future = field(compare=False)
    attempts: int = field(default=0, compare=False)


@dataclass(eq=False)
class _Actor:
    handle: Any
    node_id: str
    capacity: int
    pid: int
    isolation: IsolationReport
    busy: int = 0
    healthy: bool = True


class RaySandbox:
    """Runs jobs on every alive node of a Ray cluster (see the module docstring).

    address: a cluster's address (`HOST:PORT`, `ray://...`, `auto`); None: `RAY_ADDRESS`, else a local one.
    workers_per_node: fork servers per node; None: each node's CPU count in Ray (nodes with none get no jobs).
    """

    def __init__(self, address: str | None = None, *, workers_per_node: int | None = None) -> None:
        try:
            import ray
        except ImportError:
            raise UsageError("--executor ray needs Ray installed", hint="pip install 'execeval[ray]'") from None
        self._ray = ray
        self._owns_ray = not ray.is_initialized()
        if self._owns_ray:
            connect(address)
        self._lock = threading.Lock()
        self._queue: list[_Job] = []
        self._seq = itertools.count()
        self._closed = False
        self.reruns = 0  # jobs sent again because the actor running them was lost
        try:
            self._actors = self._start_actors(workers_per_node)
        except BaseException:
            self._shutdown_ray()
            raise

    # ------------------------------------------------------------ start-up
    def _start_actors(self, workers: int | None) -> list[_Actor]:
        ray = self._ray
        from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

        remote = ray.remote(NodeSandbox)
        cpus = {n["NodeID"]: int(n.get("Resources", {}).get("CPU", 0)) for n in ray.nodes() if n.get("Alive")}
        if workers is None:  # a node started with --num-cpus 0 (often the head) is kept free of jobs
            cpus = {node: c for node, c in cpus.items() if c > 0}
        if not cpus:
            raise SandboxError("no alive Ray node offers CPUs", hint="start workers with `ray start --address ...`")
        handles = []
        for node_id, node_cpus in cpus.items():
            n = workers or node_cpus
            handles.append(remote.options(
                num_cpus=0,  # the fork servers use the cores; the actor itself only waits on their pipes
                max_concurrency=n + 2, max_restarts=-1,
                scheduling_strategy=NodeAffinitySchedulingStrategy(node_id, soft=False),
            ).remote(n))
        try:
            infos = ray.get([h.describe.remote() for h in handles], timeout=120)
        except ray.exceptions.RayError as e:
            for h in handles:
                ray.kill(h)
            raise SandboxError(f"a Ray node could not start its fork servers: {_last_line(e)}",
                               hint="run `execeval doctor` on that node; execeval must be installed there") from e
        # the judging code's id, not the bare version: a node's verdicts are stored under this harness's keys,
        # so a node whose code differs (a development checkout at another commit) must not answer
        here = judging_code_id()
        wrong = [i for i in infos if i["version"] != here]
        if wrong:
            for h in handles:
                ray.kill(h)
            raise SandboxError(f"a Ray node runs execeval {wrong[0]['version']}, this one {here}",
                               hint="install the same execeval (version and code) on every node")
        return [_Actor(h, i["node_id"], i["capacity"], i["pid"], i["isolation"]) for h, i in zip(handles, infos)]

    # ------------------------------------------------------------ the protocol
    @property
    def capacity(self) -> int:
        return sum(a.capacity for a in self._actors if a.healthy)

    def supports(self, program: Program) -> bool:
        return isinstance(program, (Script, PythonTests, Command))

    def submit(self, program: Program, limits: Limits = DEFAULT_LIMITS, priority: float = 0.0) -> Future:
        if self._closed:
            raise SandboxError("the sandbox is closed")
        if not self.supports(program):
            raise SandboxError(f"RaySandbox cannot run a {type(program).__name__}")
        future: Future = Future()
        with self._lock:
            heapq.heappush(self._queue, _Job(priority, next(self._seq), program, limits, future))
        self._dispatch()
        return future

    def run(self, program: Program, limits: Limits = DEFAULT_LIMITS) -> ExecResult:
        return self.submit(program, limits).result()

    def isolation(self) -> IsolationReport:
        """The weakest node's report: a run is only as isolated as the least isolated machine it used."""
        return min((a.isolation for a in self._actors), key=lambda r: (r.level == "full", -len(r.missing)))

    def nodes(self) -> list[dict]:
        """Each actor's node, process id, slots and health (what a test or `doctor` wants to see)."""
        return [{"node_id": a.node_id, "pid": a.pid, "capacity": a.capacity, "busy": a.busy, "healthy": a.healthy}
                for a in self._actors]

    # ------------------------------------------------------------ scheduling
    def _dispatch(self) -> None:
        """Hand queued jobs to free slots, most free first; callbacks are attached outside the lock."""
        started = []
        with self._lock:
            while self._queue:
                actor = max((a for a in self._actors if a.healthy), key=lambda a: a.capacity - a.busy, default=None)
                if actor is None or actor.busy >= actor.capacity:
                    break
                job = heapq.heappop(self._queue)
                if job.attempts == 0 and not job.future.set_running_or_notify_cancel():
                    continue
                actor.busy += 1
                started.append((job, actor, actor.handle.run.remote(job.program, job.limits).future()))
        for job, actor, fut in started:
            fut.add_done_callback(lambda f, job=job, actor=actor: self._finished(job, actor, f))

    def _finished(self, job: _Job, actor: _Actor, fut: Future) -> None:
        ray = self._ray
        try:
            result = fut.result()
        except ray.exceptions.RayError as e:  # the actor (or its node) died under the job: run it elsewhere
            job.attempts += 1
            with self._lock:
                actor.busy -= 1
                if job.attempts < MAX_ATTEMPTS and not self._closed:
                    self.reruns += 1
                    heapq.heappush(self._queue, job)  # same priority and seq: back at the front of its rank
                    job = None  # type: ignore[assignment]
                if isinstance(e, ray.exceptions.RayActorError) and actor.healthy:
                    actor.healthy = False
                    threading.Thread(target=self._revive, args=(actor,), daemon=True).start()
            if job is not None:
                job.future.set_result(ExecResult(Status.SANDBOX_ERROR, detail=f"Ray worker lost {job.attempts} "
                                                 f"times: {type(e).__name__}"))
        except BaseException as e:  # noqa: BLE001 - a harness bug must not leave a future unresolved
            with self._lock:
                actor.busy -= 1
            job.future.set_result(ExecResult(Status.SANDBOX_ERROR, detail=f"harness error: {type(e).__name__}: "
                                             f"{e}"[:500]))
        else:
            with self._lock:
                actor.busy -= 1
            job.future.set_result(result)
        self._dispatch()

    def _revive(self, actor: _Actor) -> None:
        """Wait for Ray to restart a dead actor (a new process with new fork servers); drop it if it does not."""
        ray = self._ray
        deadline = time.monotonic() + REVIVE_S
        while not self._closed and time.monotonic() < deadline:
            try:
                info = ray.get(actor.handle.describe.remote(), timeout=10)
            except ray.exceptions.ActorDiedError:
                break  # for good (its node is gone)
            except ray.exceptions.RayError:
                time.sleep(0.5)
                continue
            with self._lock:
                actor.pid, actor.healthy = info["pid"], True
            self._dispatch()
            return
        with self._lock:
            if actor in self._actors:
                self._actors.remove(actor)
            orphans = [] if any(a.healthy for a in self._actors) else list(self._queue)
            if orphans:
                self._queue.clear()
        for job in orphans:
            job.future.set_result(ExecResult(Status.SANDBOX_ERROR, detail="no Ray worker is left"))
        self._dispatch()

    # ------------------------------------------------------------ shutdown
    def close(self) -> None:
        """Finish what was submitted, then stop the actors (and Ray, when this sandbox started it)."""
        if self._closed:
            return
        with self._lock:
            pending = [j.future for j in self._queue]
        for fut in pending:
            fut.result()
        while any(a.busy for a in self._actors):
            time.sleep(0.05)
        self._closed = True
        for actor in self._actors:
            self._ray.kill(actor.handle)
        self._shutdown_ray()

    def _shutdown_ray(self) -> None:
        if self._owns_ray:
            self._ray.shutdown()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def connect(address: str | None = None) -> None:
    """Connect this process to a Ray cluster (None: `RAY_ADDRESS`, else start a local one); the cluster's workers
    import this same execeval first. `RaySandbox` calls it unless Ray is already initialised."""
    import ray

    kwargs: dict = {"runtime_env": {"env_vars": {"PYTHONPATH": _PKG_PARENT}}, "log_to_driver": False,
                    "configure_logging": False}
    if address is None and not os.environ.get("RAY_ADDRESS"):
        kwargs["include_dashboard"] = False
    try:
        _reachable(address or os.environ.get("RAY_ADDRESS"))
        ray.init(address=address, **kwargs)
    except (ConnectionError, RuntimeError, ValueError) as e:
        raise SandboxError(f"cannot reach the Ray cluster at {address or os.environ.get('RAY_ADDRESS')}: "
                           f"{_last_line(e)}",
                           hint="start it with `ray start --head` and pass its address to --address") from e


def _reachable(address: str | None, timeout_s: float = 5.0) -> None:
    """A `HOST:PORT` that nothing listens on fails here at once: `ray.init` retries it for minutes."""
    address = address or ""
    host, sep, port = address.rpartition(":")
    if not sep or not port.isdigit() or "://" in address or not host:
        return  # `auto`, `ray://...`, a local cluster: Ray's own checks
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=timeout_s).close()
    except OSError as e:
        raise ConnectionError(f"nothing answers at {address} ({e.strerror or e})") from None


def _last_line(e: BaseException) -> str:
    """What went wrong, from a Ray error that carries a whole remote traceback: its last line names the cause."""
    lines = [line.strip() for line in str(e).splitlines() if line.strip()]
    return (lines[-1] if lines else type(e).__name__)[:300]
