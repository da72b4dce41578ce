"""Bash scripts: run by `bash` itself (not `sh`), a fresh process per input; the commands it calls need the
processes `Limits.processes` allows (every pipeline stage is one)."""

from __future__ import annotations

from execeval.languages.base import Interpreted


class Bash(Interpreted):
    name = "bash"
    source_name = "main.sh"
    tool = "bash"
    flags = ("--noprofile", "--norc")
    install = "apt-get install bash"
