"""The interpreter's own trees (its prefixes): what a job may read of the machine's Python, and where the fork
server finds site-packages. One test for "inside them", used by the harness (which passes the server its
site-packages) and by the server's isolation (which exposes those trees to jobs and nothing else on sys.path)."""

from __future__ import annotations

import os
import sys


def prefixes() -> set[str]:
    return {sys.prefix, sys.base_prefix, sys.exec_prefix}


def inside_prefixes(path: str) -> bool:
    """True for a directory below one of the interpreter's prefixes: a project checkout or a user's site on
    sys.path is not."""
    return bool(path) and os.path.isdir(path) and any(
        os.path.abspath(path).startswith(os.path.abspath(prefix) + os.sep) for prefix in prefixes())
