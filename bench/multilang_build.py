#!/usr/bin/env python3
"""Multi-language stdin/stdout evaluation: execeval's build cache and one-JVM batches against the naive way.

    python bench/multilang_build.py                          # 8 problems x 2 languages x 6 samples, 15 inputs each
    python bench/multilang_build.py --samples 2 --inputs 5   # a quick look

The set: 8 small stdin/stdout problems, each written in C++ and in Java, each with --inputs inputs generated
deterministically (--seed). A "program evaluation" is one sample program run on all of its problem's inputs;
each problem has --samples samples per language, of which --distinct are different sources (models repeat
themselves: the same program comes back many times), so --samples x 8 x 2 evaluations in all.

    naive      per evaluation: compile fresh into a temp dir (g++ -std=c++17 -O2 / javac), then
               subprocess.run per input (`./main`, `java -cp DIR Main` with default JVM flags); trusted code only
    execeval   build() through the sandbox with a BuildCache (identical sources compiled once), C++ run per input
               through CommandSandbox, Java through run_batch (one JVM per evaluation, all inputs in it);
               "cold" starts from an empty cache, "warm" reruns with it (every build a hit)

All use --workers concurrent evaluations. Prints wall times and ratios against the naive way measured in the
same run, and checks that every (evaluation, input) gave the same stdout both ways. No timing is asserted.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import Stopwatch, machine_line, ratio, table  # noqa: E402

CPP_HEAD = "#include <bits/stdc++.h>\nusing namespace std;\n"
JAVA_HEAD = "import java.util.*;\nimport java.io.*;\n"
JAVA_MAIN = "public class Main {{\n  public static void main(String[] args) throws IOException {{\n" \
            "    BufferedReader in = new BufferedReader(new InputStreamReader(System.in));\n{}\n  }}\n}}\n"

# name -> (C++ main body, Java main body, input generator); every program reads a count line, then data
PROBLEMS = {
    "sum": ("long long n, s = 0, x; cin >> n; while (n--) { cin >> x; s += x; } cout << s << '\\n';",
            "in.readLine(); long s = 0; for (String t : in.readLine().trim().split(\" \")) s += Long.parseLong(t);"
            " System.out.println(s);",
            lambda r: _list(r, r.randint(1, 300), -10**9, 10**9)),
    "kadane": ("int n; cin >> n; long long best = LLONG_MIN, cur = 0, x; while (n--) { cin >> x; cur = max(x, cur + x);"
               " best = max(best, cur); } cout << best << '\\n';",
               "in.readLine(); long best = Long.MIN_VALUE, cur = 0; for (String t : in.readLine().trim().split(\" \"))"
               " { long x = Long.parseLong(t); cur = Math.max(x, cur + x); best = Math.max(best, cur); }"
               " System.out.println(best);",
               lambda r: _list(r, r.randint(1, 300), -1000, 1000)),
    "reverse": ("int n; cin >> n; vector<string> w(n); for (auto &s : w) cin >> s; for (int i = n - 1; i >= 0; i--)"
                " cout << w[i] << (i ? ' ' : '\\n');",
                "in.readLine(); String[] w = in.readLine().trim().split(\" \"); StringBuilder b = new StringBuilder();"
                " for (int i = w.length - 1; i >= 0; i--) b.append(w[i]).append(i > 0 ? \" \" : \"\\n\");"
                " System.out.print(b);",
                lambda r: _words(r, r.randint(1, 100))),
    "primes": ("int n; cin >> n; vector<bool> c(n + 1); int k = 0; for (int i = 2; i <= n; i++) if (!c[i]) { k++;"
               " for (long long j = 1LL * i * i; j <= n; j += i) c[j] = true; } cout << k << '\\n';",
               "int n = Integer.parseInt(in.readLine().trim()); boolean[] c = new boolean[n + 1]; int k = 0;"
               " for (int i = 2; i <= n; i++) if (!c[i]) { k++; for (long j = (long) i * i; j <= n; j += i)"
               " c[(int) j] = true; } System.out.println(k);",
               lambda r: f"{r.randint(1, 200000)}\n"),
    "gcd": ("int n; cin >> n; while (n--) { long long a, b; cin >> a >> b; cout << __gcd(a, b) << '\\n'; }",
            "int n = Integer.parseInt(in.readLine().trim()); StringBuilder b = new StringBuilder();"
            " for (int i = 0; i < n; i++) { String[] t = in.readLine().trim().split(\" \");"
            " b.append(java.math.BigInteger.valueOf(Long.parseLong(t[0])).gcd(java.math.BigInteger.valueOf("
            "Long.parseLong(t[1])))).append('\\n'); } System.out.print(b);",
            lambda r: _pairs(r, r.randint(1, 50))),
    "fib": ("long long n; cin >> n; long long a = 0, b = 1; const long long M = 1000000007; while (n--) {"
            " long long t = (a + b) % M; a = b; b = t; } cout << a << '\\n';",
            "long n = Long.parseLong(in.readLine().trim()); long a = 0, b = 1, M = 1000000007;"
            " while (n-- > 0) { long t = (a + b) % M; a = b; b = t; } System.out.println(a);",
            lambda r: f"{r.randint(0, 100000)}\n"),
    "sort": ("int n; cin >> n; vector<long long> v(n); for (auto &x : v) cin >> x; sort(v.begin(), v.end());"
             " for (int i = 0; i < n; i++) cout << v[i] << (i + 1 < n ? ' ' : '\\n');",
             "in.readLine(); String[] t = in.readLine().trim().split(\" \"); long[] v = new long[t.length];"
             " for (int i = 0; i < t.length; i++) v[i] = Long.parseLong(t[i]); Arrays.sort(v);"
             " StringBuilder b = new StringBuilder(); for (int i = 0; i < v.length; i++)"
             " b.append(v[i]).append(i + 1 < v.length ? \" \" : \"\\n\"); System.out.print(b);",
             lambda r: _list(r, r.randint(1, 300), -10**6, 10**6)),
    "distinct": ("int n; cin >> n; set<string> s; string w; while (n--) { cin >> w; s.insert(w); }"
                 " cout << s.size() << '\\n';",
                 "in.readLine(); System.out.println(new HashSet<>(Arrays.asList(in.readLine().trim().split(\" \")))"
                 ".size());",
                 lambda r: _words(r, r.randint(1, 200))),
}


def _list(r: random.Random, n: int, lo: int, hi: int) -> str:
    return f"{n}\n{' '.join(str(r.randint(lo, hi)) for _ in range(n))}\n"


def _words(r: random.Random, n: int) -> str:
    return f"{n}\n{' '.join(r.choice(['ab', 'cd', 'ef', 'gh', 'ij', 'kl', 'mn']) * r.randint(1, 3) for _ in range(n))}\n"


def _pairs(r: random.Random, n: int) -> str:
    return f"{n}\n" + "".join(f"{r.randint(1, 10**12)} {r.randint(1, 10**12)}\n" for _ in range(n))


def make_set(samples: int, distinct: int, n_inputs: int, seed: int) -> list[dict]:
    """Every evaluation: language, problem, source (sample j is variant j % distinct), inputs."""
    rng = random.Random(seed)
    inputs = {name: [gen(rng).encode() for _ in range(n_inputs)] for name, (_, _, gen) in PROBLEMS.items()}
    evals = []
    for name, (cpp, java, _) in PROBLEMS.items():
        for j in range(samples):
            tag = f"// sample variant {j % distinct}\n"
            evals.append({"language": "cpp", "problem": name, "inputs": inputs[name],
                          "source": tag + CPP_HEAD + f"int main() {{\n  {cpp}\n  return 0;\n}}\n"})
            evals.append({"language": "java", "problem": name, "inputs": inputs[name],
                          "source": tag + JAVA_HEAD + JAVA_MAIN.format("    " + java)})
    return evals


# ---------------------------------------------------------------- the naive way (trusted code only)
def naive_one(ev: dict) -> list[bytes | None]:
    work = Path(tempfile.mkdtemp(prefix="execeval-bench-naive-"))
    try:
        if ev["language"] == "cpp":
            (work / "main.cpp").write_text(ev["source"])
            compile_argv, run_argv = ["g++", "-std=c++17", "-O2", "-o", "main", "main.cpp"], [str(work / "main")]
        else:
            (work / "Main.java").write_text(ev["source"])
            compile_argv, run_argv = ["javac", "Main.java"], ["java", "-cp", str(work), "Main"]
        if subprocess.run(compile_argv, cwd=work, capture_output=True, timeout=120).returncode != 0:
            return [None] * len(ev["inputs"])
        outs = []
        for data in ev["inputs"]:
            p = subprocess.run(run_argv, cwd=work, input=data, capture_output=True, timeout=30)
            outs.append(p.stdout if p.returncode == 0 else None)
        return outs
    finally:
        shutil.rmtree(work, ignore_errors=True)


# ---------------------------------------------------------------- execeval's way
def execeval_one(ev: dict, sandbox, cache, limits) -> list[bytes | None]:
    from execeval.languages import build, get_language, run, run_batch
    from execeval.sandbox import Status

    language = get_language(ev["language"])
    built = build(language, ev["source"], sandbox, cache=cache)
    if not built.ok:
        return [None] * len(ev["inputs"])
    results = run_batch(language, built, sandbox, ev["inputs"], limits, cache=cache)
    if results is None:
        results = [run(language, built, sandbox, stdin=data, limits=limits) for data in ev["inputs"]]
    outs = [r.stdout if r.status is Status.OK else None for r in results]
    return outs + [None] * (len(ev["inputs"]) - len(outs))


def timed(fn, evals: list[dict], workers: int) -> tuple[float, list[list[bytes | None]]]:
    with Stopwatch() as t, ThreadPoolExecutor(max_workers=workers) as pool:
        outs = list(pool.map(fn, evals))
    return t.s, outs


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--samples", type=int, default=6, help="samples per problem and language (default: %(default)s)")
    ap.add_argument("--distinct", type=int, default=2, help="different sources among them (default: %(default)s)")
    ap.add_argument("--inputs", type=int, default=15, help="inputs per problem (default: %(default)s)")
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="concurrent evaluations (default: "
                    "every core, %(default)s)")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    from execeval.languages import BuildCache
    from execeval.sandbox import CommandSandbox, Limits

    evals = make_set(args.samples, min(args.distinct, args.samples), args.inputs, args.seed)
    n_runs = sum(len(ev["inputs"]) for ev in evals)
    print(machine_line())
    print(f"{len(evals)} evaluations ({len(PROBLEMS)} problems x 2 languages x {args.samples} samples, "
          f"{min(args.distinct, args.samples)} distinct each), {n_runs} program runs, {args.workers} workers")
    limits = Limits(wall_s=10, cpu_s=5, memory_mb=512)
    cache_dir = tempfile.mkdtemp(prefix="execeval-bench-builds-")
    rows: dict[str, tuple[float, list]] = {}
    try:
        rows["naive: fresh compile + subprocess.run per input"] = timed(naive_one, evals, args.workers)
        with Stopwatch() as start:
            sandbox = CommandSandbox(workers=args.workers)
        try:
            cache = BuildCache(cache_dir)
            one = lambda ev: execeval_one(ev, sandbox, cache, limits)  # noqa: E731
            rows["execeval, cold build cache"] = timed(one, evals, args.workers)
            rows["execeval, warm build cache"] = timed(one, evals, args.workers)
            level = sandbox.isolation().level
        finally:
            sandbox.close()
    finally:
        shutil.rmtree(cache_dir, ignore_errors=True)
    print(f"execeval: isolation {level}; sandbox started in {start.s:.2f}s (not in the times below)\n")
    base_name = next(iter(rows))
    base_s, base_outs = rows[base_name]
    body = []
    for name, (s, outs) in rows.items():
        by_lang = {lang: sum(1 for ev, o in zip(evals, outs) if ev["language"] == lang for x in o if x is not None)
                   for lang in ("cpp", "java")}
        body.append([name, f"{s:.2f}", f"{len(evals) / s:.1f}", f"{by_lang['cpp']}+{by_lang['java']}/{n_runs}",
                     ratio(base_s, s)])
    print(table(body, ["way", "wall s", "evaluations/s", "ok runs (C++ + Java)", "speed-up vs naive"]))
    disagree = [(ev["language"], ev["problem"], i) for name, (_, outs) in rows.items() for ev, o, b in
                zip(evals, outs, base_outs) for i, (x, y) in enumerate(zip(o, b)) if x != y]
    if disagree:
        print(f"\nWARNING: {len(disagree)} outputs differ from the naive way's, e.g. {disagree[:5]}")
    else:
        print(f"\nall {n_runs} outputs identical across the {len(rows)} ways")
    return 1 if disagree else 0


if __name__ == "__main__":
    sys.exit(main())
