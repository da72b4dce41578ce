"""Extra report sections: views a protocol adds to a run's page (a per-round curve, a dialogue, a heat map).

The extension point is one function per module of this package:

    def section(run_dir: Path, data: dict) -> Section | None

`data` is what `build_report_data` computed for the page; return None when the run has nothing for this
section (most runs have no dialogue). A section's HTML is made by the module (jinja2 templates of its own, or
inline SVG) and must be self-contained: the page's Content Security Policy forbids loading anything, and scripts
other than the report's own do not run.
"""

from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass
from pathlib import Path

from markupsafe import Markup


@dataclass(frozen=True)
class Section:
    id: str  # the HTML id (the page's `#anchor`)
    title: str
    html: Markup  # already escaped where it holds data
    order: int = 100  # sections are shown by (order, id)


def collect(run_dir: Path, data: dict) -> list[Section]:
    """Every section some module of this package has for the run, in display order."""
    found = []
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        made = module.section(run_dir, data)
        if made is not None:
            found.append(made)
    return sorted(found, key=lambda s: (s.order, s.id))
