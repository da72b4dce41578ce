"""The HTML report in a real headless browser (Debian's `chromium`; skipped when it is not installed).

`--dump-dom` prints the DOM after the page's scripts ran (`--virtual-time-budget` lets the asynchronous
decompression of a sample's details finish), so we can check what JavaScript drew: the grid's cell count, the
drill-down opened by a `#sample=TASK/ID` URL hash, and that the console shows no error and no blocked request.
"""

from __future__ import annotations

import html
import json
import re
import shutil
import struct
import subprocess
import time
from pathlib import Path
from random import Random

import pytest
from test_report import big_run_and_report, make_row, make_run

from execeval.report.html import render_report

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="needs Debian's chromium (apt-get install chromium)")


def chromium(tmp_path: Path, url: str, *extra: str, timeout: float = 60) -> tuple[str, str, float]:
    """Run headless chromium on `url`; (stdout, console log lines, wall seconds)."""
    profile = tmp_path / f"profile-{time.monotonic_ns()}"
    cmd = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
           "--disable-component-update", "--disable-sync", "--no-first-run", f"--user-data-dir={profile}",
           "--enable-logging=stderr", "--v=0", "--window-size=1400,1000", *extra, url]
    t0 = time.monotonic()
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
    wall = time.monotonic() - t0
    console = [line for line in proc.stderr.splitlines() if ":CONSOLE" in line]
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc.stdout, "\n".join(console), wall


def dump_dom(tmp_path: Path, page: Path, fragment: str = "", budget_ms: int = 5000) -> tuple[str, str, float]:
    return chromium(tmp_path, page.resolve().as_uri() + fragment, f"--virtual-time-budget={budget_ms}",
                    "--dump-dom")


def attr(dom: str, element_id: str, name: str) -> str | None:
    tag = re.search(r"<[a-z]+[^>]*\bid=\"" + re.escape(element_id) + r"\"[^>]*>", dom)
    assert tag, f"no element #{element_id}"
    m = re.search(r"\b" + re.escape(name) + r'="([^"]*)"', tag.group(0))
    return html.unescape(m.group(1)) if m else None


def inner(dom: str, element_id: str) -> str:
    """The markup from the opening tag of #element_id to the end of the document (enough for `in` checks)."""
    i = dom.index(f'id="{element_id}"')
    return dom[i:]


def assert_clean_console(console: str) -> None:
    assert "Uncaught" not in console, console
    assert "Content Security Policy" not in console, console  # nothing tried to load from anywhere


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


@pytest.fixture(scope="module")
def small_report(tmp_path_factory) -> tuple[Path, Path]:
    base = tmp_path_factory.mktemp("browser-small")
    run = make_run(base / "run", 20, 5, seed=4, benchmark="demo-sized")
    return run, render_report(run, base / "report.html")


def test_summary_grid_and_drilldown(small_report: tuple[Path, Path], tmp_path: Path) -> None:
    run, report = small_report
    rows = [json.loads(line) for line in (run / "results.jsonl").read_text().splitlines()]
    target = [r for r in rows if r["status"] == "failed"][-1]  # a wrong answer: expected vs actual
    tid, cid = target["task_id"], target["completion_id"]
    dom, console, _ = dump_dom(tmp_path, report, f"#sample={tid}/{cid}")
    assert_clean_console(console)
    assert attr(dom, "summary", "aria-label") == "summary"
    assert "pass@1" in inner(dom, "summary")[:3000]
    assert attr(dom, "grid", "data-ready") is None and 'data-ready="1"' in dom[:400]
    assert attr(dom, "grid", "data-cells") == "100" and attr(dom, "grid", "data-rows") == "20"
    assert attr(dom, "grid", "data-cols") == "5"
    # the drill-down opened from the URL hash, with the sample's program and its failure
    assert attr(dom, "drawer", "hidden") is None
    assert attr(dom, "drawer", "data-loaded") == f"{tid}/{cid}"
    body = inner(dom, "drawer-body")
    first_line = target["program"].splitlines()[3]  # the def line
    assert html.escape(first_line.split("(")[0].replace("def ", ""), quote=False) in body
    assert 'id="program"' in body and 'id="failure"' in body
    expected = target["first_failure"].split(": expected ")[1].split(", got ")[0]
    assert "Expected vs actual" in body and html.escape(expected, quote=False) in body


def test_task_hash_and_unknown_sample(small_report: tuple[Path, Path], tmp_path: Path) -> None:
    _, report = small_report
    dom, console, _ = dump_dom(tmp_path, report, "#task=Synth/2")
    assert_clean_console(console)
    assert attr(dom, "drawer", "data-loaded") == "Synth/2"
    strip = inner(dom, "drawer-body").split('class="samples">', 1)[1].split("</div>", 1)[0]
    assert strip.count('href="#sample=Synth/2/') == 5  # one link per sample of the task
    dom, console, _ = dump_dom(tmp_path, report, "#sample=Nope/1")
    assert_clean_console(console)
    assert "no task Nope" in inner(dom, "drawer-title")[:300]


def test_comparison_drilldown_shows_baseline(tmp_path: Path) -> None:
    rng = Random(1)
    a, b = tmp_path / "a", tmp_path / "b"
    rows_a = [make_row(f"T/{t}", 0, "passed", f"def f():\n    return {t}  # baseline\n", rng) for t in range(8)]
    rows_b = [make_row(f"T/{t}", 0, "failed" if t == 3 else "passed", f"def f():\n    return -{t}\n", rng)
              for t in range(8)]
    for d, rows in ((a, rows_a), (b, rows_b)):
        d.mkdir()
        (d / "results.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    report = render_report(b, tmp_path / "cmp.html", compare_dir=a, n_resamples=500)
    dom, console, _ = dump_dom(tmp_path, report, "#task=T/3")
    assert_clean_console(console)
    assert attr(dom, "drawer", "data-loaded") == "T/3/0"  # one sample per task: the task opens its sample
    body = inner(dom, "drawer-body")
    assert "negative flip" in body and "# baseline" in body  # the baseline's own program, side by side
    assert "Negative flips" in inner(dom, "comparison")[:4000]


def test_compatibility_heat_map_of_three_runs(tmp_path: Path) -> None:
    """`report RUN --with OLD --with OLDER`: the heat map is drawn, every ordered pair a cell, flips colored."""
    rng = Random(2)
    fails = {"v1": {1, 2}, "v2": {3}, "v3": {1, 4, 5}}  # v1 -> v3: task 4 and 5 flip (2 of 8 tasks)
    dirs = []
    for name, bad in fails.items():
        d = tmp_path / name
        d.mkdir()
        rows = [make_row(f"T/{t}", 0, "failed" if t in bad else "passed", f"def f():\n    return {t}\n", rng)
                for t in range(8)]
        (d / "results.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
        dirs.append(d)
    report = render_report(dirs[-1], tmp_path / "heat.html", with_runs=dirs[:-1])
    dom, console, _ = dump_dom(tmp_path, report)
    assert_clean_console(console)
    heat = inner(dom, "compat-heatmap")
    heat = heat[:heat.index("</svg>")]
    assert heat.count('class="hm-cell"') == 9
    assert "NFR 25.0%" in heat  # from v1 to v3: tasks 4 and 5 of 8
    assert "pass@1 62.5%" in heat and "keeps 66.7%" in heat  # v3 keeps 4 of v1's 6 passes
    png = tmp_path / "heat.png"
    chromium(tmp_path, report.resolve().as_uri() + "#compatibility", "--virtual-time-budget=3000",
             f"--screenshot={png}")
    assert png.stat().st_size > 30_000


def test_screenshot(small_report: tuple[Path, Path], tmp_path: Path) -> None:
    _, report = small_report
    png = tmp_path / "shot.png"
    _, console, _ = chromium(tmp_path, report.resolve().as_uri(), "--virtual-time-budget=3000",
                             f"--screenshot={png}")
    assert_clean_console(console)
    assert png_size(png) == (1400, 1000)
    assert png.stat().st_size > 30_000  # a rendered page, not a blank one


def test_big_report_loads(tmp_path_factory, tmp_path: Path) -> None:
    """164 x 200: the grid draws every cell, and a sample's details decode on demand. Load time is printed."""
    _, report = big_run_and_report(tmp_path_factory.getbasetemp())
    dom, console, wall = chromium(tmp_path, report.resolve().as_uri(), "--dump-dom")
    assert_clean_console(console)
    assert attr(dom, "grid", "data-cells") == str(164 * 200) and attr(dom, "grid", "data-rows") == "164"
    ready_ms = float(re.search(r'data-ready-ms="([\d.]+)"', dom[:500]).group(1))
    script_ms = float(re.search(r'data-script-ms="([\d.]+)"', dom[:500]).group(1))
    print(f"\n164x200 report ({report.stat().st_size / 2**20:.2f} MiB): grid drawn {ready_ms:.0f} ms after "
          f"navigation start (script {script_ms:.0f} ms); whole chromium run {wall:.2f} s")
    dom, console, _ = dump_dom(tmp_path, report, "#sample=Synth/163/199")
    assert_clean_console(console)
    assert attr(dom, "drawer", "data-loaded") == "Synth/163/199"
    assert 'id="program"' in inner(dom, "drawer-body")
