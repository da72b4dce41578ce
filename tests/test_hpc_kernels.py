"""The built-in hpc-kernels set (docs/hpc.md) through the real sandbox: every gold kernel passes in every model
whose toolchain is here, a kernel whose OpenMP reduction clause is removed fails every time, the thread count comes
from the job's limits (OpenMP's and numba's), a missing numba is a sandbox error naming the install, and a run of 10
samples per task gives the proficiency table (kernel x model) in the report.
"""

from __future__ import annotations

import json
import os
import re
import shutil

import pytest

from test_report_browser import CHROMIUM, assert_clean_console, dump_dom

from execeval.errors import TaskFormatError
from execeval.evaluate import EvalConfig, evaluate
from execeval.evaluation.programs import TimePolicy
from execeval.judges.program_tests import judge_test_program
from execeval.languages import build, get_language, run
from execeval.languages.openmp import MAX_THREADS, openmp_env, thread_count
from execeval.languages.python_numba import NUMBA_INSTALL, PythonNumba, numba_env
from execeval.report.html import render_report
from execeval.report.sections.proficiency import proficiency_table
from execeval.runs.files import read_results
from execeval.sandbox.base import Status
from execeval.sandbox.limits import Limits
from execeval.tasks import load_tasks
from execeval.tasks.native import task_from_record

OPENMP = ("c-openmp", "cpp-openmp", "fortran-openmp")
RUN_LIMITS = Limits(cpu_s=20, wall_s=60)


def _available(language: str) -> bool:
    return get_language(language).toolchain().available


@pytest.fixture(scope="module")
def tasks():
    return load_tasks("hpc-kernels")



def _write_samples(path, rows) -> None:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))


def _gold(task) -> str:
    return task.reference[len(task.prompt):]


def test_the_set_has_six_kernels_in_four_models_and_two_prompt_variants(tasks):
    meta = [t.metadata for t in tasks.tasks]
    assert {m["kernel"] for m in meta} == {"AXPY", "GEMV", "GEMM", "SPMV", "JACOBI", "CG"}
    assert {m["task_group"] for m in meta} == {"C OpenMP", "C++ OpenMP", "Fortran", "Fortran OpenMP", "Python numba"}
    assert {m["prompt_variant"] for m in meta} == {"plain", "signature"}
    assert len(tasks.tasks) == 6 * 5 * 2
    assert all(t.reference.startswith(t.prompt) and t.completion_mode for t in tasks.tasks)
    serial = [t for t in tasks.tasks if t.language == "fortran"]
    assert serial and not any("!$omp" in t.reference.lower() for t in serial)  # serial gold: no directives


@pytest.mark.slow
def test_every_gold_kernel_passes_in_every_available_model(tasks, sandbox, cache, tmp_path):
    missing = sorted({t.language for t in tasks.tasks if not _available(t.language)})
    here = [t for t in tasks.tasks if t.language not in missing]
    if not here:
        pytest.skip(f"no toolchain for any model here (missing: {', '.join(missing)})")
    _write_samples(tmp_path / "gold.jsonl", [{"task_id": t.task_id, "completion": _gold(t)} for t in here])
    summary = evaluate(tmp_path / "gold.jsonl", "hpc-kernels", tmp_path / "run",
                       EvalConfig(k=(1,), workers=2, build_cache=cache), sandbox=sandbox)
    rows = read_results(tmp_path / "run")
    failed = [(r["task_id"], r["status"], r["first_failure"]) for r in rows if not r["passed"]]
    assert failed == []
    assert summary["status_counts"] == {"passed": len(here)}
    if missing:
        pytest.skip(f"gold passes in the models here; no toolchain for {', '.join(missing)}")


@pytest.mark.parametrize("language", OPENMP)
def test_a_removed_reduction_clause_fails_every_time(language, tasks, sandbox, cache):
    """Jacobi's sum of squared changes with `reduction(+:diff)` removed: 8 threads on any machine (the limits,
    never the cores) race on `diff` in each of 12 sweeps of a 2048 x 2048 grid, and the tests see it."""
    if not _available(language):
        pytest.skip(f"{language}: {get_language(language).toolchain().missing_message()}")
    load, cores = os.getloadavg()[0], os.cpu_count() or 1
    if load > cores:  # measured: at load 20 on 2 cores the threads often ran one after another, racing nothing
        pytest.skip(f"load {load:.0f} on {cores} cores: the racing threads may not run at the same time here")
    task = tasks.by_id()[f"hpc/{language}/jacobi/plain"]
    racy = re.sub(r"\s+reduction\([^)]*\)", "", task.reference, flags=re.IGNORECASE)
    assert racy != task.reference
    tests = task.tests.cases[0].code
    gold = judge_test_program(language, task.reference, tests, sandbox, limits=RUN_LIMITS, cache=cache)
    assert gold.status is Status.OK, gold.detail
    verdicts = [judge_test_program(language, racy, tests, sandbox, limits=RUN_LIMITS, cache=cache)
                for _ in range(5)]
    assert [(v.status, v.error_type) for v in verdicts] == [(Status.FAILED, "AssertionError")] * 5


def test_thread_count_comes_from_the_limits_not_the_machine():
    assert thread_count(Limits(processes=64)) == MAX_THREADS
    assert thread_count(Limits(processes=3)) == 2  # the main thread counts against the process limit
    assert thread_count(Limits(processes=1)) == 1
    env = openmp_env(Limits(processes=5))
    assert env["OMP_NUM_THREADS"] == env["OMP_THREAD_LIMIT"] == "4" and env["OMP_DYNAMIC"] == "false"
    assert numba_env(Limits(processes=5))["NUMBA_NUM_THREADS"] == "4"


@pytest.mark.parametrize("limits", [Limits(processes=64), Limits(processes=4)])
def test_an_openmp_job_gets_the_threads_its_limits_allow(limits, sandbox, cache):
    lang = get_language("c-openmp")
    if not lang.toolchain().available:
        pytest.skip(lang.toolchain().missing_message())
    source = ("#include <omp.h>\n#include <stdio.h>\nint main(void) {\n    int seen = 0;\n"
              "    #pragma omp parallel\n    {\n        #pragma omp atomic\n        seen++;\n    }\n"
              '    printf("%d %d\\n", omp_get_max_threads(), seen);\n    return 0;\n}\n')
    built = build(lang, source, sandbox, cache=cache)
    assert built.ok, built.diagnostics
    result = run(lang, built, sandbox, limits=limits)
    assert result.status is Status.OK, result.detail
    want = thread_count(limits)
    assert result.stdout.split() == [str(want).encode()] * 2


@pytest.mark.parametrize("limits", [Limits(processes=64), Limits(processes=4)])
def test_a_numba_job_gets_the_threads_its_limits_allow(limits, sandbox, cache):
    if not _available("python-numba"):
        pytest.skip(get_language("python-numba").toolchain().missing_message())
    program = "import numba\nprint(numba.get_num_threads(), numba.config.NUMBA_NUM_THREADS)\n"
    got = judge_test_program("python-numba", program, "", sandbox, limits=limits, cache=cache)
    assert got.status is Status.OK, got.detail
    assert got.stdout.split() == [str(thread_count(limits)).encode()] * 2


class _NoNumba(PythonNumba):
    module = "execeval_no_such_numba"  # numba as it is on a machine without the extra


def test_without_numba_a_numba_task_is_a_sandbox_error_naming_the_install(tasks, sandbox, cache):
    task = tasks.by_id()["hpc/python-numba/axpy/plain"]
    absent = _NoNumba()
    assert not absent.toolchain().available
    got = judge_test_program(absent, task.reference, task.tests.cases[0].code, sandbox, cache=cache)
    assert got.status is Status.SANDBOX_ERROR  # never counted against the program
    assert NUMBA_INSTALL in got.detail and "execeval_no_such_numba" in got.detail


def test_a_numba_kernel_whose_prange_misses_a_row_fails(tasks, sandbox, cache):
    """numba's prange makes `s += x` a reduction by itself, so a removed clause cannot be shown as in OpenMP; a
    kernel whose parallel loop misses the last interior row (Jacobi's `n - 2`) fails its tests instead. The golds
    pass through `evaluate` in test_every_gold_kernel_passes_in_every_available_model."""
    if not _available("python-numba"):
        pytest.skip(get_language("python-numba").toolchain().missing_message())
    task = tasks.by_id()["hpc/python-numba/jacobi/plain"]
    wrong = task.reference.replace("numba.prange(1, n - 1)", "numba.prange(1, n - 2)")
    assert wrong != task.reference
    tests = task.tests.cases[0].code
    gold = judge_test_program("python-numba", task.reference, tests, sandbox, limits=RUN_LIMITS, cache=cache)
    assert gold.status is Status.OK, gold.detail
    got = judge_test_program("python-numba", wrong, tests, sandbox, limits=RUN_LIMITS, cache=cache)
    assert (got.status, got.error_type) == (Status.FAILED, "AssertionError")
    assert got.detail == "AssertionError: jacobi unew n=3"  # its one interior point is never written


@pytest.mark.skipif(shutil.which("gfortran") is None, reason="needs gfortran (apt-get install gfortran)")
@pytest.mark.parametrize("body,status,error_type", [
    ('  if (1 + 1 /= 2) error stop "FAILED"\n', Status.OK, None),
    ('  error stop "FAILED: sum"\n', Status.FAILED, "AssertionError"),
    ("  stop\n", Status.FAILED, "EarlyExit"),
])
def test_fortran_tests_must_run_to_their_end(body, status, error_type, sandbox, cache):
    program = f"program tests\n  implicit none\n{body}end program tests\n"
    got = judge_test_program("fortran", "", program, sandbox, cache=cache)
    assert (got.status, got.error_type) == (status, error_type)


def test_a_native_task_in_another_language_has_one_test_program():
    rec = {"task_id": "x", "prompt": "", "entry_point": "f", "reference": "", "language": "fortran",
           "tests": ["program t\nend program t\n", "program u\nend program u\n"]}
    with pytest.raises(TaskFormatError, match="one program in its language"):
        task_from_record(rec, "t.jsonl:1")
    one = task_from_record({**rec, "tests": rec["tests"][:1]}, "t.jsonl:1")
    assert one.language == "fortran" and len(one.tests) == 1


@pytest.mark.slow
def test_ten_samples_per_task_give_the_kernel_by_model_table(tasks, sandbox, cache, tmp_path):
    """Each task's first n samples are its gold kernel (n varies by kernel), the rest do not compile; the report
    shows the study's table: kernels down, programming models across."""
    # numba's jit costs ~1 s of CPU per run: its 120 runs would triple this test; the table is the same code
    here = [t for t in tasks.tasks if _available(t.language) and t.language != "python-numba"]
    if not here:
        pytest.skip("no toolchain for any model here")
    kernels = ["AXPY", "GEMV", "GEMM", "SPMV", "JACOBI", "CG"]
    rows = []
    for t in here:
        n_gold = 2 * kernels.index(t.metadata["kernel"])  # 0, 2, ..., 10 correct of 10
        for c in range(10):
            rows.append({"task_id": t.task_id, "completion_id": c,
                         "completion": _gold(t) if c < n_gold else "not code\n"})
    _write_samples(tmp_path / "samples.jsonl", rows)
    evaluate(tmp_path / "samples.jsonl", "hpc-kernels", tmp_path / "run",
             EvalConfig(k=(1, 10), workers=2, build_cache=cache, policy=TimePolicy(run_s=20)), sandbox=sandbox)
    table = proficiency_table(tmp_path / "run")
    assert table is not None
    # levels: 0 correct -> 0, 2 -> 0.25, 4 -> 0.5, 6 and 8 -> 0.75, 10 -> 1 (docs/trust.md)
    want = dict(zip(kernels, [0.0, 0.25, 0.5, 0.75, 0.75, 1.0]))
    models = sorted({t.metadata["task_group"] for t in here})
    assert table["grid"] == {k: {m: want[k] for m in models} for k in kernels}
    report = render_report(tmp_path / "run", tmp_path / "report.html")
    page = report.read_text()
    assert 'class="proficiency-grid"' in page and "<th>kernel</th>" in page
    for label in [*models, *kernels]:
        assert f">{label}<" in page
    if CHROMIUM is None:
        pytest.skip("the table is in the page; no chromium to check it renders (apt-get install chromium)")
    dom, console, _ = dump_dom(tmp_path, report, "#proficiency")
    assert_clean_console(console)
    grid = dom[dom.index('class="proficiency-grid"'):]
    assert all(f">{label}<" in grid for label in [*models, *kernels])
