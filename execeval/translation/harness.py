"""Run one filled-in TransCoder script and say what happened: success, or the kind of failure.

Why not just read `#Results:` from stdout: the candidate runs in the same process and can print that line itself
and exit. So the script gets the end-of-tests epilogue (`execeval.judges.endmarker`): only a run that exits 0 and
prints the run's token counts, and its score is the *last* well-formed `#Results: a, b` line printed before the
token, which is the script's own (it prints after every `f_filled` call has returned). A candidate that prints a
fake line and exits never reaches the token; one that prints a fake line and returns is overwritten by the
script's line. Limit: a candidate written to read its environment can forge the token (docs/translation.md).
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass

from execeval.errors import SandboxError
from execeval.judges.checker import first_error_line
from execeval.judges.endmarker import add_end_marker, lines_before_token, new_token
from execeval.judges.program_tests import run_with_token
from execeval.languages import BuildCache, build, get_language
from execeval.metrics.computational_accuracy import SUCCESS
from execeval.sandbox.base import Sandbox, Status
from execeval.sandbox.limits import Limits

__all__ = ["Outcome", "run_script", "KINDS", "COMPILE_ERROR", "RUNTIME_ERROR", "TIMEOUT", "WRONG_OUTPUT",
           "SANDBOX_ERROR"]

COMPILE_ERROR, RUNTIME_ERROR, TIMEOUT, WRONG_OUTPUT = "compile_error", "runtime_error", "timeout", "wrong_output"
SANDBOX_ERROR = "sandbox_error"  # ours: reported, never counted as the candidate's failure or success
KINDS = (SUCCESS, COMPILE_ERROR, RUNTIME_ERROR, TIMEOUT, WRONG_OUTPUT, SANDBOX_ERROR)
_RESULTS = re.compile(rb"#Results:\s*(\d+)\s*,\s*(\d+)\s*$")
_DETAIL_CHARS = 300
_PY_SYNTAX = ("SyntaxError", "IndentationError", "TabError")


@dataclass(frozen=True)
class Outcome:
    """kind: one of KINDS; n_success/n_total from the script's results line (None when it never printed one)."""

    kind: str
    n_success: int | None = None
    n_total: int | None = None
    detail: str = ""
    cpu_s: float = 0.0

    def as_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> "Outcome":
        return cls(**{k: d[k] for k in cls.__dataclass_fields__ if k in d})


def run_script(language: str, filled: str, sandbox: Sandbox, limits: Limits,
               cache: BuildCache | None = None) -> Outcome:
    """Build and run a filled-in script once under `limits`."""
    lang = get_language(language)
    source = add_end_marker(lang.name, filled, source_name=lang.source_name)
    try:
        built = build(lang, source, sandbox, cache=cache)
    except SandboxError as e:
        return Outcome(SANDBOX_ERROR, detail=e.one_line())
    if built.status is Status.SANDBOX_ERROR:  # a missing toolchain: not the candidate's compile error
        return Outcome(SANDBOX_ERROR, detail=built.diagnostics[:_DETAIL_CHARS])
    if not built.ok:
        why = first_error_line(built.diagnostics) if built.status is Status.FAILED else \
            f"the compiler hit a limit ({built.status.value})"
        return Outcome(COMPILE_ERROR, detail=why)
    token = new_token()
    result = run_with_token(lang, built, sandbox, token, limits=limits)
    cpu = round(result.cpu_s, 4)
    if result.status is Status.SANDBOX_ERROR:
        return Outcome(SANDBOX_ERROR, detail=result.detail)
    if result.status in (Status.TIMEOUT, Status.CPU_LIMIT):
        return Outcome(TIMEOUT, detail=result.status.value, cpu_s=cpu)
    before = lines_before_token(result.stdout, token)
    if result.status is not Status.OK or before is None:
        detail = _crash(result, before is None)
        # Python has no compile step: a candidate that does not parse is still a compile error, as in TransCoder
        kind = COMPILE_ERROR if lang.name == "python" and detail.startswith(_PY_SYNTAX) else RUNTIME_ERROR
        return Outcome(kind, detail=detail, cpu_s=cpu)
    scores = [m for line in before if (m := _RESULTS.search(line.rstrip(b"\r")))]
    if not scores:
        return Outcome(RUNTIME_ERROR, detail="the script printed no '#Results: n, m' line", cpu_s=cpu)
    ok, total = int(scores[-1].group(1)), int(scores[-1].group(2))
    kind = SUCCESS if total > 0 and ok == total else WRONG_OUTPUT
    return Outcome(kind, ok, total, "" if kind == SUCCESS else f"{ok} of {total} inputs right", cpu)


def _crash(result, no_token: bool) -> str:
    from execeval.judges.stdio import describe_crash

    if result.status is Status.OK and no_token:
        return "exited (code 0) before the script finished"
    return describe_crash(result)[:_DETAIL_CHARS]
