#!/usr/bin/env python3
"""A real sample file's jobs, by outcome: page faults and CPU per job (what the fork server reaped) and the
samples' own CPU, for each kind of job (passed, wrong value, exception by type, program failed to load, timeout,
long), beside the bare-fork floor. Where `fork_profile.py` measures one trivial job shape, this replays the jobs
an `execeval evaluate` run really submits (recorded as that run goes), each alone on one fork server, so a kind
that costs more outside its own code shows up.

    python bench/job_kinds.py /tmp/he984.jsonl --tasks humaneval      # task files from ../shared/data
    python bench/job_kinds.py samples.jsonl --tasks humaneval --rounds 5

Page faults are the steady figure (each costs a forked job ~2.5-3 us of copy-on-write); CPU moves with the
machine's load, so compare it only within one run. No timing is asserted.
"""

from __future__ import annotations

import argparse
import collections
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import DEFAULT_DATA_DIR, bare_fork_floor, machine_line, table  # noqa: E402
from fork_profile import server_pid, usage  # noqa: E402



def record_jobs(samples: str, tasks: str, data_dir: str | None) -> list[tuple]:
    """(program, limits) of every sample's `PythonTests` job an evaluation of `samples` submits, in order (not the
    references' jobs: whether those run depends on the reference cache)."""
    from execeval.evaluate import EvalConfig, evaluate
    from execeval.sandbox import PythonTests
    from execeval.sandbox.forkserver import PoolSandbox

    seen: list[tuple] = []
    submit = PoolSandbox.submit

    def recorded(sandbox, program, limits, *args, **kwargs):  # type: ignore[no-untyped-def]
        if isinstance(program, PythonTests) and not program.batch_report:
            seen.append((program, limits))
        return submit(sandbox, program, limits, *args, **kwargs)

    PoolSandbox.submit = recorded  # type: ignore[method-assign]  # bench instrumentation only
    try:
        with tempfile.TemporaryDirectory() as out:
            evaluate(samples, tasks, out, EvalConfig(k=(1,), data_dir=data_dir))
    finally:
        PoolSandbox.submit = submit  # type: ignore[method-assign]
    return seen


def kind(program: object, result: object) -> str:
    """What the job came to: its first case that did not pass, or the process's status."""
    from execeval.sandbox.python.runner import _LINES_UP_TO  # over it, a job reports its passes in columns

    if len(program.cases) > _LINES_UP_TO:  # type: ignore[attr-defined]
        return f"long (>{_LINES_UP_TO} cases)"
    for case in result.cases:  # type: ignore[attr-defined]
        if case.status.value == "not_run":
            return f"load failed: {result.error_type}"  # type: ignore[attr-defined]
        if case.status.value != "passed":
            return f"{case.status.value}: {case.error_type}"
    return str(result.status.value)  # type: ignore[attr-defined]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("samples")
    ap.add_argument("--tasks", default="humaneval")
    ap.add_argument("--data-dir", default=str(DEFAULT_DATA_DIR),
                    help="holds the task files (default: %(default)s; the hub is never asked)")
    ap.add_argument("--rounds", type=int, default=3, help="replays of each kind (default: %(default)s)")
    args = ap.parse_args(argv)
    from execeval.sandbox import ForkServerSandbox

    print(machine_line())
    jobs = record_jobs(args.samples, args.tasks, args.data_dir)
    floor_cpu, floor_faults = bare_fork_floor()
    kinds: dict[str, list[tuple]] = collections.defaultdict(list)
    own: collections.Counter = collections.Counter()
    with ForkServerSandbox(workers=1) as sandbox:
        for (program, limits), result in zip(jobs, [sandbox.submit(p, lim).result() for p, lim in jobs]):
            name = kind(program, result)
            kinds[name].append((program, limits))
            own[name] += sum(c.cpu_s for c in result.cases)
        pid = server_pid(next(w for w in sandbox.pool._workers if w is not None).proc.pid)  # bench: the server
        spent: dict[str, list[float]] = collections.defaultdict(lambda: [0.0, 0.0])
        for _ in range(args.rounds):
            for name, group in kinds.items():
                before = usage(pid)
                for program, limits in group:
                    sandbox.submit(program, limits).result()
                after = usage(pid)
                spent[name][0] += after[1] - before[1]
                spent[name][1] += sum(after[k] - before[k] for k in (4, 5))
    rows = []
    for name, group in sorted(kinds.items(), key=lambda kv: -len(kv[1])):
        n = len(group) * args.rounds
        rows.append([name, str(len(group)), f"{spent[name][0] / n:.0f}", f"{1000 * spent[name][1] / n:.2f}",
                     f"{1000 * own[name] / len(group):.2f}"])
    everything = sum(len(g) for g in kinds.values()) * args.rounds
    rows.append(["all", str(len(jobs)), f"{sum(s[0] for s in spent.values()) / everything:.0f}",
                 f"{1000 * sum(s[1] for s in spent.values()) / everything:.2f}",
                 f"{1000 * sum(own.values()) / len(jobs):.2f}"])
    rows.append(["bare fork + exit (floor)", "", f"{floor_faults:.0f}", f"{1000 * floor_cpu:.2f}", ""])
    print(f"{len(jobs)} jobs of {args.samples}, each kind replayed {args.rounds}x alone on one fork server; per job:")
    print(table(rows, ["kind", "jobs", "page faults", "job CPU ms", "own CPU ms"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
