#!/usr/bin/env python3
"""CPU of execeval's reference phase, cold, against EvalPlus's ground-truth phase on the same HumanEval+ file.

    python bench/reference_phase.py                  # all 164 HumanEval+ tasks, --workers = every core
    python bench/reference_phase.py --tasks 40       # the first 40
    python bench/reference_phase.py --profile        # also where execeval's harness spent its CPU (cProfile)
    python bench/reference_phase.py --per-task 10    # the 10 tasks whose reference costs most over EvalPlus's
    python bench/reference_phase.py --rounds 3       # the two sides alternately, three times; each side's fastest

execeval   `Pipeline.prepare(tasks)` with a fresh run directory and a fresh EXECEVAL_CACHE_DIR (no shared reference
           cache, no known machine speed): the speed calibration and every task's reference solution run in the
           sandbox on every base and plus input, for expected outputs and CPU time per input.
EvalPlus   what `evalplus.evaluate.get_groundtruth` does without its cache: `evalplus.gen.util.trusted_exec` on
           each task's prompt + canonical solution, base inputs then plus inputs, in process, timing each input.
           (`get_groundtruth` itself is not imported: `evalplus.evaluate` pulls in `datasets` and model backends.)

Each side runs in its own fresh interpreter; imports, loading the task file and the fork servers' start-up are left
out for both. The number is CPU seconds (user + sys) of the whole process tree during the phase: the harness, the
fork servers and every job they forked (read from /proc while the servers live, and from the waited-for children
once they are closed). Wall time is printed too, but on a shared machine only CPU compares. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR))
from _common import DEFAULT_DATA_DIR, HUMANEVAL_PLUS_FILE, data_file, machine_line, read_jsonl  # noqa: E402

RESULT_TAG = "BENCH-RESULT "
_TICK = os.sysconf("SC_CLK_TCK")


def _descendants_cpu(root: int) -> float:
    """CPU seconds of `root`'s live descendants, each with the children it already waited for (/proc stat
    fields utime, stime, cutime, cstime): a dead process's time is in its parent's, so nothing counts twice."""
    parents: dict[int, list[tuple[int, float]]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        cpu = sum(int(x) for x in fields[11:15]) / _TICK
        parents.setdefault(int(fields[1]), []).append((int(entry), cpu))
    total, todo = 0.0, [root]
    while todo:
        for pid, cpu in parents.get(todo.pop(), []):
            total += cpu
            todo.append(pid)
    return total


def _tree_cpu() -> float:
    """This process's CPU, its waited-for children's, and its live descendants'."""
    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime + _descendants_cpu(os.getpid())


def _execeval(spec: dict) -> dict:
    from execeval.evaluation.pipeline import EvalConfig, Pipeline, make_sandbox
    from execeval.sandbox.base import PythonTests
    from execeval.tasks import load_tasks

    tasks = load_tasks(spec["tasks_file"]).tasks[:spec["n"]]
    config = EvalConfig(workers=spec["workers"])
    sandbox = make_sandbox(config)
    sandbox.run(PythonTests("def f():\n    return 1\n", "f", ()))  # servers up and warm: start-up is not counted
    profile = None
    if spec["profile"]:
        import cProfile

        profile = cProfile.Profile()
    per_task: dict[str, list[float]] = {}
    if spec.get("per_task"):
        _record_jobs(sandbox, {id(t.reference): t.task_id for t in tasks}, per_task)
    t0, cpu0 = time.perf_counter(), _tree_cpu()
    own0 = time.process_time()
    if profile:
        profile.enable()
    with Pipeline(spec["out"], config, sandbox=sandbox) as pipe:
        pipe.prepare(tasks)
        failures = sum(1 for r in pipe.references.values() if r.failures)
    if profile:
        profile.disable()
    own = time.process_time() - own0
    wall = time.perf_counter() - t0
    sandbox.close()
    if profile:
        import pstats

        pstats.Stats(profile).sort_stats("cumulative").print_stats(25)
    return {"wall_s": wall, "cpu_s": _tree_cpu() - cpu0, "harness_cpu_s": own, "tasks": len(tasks),
            "reference_failures": failures, "per_task": per_task}


def _record_jobs(sandbox, task_of: dict[int, str], per_task: dict[str, list[float]]) -> None:
    """Wrap `sandbox.submit` so each reference job's CPU (the job process's, from the sandbox's result) and its
    cases' own CPU (what the runner timed around each call) land in `per_task[task id]`."""
    submit = sandbox.submit

    def recording(program, *args, **kwargs):
        future = submit(program, *args, **kwargs)
        tid = task_of.get(id(getattr(program, "program", None)))
        if tid is not None:
            def done(f) -> None:
                r = f.result()
                per_task[tid] = [r.cpu_s, sum(c.cpu_s for c in r.cases), len(r.cases)]
            future.add_done_callback(done)
        return future

    sandbox.submit = recording


def _evalplus(spec: dict) -> dict:
    try:
        from evalplus.gen.util import trusted_exec
    except ImportError as e:
        return {"error": f"evalplus is not installed ({e}): pip install -r bench/requirements.txt"}
    problems = list(read_jsonl(spec["tasks_file"]))[:spec["n"]]
    per_task: dict[str, list[float]] = {}
    t0, cpu0 = time.perf_counter(), time.process_time()
    for p in problems:  # get_groundtruth's loop (HumanEval+: no output_not_none tasks)
        task_cpu0 = time.process_time()
        for inputs in (p["base_input"], p["plus_input"]):
            trusted_exec(p["prompt"] + p["canonical_solution"], inputs, p["entry_point"], record_time=True)
        per_task[p["task_id"]] = [time.process_time() - task_cpu0]
    return {"wall_s": time.perf_counter() - t0, "cpu_s": time.process_time() - cpu0, "tasks": len(problems),
            "per_task": per_task}


def print_per_task(ours: dict, theirs: dict, top: int) -> None:
    """The tasks whose reference job costs most CPU over EvalPlus's in-process calls on the same inputs (`calls`:
    the sum of the runner's per-case CPU readings, each around decoding the input, the call and encoding the
    output)."""
    rows = sorted(((job[0] - theirs.get(tid, [0.0])[0], tid, job, theirs.get(tid, [0.0])[0])
                   for tid, job in ours.items()), reverse=True)
    print(f"{'task':16} {'cases':>6} {'job CPU':>8} {'calls':>8} {'EvalPlus':>8} {'job-EP':>8}  (CPU s)")
    for extra, tid, (job_cpu, calls_cpu, n), ep in rows[:top]:
        print(f"{tid:16} {int(n):6d} {job_cpu:8.3f} {calls_cpu:8.3f} {ep:8.3f} {extra:8.3f}")
    print(f"{'all ' + str(len(rows)):16} {int(sum(j[2] for j in ours.values())):6d} "
          f"{sum(j[0] for j in ours.values()):8.3f} {sum(j[1] for j in ours.values()):8.3f} "
          f"{sum(v[0] for v in theirs.values()):8.3f}")


def _child(spec: dict) -> None:
    os.environ.update(spec.get("env", {}))
    sys.set_int_max_str_digits(0)  # some HumanEval+ outputs are huge integers (as EvalPlus's own CLI allows)
    out = _execeval(spec) if spec["tool"] == "execeval" else _evalplus(spec)
    sys.stdout.write("\n" + RESULT_TAG + json.dumps(out) + "\n")
    sys.stdout.flush()
    os._exit(0)


def run_child(spec: dict) -> dict:
    proc = subprocess.run([sys.executable, str(Path(__file__).resolve()), "_child", json.dumps(spec)],
                          capture_output=True, text=True)
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith(RESULT_TAG)]
    if spec.get("profile"):
        print("\n".join(ln for ln in proc.stdout.splitlines() if not ln.startswith(RESULT_TAG)))
    if proc.returncode != 0 or not lines:
        return {"error": f"exit {proc.returncode}: {(proc.stderr or proc.stdout).strip()[-1500:]}"}
    return json.loads(lines[-1][len(RESULT_TAG):])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data-dir", default=str(DEFAULT_DATA_DIR))
    ap.add_argument("--tasks", type=int, default=None, help="the first K tasks only (default: all)")
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--profile", action="store_true", help="print a cProfile of execeval's harness in the phase")
    ap.add_argument("--per-task", type=int, default=0, metavar="N",
                    help="print the N tasks whose reference job costs most CPU over EvalPlus's on that task")
    ap.add_argument("--skip", choices=["evalplus", "execeval"], action="append", default=[])
    ap.add_argument("--rounds", type=int, default=1, metavar="R",
                    help="run the two sides alternately R times and compare each side's fastest (CPU) round: the "
                         "machine's speed drifts by tens of percent within minutes")
    args = ap.parse_args(argv)
    tasks_file = data_file(args.data_dir, HUMANEVAL_PLUS_FILE)
    print(machine_line())
    rounds: dict[str, list[dict]] = {"evalplus": [], "execeval": []}
    with tempfile.TemporaryDirectory(prefix="execeval-bench-refs-") as tmp:
        for round_no in range(1, args.rounds + 1):
            for tool in ("evalplus", "execeval"):
                if tool in args.skip:
                    continue
                fresh = os.path.join(tmp, f"{tool}-{round_no}")  # every round cold: a run dir and cache of its own
                spec = {"tool": tool, "tasks_file": str(tasks_file), "n": args.tasks, "workers": args.workers,
                        "out": os.path.join(fresh, "run"), "profile": args.profile, "per_task": bool(args.per_task),
                        "env": {"EXECEVAL_CACHE_DIR": os.path.join(fresh, "cache")}}
                r = run_child(spec)
                if "error" in r:
                    print(f"{tool:9} skipped: {r['error']}")
                    continue
                rounds[tool].append(r)
                extra = (f", harness {r['harness_cpu_s']:.2f} s, {r['reference_failures']} tasks with reference "
                         f"failures" if tool == "execeval" else "")
                label = f" (round {round_no})" if args.rounds > 1 else ""
                print(f"{tool:9} {r['tasks']} tasks: CPU {r['cpu_s']:.2f} s, wall {r['wall_s']:.2f} s{extra}{label}")
    ours, theirs = (min(rounds[t], key=lambda r: r["cpu_s"], default={}) for t in ("execeval", "evalplus"))
    if "cpu_s" in ours and "cpu_s" in theirs and theirs["cpu_s"] > 0:
        fastest = f", each side's fastest of {args.rounds} rounds" if args.rounds > 1 else ""
        print(f"execeval's reference phase / EvalPlus's ground truth, CPU{fastest}: "
              f"{ours['cpu_s'] / theirs['cpu_s']:.2f}x (target <= 1)")
        if args.per_task:
            print_per_task(ours["per_task"], theirs["per_task"], args.per_task)
    return 0

if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "_child":
        _child(json.loads(sys.argv[2]))
    sys.exit(main())
