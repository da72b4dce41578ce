"""HTML pieces the report sections of the protocols share: a per-round curve (inline SVG) and a dialogue.

Everything is escaped here (the dialogue is model text) and self-contained (no external loads), as the report's
Content Security Policy requires.
"""

from __future__ import annotations

import html
from collections.abc import Sequence

__all__ = ["round_curve_svg", "dialogue_html", "kv_table"]


def round_curve_svg(values: Sequence[float], *, label: str, baseline: float | None = None,
                    baseline_label: str = "") -> str:
    """Cumulative share (0..1) against round 1..R, with an optional dashed horizontal baseline."""
    w, h, left, right, top, bottom = 520, 220, 46, 16, 12, 34
    n = max(len(values), 1)

    def x(r: int) -> float:
        return left + ((r - 1) / (n - 1) if n > 1 else 0.5) * (w - left - right)

    def y(v: float) -> float:
        return top + (1 - v) * (h - top - bottom)

    parts = [f'<svg class="chart" viewBox="0 0 {w} {h}" role="img" aria-label="{html.escape(label)} by round">']
    for i in range(0, 11, 2):
        parts.append(f'<line class="grid" x1="{left}" x2="{w - right}" y1="{y(i / 10):.1f}" y2="{y(i / 10):.1f}"/>'
                     f'<text class="tick" x="{left - 6}" y="{y(i / 10) + 4:.1f}" text-anchor="end">{i * 10}%</text>')
    for r in range(1, n + 1):
        parts.append(f'<text class="tick" x="{x(r):.1f}" y="{h - bottom + 16}" text-anchor="middle">{r}</text>')
    parts.append(f'<text class="axis" x="{(left + w - right) / 2}" y="{h - 4}" text-anchor="middle">round</text>')
    if baseline is not None:
        parts.append(f'<line x1="{left}" x2="{w - right}" y1="{y(baseline):.1f}" y2="{y(baseline):.1f}" '
                     f'stroke="#8b95a7" stroke-dasharray="6 4" stroke-width="2"><title>{html.escape(baseline_label)}'
                     f' {baseline:.1%}</title></line>')
    d = " ".join(f"{'M' if i == 0 else 'L'}{x(i + 1):.1f},{y(v):.1f}" for i, v in enumerate(values))
    if values:
        parts.append(f'<path class="line" d="{d}" stroke="#2563eb" fill="none" stroke-width="2.5"/>')
    for i, v in enumerate(values):
        parts.append(f'<circle class="pt" cx="{x(i + 1):.1f}" cy="{y(v):.1f}" r="3" fill="#2563eb">'
                     f'<title>{html.escape(label)} after round {i + 1}: {v:.1%}</title></circle>')
    parts.append("</svg>")
    legend = f'<span class="key" style="color:#2563eb">━ {html.escape(label)}</span>'
    if baseline is not None:
        legend += f' <span class="key" style="color:#8b95a7">╌ {html.escape(baseline_label)} ({baseline:.1%})</span>'
    return "".join(parts) + f'<div class="legend">{legend}</div>'



def kv_table(rows: Sequence[tuple[str, str]]) -> str:
    return ('<table class="kv">' + "".join(f"<tr><th>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>"
                                           for k, v in rows) + "</table>")


def dialogue_html(title: str, turns: Sequence[dict], *, open_: bool = False) -> str:
    """One dialogue: each turn's new prompt message, the reply, and what running it said."""
    body = []
    seen = 0
    for t in turns:
        messages = t.get("messages") or []
        for m in messages[seen:]:
            if m.get("role") == "user":
                body.append(f'<div class="msg user"><b>prompt</b><pre>{html.escape(m.get("content", ""))}</pre></div>')
        seen = len(messages) + 1  # the reply follows
        body.append(f'<div class="msg model"><b>reply (round {t.get("round", "?")})</b>'
                    f'<pre>{html.escape(t.get("reply", ""))}</pre></div>')
        body.append(f'<div class="msg verdict">{html.escape(t.get("verdict", ""))}</div>')
    return (f'<details{" open" if open_ else ""}><summary>{html.escape(title)}</summary>' + "".join(body)
            + "</details>")
