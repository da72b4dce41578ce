"""How a failing program is described in a job's report: its exception, the test line that failed, a traceback.

Runs inside the job, after the failure, on every failing job (most model outputs fail): built by hand from the
frames and the sources the runner already holds, because `traceback.format_exception` costs each job ~0.6 ms.
"""

from __future__ import annotations

import traceback


def short(exc: BaseException) -> str:
    try:
        text = f"{type(exc).__name__}: {exc}"
    except BaseException:  # noqa: BLE001 - a hostile __str__
        text = type(exc).__name__
    return text[:500]


def failing_line(exc: BaseException, sources: dict[str, str]) -> str:
    """The test source line where an assertion failed (`assert f(3) == 4`), for the report."""
    line = ""
    for frame, lineno in traceback.walk_tb(exc.__traceback__):
        src = sources.get(frame.f_code.co_filename)
        if src is not None:
            lines = src.splitlines()
            if 0 < lineno <= len(lines):
                line = lines[lineno - 1].strip()
    return line[:500]


def test_location(exc: BaseException, sources: dict[str, str], candidate: str = "<candidate>") -> str:
    """Where in the test a failing or timed-out case was: `line 12 of the test: assert candidate(3) == 27`, the
    innermost frame of a test source (not the candidate's). Empty when that test is one line (its label already
    says it) or no test frame is known."""
    found = ""
    for frame, lineno in traceback.walk_tb(exc.__traceback__):
        name = frame.f_code.co_filename
        src = sources.get(name)
        if src is None or name == candidate:
            continue
        lines = src.splitlines()
        if len(lines) > 1 and 0 < lineno <= len(lines):
            found = f"line {lineno} of the test: {lines[lineno - 1].strip()[:300]}"
    return found


_TB_FRAMES = 12  # innermost frames kept: a RecursionError has a thousand


def traceback_text(exc: BaseException, sources: dict[str, str], skip_file: str = "") -> str:
    """Python's traceback layout, built from the frames (those of `skip_file`, the runner, left out) and our sources:
    `traceback.format_exception` costs a job ~0.6 ms, and most model outputs fail. Chained exceptions show only
    the last one."""
    lines = ["Traceback (most recent call last):"]
    frames = [(f, n) for f, n in traceback.walk_tb(exc.__traceback__) if f.f_code.co_filename != skip_file]
    if len(frames) > _TB_FRAMES:
        lines.append(f"  [{len(frames) - _TB_FRAMES} outer frames left out]")
    for frame, lineno in frames[-_TB_FRAMES:]:
        code = frame.f_code
        lines.append(f'  File "{code.co_filename}", line {lineno}, in {code.co_name}')
        text = _source_line(sources.get(code.co_filename), lineno)
        if text:
            lines.append(f"    {text}")
    if isinstance(exc, SyntaxError):
        lines.append(f'  File "{exc.filename}", line {exc.lineno}')
        text = (exc.text or "").rstrip("\n")
        if text:
            indent = len(text) - len(text.lstrip())
            lines += [f"    {text.strip()}", "    " + " " * max(0, (exc.offset or 1) - 1 - indent) + "^"]
        lines.append(f"{type(exc).__name__}: {exc.msg}")
    else:
        lines.append(short(exc))
    return "\n".join(lines)


def program_failure(exc: BaseException, where: str, sources: dict[str, str], skip_file: str) -> dict:
    """The report line of a program that failed to load or to run the tests' setup (`where`): the runner's, and the
    fork server's for a program that does not compile (candidatecode.py), so both read the same."""
    return {"program": where, "t": type(exc).__name__, "m": short(exc),
            "tb": traceback_text(exc, sources, skip_file=skip_file)[-2000:]}


def _source_line(source: str | None, lineno: int) -> str:
    if not source:
        return ""
    lines = source.splitlines()
    return lines[lineno - 1].strip()[:300] if 0 < lineno <= len(lines) else ""
