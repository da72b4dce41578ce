"""The compatibility heat map: this run and the runs given with `execeval report RUN --with OLDER ...`, every
ordered pair (`execeval.compare.compare_many`): negative flip rate from the row's run to the column's, colored,
and how much of the row's passes the column keeps. Inline SVG, so the page stays self-contained."""

from __future__ import annotations

import html
from pathlib import Path

from markupsafe import Markup

from execeval.report.sections import Section

_CELL, _LEFT, _TOP = 116, 150, 40


def _pct(v: float | None) -> str:
    return "—" if v is None else f"{v * 100:.1f}%"


def _colour(nfr: float, worst: float) -> str:
    """White (no flip) to red (the worst pair's rate); alpha keeps it readable in the dark theme too."""
    share = nfr / worst if worst else 0.0
    return f"rgba(220, 38, 38, {0.08 + 0.8 * share:.3f})" if nfr else "rgba(148, 163, 184, 0.10)"


def heat_map_svg(many: dict) -> str:
    names, nfr, compat, p1 = many["names"], many["negative_flip_rate"], many["compatibility"], many["pass_at_1"]
    n = len(names)
    worst = max((v for row in nfr for v in row if v is not None), default=0.0)
    w, h = _LEFT + n * _CELL + 8, _TOP + n * _CELL + 8
    esc = html.escape
    parts = [f'<svg class="chart heatmap" id="compat-heatmap" viewBox="0 0 {w} {h}" width="{w}" role="img" '
             f'aria-label="negative flip rate for every ordered pair of runs">']
    for j, name in enumerate(names):
        parts.append(f'<text class="tick" x="{_LEFT + j * _CELL + _CELL / 2}" y="{_TOP - 10}" text-anchor="middle">'
                     f'to {esc(name[-14:])}</text>')
    for i, name in enumerate(names):
        y = _TOP + i * _CELL
        parts.append(f'<text class="tick" x="{_LEFT - 8}" y="{y + _CELL / 2 + 4}" text-anchor="end">from '
                     f'{esc(name[-14:])}</text>')
        for j in range(n):
            x = _LEFT + j * _CELL
            if i == j:
                fill, top, bottom = "rgba(37, 99, 235, 0.10)", f"pass@1 {_pct(p1[i])}", ""
                tip = f"{name}: pass@1 {_pct(p1[i])}"
            else:
                fill, top, bottom = _colour(nfr[i][j], worst), f"NFR {_pct(nfr[i][j])}", f"keeps {_pct(compat[j][i])}"
                tip = (f"from {name} to {names[j]}: negative flip rate {_pct(nfr[i][j])}; {names[j]} passes "
                       f"{_pct(compat[j][i])} of what {name} passed")
            parts.append(f'<g class="hm-cell" data-i="{i}" data-j="{j}"><rect x="{x}" y="{y}" width="{_CELL - 4}" '
                         f'height="{_CELL - 4}" rx="6" fill="{fill}"><title>{esc(tip)}</title></rect>'
                         f'<text x="{x + _CELL / 2 - 2}" y="{y + _CELL / 2 - 4}" text-anchor="middle" '
                         f'class="hm-main">{esc(top)}</text>'
                         f'<text x="{x + _CELL / 2 - 2}" y="{y + _CELL / 2 + 14}" text-anchor="middle" '
                         f'class="hm-sub">{esc(bottom)}</text></g>')
    parts.append("</svg>")
    return "".join(parts)


def section(run_dir: Path, data: dict) -> Section | None:
    many = data.get("matrix")
    if not many:
        return None
    ac, am = many["average_compatibility"], many["average_multimodel_accuracy"]
    note = (f'<p class="note">{len(many["names"])} runs over {many["n_tasks"]} tasks ({html.escape(many["variant"])} '
            f"tests), oldest first. Each cell: negative flip rate (tasks the row's run passed and the column's "
            f"failed, over all tasks) and the share of the row's passes the column keeps. Average compatibility "
            f"{_pct(ac)}, average multi-model accuracy {_pct(am)}.</p>")
    return Section("compatibility", "Compatibility across runs", Markup(heat_map_svg(many) + note), order=50)
