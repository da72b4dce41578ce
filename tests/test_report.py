"""The HTML report: one self-contained file (no network), its structure, and its size on a HumanEval-sized run.

Run directories are written directly (results.jsonl + summary.json rows shaped like `execeval.runs.files` writes
them), so these tests need no sandbox. `make_run` is also used by tests/test_report_browser.py.
"""

from __future__ import annotations

import base64
import functools
import gzip
import itertools
import json
from html.parser import HTMLParser
from pathlib import Path
from random import Random

import pytest

from execeval.errors import UsageError
from execeval.report.html import build_report_data, render_report

# ------------------------------------------------------------------------------------------ synthetic runs

_WORDS = ("numbers", "values", "result", "text", "items", "count", "total", "index", "left", "right", "prefix",
          "window", "stack", "seen", "best", "current", "pairs", "digits", "words", "mapping", "grid", "row", "col",
          "queue", "graph", "node", "edges", "visited", "parent", "depth", "length", "width", "height", "score",
          "scores", "matrix", "carry", "remainder", "quotient", "buffer", "chars", "letters", "vowels", "tokens",
          "parts", "chunk", "offset", "start", "end", "middle", "low", "high", "target", "candidate", "answer",
          "memo", "cache", "table", "counts", "freq", "limit", "step", "primes", "factors", "divisor", "acc")
_BODY_LINES = (
    "    {a} = []", "    {a} = 0", "    {a} = {{}}", "    for {b} in {a}:", "        if {b} > {n}:",
    "            {a}.append({b})", "        {a} += {b}", "    while {a} < len({b}):", "        {a} += {n}",
    "    return {a}", "    return sorted({a})", "    {a} = [x for x in {b} if x % {n} == 0]",
    "    if not {a}:", "        return {n}", "    {a}[{b}] = {a}.get({b}, 0) + 1",
    "    return max({a}, key=lambda x: x[{n}])", "    {a}, {b} = {b}, {a} + {b}",
    "    # {a} holds the running {b}", "    {a} = ''.join(reversed({b}))", "    return {a} == {b}[::-1]",
    "    for i in range(len({a}) - {n}):", "        {b} = {a}[i:i + {n}]",
    "    {a} = {{{b}: i for i, {b} in enumerate({c})}}", "        if {a} % {n} == {m} and {b} not in {c}:",
    "    {a} = \"{b} {c} {n}\".split()", "    assert isinstance({a}, list), \"{b} must be a list\"",
    "    {a} = sum(1 for {b} in {c} if {b}.is{w}())", "            {a}[{b}] = max({a}.get({b}, {n}), {c})",
    "    {a} = min({b}, key=abs) if {b} else {n}", "    {a}, {b} = divmod({c}, {n})",
    "        {a} = ({a} * {n} + {b}) % {m}", "    print(f\"{{{a}}} {b}\")  # debug", "    import {w}",
    "    return [{a} for {a} in {b} if {a} != {c}][:{n}]", "        elif {a} == {m}:", "            break",
    "    except (ValueError, {w}Error):", "    try:", "        {a} = int({b})", "        continue",
)
STATUS_MIX = (("passed", 45), ("failed", 30), ("error", 13), ("timeout", 5), ("syntax_error", 4),
              ("memory_limit", 2), ("output_limit", 1))


def _prompt(rng: Random, t: int) -> str:
    name = f"{rng.choice(_WORDS)}_{rng.choice(_WORDS)}_{t}"
    doc = " ".join(rng.choice(_WORDS) for _ in range(rng.randint(25, 50)))
    lines = [doc[i:i + 72] for i in range(0, len(doc), 72)]
    return (f"from typing import List\n\n\ndef {name}(numbers: List[int], k: int) -> List[int]:\n    \"\"\"" +
            "\n    ".join(lines) + f"\n    >>> {name}([1, 2, 3], 2)\n    [2, 3]\n    \"\"\"\n")


def _body(rng: Random) -> str:
    out = []
    for _ in range(rng.randint(4, 12)):
        out.append(rng.choice(_BODY_LINES).format(a=rng.choice(_WORDS), b=rng.choice(_WORDS), c=rng.choice(_WORDS),
                                                   w=rng.choice(_WORDS), n=rng.randint(0, 999), m=rng.randint(0, 99)))
    return "\n".join(out) + "\n"


def make_row(task_id: str, cid: int, status: str, program: str, rng: Random, *, plus: bool | None = None) -> dict:
    """One results.jsonl row shaped like `execeval.runs.files.result_row` writes it."""
    passed = status == "passed"
    total = 9
    row: dict = {"task_id": task_id, "completion_id": cid, "passed": passed}
    if plus is not None:
        row["plus_passed"] = plus
    tests_passed = total if passed else rng.randint(0, total - 1)
    error_type = first_failure = stderr = ""
    if status == "failed":
        error_type = "AssertionError"
        arg = rng.randint(0, 9999)
        first_failure = f"input [[{arg}, 2, 3], 2]: expected [{arg}, 3], got [{arg + 1}, 3]"
    elif status == "error":
        error_type = rng.choice(("IndexError", "KeyError", "TypeError", "ZeroDivisionError"))
        first_failure = f"assert candidate([{rng.randint(0, 999)}], 1) == [1]: {error_type}: boom"
        stderr = (f"Traceback (most recent call last):\n  File \"<program>\", line {rng.randint(5, 30)}, in candidate\n"
                  f"    return values[index]\n{error_type}: list index out of range\n")
    elif status == "timeout":
        error_type, first_failure = "CPUTimeLimit", "assert candidate(list(range(10**6)), 3): case CPU time over 3s"
    elif status == "syntax_error":
        error_type, first_failure = "SyntaxError", "SyntaxError: invalid syntax"
    elif status == "memory_limit":
        error_type, first_failure = "MemoryError", "assert candidate([1] * 10**7, 2): MemoryError: "
    elif status == "output_limit":
        error_type, first_failure = None, ""
    wall = round(rng.uniform(3.0, 4.5), 4) if status == "timeout" else round(rng.uniform(0.003, 0.05), 4)
    row.update({
        "status": status, "tests_passed": tests_passed, "tests_total": total,
        "pass_ratio": round(tests_passed / total, 6), "executable": status in ("passed", "failed"),
        "error_type": error_type or None, "first_failure": first_failure,
        "detail": "output over 1 MiB" if status == "output_limit" else "",
        "wall_s": wall, "cpu_s": round(wall * 0.8, 4), "peak_memory_mb": round(rng.uniform(14, 40), 1),
        "stdout_tail": "", "stderr_tail": stderr, "source": f"samples.jsonl:{cid + 1}", "program": program,
    })
    return row


def make_run(out: Path, n_tasks: int, n_samples: int, *, seed: int = 0, benchmark: str = "synthetic",
             plus: bool = False, dup_share: float = 0.1) -> Path:
    """A run directory with `n_tasks` x `n_samples` results of realistic size (programs of ~300-800 bytes,
    mixed statuses, a share of duplicate programs as sampling produces) and a matching summary.json."""
    rng = Random(seed)
    out.mkdir(parents=True, exist_ok=True)
    statuses = [s for s, w in STATUS_MIX for _ in range(w)]
    rows = []
    for t in range(n_tasks):
        tid = f"Synth/{t}"
        prompt = _prompt(rng, t)
        programs: list[str] = []
        for c in range(n_samples):
            if programs and rng.random() < dup_share:
                program = rng.choice(programs)
            else:
                program = prompt + _body(rng)
                programs.append(program)
            status = rng.choice(statuses)
            row_plus = (status == "passed" and rng.random() < 0.85) if plus else None
            rows.append(make_row(tid, c, status, program, rng, plus=row_plus))
    (out / "results.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    per_task: dict[str, dict] = {}
    for r in rows:
        e = per_task.setdefault(r["task_id"], {"n": 0, "c": 0})
        e["n"] += 1
        e["c"] += r["passed"]
    counts: dict[str, int] = {}
    for r in rows:
        counts[r["status"]] = counts.get(r["status"], 0) + 1
    summary = {
        "n_tasks": n_tasks, "n_tasks_evaluated": n_tasks, "n_samples": len(rows),
        "samples_per_task": {"min": n_samples, "max": n_samples},
        "pass_at_k": {"base": {"pass@1": sum(r["passed"] for r in rows) / len(rows)}},
        "pass_at_k_skipped": {}, "pass_ratio": 0.5, "executability": 0.75, "status_counts": counts,
        "per_task": per_task, "execeval_version": "0.1.0", "created": "2026-01-01T00:00:00Z",
        "benchmark": benchmark, "tasks_source": "synthetic.jsonl", "tasks_sha256": "0" * 64,
        "settings": {"k": [1, 10], "workers": 4, "all_tests": False, "plus": plus, "split": "test",
                     "timeout_floor_s": 3.0, "time_factor": 4.0, "memory_mb": 2048},
        "isolation": {"level": "full", "primitives": {"network namespace": {"active": True, "detail": ""}}},
        "elapsed_s": 12.5, "jobs": {"distinct_programs": len(rows), "executed": len(rows), "from_store": 0,
                                    "timeouts_rerun": 0, "flaky": 0, "sandbox_errors": 0},
    }
    (out / "summary.json").write_text(json.dumps(summary, indent=2), encoding="utf-8")
    return out


@functools.cache
def big_run_and_report(base: Path) -> tuple[Path, Path]:
    """164 tasks x 200 samples (HumanEval at n=200) and its report; made once per test session, also for
    tests/test_report_browser.py (hence a cache keyed by the session's base temp dir, not a fixture)."""
    run = make_run(base / "big-run", 164, 200, benchmark="humaneval-sized")
    return run, render_report(run, base / "big-report" / "report.html")


@pytest.fixture(scope="session")
def big_run(tmp_path_factory) -> Path:
    return big_run_and_report(tmp_path_factory.getbasetemp())[0]


@pytest.fixture(scope="session")
def big_report(tmp_path_factory) -> Path:
    return big_run_and_report(tmp_path_factory.getbasetemp())[1]


# -------------------------------------------------------------------------------------------------- parsing

class _Page(HTMLParser):
    """Collects tags, their attributes, and the text of script elements."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict]] = []
        self.scripts: list[tuple[dict, str]] = []
        self._script: dict | None = None
        self._buf: list[str] = []
        self.ids: dict[str, dict] = {}

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags.append((tag, a))
        if "id" in a:
            self.ids[a["id"]] = a
        if tag == "script":
            self._script, self._buf = a, []

    def handle_data(self, data):
        if self._script is not None:
            self._buf.append(data)

    def handle_endtag(self, tag):
        if tag == "script" and self._script is not None:
            self.scripts.append((self._script, "".join(self._buf)))
            self._script = None


def parse(path: Path) -> _Page:
    p = _Page()
    p.feed(path.read_text(encoding="utf-8"))
    return p


def _chunk(page: _Page, i: int) -> dict:
    text = next(t for a, t in page.scripts if a.get("id") == f"chunk-{i}")
    return json.loads(gzip.decompress(base64.b64decode(text)))


# ------------------------------------------------------------------------------------------------------ tests

def test_report_is_self_contained_and_complete(tmp_path: Path) -> None:
    run = make_run(tmp_path / "run", 12, 5, seed=3, benchmark="small")
    out = render_report(run, tmp_path / "out" / "r.html")
    assert out == tmp_path / "out" / "r.html" and out.is_file()
    text = out.read_text(encoding="utf-8")
    # nothing that could load from the network, and a policy that forbids it anyway
    assert "http://" not in text and "https://" not in text and "//cdn" not in text
    page = parse(out)
    csp = next(a for t, a in page.tags if t == "meta" and a.get("http-equiv") == "Content-Security-Policy")
    assert "default-src 'none'" in csp["content"] and "connect-src" not in csp["content"]
    for tag, attrs in page.tags:
        assert tag not in ("link", "iframe", "object", "embed", "img"), tag
        for key in ("src", "href", "action", "data"):
            v = attrs.get(key)
            assert v is None or v.startswith(("#", "data:")), (tag, key, v)
    assert not any("src" in a for a, _ in page.scripts)
    # the sections a user looks for
    for section in ("summary", "passk", "verdicts", "grid-panel", "grid", "slowest", "settings", "drawer",
                    "verdict-table", "report-data"):
        assert section in page.ids, section
    assert "comparison" not in page.ids
    data = json.loads(next(t for a, t in page.scripts if a.get("id") == "report-data"))
    assert len(data["grid"]["tasks"]) == 12 and all(len(c) == 5 for c in data["grid"]["cells"])
    assert page.ids["grid"]["data-tasks"] == "12" and page.ids["grid"]["data-samples"] == "60"
    assert "<svg" in text and "pass@k curve" in text


def test_grid_codes_and_packed_details_match_results(tmp_path: Path) -> None:
    run = make_run(tmp_path / "run", 4, 6, seed=5, plus=True)
    rows = [json.loads(line) for line in (run / "results.jsonl").read_text().splitlines()]
    out = render_report(run, tmp_path / "r.html")
    page = parse(out)
    data = json.loads(next(t for a, t in page.scripts if a.get("id") == "report-data"))
    codes = {"passed": "p", "failed": "f", "error": "e", "syntax_error": "s", "timeout": "t",
             "memory_limit": "m", "output_limit": "o"}
    for i, tid in enumerate(data["grid"]["tasks"]):
        mine = [r for r in rows if r["task_id"] == tid]
        want = "".join("b" if r["passed"] and r.get("plus_passed") is False else codes[r["status"]] for r in mine)
        assert data["grid"]["cells"][i] == want
        chunk = _chunk(page, i)
        assert len(chunk["s"]) == len(mine)
        assert len(chunk["p"]) == len({r["program"] for r in mine})  # identical programs stored once
        for rec, r in zip(chunk["s"], mine):
            assert rec["i"] == r["completion_id"] and rec["s"] == r["status"]
            assert chunk["p"][rec["p"]] == r["program"]
            assert rec.get("ff", "") == r["first_failure"] and rec.get("se", "") == r["stderr_tail"]
            assert rec.get("pp") == r.get("plus_passed")


def test_report_numbers(tmp_path: Path) -> None:
    run = make_run(tmp_path / "run", 10, 8, seed=11)
    d = build_report_data(run)
    rows = [json.loads(line) for line in (run / "results.jsonl").read_text().splitlines()]
    assert d["n_samples"] == 80 and d["n_tasks"] == 10
    assert sum(v["count"] for v in d["verdicts"]) == 80
    curve = d["passk_points"]["this run"]
    assert [k for k, _ in curve] == list(range(1, 9))
    assert curve[0][1] == pytest.approx(sum(r["passed"] for r in rows) / 80)
    assert all(a <= b + 1e-12 for (_, a), (_, b) in itertools.pairwise(curve))  # pass@k grows with k
    slow = d["slowest"]
    assert slow == sorted(slow, key=lambda s: -s["total"]) and len(slow) == 10


def test_report_says_when_programs_out_of_time_took_the_run(tmp_path: Path) -> None:
    run = make_run(tmp_path / "run", 3, 2, seed=5)
    assert "time limits" not in dict(build_report_data(run)["settings"])  # a summary without the CPU fields
    summary = json.loads((run / "summary.json").read_text())
    summary["jobs"].update(cpu_s=9.0, time_limited=3, time_limited_cpu_s=6.0)
    (run / "summary.json").write_text(json.dumps(summary))
    assert dict(build_report_data(run)["settings"])["time limits"].startswith(
        "3 programs ran out of time: 6.0 s of the jobs' 9.0 s of CPU")


def test_report_without_summary_and_bad_dirs(tmp_path: Path) -> None:
    run = make_run(tmp_path / "run", 3, 1, seed=2)
    (run / "summary.json").unlink()
    out = render_report(run)  # defaults to RUN_DIR/report.html
    assert out == run / "report.html"
    text = out.read_text(encoding="utf-8")
    assert "No summary.json" in text and "pass@1" in text
    with pytest.raises(UsageError, match="no such directory"):
        render_report(tmp_path / "missing", tmp_path / "x.html")
    (tmp_path / "empty").mkdir()
    with pytest.raises(UsageError, match="no results.jsonl"):
        render_report(tmp_path / "empty", tmp_path / "x.html")
    (tmp_path / "afile").write_text("")  # an output under a file, or where nothing can be written: one line
    with pytest.raises(UsageError, match="cannot write .*afile/r.html: a part of its directory is a file"):
        render_report(run, tmp_path / "afile" / "r.html")
    with pytest.raises(UsageError, match="cannot write /proc/r.html"):
        render_report(run, Path("/proc/r.html"))
    assert render_report(run, tmp_path / "new" / "dir" / "r.html").is_file()  # its directory is made


def test_report_with_comparison_marks_flips(tmp_path: Path) -> None:
    rng = Random(0)
    a, b = tmp_path / "a", tmp_path / "b"
    for d in (a, b):
        d.mkdir()
    rows_a, rows_b = [], []
    for t in range(6):
        tid = f"T/{t}"
        rows_a.append(make_row(tid, 0, "passed" if t < 4 else "failed", f"def f():\n    return {t}\n", rng))
        status_b = "failed" if t in (1, 2) else "passed" if t == 5 else rows_a[-1]["status"]
        rows_b.append(make_row(tid, 0, status_b, f"def f():\n    return {t} + 1\n", rng))
    (a / "results.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows_a))
    (b / "results.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows_b))
    out = render_report(b, tmp_path / "r.html", compare_dir=a, n_resamples=500)
    page = parse(out)
    assert "comparison" in page.ids
    data = json.loads(next(t for a_, t in page.scripts if a_.get("id") == "report-data"))
    assert data["grid"]["cmp"]["flip"] == ["", "n", "n", "", "", "p"]
    baseline = {a_["data-task"] for a_, _ in page.scripts if "baseline-chunk" in a_.get("class", "")}
    assert baseline == {"T/1", "T/2", "T/5"}  # the baseline's sample of each flipped task, for side by side
    text = out.read_text(encoding="utf-8")
    assert 'href="#task=T/1"' in text and 'href="#task=T/5"' in text


def test_big_report_size(big_run: Path, big_report: Path) -> None:
    size = big_report.stat().st_size
    raw = (big_run / "results.jsonl").stat().st_size
    print(f"164x200 report: {size / 2**20:.2f} MiB (results.jsonl {raw / 2**20:.1f} MiB)")
    assert size < 10 * 1024 * 1024, f"report is {size / 2**20:.1f} MiB"
    page = parse(big_report)
    data = json.loads(next(t for a, t in page.scripts if a.get("id") == "report-data"))
    assert len(data["grid"]["tasks"]) == 164 and sum(map(len, data["grid"]["cells"])) == 164 * 200
    # no per-sample markup: besides the page itself, one inert data element per task
    assert len(page.tags) < 1500, len(page.tags)  # vs 32,800 samples
    assert sum(1 for a, _ in page.scripts if a.get("id", "").startswith("chunk-")) == 164


def test_report_shows_coverage_gate_and_token_budget(tmp_path: Path) -> None:
    from execeval.runs.store import RunStore

    rng = Random(9)
    run = tmp_path / "run"
    run.mkdir()
    statuses = {"T/0": ["passed", "passed_undertested"], "T/1": ["failed", "passed"]}
    rows = [make_row(t, c, s, f"def f():\n    return {c}\n", rng) for t, ss in statuses.items()
            for c, s in enumerate(ss)]
    for r in rows:
        r["passed"] = r["status"] == "passed"
    (run / "results.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    summary = {"benchmark": "cov", "pass_at_k": {"base": {"pass@1": 0.5}},
               "pass_at_k_ungated": {"base": {"pass@1": 0.75}},
               "coverage": {"min_coverage": 1.0, "measured": 3, "unmeasured": 0, "unsupported": 0,
                            "passed_undertested": 1, "mean_line_coverage": 0.9, "mean_branch_coverage": 0.5,
                            "mean_coverage": 0.8}}
    (run / "summary.json").write_text(json.dumps(summary))
    store = RunStore.in_dir(run)  # as `execeval run` leaves it: each sample's token usage
    for i, (t, c) in enumerate((t, c) for t, ss in statuses.items() for c in range(len(ss))):
        store.put_generation(f"k{i}", {"task_id": t, "index": c, "text": "", "usage": {
            "prompt_tokens": 50 if c == 0 else 0, "completion_tokens": 100}})
    store.close()
    d = build_report_data(run)
    cards = {c["label"]: c for c in d["cards"]}
    assert cards["coverage of passes"]["value"] == "80.0%" and "1 undertested under 1" in cards["coverage of passes"]["sub"]
    assert cards["pass@1 without the coverage gate"]["value"] == "75.0%"
    assert [v["label"] for v in d["verdicts"]][:2] == ["passed", "passed, undertested"]
    text = render_report(run, tmp_path / "r.html").read_text()
    assert 'id="budget-chart"' in text and "125 tokens per sample on average" in text
    from execeval.report.sections.budget import budget_curve

    points, _ = budget_curve(run)
    # 125 tokens per sample in both tasks, one pass of two in each (undertested is not a pass): pass@1 = 0.5 at
    # 125 tokens, pass@2 = 1 at 250, where the samples run out
    assert points[0] == (125.0, pytest.approx(0.5)) and points[-1] == (250.0, pytest.approx(1.0))
    plain = make_run(tmp_path / "plain", 2, 2, seed=1)
    assert 'id="budget-chart"' not in render_report(plain, tmp_path / "p.html").read_text()
