"""MultiPL-E's task format: HumanEval and MBPP translated to other languages, prompt and tests in that language.

A record (the Hugging Face `nuprl/MultiPL-E` rows, or MultiPL-E's own per-problem JSON files):

    {"name": "HumanEval_0_has_close_elements", "language": "cpp", "prompt": "...long f(long x) {\\n",
     "tests": "}\\nint main() {\\n    auto candidate = f;\\n    assert(candidate(1) == 2);\\n}\\n",
     "stop_tokens": ["\\n}"], "doctests": "keep", "original": "...", "prompt_terminology": "reworded"}

Samples complete the prompt; a completion is cut at its first stop token (MultiPL-E's contract: the tests close
the function the prompt opened), and the program run is `prompt + completion + "\\n" + tests`, with execeval's
end-of-tests marker (`execeval.judges.endmarker`). Languages are named by MultiPL-E's file extensions (`cpp`,
`java`, `js`, `py`, `sh`, ...); `py` is Python, `sh` is Bash. A completions file of MultiPL-E (the same record with
a `"completions"` list) is a task file too, and a samples file (`execeval.samples`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from execeval.errors import TaskFormatError
from execeval.tasks.records import Raw, make_taskset, need, objects, optional, read_raw, sha256
from execeval.tasks.model import Task, TaskSet, TestProgram, TestSuite

__all__ = ["REQUIRED_KEYS", "LANGUAGES", "looks_like_multipl_e", "task_from_record", "load_multipl_e",
           "records", "cut_at_stop_tokens"]

REQUIRED_KEYS = frozenset({"name", "language", "prompt", "tests"})
#: MultiPL-E's language ids (file extensions) whose execeval name differs; the rest are used as they are
LANGUAGES = {"py": "python", "sh": "bash", "cpp": "cpp", "java": "java", "js": "js", "c": "c", "go_test.go": "go",
             "rs": "rust"}
_NUMBERED = re.compile(r"^[A-Za-z]+_\d+_(\w+)$")  # HumanEval_0_has_close_elements -> has_close_elements


def looks_like_multipl_e(rec: Mapping[str, Any]) -> bool:
    return REQUIRED_KEYS <= set(rec)


def cut_at_stop_tokens(completion: str, stop_tokens: list[str] | tuple[str, ...]) -> str:
    """The completion up to its first stop token (what MultiPL-E and bigcode's harness evaluate)."""
    cut = min((i for i in (completion.find(t) for t in stop_tokens if t) if i >= 0), default=len(completion))
    return completion[:cut]


def records(raw: Raw) -> Iterator[tuple[str, dict]]:
    """("file:line", record) pairs of a JSONL file or JSON array, or the one record of a MultiPL-E per-problem
    JSON file (one pretty-printed object)."""
    text = raw.text.lstrip()
    if text.startswith("{") and "\n" in text.rstrip():
        try:
            whole = json.loads(text)
        except json.JSONDecodeError:
            whole = None
        if isinstance(whole, dict):
            yield f"{raw.label}:1", whole
            return
    yield from objects(raw)


def task_from_record(rec: Mapping[str, Any], where: str) -> Task:
    name = need(rec, "name", str, where)
    ext = need(rec, "language", str, where).strip().lower()
    prompt = need(rec, "prompt", str, where)
    tests = need(rec, "tests", str, where)
    if not tests.strip():
        raise TaskFormatError(f"{where}: task '{name}' has empty 'tests'")
    stop = optional(rec, "stop_tokens", list, where, [])
    if not all(isinstance(t, str) for t in stop):
        raise TaskFormatError(f"{where}: key 'stop_tokens' should be a list of strings")
    m = _NUMBERED.match(name)
    metadata = {"stop_tokens": list(stop), "multipl_e_language": ext}
    metadata.update({k: rec[k] for k in ("doctests", "original", "prompt_terminology") if k in rec})
    if isinstance(rec.get("time_limit_s"), (int, float)):
        metadata["time_limit_s"] = float(rec["time_limit_s"])
    return Task(task_id=name, prompt=prompt, entry_point=m.group(1) if m else name, reference="",
                tests=TestSuite(cases=(TestProgram(tests),)), completion_mode=True,
                language=LANGUAGES.get(ext, ext), metadata=metadata)


def load_multipl_e(path: str | Path | Raw, *, name: str | None = None) -> TaskSet:
    """Read a MultiPL-E task (or completions) file; every record is validated, nothing is executed."""
    raw = read_raw(path)
    located = [(where, task_from_record(rec, where)) for where, rec in records(raw)]
    return make_taskset(name or raw.label, located, str(raw.path), sha256(raw.data))
