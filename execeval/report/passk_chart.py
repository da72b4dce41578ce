"""The report's pass@k curve: mean unbiased pass@k for every k a run's samples allow, drawn as an inline SVG
line chart (this run, its plus tests, a baseline), so the page needs no charting library and no network."""

from __future__ import annotations

import html
import math

from execeval.evaluation.verdict import SANDBOX_ERROR
from execeval.metrics import mean_pass_at_k

__all__ = ["BLUE", "GREEN", "GREY", "fmt_pct", "pass_at_k_curve", "passk_svg"]


def _outcome(row: dict, plus: bool) -> bool:
    if plus and row.get("plus_passed") is not None:
        return bool(row["plus_passed"])
    return bool(row.get("passed"))


def pass_at_k_curve(tasks: dict[str, list[dict]], plus: bool) -> list[tuple[int, float]]:
    """Mean unbiased pass@k for every k from 1 to the fewest samples any task has (sandbox errors left out)."""
    counts = []
    for samples in tasks.values():
        kept = [r for r in samples if r.get("status") != SANDBOX_ERROR]
        if kept:
            counts.append((len(kept), sum(_outcome(r, plus) for r in kept)))
    if not counts:
        return []
    min_n = min(n for n, _ in counts)
    ks = list(range(1, min_n + 1))
    if min_n > 400:  # enough points for a smooth curve
        ks = sorted({1, min_n, *(round(math.exp(i * math.log(min_n) / 300)) for i in range(301))})
    values = mean_pass_at_k(counts, ks).values
    return [(k, values[k]) for k in ks]


# series styles: this run (base), this run (plus), the baseline
BLUE, GREEN, GREY = ("#2563eb", ""), ("#16a34a", ""), ("#8b95a7", "6 4")


def fmt_pct(v: float) -> str:
    """A share as the page shows it (one decimal), in the chart's tooltips and the summary cards alike."""
    return f"{v * 100:.1f}%"


def passk_svg(series: list[tuple[str, list[tuple[int, float]], tuple[str, str]]]) -> str:
    """A line chart of pass@k against k (log-scaled k when there are many samples)."""
    w, h = 560, 250
    left, right, top, bottom = 48, 16, 14, 36
    max_k = max(k for _, pts, _ in series for k, _ in pts)
    log = max_k > 12
    lo_v = 0.0

    def x(k: float) -> float:
        span = math.log(max_k) if log else (max_k - 1)
        frac = (math.log(k) if log else (k - 1)) / span if span else 0.5
        return left + frac * (w - left - right)

    def y(v: float) -> float:
        return top + (1 - (v - lo_v)) * (h - top - bottom)

    parts = [(f'<svg class="chart" viewBox="0 0 {w} {h}" role="img" aria-label="pass@k curve" '
              f'preserveAspectRatio="xMidYMid meet">')]
    for i in range(0, 11, 2):
        v = i / 10
        parts.append(f'<line class="grid" x1="{left}" x2="{w - right}" y1="{y(v):.1f}" y2="{y(v):.1f}"/>'
                     f'<text class="tick" x="{left - 6}" y="{y(v) + 4:.1f}" text-anchor="end">{i * 10}%</text>')
    if log:
        ticks = [t for t in (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000) if t <= max_k]
        if max_k not in ticks and max_k / ticks[-1] > 1.5:
            ticks.append(max_k)
    else:
        step = 1 if max_k <= 12 else 5
        ticks = list(range(1, max_k + 1, step))
    for t in ticks:
        parts.append(f'<line class="grid v" x1="{x(t):.1f}" x2="{x(t):.1f}" y1="{top}" y2="{h - bottom}"/>'
                     f'<text class="tick" x="{x(t):.1f}" y="{h - bottom + 16}" text-anchor="middle">{t}</text>')
    parts.append(f'<text class="axis" x="{(left + w - right) / 2}" y="{h - 4}" text-anchor="middle">'
                 f'k (samples drawn{", log scale" if log else ""})</text>')
    for label, pts, (colour, dash) in series:
        d = " ".join(f"{'M' if i == 0 else 'L'}{x(k):.1f},{y(v):.1f}" for i, (k, v) in enumerate(pts))
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        parts.append(f'<path class="line" d="{d}" stroke="{colour}"{dash_attr}><title>{html.escape(label)}</title>'
                     f'</path>')
        marked = set(ticks) | {pts[-1][0]}  # dots at the labelled ks (every k when there are few)
        for k, v in pts:
            if k in marked:
                parts.append(f'<circle class="pt" cx="{x(k):.1f}" cy="{y(v):.1f}" r="3" fill="{colour}">'
                             f'<title>{html.escape(label)} pass@{k} = {fmt_pct(v)}</title></circle>')
    parts.append("</svg>")
    legend = "".join(
        f'<span class="key"><svg width="24" height="10" aria-hidden="true"><line x1="1" x2="23" y1="5" y2="5" '
        f'stroke="{colour}" stroke-width="2.5"' + (f' stroke-dasharray="{dash}"' if dash else "")
        + f'/></svg>{html.escape(label)}</span>'
        for label, _, (colour, dash) in series)
    return "".join(parts) + f'<div class="legend">{legend}</div>'
