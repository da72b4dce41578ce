"""`FakeSandbox`: a `Sandbox` whose results come from a function, for tests that need no process.

Like an HTTP client's mock transport: the test says what each job returns (`handler(program, limits)`; the limits
too, since what a job hits depends on them), and the code under test talks to it through the real protocol. The
jobs it was sent are kept in `jobs`, in order.

    sandbox = FakeSandbox(lambda job, limits: ExecResult(Status.OK, stdout=b"42\\n"))
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future
from typing import Self

from execeval.errors import SandboxError
from execeval.sandbox.base import ExecResult, IsolationReport, Primitive, Program
from execeval.sandbox.limits import DEFAULT_LIMITS, Limits

Handler = Callable[[Program, Limits], ExecResult]
FAKE_ISOLATION = IsolationReport((Primitive("fake", True, "no process is started"),))


class FakeSandbox:
    """Answers each job with `handler(program, limits)`, at once and in the caller's thread.

    An exception of the handler is raised where the job was sent (`submit`, `run`), so an assert inside a handler
    fails the test at the call that broke it. `kinds` restricts which job types it `supports` (None: all)."""

    def __init__(self, handler: Handler, *, capacity: int = 1, kinds: tuple[type, ...] | None = None,
                 isolation: IsolationReport = FAKE_ISOLATION) -> None:
        self.handler, self.kinds, self._isolation = handler, kinds, isolation
        self._capacity = capacity
        self.jobs: list[tuple[Program, Limits]] = []
        self.closed = False

    @property
    def capacity(self) -> int:
        return self._capacity

    def supports(self, program: Program) -> bool:
        return self.kinds is None or isinstance(program, self.kinds)

    def submit(self, program: Program, limits: Limits = DEFAULT_LIMITS, priority: float = 0.0
               ) -> Future[ExecResult]:
        if not self.supports(program):
            raise SandboxError(f"FakeSandbox cannot run a {type(program).__name__}")
        self.jobs.append((program, limits))
        future: Future[ExecResult] = Future()
        future.set_result(self.handler(program, limits))
        return future

    def run(self, program: Program, limits: Limits = DEFAULT_LIMITS) -> ExecResult:
        return self.submit(program, limits).result()

    def isolation(self) -> IsolationReport:
        return self._isolation

    def close(self) -> None:
        self.closed = True

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
