"""TransCoder-style test scripts and candidate files: finding, reading, and filling in a candidate.

A test script (one per function and target language) holds the reference `f_gold`, a line with the marker
`TOFILL` (`//TOFILL` in C++ and Java, `#TOFILL` in Python) where the candidate goes, and a main that calls
`f_filled` and `f_gold` on about ten inputs and prints `#Results: n_success, n_total`. Layout of a scripts
directory (TransCoder's): `DIR/<language>/<FUNCTION_ID>.<ext>` with languages `cpp`, `java`, `python`. Or the
scripts packed in one JSON Lines file (`ScriptSet`), a line per function, `{"id", "cpp", "java", "python"}` (a
language's script or null), or a line per script, `{"id", "language", "script"}`.

Candidates file (JSON Lines, one line per function and target language; docs/translation.md):

    {"id": "ADD_ONE", "language": "cpp", "candidates": ["int f_gold(int x) { return x + 1; }", "..."]}
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from execeval.errors import SampleFormatError, TaskFormatError, UsageError
from execeval.tasks.records import iter_records, read_raw

__all__ = ["EXTENSIONS", "Candidates", "load_candidates", "ScriptSet", "find_script", "fill_in", "function_name", "FILLED"]

EXTENSIONS = {"cpp": ".cpp", "java": ".java", "python": ".py"}
_LANGS = {"c++": "cpp", "py": "python", "python3": "python"}
FILLED = "f_filled"
_MARKER = "TOFILL"
_KEYWORDS = {"if", "for", "while", "switch", "return", "catch", "sizeof", "new", "elif", "print"}
_PY_DEF = re.compile(r"^\s*def\s+([A-Za-z_]\w*)\s*\(", re.MULTILINE)
_C_DEF = re.compile(r"^[^\n;=(){}#]*?\b([A-Za-z_]\w*)\s*\(", re.MULTILINE)  # a declaration's name at line start


@dataclass(frozen=True)
class Candidates:
    """The ranked translations of one function into one language; `source` is "file:line"."""

    function_id: str
    language: str
    candidates: tuple[str, ...]
    source: str


def language_of(name: str) -> str:
    key = _LANGS.get(name.strip().lower(), name.strip().lower())
    if key not in EXTENSIONS:
        raise UsageError(f"translation target {name!r} is not supported", hint="one of: cpp, java, python")
    return key


def load_candidates(path: str | os.PathLike[str], target: Callable[[str], str] | None = None) -> list[Candidates]:
    """Read a candidates file; a malformed line raises `SampleFormatError` naming file:line. `target` names a
    line's language or raises `UsageError` (default: the TransCoder targets)."""
    target = target or language_of
    raw = read_raw(Path(path), SampleFormatError)
    out: list[Candidates] = []
    seen: dict[tuple[str, str], str] = {}
    for rec in iter_records(raw.text):
        where = f"{raw.label}:{rec.line}"
        if rec.problem is not None:
            raise SampleFormatError(f"{where}: {rec.problem}")
        value = rec.value
        if not isinstance(value, dict):
            raise SampleFormatError(f"{where}: expected a JSON object, found {type(value).__name__}")
        missing = [k for k in ("id", "language", "candidates") if k not in value]
        if missing:
            raise SampleFormatError(f"{where}: missing key '{missing[0]}'", hint="see docs/translation.md")
        fid, lang, cands = value["id"], value["language"], value["candidates"]
        if not isinstance(fid, str) or not fid.strip():
            raise SampleFormatError(f"{where}: key 'id' should be a non-empty string")
        if not isinstance(lang, str):
            raise SampleFormatError(f"{where}: key 'language' should be a string")
        if not isinstance(cands, list) or not all(isinstance(c, str) for c in cands):
            raise SampleFormatError(f"{where}: key 'candidates' should be a list of strings (best first)")
        try:
            lang = target(lang)
        except UsageError as e:
            raise SampleFormatError(f"{where}: {e}") from None
        if (fid, lang) in seen:
            raise SampleFormatError(f"{where}: duplicate id '{fid}' for {lang} (first at {seen[(fid, lang)]})")
        seen[(fid, lang)] = where
        out.append(Candidates(fid, lang, tuple(cands), where))
    if not out:
        raise SampleFormatError(f"{raw.label}: no candidates in the file")
    return out


def find_script(scripts_dir: Path, function_id: str, language: str) -> Path | None:
    """DIR/<language>/<id>.<ext>, else DIR/<id>.<ext>; None when the function has no script in that language."""
    name = function_id + EXTENSIONS[language]
    for path in (scripts_dir / language / name, scripts_dir / name):
        if path.is_file():
            return path
    return None


class ScriptSet:
    """The test scripts of a benchmark: a directory (`DIR/<language>/<id>.<ext>`) or a packed JSON Lines file
    (detected: a file is packed). `get` gives a script's text, None when the function has none in a language."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self.packed: dict[tuple[str, str], str] | None = None
        if self.path.is_file():
            self.packed = _read_packed(self.path)
        elif not self.path.is_dir():
            raise UsageError(f"{self.path}: no such scripts directory or file",
                             hint="give the directory holding <lang>/<id>.<ext>, or the scripts packed in a JSONL file")

    def get(self, function_id: str, language: str) -> str | None:
        if self.packed is not None:
            return self.packed.get((function_id, language))
        path = find_script(self.path, function_id, language)
        return path.read_text(encoding="utf-8") if path else None

    def ids(self, language: str) -> list[str]:
        """Every function with a script in `language`, sorted."""
        if self.packed is not None:
            return sorted(fid for fid, lang in self.packed if lang == language)
        return sorted(p.stem for p in (self.path / language).glob(f"*{EXTENSIONS[language]}"))


def _read_packed(path: Path) -> dict[tuple[str, str], str]:
    raw = read_raw(path, TaskFormatError)
    scripts: dict[tuple[str, str], str] = {}
    for rec in iter_records(raw.text):
        where = f"{raw.label}:{rec.line}"
        value = rec.value
        if rec.problem is not None or not isinstance(value, dict):
            raise TaskFormatError(f"{where}: {rec.problem or 'expected a JSON object'}", hint="see docs/translation.md")
        fid = value.get("id")
        if not isinstance(fid, str) or not fid.strip():
            raise TaskFormatError(f"{where}: key 'id' should be a non-empty string", hint="see docs/translation.md")
        if "script" in value or "language" in value:
            pairs = [(value.get("language"), value.get("script"))]
        else:
            pairs = [(lang, value.get(lang)) for lang in EXTENSIONS if value.get(lang) is not None]
            if not pairs:
                raise TaskFormatError(f"{where}: no script (keys {', '.join(EXTENSIONS)}, or language and script)",
                                      hint="see docs/translation.md")
        for lang, script in pairs:
            if not isinstance(lang, str) or not isinstance(script, str):
                raise TaskFormatError(f"{where}: 'language' and 'script' should be strings",
                                      hint="see docs/translation.md")
            try:
                key = (fid, language_of(lang))
            except UsageError as e:
                raise TaskFormatError(f"{where}: {e}") from None
            if key in scripts:
                raise TaskFormatError(f"{where}: a second {key[1]} script for '{fid}'")
            scripts[key] = script
    if not scripts:
        raise TaskFormatError(f"{raw.label}: no test scripts in the file")
    return scripts


def function_name(candidate: str, language: str) -> str | None:
    """The name of the first function the candidate defines (what is renamed to `f_filled`)."""
    pattern = _PY_DEF if language == "python" else _C_DEF
    for m in pattern.finditer(candidate):
        if m.group(1) not in _KEYWORDS:
            return m.group(1)
    return None


def fill_in(script: str, candidate: str, language: str) -> str:
    """The script with the candidate (its function renamed `f_filled`, recursive calls too) on the TOFILL line."""
    lines = script.split("\n")
    at = next((i for i, line in enumerate(lines) if _MARKER in line), None)
    if at is None:
        raise UsageError(f"the test script has no {_MARKER} line", hint="see docs/translation.md")
    name = function_name(candidate, language)
    filled = re.sub(rf"\b{re.escape(name)}\b", FILLED, candidate) if name and name != FILLED else candidate
    return "\n".join(lines[:at] + [filled] + lines[at + 1:])
