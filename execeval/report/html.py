"""`execeval report RUN_DIR`: one self-contained HTML file for a run (optionally against a baseline run).

The page makes no network request at all: CSS, JavaScript and charts (SVG) are inline, and a Content Security
Policy (`default-src 'none'`) forbids the browser from fetching anything even if some text tried to.

It stays light for large runs (164 tasks x 200 samples and more):

* the task x sample grid is drawn on one <canvas> from one status letter per sample (a few tens of kB);
* each sample's details (program, failing test, expected vs actual, stderr/stdout tails, timings) are NOT in the
  DOM: they are stored per task as JSON -> gzip -> base64 in an inert <script type="application/x-gzip-base64">
  element, with identical programs stored once per task, and decoded with the browser's DecompressionStream
  only when a sample is opened (click a cell, or a URL hash like `#sample=HumanEval/0/17`).

What the page shows is described in docs/report.md.
"""

from __future__ import annotations

import base64
import gzip
import json
import os
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from execeval.compare import compare_many, compare_runs, read_rows
from execeval.runs.files import atomic_write, read_summary
from execeval.errors import UsageError
from execeval.report.passk_chart import BLUE, GREEN, GREY, fmt_pct, pass_at_k_curve, passk_svg
from execeval.report.sections import collect as collect_sections
from execeval.evaluation.executor import time_limited_note
from execeval.evaluation.verdict import (ERROR, FAILED, KILLED, MEMORY_LIMIT, OUTPUT_LIMIT, PASSED, PASSED_UNDERTESTED,
                              SANDBOX_ERROR, SYNTAX_ERROR, TIMEOUT)
from execeval.evaluation.verdict import STATUS_INFO as VERDICT_STATUSES

__all__ = ["STATUS_CODES", "build_report_data", "render_report"]

TEMPLATES = Path(__file__).resolve().parent / "templates"

# One letter per sample status in the grid (from execeval.evaluation.verdict.STATUS_INFO, the one list of statuses); "b" is a
# sample that passed the base tests but failed the plus tests, "u" a status this version does not know.
STATUS_CODES = {name: info.code for name, info in VERDICT_STATUSES.items()}
BASE_ONLY = "b"
UNKNOWN = "u"
_COLOURS = {PASSED: "#1f9d55", PASSED_UNDERTESTED: "#a3c94f", FAILED: "#e5484d", ERROR: "#f76b15",
            SYNTAX_ERROR: "#8e4ec6", TIMEOUT: "#f5b90a", MEMORY_LIMIT: "#b5651d", OUTPUT_LIMIT: "#978365",
            KILLED: "#7c2d12", SANDBOX_ERROR: "#64748b"}
# code -> (label, colour, what it means); the order is the legend's order.
STATUS_INFO: dict[str, tuple[str, str, str]] = {
    STATUS_CODES[PASSED]: (VERDICT_STATUSES[PASSED].label, _COLOURS[PASSED], VERDICT_STATUSES[PASSED].meaning),
    BASE_ONLY: ("base only", "#8fd19e", "passed the base tests, failed the plus tests"),
    **{info.code: (info.label, _COLOURS.get(name, "#94a3b8"), info.meaning)
       for name, info in VERDICT_STATUSES.items() if name != PASSED},
    UNKNOWN: ("other", "#94a3b8", "unknown status"),
}


def _code(row: dict) -> str:
    status = row.get("status") or ("passed" if row.get("passed") else "failed")
    if row.get("passed") and row.get("plus_passed") is False:
        return BASE_ONLY
    return STATUS_CODES.get(status, UNKNOWN)


def _sort_key(cid: Any) -> tuple:
    return (0, cid, "") if isinstance(cid, (int, float)) else (1, 0, str(cid))


def _group(rows: list[dict]) -> dict[str, list[dict]]:
    """Rows per task, tasks in results.jsonl order, samples by completion id."""
    tasks: dict[str, list[dict]] = {}
    for r in rows:
        tasks.setdefault(r["task_id"], []).append(r)
    for samples in tasks.values():
        samples.sort(key=lambda r: _sort_key(r.get("completion_id", 0)))
    return tasks


def _pack(samples: list[dict]) -> str:
    """One task's sample details: compact JSON (programs stored once) -> gzip -> base64."""
    programs: dict[str, int] = {}
    recs = []
    for r in samples:
        prog = r.get("program") or ""
        idx = programs.setdefault(prog, len(programs))
        rec: dict[str, Any] = {"i": r.get("completion_id", 0), "p": idx, "s": r.get("status") or "",
                               "ok": bool(r.get("passed"))}
        optional = {"pp": r.get("plus_passed"), "tp": r.get("tests_passed"), "tt": r.get("tests_total"),
                    "et": r.get("error_type"), "ff": r.get("first_failure"), "d": r.get("detail"),
                    "w": r.get("wall_s"), "c": r.get("cpu_s"), "m": r.get("peak_memory_mb"),
                    "so": r.get("stdout_tail"), "se": r.get("stderr_tail"), "src": r.get("source"),
                    "x": r.get("executable")}
        rec.update({k: v for k, v in optional.items() if v not in (None, "")})
        recs.append(rec)
    try:
        data = json.dumps({"p": list(programs), "s": recs}, separators=(",", ":"), ensure_ascii=False).encode()
    except UnicodeEncodeError:  # a sample's or a job's text with lone surrogates: JSON's \uXXXX escapes keep them
        data = json.dumps({"p": list(programs), "s": recs}, separators=(",", ":")).encode()
    return base64.b64encode(gzip.compress(data, compresslevel=9, mtime=0)).decode("ascii")


# ------------------------------------------------------------------------------------------------- page data

def _warnings(summary: dict, counts: Counter) -> list[str]:
    out = []
    iso = summary.get("isolation") or {}
    if iso.get("level") and iso["level"] != "full":
        missing = [n for n, p in (iso.get("primitives") or {}).items() if not p.get("active")]
        out.append("partial sandbox isolation; missing: " + ", ".join(missing))
    if counts.get(SANDBOX_ERROR):
        out.append(f"{counts[SANDBOX_ERROR]} sample(s) hit a sandbox error (the harness's fault): left out of "
                   "every metric; run the same evaluate command again to retry them")
    ref = summary.get("reference_failures") or {}
    if ref:
        out.append(f"{len(ref)} task(s) whose reference solution fails its own tests: " + ", ".join(list(ref)[:8]))
    for key, what in (("unknown_task_ids", "sample task id(s) matched no task"),
                      ("tasks_without_samples", "task(s) had no samples"),
                      ("bad_lines", "unreadable sample line(s) skipped"),
                      ("duplicate_samples", "duplicate sample(s) dropped")):
        vals = summary.get(key) or []
        if vals:
            out.append(f"{len(vals)} {what}")
    for k, why in (summary.get("pass_at_k_skipped") or {}).items():
        out.append(f"{k} not reported: {why}")
    return out


def _settings(summary: dict, run_dir: Path) -> list[tuple[str, str]]:
    s = summary.get("settings") or {}
    rows = [("run directory", str(run_dir))]
    for key, label in (("benchmark", "benchmark"), ("tasks_source", "task file"), ("tasks_sha256", "task file sha256"),
                       ("samples_source", "samples"), ("samples_format", "samples format"),
                       ("execeval_version", "execeval version"), ("created", "created (UTC)")):
        if summary.get(key) not in (None, ""):
            rows.append((label, str(summary[key])))
    for key, label, unit in (("k", "k", ""), ("plus", "plus tests", ""), ("all_tests", "run every test", ""),
                             ("split", "split", ""), ("timeout_floor_s", "CPU time floor per base test (reference machine)", " s"),
                             ("plus_timeout_floor_s", "CPU time floor per plus test (reference machine)", " s"),
                             ("machine_speed", "machine speed (CPU time per reference-machine second)", ""),
                             ("timeout_floor_cpu_s", "CPU time floor per base test (this machine)", " s"),
                             ("time_factor", "time factor × reference", ""), ("memory_mb", "memory limit", " MB"),
                             ("workers", "workers", "")):
        if key in s:
            v = s[key]
            v = ", ".join(map(str, v)) if isinstance(v, list) else ("yes" if v is True else "no" if v is False else v)
            rows.append((label, f"{v}{unit}"))
    jobs = summary.get("jobs") or {}
    if jobs:
        rows.append(("jobs", (f"{jobs.get('executed', 0)} run, {jobs.get('from_store', 0)} from the store, "
                              f"{jobs.get('distinct_programs', '?')} distinct programs, "
                              f"{jobs.get('flaky', 0)} of {jobs.get('timeouts_rerun', 0)} re-run timeouts changed")))
        limited = time_limited_note(jobs)
        if limited:
            rows.append(("time limits", limited))
    if summary.get("elapsed_s") is not None:
        rows.append(("elapsed", f"{summary['elapsed_s']:.1f} s"))
    return rows


def _cards(summary: dict, tasks: dict[str, list[dict]], rows: list[dict], has_plus: bool,
           curves: dict[str, list[tuple[int, float]]]) -> list[dict]:
    cards = []
    pak = summary.get("pass_at_k") or {}
    base = pak.get("base") or {}
    plus = pak.get("plus") or {}
    if not base and curves.get("base"):  # no summary.json: from the results themselves
        base = {"pass@1": curves["base"][0][1]}
        if has_plus and curves.get("plus"):
            plus = {"pass@1": curves["plus"][0][1]}
    for key, v in base.items():
        if v is None:
            continue
        sub = f"plus {fmt_pct(plus[key])}" if has_plus and plus.get(key) is not None else ""
        cards.append({"label": key, "value": fmt_pct(v), "sub": sub, "accent": key == "pass@1"})
    n_ok = [r for r in rows if r.get("status") != SANDBOX_ERROR]
    ratio = summary.get("pass_ratio")
    if ratio is None and n_ok:
        ratio = sum((r.get("pass_ratio") or 0.0) for r in n_ok) / len(n_ok)
    if ratio is not None:
        cards.append({"label": "pass ratio", "value": fmt_pct(ratio), "sub": "mean share of tests passed",
                      "accent": False})
    exe = summary.get("executability")
    if exe is None and n_ok:
        exe = sum(1 for r in n_ok if r.get("executable")) / len(n_ok)
    if exe is not None:
        cards.append({"label": "executability", "value": fmt_pct(exe), "sub": "ran without error",
                      "accent": False})
    cov = summary.get("coverage") or {}
    if cov.get("mean_coverage") is not None:
        gated = f"; {cov['passed_undertested']} undertested under {cov['min_coverage']:g}" \
            if cov.get("min_coverage") is not None else ""
        cards.append({"label": "coverage of passes", "value": fmt_pct(cov["mean_coverage"]),
                      "sub": f"lines {fmt_pct(cov['mean_line_coverage'])} · branches "
                             f"{fmt_pct(cov['mean_branch_coverage'])}{gated}", "accent": False})
    ungated = (summary.get("pass_at_k_ungated") or {}).get("base", {}).get("pass@1")
    if ungated is not None:
        cards.append({"label": "pass@1 without the coverage gate", "value": fmt_pct(ungated),
                      "sub": "undertested passes counted as passes", "accent": False})
    ns = [len(s) for s in tasks.values()]
    per = str(ns[0]) if min(ns) == max(ns) else f"{min(ns)}–{max(ns)}"
    cards.append({"label": "samples", "value": f"{len(rows):,}", "sub": f"{len(tasks)} tasks × {per}",
                  "accent": False})
    return cards


def build_report_data(run_dir: str | os.PathLike, compare_dir: str | os.PathLike | None = None, *,
                      variant: str = "auto", seed: int = 0, n_resamples: int = 10_000,
                      with_runs: Sequence[str | os.PathLike] = ()) -> dict:
    """Everything the template needs (also handy to test the page's numbers without parsing HTML).

    `with_runs`: older runs of the same tasks, oldest first; the page gets their compatibility heat map with this
    run (`execeval.compare.compare_many`, drawn by `execeval.report.sections.compatibility`)."""
    run_dir = Path(run_dir)
    rows = read_rows(run_dir)
    summary = read_summary(run_dir)
    tasks = _group(rows)
    task_ids = list(tasks)
    has_plus = any(r.get("plus_passed") is not None for r in rows)
    grid = _grid(tasks)
    curves = {"base": pass_at_k_curve(tasks, plus=False)}
    if has_plus:
        curves["plus"] = pass_at_k_curve(tasks, plus=True)
    series = [("this run" if not has_plus else "this run, base", curves["base"], BLUE)]
    if has_plus:
        series.append(("this run, base + plus", curves["plus"], GREEN))

    comparison = None
    baseline_chunks: dict[str, str] = {}
    if compare_dir is not None:
        compare_dir = Path(compare_dir)
        comparison = compare_runs(compare_dir, run_dir, variant=variant, seed=seed, n_resamples=n_resamples)
        series, grid["cmp"], baseline_chunks = _against_baseline(compare_dir, comparison, task_ids, curves, has_plus)

    chart_series = [s for s in series if s[1]]
    chart = passk_svg(chart_series) if chart_series and max(len(s[1]) for s in chart_series) > 1 else None
    top_reg, top_imp = _top_changes(comparison, task_ids)
    return {
        "title": summary.get("benchmark") or run_dir.name,
        "run_dir": str(run_dir),
        "summary": summary,
        "has_summary": bool(summary),
        "has_plus": has_plus,
        "n_tasks": len(tasks),
        "n_samples": len(rows),
        "min_n": min(len(s) for s in tasks.values()),
        "cards": _cards(summary, tasks, rows, has_plus, curves),
        "warnings": _warnings(summary, Counter(r.get("status") or "unknown" for r in rows)),
        "settings": _settings(summary, run_dir),
        "isolation": summary.get("isolation") or {},
        "passk_svg": chart,
        "passk_points": {name: pts for name, pts, _ in chart_series},
        "verdicts": _verdicts(grid["cells"], len(rows)),
        "error_types": Counter(r.get("error_type") for r in rows
                               if r.get("error_type") and not r.get("passed")).most_common(12),
        "slowest": _slowest(tasks)[:10],
        "grid": grid,
        "status_info": {c: {"label": lab, "colour": col, "meaning": m} for c, (lab, col, m) in STATUS_INFO.items()},
        "chunks": [_pack(samples) for samples in tasks.values()],
        "baseline_chunks": baseline_chunks,
        "comparison": comparison,
        "top_regressions": top_reg,
        "top_improvements": top_imp,
        "compare_dir": str(compare_dir) if compare_dir is not None else None,
        "matrix": compare_many([*with_runs, run_dir], variant=variant) if with_runs else None,
    }


def _grid(tasks: dict[str, list[dict]]) -> dict[str, Any]:
    """The task x sample grid the page draws: one status letter per sample, the completion ids only when they are
    not 0..n-1, and each task's total wall time (for the "slowest" sort)."""
    cells = ["".join(_code(r) for r in samples) for samples in tasks.values()]
    ids: list[list[Any] | None] = []
    for samples in tasks.values():
        cids = [r.get("completion_id", 0) for r in samples]
        ids.append(None if cids == list(range(len(cids))) else cids)
    grid: dict[str, Any] = {"tasks": list(tasks), "cells": cells}
    if any(i is not None for i in ids):
        grid["ids"] = ids
    grid["wall"] = [round(sum(r.get("wall_s") or 0.0 for r in s), 3) for s in tasks.values()]
    return grid


def _against_baseline(compare_dir: Path, comparison: dict, task_ids: list[str],
                      curves: dict[str, list[tuple[int, float]]], has_plus: bool,
                      ) -> tuple[list[tuple[str, list[tuple[int, float]], tuple[str, str]]], dict, dict[str, str]]:
    """What the baseline adds to the page: the chart's series (this run against the baseline, like with like),
    the grid's per-task flips and changes, and, with one sample per task, the baseline's sample of each flipped
    task (for side-by-side)."""
    base_tasks = _group(read_rows(compare_dir))
    plus_cmp = comparison["variant"] == "plus"
    base_curve = pass_at_k_curve(base_tasks, plus=plus_cmp)
    if plus_cmp and has_plus:  # show like with like: this run's plus curve against the baseline's
        series = [("this run, base + plus", curves["plus"], BLUE), ("baseline, base + plus", base_curve, GREY)]
    else:
        series = [("this run", curves["base"], BLUE), ("baseline", base_curve, GREY)]
    tinfo = comparison["tasks"]
    grid_cmp = {
        "flip": [(tinfo[t]["flip"] or "")[:1] for t in task_ids],
        "a": [[tinfo[t]["c_a"], tinfo[t]["n_a"]] for t in task_ids],
        "change": [round(tinfo[t]["change"], 6) for t in task_ids],
    }
    baseline_chunks = {}
    if comparison["single_sample"]:
        baseline_chunks = {t: _pack(base_tasks[t]) for t in task_ids if tinfo[t]["flip"]}
    return series, grid_cmp, baseline_chunks


def _slowest(tasks: dict[str, list[dict]]) -> list[dict]:
    """Tasks by total wall time over their samples, slowest first, with each one's worst sample."""
    slow = []
    for t, samples in tasks.items():
        walls = [r.get("wall_s") or 0.0 for r in samples]
        worst = max(samples, key=lambda r: r.get("wall_s") or 0.0)
        slow.append({"task": t, "total": sum(walls), "mean": sum(walls) / len(walls), "max": max(walls),
                     "max_cpu": max((r.get("cpu_s") or 0.0) for r in samples),
                     "timeouts": sum(1 for r in samples if r.get("status") == TIMEOUT),
                     "worst": worst.get("completion_id", 0), "worst_code": _code(worst)})
    slow.sort(key=lambda s: -s["total"])
    return slow


def _verdicts(cells: list[str], total: int) -> list[dict]:
    """The verdict legend: every status letter the grid uses, in the legend's order, with its count and share."""
    seen_codes: Counter = Counter(c for row in cells for c in row)
    return [{"code": code, "label": label, "colour": colour, "meaning": meaning,
             "count": seen_codes[code], "share": seen_codes[code] / total}
            for code, (label, colour, meaning) in STATUS_INFO.items() if seen_codes.get(code)]


def _top_changes(comparison: dict | None, task_ids: list[str]) -> tuple[list[tuple[str, float]],
                                                                          list[tuple[str, float]]]:
    """The 12 largest regressions and the 12 largest improvements against the baseline (none without one)."""
    if comparison is None:
        return [], []
    changes = [(t, comparison["tasks"][t]["change"]) for t in task_ids]
    top_reg = sorted((x for x in changes if x[1] < 0), key=lambda x: x[1])[:12]
    top_imp = sorted((x for x in changes if x[1] > 0), key=lambda x: -x[1])[:12]
    return top_reg, top_imp


def _script_json(data: Any) -> str:
    """JSON safe to put inside a <script> element (no '</script>', no '<!--')."""
    text = json.dumps(data, separators=(",", ":"), ensure_ascii=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026") \
        .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


def render_report(run_dir: str | os.PathLike, out_path: str | os.PathLike | None = None, *,
                  compare_dir: str | os.PathLike | None = None, variant: str = "auto", seed: int = 0,
                  n_resamples: int = 10_000, with_runs: Sequence[str | os.PathLike] = ()) -> Path:
    """Write the run's report as one self-contained HTML file and return its path.

    out_path defaults to RUN_DIR/report.html. With compare_dir (a baseline run over the same tasks) the page also
    shows the comparison (`execeval.compare.compare_runs(compare_dir, run_dir)`) and highlights flipped tasks.
    """
    try:
        import jinja2
    except ImportError as e:  # pragma: no cover - jinja2 is a dependency
        raise UsageError("the HTML report needs jinja2", hint="pip install jinja2") from e
    from markupsafe import Markup

    data = build_report_data(run_dir, compare_dir, variant=variant, seed=seed, n_resamples=n_resamples,
                             with_runs=with_runs)
    out = Path(out_path) if out_path is not None else Path(run_dir) / "report.html"
    if out.is_dir():
        out = out / "report.html"
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES)), autoescape=True,
                             trim_blocks=True, lstrip_blocks=True, undefined=jinja2.StrictUndefined)
    env.filters["pct"] = lambda v, signed=False: "—" if v is None else (
        f"{v * 100:+.1f}%" if signed else f"{v * 100:.1f}%")
    env.filters["pts"] = lambda v: "—" if v is None else f"{v * 100:+.1f} pts".replace("-", "−")
    env.filters["secs"] = lambda v: f"{v:.2f} s" if v >= 0.1 else f"{v * 1000:.0f} ms"
    page_data = {k: data[k] for k in ("grid", "status_info", "n_tasks", "n_samples", "has_plus")}
    page_data["status_codes"] = STATUS_CODES
    page_data["comparison"] = None
    if data["comparison"] is not None:
        c = data["comparison"]
        page_data["comparison"] = {"single_sample": c["single_sample"], "variant": c["variant"],
                                   "run_a": c["run_a"], "baseline": sorted(data["baseline_chunks"])}
    text = env.get_template("report.html.j2").render(
        d=data,
        css=Markup((TEMPLATES / "report.css").read_text(encoding="utf-8")),
        js=Markup((TEMPLATES / "report.js").read_text(encoding="utf-8")),
        page_json=Markup(_script_json(page_data)),
        passk_svg=Markup(data["passk_svg"]) if data["passk_svg"] else None,
        sections=collect_sections(Path(run_dir), data),
    )
    atomic_write(out, text)
    return out
