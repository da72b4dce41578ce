"""C and C++ coverage with gcc's own instrumentation and gcov: the figures are gcov's for the candidate's lines.

Why this way: gcc counts every line and branch it compiles when built with `--coverage`; a run writes the counts
(`main.gcda`) when it exits, and gcov turns them, with the notes the compiler wrote (`main.gcno`), into JSON. So:

* the passing sample is built again by its language's `coverage_variant()` (`-O0 --coverage`; its own build-cache
  keys, plain builds untouched), and its tests run again in the sandbox exactly as the judge ran them (the
  MultiPL-E program with its end-of-tests token, or the program on each test's stdin); a run that no longer
  passes (exit 0 and, for test programs, the token) is `unmeasured`;
* each run's counts leave the job as a collected file, and the counts of a program's stdin runs are merged by
  giving each run the counts so far (libgcov adds to a `main.gcda` already in its work dir);
* gcov reads them in a sandbox job of its own (`gcov -b --json-format --stdout`): only its JSON text is read here;
* only the candidate's lines count: in a test program, the lines before the appended tests (not the tests' `main`,
  not the end-of-tests epilogue, not headers); in a stdin/stdout program, every line of its source file;
* a line is covered when its count is above 0; a branch is one of gcov's conditional arcs out of a line, covered
  when taken at least once. Exception edges (gcov's "throw" branches: every call that could throw in C++) are
  left out: no test of ordinary code takes them, and counting them would put 100% out of reach of any C++ pass.

The counts are written by the candidate's own process, so a candidate written to do so could forge them: coverage
is evidence about the tests, like the verdict's other fields, not a guarantee against hostile code.
"""

from __future__ import annotations

import dataclasses
import json
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

from execeval.coverage.figures import COVERAGE_PHASE, Figures, slower
from execeval.errors import SandboxError
from execeval.judges.endmarker import add_end_marker, new_token
from execeval.judges.program_tests import assemble, run_with_token, tests_ran_to_end
from execeval.judges.stdio import io_tests
from execeval.languages import BuildCache, Language, build, get_language, run
from execeval.languages.c import COUNTS, NOTES
from execeval.evaluation.programs import BuildAndRun
from execeval.sandbox.base import Command, ExecResult, Status
from execeval.sandbox.limits import DEFAULT_LIMITS, Limits
from execeval.tasks.model import IOTest, TestProgram

if TYPE_CHECKING:
    from execeval.progress import Reporter
    from execeval.evaluation.runrecord import SampleRun
    from execeval.sandbox.base import Sandbox

__all__ = ["METHOD", "Counts", "candidate_figures", "measurable", "measure", "program_coverage"]

METHOD = "/gcov-v1"  # in the run store's keys: a new method measures again
_GCOV_LIMITS = DEFAULT_LIMITS.with_(cpu_s=10.0, wall_s=30.0, output_bytes=32 << 20)  # JSON of every header


@dataclasses.dataclass
class Counts:
    """What gcov said of one program's lines, merged over its runs: line -> ran, (line, branch) -> taken."""

    lines: dict[int, bool] = dataclasses.field(default_factory=dict)
    branches: dict[tuple[int, int], bool] = dataclasses.field(default_factory=dict)

    def add(self, report: dict, source_name: str, last_line: int | None) -> None:
        """Add one gcov JSON report: the lines of `source_name` up to `last_line` (all of them when None)."""
        for entry in report.get("files", ()):
            if entry.get("file") != source_name:
                continue  # a header's inline functions, the C++ library's templates
            for line in entry.get("lines", ()):
                n = int(line["line_number"])
                if last_line is not None and n > last_line:
                    continue
                self.lines[n] = self.lines.get(n, False) or line["count"] > 0
                for i, branch in enumerate(line.get("branches", ())):
                    if not branch.get("throw"):
                        self.branches[(n, i)] = self.branches.get((n, i), False) or branch["count"] > 0

    def figures(self) -> Figures:
        return Figures(covered_lines=sum(self.lines.values()), total_lines=len(self.lines),
                       covered_branches=sum(self.branches.values()), total_branches=len(self.branches),
                       missing_lines=tuple(sorted(n for n, ran in self.lines.items() if not ran)))


def candidate_figures(reports: list[dict], source_name: str, last_line: int | None) -> Figures:
    """The candidate's figures from gcov's JSON reports (one per run or per test program), merged."""
    counts = Counts()
    for report in reports:
        counts.add(report, source_name, last_line)
    return counts.figures()


def measurable(run: "SampleRun") -> bool:
    """A program built and run in a language that has a coverage build (C and C++)."""
    job = run.job.program
    return isinstance(job, BuildAndRun) and get_language(job.language).coverage_variant() is not None


def measure(runs: list["SampleRun"], sandbox: "Sandbox", reporter: "Reporter",
            cache: BuildCache | None = None) -> dict[str, dict]:
    """Coverage records for the distinct jobs of `runs` (by job key): a few threads, each blocking on one sample's
    build and runs in the sandbox (as the judge's `ProgramRunner` does), so they share its queue."""
    cache = cache if cache is not None else BuildCache.default()
    jobs = {r.job.key: r for r in runs}
    out: dict[str, dict] = {}
    with ThreadPoolExecutor(max_workers=sandbox.capacity, thread_name_prefix="execeval-gcov") as pool:
        futures = {key: pool.submit(_safe, r, sandbox, cache) for key, r in jobs.items()}
        for key, fut in futures.items():
            out[key] = fut.result()
            reporter.advance(out[key]["status"] == "measured", phase=COVERAGE_PHASE)
    return out


def _safe(sample: "SampleRun", sandbox: "Sandbox", cache: BuildCache) -> dict:
    try:
        return _measure_one(sample, sandbox, cache)
    except SandboxError as e:
        return _unmeasured("the sandbox failed", e.one_line())


def _measure_one(sample: "SampleRun", sandbox: "Sandbox", cache: BuildCache) -> dict:
    return program_coverage(sample.job.program, sample.job.limits, sandbox, cache)  # type: ignore[arg-type]  # measurable() said so


def program_coverage(job: BuildAndRun, limits: Limits, sandbox: "Sandbox", cache: BuildCache) -> dict:
    """The coverage record of `job.program` (C or C++) under its suite, each run under `limits` made slower for
    the instrumented build: "measured" with the figures, or "unmeasured" with why. Used for every passing sample,
    and by Guaranteed Guess's protocol for a task's source program."""
    lang = get_language(job.language).coverage_variant()
    if lang is None:
        raise ValueError(f"no coverage build for {job.language}")
    limits, tests = slower(limits), job.suite.cases
    if tests and all(isinstance(t, TestProgram) for t in tests):
        last_line: int | None = job.program.count("\n") + 1  # the tests are appended after the candidate's lines
        profiles = _test_program_profiles(lang, job, sandbox, cache, limits)
    elif tests and all(isinstance(t, IOTest) for t in tests):
        last_line = None  # a whole program: every line is the candidate's
        profiles = _io_profiles(lang, job, sandbox, cache, limits)
    else:
        return _unmeasured("no tests to run")
    if isinstance(profiles, dict):
        return profiles
    reports = _gcov(lang, profiles, sandbox)
    if isinstance(reports, str):
        return _unmeasured("gcov failed", reports)
    return {"status": "measured", **candidate_figures(reports, lang.source_name, last_line).as_dict(),
            "tests_run": len(tests), "tracer": "gcov"}


Profiles = list[tuple[bytes, bytes]]  # (notes, counts) of each program built; or the unmeasured record


def _test_program_profiles(lang: Language, job: BuildAndRun, sandbox: "Sandbox", cache: BuildCache,
                           limits: Limits) -> Profiles | dict:
    """Each test program built with the candidate and run once, as `judges.program_tests` judged it."""
    profiles = []
    for tests in (t.code for t in job.suite.cases if isinstance(t, TestProgram)):
        source = add_end_marker(lang.name, assemble(job.program, tests), source_name=lang.source_name)
        built = build(lang, source, sandbox, cache=cache)
        if not built.ok:
            return _unmeasured("the coverage build failed", built.diagnostics)
        token = new_token()
        result = tests_ran_to_end(lang.name, run_with_token(lang, built, sandbox, token, limits=limits), token)
        if not (result.status is Status.OK and result.completed):
            return _no_longer_passes(result)
        if COUNTS not in result.files:
            return _no_counts()
        profiles.append((built.artifacts[NOTES], result.files[COUNTS]))
    return profiles


def _io_profiles(lang: Language, job: BuildAndRun, sandbox: "Sandbox", cache: BuildCache,
                 limits: Limits) -> Profiles | dict:
    """The program built once and run on each test's stdin in turn, each run adding to the counts so far."""
    built = build(lang, job.program, sandbox, cache=cache)
    if not built.ok:
        return _unmeasured("the coverage build failed", built.diagnostics)
    counts: bytes | None = None
    for test in io_tests(job.suite):
        given = built if counts is None else dataclasses.replace(built, artifacts={**built.artifacts, COUNTS: counts})
        result = run(lang, given, sandbox, stdin=test.stdin.encode(), limits=limits)
        if result.status is not Status.OK:
            return _no_longer_passes(result)
        if COUNTS not in result.files:
            return _no_counts()
        counts = result.files[COUNTS]
    return [(built.artifacts[NOTES], counts or b"")]


def _gcov(lang: Language, profiles: list[tuple[bytes, bytes]], sandbox: "Sandbox") -> list[dict] | str:
    """gcov's JSON for each (notes, counts), read in the sandbox (the counts came from the candidate's process);
    one document per line of its stdout, or why there is none."""
    files, paths = {}, []
    for i, (notes, counts) in enumerate(profiles):
        files[f"p{i}/{NOTES}"], files[f"p{i}/{COUNTS}"] = notes, counts
        paths.append(f"p{i}/{COUNTS}")
    gcov = lang.toolchain()["gcov"]
    result = sandbox.run(Command((gcov, "--branch-probabilities", "--json-format", "--stdout", *paths),
                                 files=files), _GCOV_LIMITS)
    if result.status is not Status.OK:
        return f"{result.status.value}: {result.stderr[-300:].decode('utf-8', 'replace') or result.detail}"
    try:
        reports = [json.loads(line) for line in result.stdout.splitlines() if line.strip()]
    except ValueError as e:
        return f"gcov's JSON did not parse: {e}"
    return reports if len(reports) == len(profiles) else f"{len(reports)} gcov reports for {len(profiles)} programs"


def _no_counts() -> dict:
    return _unmeasured("a run exited without writing its counts (main.gcda): _exit, or a signal")


def _no_longer_passes(result: ExecResult) -> dict:
    return _unmeasured("its tests did not pass again in the coverage build", result.detail or result.status.value)


def _unmeasured(why: str, detail: str = "") -> dict:
    return {"status": "unmeasured", "why": why, "detail": detail[:200]}
