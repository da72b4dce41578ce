"""Task × program → the sandbox job that tests it (pure: no I/O), and the reference job that calibrates it.

Time limits follow EvalPlus in spirit but count CPU time, so a slower or busier machine does not change
verdicts: each test may use max(floor, factor × the reference solution's CPU time on that test), in CPU seconds of
a reference machine scaled by this machine's measured speed (`execeval.evaluation.calibration`). Base tests (small inputs:
HumanEval's, MBPP's) have a floor of 0.25 s, EvalPlus's plus tests (large inputs) EvalPlus's 1 s: see
docs/time-limits.md for why.

Tasks in other languages, and stdin/stdout tasks, have no reference to calibrate against: each run (one
`TestProgram`, or one `IOTest` input) gets a fixed CPU budget, the task's `metadata["time_limit_s"]` when it has
one, else `TimePolicy.run_s` (`--run-timeout`), and the memory limit `metadata["memory_limit_mb"]` when it has
one. Their jobs are `BuildAndRun`s, judged by `execeval.judges`.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import marshal
from bisect import bisect_left
from dataclasses import dataclass
from operator import attrgetter

from execeval.errors import UsageError
from execeval.codeid import judging_code_id
from execeval.sandbox.base import Assert, Call, PythonTests, TestCase
from execeval.sandbox.limits import DEFAULT_LIMITS, Limits
from execeval.tasks.model import IOTest, Task, TestProgram, TestSuite

REFERENCE_CASE_CPU_S = 60.0  # the reference solution is trusted; generous so slow references still calibrate


POSITIVE_SETTINGS = ("floor_s", "plus_floor_s", "factor", "memory_mb", "run_s", "speed")  # None means unset


def not_positive(settings: dict[str, float | None]) -> str | None:
    """The first name whose value is set but not more than 0 (NaN included), or None when all are fine."""
    return next((name for name, value in settings.items() if value is not None and not value > 0), None)


@dataclass(frozen=True)
class TimePolicy:
    floor_s: float = 0.25  # per base test, reference-machine CPU seconds (docs/time-limits.md)
    plus_floor_s: float = 1.0  # per plus test (EvalPlus's large inputs): EvalPlus's own minimum time limit
    factor: float = 4.0  # × the reference's CPU time on that test (EvalPlus's default factor)
    memory_mb: int = DEFAULT_LIMITS.memory_mb
    max_job_s: float = 300.0  # no job runs longer than this, whatever its tests sum to
    run_s: float = 10.0  # reference-machine CPU seconds per run of a program built in its own language
    speed: float | None = None  # this machine's CPU time per reference-machine second; None: measure it

    def __post_init__(self) -> None:
        bad = not_positive({name: getattr(self, name) for name in POSITIVE_SETTINGS})
        if bad is not None:  # the CLI checks its flags first, with this same function
            raise UsageError(f"TimePolicy({bad}={getattr(self, bad)!r}): must be more than 0",
                             hint="it is a number of (CPU) seconds or a ratio; see docs/time-limits.md")

    def here(self, reference_cpu_s: float) -> float:
        """Reference-machine CPU seconds in this machine's."""
        return round(reference_cpu_s * (self.speed or 1.0), 4)


@dataclass(frozen=True)
class Reference:
    """What running the reference solution said: encoded outputs of `Call` cases, CPU per case, and failures.

    `cpu_s` is in reference-machine seconds (this machine's divided by its speed), so a cache shared by machines
    of different speeds (a home directory on a cluster) gives each the limits it should have."""

    outputs: tuple[str | None, ...]
    cpu_s: tuple[float, ...]
    failures: tuple[str, ...] = ()  # "test 3: AssertionError ..." for each case the reference did not pass

    def as_dict(self) -> dict:
        return {"outputs": list(self.outputs), "cpu_s": list(self.cpu_s), "failures": list(self.failures)}

    @classmethod
    def from_dict(cls, d: dict) -> "Reference":
        return cls(tuple(d["outputs"]), tuple(d["cpu_s"]), tuple(d.get("failures", ())))


@dataclass(frozen=True)
class BuildAndRun:
    """A program judged by building and running it in its own language: `suite` holds `TestProgram`s or
    `IOTest`s, `Job.limits` bound each run (see `execeval.judges.judge_suite`)."""

    language: str
    suite: TestSuite
    program: str
    stop_on_failure: bool = True


@dataclass(frozen=True)
class Job:
    program: PythonTests | BuildAndRun
    limits: Limits
    n_base: int
    key: str
    labels: tuple[str, ...]  # how each case is named in a report (the assert, or the input)
    cost: float  # estimated CPU seconds, for longest-first scheduling


def all_cases(task: Task, plus: bool) -> tuple[tuple[TestCase, ...], int]:
    base = task.tests.cases
    extra = task.plus_tests.cases if plus and task.plus_tests is not None else ()
    return base + extra, len(base)  # type: ignore[return-value]  # the extra cases are Calls or Asserts here


def reference_job(task: Task, plus: bool = True) -> PythonTests:
    cases, _ = all_cases(task, plus)
    return PythonTests(task.reference, task.entry_point, cases, setup=task.tests.setup, atol=task.tests.atol,
                       stop_on_failure=False, case_cpu_s=(REFERENCE_CASE_CPU_S,) * len(cases), batch_report=True)


def reference_limits(program: PythonTests, policy: TimePolicy) -> Limits:
    total = min(policy.max_job_s * 4, 10 + REFERENCE_CASE_CPU_S * len(program.cases))
    return DEFAULT_LIMITS.with_(wall_s=total, cpu_s=total, memory_mb=2 * policy.memory_mb)  # trusted: roomier


def case_label(case: TestCase | TestProgram | IOTest) -> str:
    if type(case) is Call:  # the common case first: one per HumanEval+ input
        return f"input {case.args_json[:200]}"
    if isinstance(case, Assert):  # a test of many lines (`def check(candidate):`...) by its first line, no colon
        return case.code.strip().splitlines()[0][:200].rstrip(":") if case.code.strip() else "assert"
    if isinstance(case, TestProgram):
        return "the tests"
    if isinstance(case, IOTest):
        return f"stdin {case.stdin[:200]!r}"
    return f"input {case.args_json[:200]}"


@dataclass(frozen=True)
class TestPlan:
    """One task's tests, expectations and limits: the same for every sample, so made once per task."""

    task: Task
    cases: tuple[TestCase, ...]
    case_cpu_s: tuple[float, ...]
    n_base: int
    limits: Limits
    labels: tuple[str, ...]  # how each case is named in a report (the assert, or the input)
    cost: float  # estimated CPU seconds, for longest-first scheduling
    stop_on_failure: bool
    digest: str  # content hash of all of the above that can change a verdict


def plan_tests(task: Task, reference: Reference, policy: TimePolicy, *, plus: bool = True,
               all_tests: bool = False) -> TestPlan:
    """A task's plan from its reference. Hot at start-up: HumanEval+ has ~124k cases, so a case costs a few
    plain operations here (no `dataclasses.replace`, no call per case, nothing recounted per case)."""
    cases, n_base = all_cases(task, plus)
    outputs, ref_cpu = reference.outputs, reference.cpu_s
    # a Call whose input the reference failed is left out (it has nothing to expect): rare, so checked second
    keep = [i for i in range(len(cases)) if outputs[i] is not None or not isinstance(cases[i], Call)]
    kept = cases if len(keep) == len(cases) else [cases[i] for i in keep]
    cases_out = tuple([c.with_expected(outputs[i]) if isinstance(c, Call) else c for i, c in zip(keep, kept)])
    case_cpu = _case_budgets(keep, n_base, ref_cpu, policy, float(task.metadata.get("time_limit_s") or 0))
    budget = min(policy.max_job_s, 2.0 + sum(case_cpu))
    limits = DEFAULT_LIMITS.with_(wall_s=budget, cpu_s=budget, memory_mb=policy.memory_mb)
    tests = PythonTests("", task.entry_point, cases_out, setup=task.tests.setup, atol=task.tests.atol,
                        stop_on_failure=not all_tests, case_cpu_s=case_cpu)
    cost = sum(map(ref_cpu.__getitem__, keep)) + 0.001 * len(keep)
    return TestPlan(task, cases_out, case_cpu, bisect_left(keep, n_base), limits, tuple(map(case_label, cases_out)),
                    cost, not all_tests, job_key(tests, limits))


def _case_budgets(keep: list[int], n_base: int, ref_cpu: tuple[float, ...], policy: TimePolicy,
                  stated: float) -> tuple[float, ...]:
    """Each kept case's CPU budget on this machine: `policy.here(max(its floor, factor × the reference's CPU,
    stated))`, where `stated` is the benchmark's own per-test limit (LiveCodeBench: 6 s). Most cases sit at their
    floor (the reference takes microseconds), so the floors are converted once and a case costs a compare."""
    here, factor = policy.here, policy.factor
    split = bisect_left(keep, n_base)
    budgets = []
    for indexes, floor_s in ((keep[:split], policy.floor_s), (keep[split:], policy.plus_floor_s)):
        low = max(floor_s, stated)
        low_here = here(low)
        budgets += [here(t) if (t := factor * ref_cpu[i]) > low else low_here for i in indexes]
    return tuple(budgets)


def plan_build_and_run(task: Task, policy: TimePolicy, *, plus: bool = True, all_tests: bool = False) -> TestPlan:
    """The plan of a task built and run in its own language: fixed per-run limits, keyed by the toolchain too."""
    from execeval.languages import get_language

    cases, n_base = all_cases(task, plus)
    run_s = policy.here(float(task.metadata.get("time_limit_s") or policy.run_s))
    memory_mb = int(task.metadata.get("memory_limit_mb") or policy.memory_mb)  # the problem's own, when it has one
    limits = DEFAULT_LIMITS.with_cpu_budget(run_s).with_(memory_mb=memory_mb)
    suite = task.tests
    toolchains = [get_language(task.language).toolchain().identity]
    if suite.compare == "checker":
        toolchains.append(get_language(suite.checker_language).toolchain().identity)
    tests = [["P", c.code] if isinstance(c, TestProgram) else ["IO", c.stdin, c.stdout] for c in cases]  # type: ignore[union-attr]  # cases here are IOTest or TestProgram
    payload = json.dumps([judging_code_id(), "build-and-run", task.language, toolchains, tests, suite.compare,
                          suite.atol, suite.checker, suite.checker_language, limits.as_dict(), not all_tests])
    return TestPlan(task, cases, (run_s,) * len(cases), n_base, limits, tuple(case_label(c) for c in cases),
                    0.5 + 0.05 * len(cases), not all_tests, hashlib.sha256(payload.encode()).hexdigest())


def build_job(plan: TestPlan, program: str) -> Job:
    """The job for one program: the task's plan plus the program (cheap: nothing per test is redone)."""
    # a sample's text may hold lone surrogates (no UTF-8 encodes them): its key still names it; the job judges it
    key = hashlib.sha256(f"{plan.digest}\0{program}".encode("utf-8", "surrogatepass")).hexdigest()
    if plan.cases and isinstance(plan.cases[0], (TestProgram, IOTest)):
        suite = dataclasses.replace(plan.task.tests, cases=plan.cases)
        return Job(BuildAndRun(plan.task.language, suite, program, plan.stop_on_failure), plan.limits, plan.n_base,
                   key, plan.labels, plan.cost)
    job = PythonTests(program, plan.task.entry_point, plan.cases, setup=plan.task.tests.setup,
                      atol=plan.task.tests.atol, stop_on_failure=plan.stop_on_failure, case_cpu_s=plan.case_cpu_s)
    return Job(job, plan.limits, plan.n_base, key, plan.labels, plan.cost)


def job_key(program: PythonTests, limits: Limits) -> str:
    """Content hash of everything that can change a verdict."""
    cases = program.cases
    fields = (list(map(_CALL_FIELDS, cases)) if all(map(Call.__instancecheck__, cases))
              else [("A", c.code) if isinstance(c, Assert) else _CALL_FIELDS(c) for c in cases])
    return content_hash([judging_code_id(), program.program, program.entry_point, program.setup, fields,
                         program.atol, program.stop_on_failure, program.case_cpu_s, limits.as_dict()])


_CALL_FIELDS = attrgetter(*(f.name for f in dataclasses.fields(Call)))  # every field of a `Call`, in order


def content_hash(value: list) -> str:
    """sha256 of plain data (str, numbers, None, lists, tuples, dicts) in marshal's format 2: each value written
    whole, with its type and length and no references between equal objects, so equal data hashes equal. Written
    at C speed, without escaping: HumanEval+'s plans hold ~124k cases and ~10 MB of expected outputs, which
    json.dumps escaped for ~0.5 CPU-s per run."""
    return hashlib.sha256(marshal.dumps(value, 2)).hexdigest()
