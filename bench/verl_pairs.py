#!/usr/bin/env python3
"""The same 200 real (MBPP problem, model completion) pairs scored by verl's own `check_correctness` against
SandboxFusion's server and against `execeval serve`: per-case agreement, and every case where they differ.

The completions are real and not ours: LDB's seed solutions to MBPP's test split by three models
(../shared/data/model-samples/ldb-seed-mbpp-{codellama,gpt-3.5-turbo-0613,starcoder}.jsonl, 1,500 in all), each
a whole Python function. A fixed seed picks 200 of them, half that LDB marks solved and half not, so the mix has
passes and failures. Each pair's tests are its task's three asserts from MBPP itself (../shared/data/mbpp.jsonl,
`test_list`, after `test_setup_code` when the task has one).

The in_outs shape is verl's assert-style one, without `fn_name`: `{"inputs": [""] * n, "outputs": [None] * n,
"assert_case": [setup + assert, ...]}`, what verl's `compute_score` fills in for test cases given as
`{"assert_case": [...]}`. verl appends each assert to the completion (`generation + "\\n\\n" +
assert_case[i]`) and runs it as one program; an expected output of None makes a clean exit (`Success`) count as
True, and a failing assert (AssertionError, exit code 1) as -2. That keeps MBPP's meaning exactly: the assert's
own `==` decides, nothing is serialised to JSON or compared as printed text. (With `fn_name` set, verl wraps
the program to call the function with stdin's JSON lines as arguments and compares printed output, which would
change MBPP's comparisons, e.g. tuples printed as JSON lists.)

verl's scoring module is loaded by its file from verl's install (tests/test_service_verl.py says why); both
servers get the same `timeout` (compile and run) and `memory_limit_mb`, and the pairs are scored one after
another with at most `--concurrency` cases in flight (verl's `concurrent_semaphore`; never more than a pair's
three, since pairs go one at a time), so load does not change verdicts. SandboxFusion runs first, alone, then
`execeval serve`, alone.

    python bench/verl_pairs.py --sf-dir /tmp/sandboxfusion            # bench/README.md: install SandboxFusion
    python bench/verl_pairs.py --sf-url http://127.0.0.1:8080 --pairs 50

The result goes to bench/results/verl_pairs.json (`--out`): every pair's per-case results on both servers and
every difference with its program, case, both answers and the reason found for it (REASONS below). After the
pairs, a few programs written here (EDGES: threads, output past 128 KB, 2 GB of memory, numpy) show, each with
its cause, where the two servers do differ; they are reported apart and never counted with the pairs.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import random
import re
import sys
import threading
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import DEFAULT_DATA_DIR, REPO_ROOT, Stopwatch, data_file, machine_line, read_jsonl
from sandboxfusion_vs_execeval import execeval_serve, sandboxfusion_at

VERL_DIR = Path(os.environ.get("EXECEVAL_VERL_DIR", "/opt/execeval-verl"))
SCORING = "verl/utils/reward_score/sandbox_fusion/utils.py"
MODELS = ("codellama", "gpt-3.5-turbo-0613", "starcoder")
SEED = 200
#: "model MBPP/N case" -> why the two servers differ there, written after looking at the case (printed with it)
REASONS: dict[str, str] = {}
#: Programs no pair happened to contain, where the servers do differ: name -> (program, assert, why). Scored the
#: same way, after the pairs, and reported apart from them (not real completions: written here to show each cause).
EDGES = {
    "threads": ("from concurrent.futures import ThreadPoolExecutor\ndef f():\n    with ThreadPoolExecutor(2) as ex:\n"
                "        return sum(ex.map(abs, range(-3, 3)))\n", "assert f() == 9",
                "SandboxFusion's bug: for memory_limit_MB (verl always sends it, 1024 by default) it sets RLIMIT_STACK "
                "to the same size as RLIMIT_AS, glibc sizes a new thread's stack by RLIMIT_STACK, so no thread fits: "
                "'can't start new thread' (-2; the same line as SandboxFusion#70); execeval: True"),
    "process_pool": ("from multiprocessing import Pool\ndef f():\n    with Pool(2) as p:\n"
                     "        return sum(p.map(abs, range(-3, 3)))\n", "assert f() == 9",
                     "the same SandboxFusion bug (a Pool starts threads of its own): -2; execeval: True"),
    "print_200kb": ("def f():\n    print('x' * 200_000)\n    return 1\n", "assert f() == 1",
                    "SandboxFusion's bug: its runner awaits the process before reading its pipes, so a program that "
                    "writes more than ~128 KB blocks until the run time-out (-3; likely SandboxFusion#62); execeval: True"),
    "print_20mb": ("def f():\n    print('x' * 20_000_000)\n    return 1\n", "assert f() == 1",
                   "execeval's cap: output past 1 MB (EXECEVAL_RUN_CODE_OUTPUT_BYTES) stops the program (-2); "
                   "SandboxFusion: the same pipe bug, time-out (-3)"),
    "memory_2gb": ("def f():\n    return len(bytearray(2000 * 2**20))\n", "assert f() == 2000 * 2**20",
                   "both -2, by different means: SandboxFusion's RLIMIT_AS raises MemoryError in Python, execeval's "
                   "memory cgroup (the job's whole memory) kills it (exit -9); a short timeout turns execeval's into "
                   "-3, as zeroing 1 GB takes time"),
    "numpy": ("import numpy\ndef f():\n    return int(numpy.arange(4).sum())\n", "assert f() == 6",
              "the install, not the server: SandboxFusion's runtime env here is bare (its image has numpy), "
              "execeval runs the interpreter it is given"),
}


@dataclass(frozen=True)
class Pair:
    model: str
    task_id: str  # LDB's "MBPP/N"
    solved: bool  # LDB's is_solved
    completion: str
    in_outs: dict

    @property
    def name(self) -> str:
        return f"{self.model} {self.task_id}"


def in_outs(task: dict) -> dict:
    """verl's assert-style cases for an MBPP task: one program per assert, no stdin, no expected output."""
    setup = task["test_setup_code"].strip()
    asserts = [f"{setup}\n{t}" if setup else t for t in task["test_list"]]
    return {"inputs": [""] * len(asserts), "outputs": [None] * len(asserts), "assert_case": asserts}


def load_pairs(data_dir: Path, n: int, seed: int) -> list[Pair]:
    """n pairs chosen by `seed`: n // 2 that LDB marks solved, the rest not; in a fixed order (model, task)."""
    tasks = {f"MBPP/{t['task_id']}": t for t in read_jsonl(data_file(data_dir, "mbpp.jsonl"))}
    pool: dict[bool, list[Pair]] = {True: [], False: []}
    for model in MODELS:
        for row in read_jsonl(data_file(data_dir, f"model-samples/ldb-seed-mbpp-{model}.jsonl")):
            pool[bool(row["is_solved"])].append(
                Pair(model, row["task_id"], bool(row["is_solved"]), row["solution"], in_outs(tasks[row["task_id"]])))
    rng = random.Random(seed)
    chosen = rng.sample(pool[True], n // 2) + rng.sample(pool[False], n - n // 2)
    return sorted(chosen, key=lambda p: (p.model, int(p.task_id.split("/")[1])))


def edge_pairs() -> list[Pair]:
    return [Pair("edge", name, False, code, {"inputs": [""], "outputs": [None], "assert_case": [case]})
            for name, (code, case, _) in EDGES.items()]


def edge_report(edges: list[Pair], sf: list[list[dict]], ee: list[list[dict]]) -> list[dict]:
    """Each edge program's answer from both servers, with why they differ (or agree)."""
    return [{"edge": p.task_id, "program": p.completion, "case": p.in_outs["assert_case"][0], "sandboxfusion": a[0],
             "execeval": b[0], "reason": EDGES[p.task_id][2]} for p, a, b in zip(edges, sf, ee)]


def load_check_correctness() -> Any:
    """verl's `check_correctness`, from its file: `import verl` would pull in torch."""
    path = VERL_DIR / SCORING
    if not path.is_file():
        sys.exit(f"bench: verl is not installed in {VERL_DIR} (pip install --no-deps --target {VERL_DIR} "
                 "verl==0.9.1; or set EXECEVAL_VERL_DIR)")
    spec = importlib.util.spec_from_file_location("verl_sandbox_fusion_scoring", path)
    assert spec is not None and spec.loader is not None
    module: ModuleType = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.check_correctness


_EXCEPTION = re.compile(r"^([A-Za-z_][\w.]*)(:|$)")


def error_kind(stderr: str) -> str:
    """The exception a Python traceback ends with ("AssertionError", "NameError"), or "" when there is none: a
    failure counts as the same only when it fails the same way."""
    lines = stderr.strip().splitlines()
    found = _EXCEPTION.match(lines[-1]) if lines else None
    return found.group(1) if found else ""


def _case(result: Any, meta: dict) -> dict:
    """What one case's answer says, small: verl's result and status, the exception, the tails of the output."""
    stderr = meta.get("stderr") or meta.get("api_request_error") or ""
    return {"result": result, "status": meta.get("status"), "run_status": meta.get("run_status"),
            "exit_code": meta.get("exit_code"), "error": error_kind(stderr),
            "stdout": (meta.get("stdout") or "")[-200:], "stderr": stderr[-300:], "seconds": meta.get("duration")}


def _same(a: dict, b: dict) -> bool:
    return a["result"] == b["result"] and a["error"] == b["error"]


def score(check: Any, url: str, pairs: list[Pair], timeout: int, memory_mb: int, concurrency: int) -> list[list[dict]]:
    """Every pair through verl's `check_correctness`, one pair after another, `concurrency` cases in flight."""
    gate = threading.Semaphore(concurrency)
    out = []
    for i, p in enumerate(pairs):
        results, metas = check(f"{url}/run_code", p.in_outs, p.completion, timeout=timeout, memory_limit_mb=memory_mb,
                               concurrent_semaphore=gate)
        out.append([_case(r, m) for r, m in zip(results, metas)])
        if (i + 1) % 50 == 0:
            print(f"  {i + 1}/{len(pairs)} programs", flush=True)
    return out


def differences(pairs: list[Pair], sf: list[list[dict]], ee: list[list[dict]]) -> list[dict]:
    """Every case whose verl result or exception differs, with the program, the case, both answers and the known
    reason."""
    found = []
    for p, sf_cases, ee_cases in zip(pairs, sf, ee):
        for c, (a, b) in enumerate(zip(sf_cases, ee_cases)):
            if not _same(a, b):
                key = f"{p.name} case {c}"
                found.append({"pair": key, "program": p.completion, "case": p.in_outs["assert_case"][c],
                              "sandboxfusion": a, "execeval": b, "reason": REASONS.get(key, "not looked at yet")})
    return found


def summary(pairs: list[Pair], sf: list[list[dict]], ee: list[list[dict]]) -> dict:
    cases = sum(len(c) for c in sf)
    agree = sum(a["result"] == b["result"] for x, y in zip(sf, ee) for a, b in zip(x, y))
    same_error = sum(_same(a, b) for x, y in zip(sf, ee) for a, b in zip(x, y))
    passed = {name: sum(all(c["result"] is True for c in cs) for cs in side) for name, side in
              (("sandboxfusion", sf), ("execeval", ee))}
    counts = {name: dict(Counter(str(c["result"]) for cs in side for c in cs)) for name, side in
              (("sandboxfusion", sf), ("execeval", ee))}
    errors = dict(Counter(c["error"] for cs in ee for c in cs if c["error"]))
    return {"pairs": len(pairs), "cases": cases, "cases_agreeing": agree, "cases_agreeing_with_exception": same_error,
            "execeval_exceptions": errors,
            "pairs_agreeing": sum(all(a["result"] == b["result"] for a, b in zip(x, y)) for x, y in zip(sf, ee)),
            "pairs_passing_all_cases": passed, "case_results": counts,
            "ldb_solved_chosen": sum(p.solved for p in pairs)}


def report(result: dict) -> None:
    s = result["summary"]
    print(f"{s['pairs']} pairs ({s['ldb_solved_chosen']} LDB-solved), {s['cases']} cases, "
          f"timeout {result['timeout']} s")
    print(f"cases agreeing: {s['cases_agreeing']}/{s['cases']}; pairs agreeing on every case: "
          f"{s['pairs_agreeing']}/{s['pairs']}; cases agreeing on result and exception: "
          f"{s['cases_agreeing_with_exception']}/{s['cases']}")
    print(f"  exceptions (execeval's side): {s['execeval_exceptions']}")
    for name in ("sandboxfusion", "execeval"):
        print(f"  {name}: pairs passing every case {s['pairs_passing_all_cases'][name]}; case results "
              f"(True/False/-1 api/-2 runtime/-3 timeout/-4 compile) {s['case_results'][name]}")
    print("\nedge programs (not from the pairs), verl result SandboxFusion / execeval:")
    for e in result["edges"]:
        print(f"  {e['edge']}: {e['sandboxfusion']['result']} {e['sandboxfusion']['error']} / "
              f"{e['execeval']['result']} {e['execeval']['error']}: {e['reason']}")
    for d in result["differences"]:
        a, b = d["sandboxfusion"], d["execeval"]
        print(f"\n{d['pair']}: SandboxFusion {a['result']} ({a['status']} {a['error']}, exit {a['exit_code']}), "
              f"execeval {b['result']} ({b['status']} {b['error']}, exit {b['exit_code']})\n  reason: {d['reason']}")
        print(f"  case: {d['case']!r}\n  SandboxFusion stderr: {a['stderr'][-160:]!r}\n"
              f"  execeval stderr: {b['stderr'][-160:]!r}")


def compact_json(result: dict) -> str:
    """Indented JSON, but one line per pair: the file stays small and a changed verdict is a one-line diff."""
    head = json.dumps({k: v for k, v in result.items() if k != "pairs"}, indent=1)
    rows = ",\n".join(f"  {json.dumps(row)}" for row in result["pairs"])
    return f'{head[:-2]},\n "pairs": [\n{rows}\n ]\n}}\n'


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    where = ap.add_mutually_exclusive_group(required=True)
    where.add_argument("--sf-dir", type=Path, help="SandboxFusion's install (src/ and conda/, bench/README.md)")
    where.add_argument("--sf-url", help="a SandboxFusion server already running")
    ap.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    ap.add_argument("--pairs", type=int, default=200)
    ap.add_argument("--seed", type=int, default=SEED)
    ap.add_argument("--timeout", type=int, default=10, help="verl's timeout per case (compile and run), seconds")
    ap.add_argument("--memory-mb", type=int, default=1024, help="verl's memory_limit_mb [default: its own]")
    ap.add_argument("--concurrency", type=int, default=2, help="cases in flight (verl's concurrent_semaphore)")
    ap.add_argument("--workers", "-j", type=int, default=os.cpu_count() or 1, help="execeval serve's workers")
    ap.add_argument("--out", type=Path, default=REPO_ROOT / "bench" / "results" / "verl_pairs.json")
    args = ap.parse_args()
    print(machine_line())
    check = load_check_correctness()
    pairs = load_pairs(args.data_dir, args.pairs, args.seed)
    edges = edge_pairs()
    score_args = (pairs + edges, args.timeout, args.memory_mb, args.concurrency)
    with sandboxfusion_at(args.sf_dir, "asyncio", args.sf_url) as url, Stopwatch() as sf_t:
        sf = score(check, url, *score_args)
    with execeval_serve(args.workers) as url, Stopwatch() as ee_t:
        ee = score(check, url, *score_args)
    (sf, sf_edges), (ee, ee_edges) = ((x[:len(pairs)], x[len(pairs):]) for x in (sf, ee))
    result = {"machine": machine_line(), "seed": args.seed, "timeout": args.timeout, "memory_mb": args.memory_mb,
              "concurrency": args.concurrency, "seconds": {"sandboxfusion": round(sf_t.s, 1),
                                                           "execeval": round(ee_t.s, 1)},
              "summary": summary(pairs, sf, ee), "differences": differences(pairs, sf, ee),
              "edges": edge_report(edges, sf_edges, ee_edges),
              "pairs": [{"pair": p.name, "sandboxfusion": [c["result"] for c in x],
                         "execeval": [c["result"] for c in y],
                         "exceptions": [c["error"] for c in y]} for p, x, y in zip(pairs, sf, ee)]}
    report(result)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(compact_json(result))
    print(f"\nwritten: {args.out}")


if __name__ == "__main__":
    main()
