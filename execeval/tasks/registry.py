"""From a benchmark name or a file path to a `TaskSet`.

Why: users say `humaneval+` or point at a file; this module finds the file their projects distribute (in
`--data-dir` or `$EXECEVAL_DATA_DIR`), picks the loader, and only when no local file exists asks Hugging Face
`datasets` (imported lazily: `import execeval.tasks` must stay cheap, and most machines evaluating untrusted code
have no network). A path is read by its content, not its name, so renamed files still work.
"""

from __future__ import annotations

import importlib
import json
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from execeval.errors import TaskFormatError, UsageError
from execeval.tasks.records import Raw, make_taskset, read_raw, sha256
from execeval.tasks.model import TaskSet

__all__ = ["Benchmark", "BENCHMARKS", "LOADERS", "load_tasks", "find_file", "detect_format", "benchmark_names"]

DATA_DIR_ENV = "EXECEVAL_DATA_DIR"


@dataclass(frozen=True)
class Benchmark:
    """Where a named benchmark is found: file name patterns (best first), the format, and its hub copy."""

    name: str
    usual_file: str  # what messages tell the user to put in the data directory
    patterns: tuple[str, ...]
    format: str  # a key of LOADERS
    hub: tuple[str, str | None] | None = None  # (dataset id, config)
    mini: bool = False  # EvalPlus "Mini" files: only for the -mini names


_HE_PLUS = ("HumanEvalPlus-*.jsonl.gz", "HumanEvalPlus-*.jsonl", "HumanEvalPlus.jsonl.gz", "HumanEvalPlus.jsonl")
_HE_MINI = ("HumanEvalPlus-Mini-*.jsonl.gz", "HumanEvalPlus-Mini-*.jsonl", "HumanEvalPlus-Mini.jsonl.gz",
            "HumanEvalPlus-Mini.jsonl")
_MBPP_PLUS = ("MbppPlus*.jsonl.gz", "MbppPlus*.jsonl")

BENCHMARKS: dict[str, Benchmark] = {b.name: b for b in (
    Benchmark("humaneval", "HumanEval.jsonl.gz", ("HumanEval.jsonl.gz", "HumanEval.jsonl"), "humaneval",
              ("openai_humaneval", None)),
    Benchmark("humaneval+", "HumanEvalPlus-v0.1.10.jsonl.gz", _HE_PLUS, "evalplus", ("evalplus/humanevalplus", None)),
    Benchmark("humaneval+-mini", "HumanEvalPlus-Mini-v0.1.10.jsonl.gz", _HE_MINI, "evalplus", mini=True),
    Benchmark("mbpp", "mbpp.jsonl", ("mbpp.jsonl",), "mbpp", ("mbpp", "full")),
    Benchmark("mbpp-sanitized", "sanitized-mbpp.json", ("sanitized-mbpp.json",), "mbpp-sanitized",
              ("mbpp", "sanitized")),
    Benchmark("mbpp+", "MbppPlus-v0.2.0.jsonl", _MBPP_PLUS, "evalplus", ("evalplus/mbppplus", None)),
    Benchmark("mbpp+-mini", "MbppPlus-Mini-v0.2.0.jsonl", _MBPP_PLUS, "evalplus", mini=True),
    Benchmark("demo", "tasks.jsonl", ("tasks.jsonl",), "native"),
    Benchmark("hpc-kernels", "tasks.jsonl", ("tasks.jsonl",), "native"),  # docs/hpc.md
    # competitive programming (execeval/tasks/competitive.py): JSONL exports of the hub datasets, no hub fallback
    Benchmark("apps", "apps_test.jsonl", ("apps_test.jsonl.gz", "apps_test.jsonl", "apps*.jsonl.gz", "apps*.jsonl"),
              "apps"),
    Benchmark("codecontests", "code_contests_test.jsonl", ("code_contests*.jsonl.gz", "code_contests*.jsonl",
                                                           "codecontests*.jsonl.gz", "codecontests*.jsonl"),
              "codecontests"),
    Benchmark("taco", "taco_test.jsonl", ("taco*.jsonl.gz", "taco*.jsonl"), "taco"),
    Benchmark("codeforces", "codeforces_test.jsonl", ("codeforces*.jsonl.gz", "codeforces*.jsonl"), "codeforces"),
    Benchmark("cruxeval-o", "cruxeval.jsonl", ("cruxeval.jsonl",), "cruxeval-o", ("cruxeval-org/cruxeval", None)),
    Benchmark("cruxeval-i", "cruxeval.jsonl", ("cruxeval.jsonl",), "cruxeval-i", ("cruxeval-org/cruxeval", None)),
    # HumanEval-X (execeval/tasks/humaneval_x.py): the files as THUDM/CodeGeeX publishes them, one per language
    *(Benchmark(f"humaneval-x-{lang}", f"humaneval_{lang}.jsonl.gz",
                (f"humaneval_{lang}.jsonl.gz", f"humaneval_{lang}.jsonl"), "humaneval-x")
      for lang in ("cpp", "go", "java", "js", "python", "rust")),
)}
_ALIASES = {"humanevalplus": "humaneval+", "humaneval-plus": "humaneval+", "mbppplus": "mbpp+", "mbpp-plus": "mbpp+",
            "sanitized-mbpp": "mbpp-sanitized", "humanevalplus-mini": "humaneval+-mini",
            "code_contests": "codecontests", "hpc": "hpc-kernels", "humaneval-x-javascript": "humaneval-x-js",
            "humaneval-x-c++": "humaneval-x-cpp", "humaneval-x-golang": "humaneval-x-go",
            "humaneval-x-py": "humaneval-x-python", "humaneval-x-rs": "humaneval-x-rust"}
#: task sets shipped inside the package: name -> their folder under execeval/tasks/
SHIPPED = {"demo": "demo", "hpc-kernels": "hpc"}


def _lazy(ref: str) -> Callable[..., TaskSet]:
    """A loader that imports its module on first call, so the registry itself imports nothing."""
    module, func = ref.split(":")

    def load(*args, **kwargs) -> TaskSet:
        return getattr(importlib.import_module(module), func)(*args, **kwargs)

    load.__name__ = func
    return load


#: format name -> loader(path, *, name=..., [split=...]) -> TaskSet
LOADERS: dict[str, Callable[..., TaskSet]] = {
    "humaneval": _lazy("execeval.tasks.humaneval:load_humaneval"),
    "evalplus": _lazy("execeval.tasks.evalplus:load_evalplus"),
    "mbpp": _lazy("execeval.tasks.mbpp:load_mbpp"),
    "mbpp-sanitized": _lazy("execeval.tasks.mbpp:load_mbpp_sanitized"),
    "native": _lazy("execeval.tasks.native:load_native"),
    "multipl-e": _lazy("execeval.tasks.multipl_e:load_multipl_e"),
    "stdio": _lazy("execeval.tasks.stdio:load_stdio_tasks"),
    "apps": _lazy("execeval.tasks.competitive:load_apps"),
    "codecontests": _lazy("execeval.tasks.competitive:load_codecontests"),
    "taco": _lazy("execeval.tasks.competitive:load_taco"),
    "codeforces": _lazy("execeval.tasks.competitive:load_codeforces"),
    "cruxeval-o": _lazy("execeval.tasks.cruxeval:load_cruxeval_output"),
    "cruxeval-i": _lazy("execeval.tasks.cruxeval:load_cruxeval_input"),
    "humaneval-x": _lazy("execeval.tasks.humaneval_x:load_humaneval_x"),
}


def benchmark_names() -> list[str]:
    return [*BENCHMARKS, "livecodebench", "livecodebench-vN", "livecodebench-only-vN"]


def _is_lcb_release(key: str) -> bool:
    from execeval.tasks.lcb_releases import is_release_name

    return is_release_name(key) and not Path(key).expanduser().exists()


def _version_key(path: Path) -> tuple:
    """Rank candidate files: a release ("-v0.1.10") beats a dev snapshot, a higher version beats a lower one."""
    m = re.search(r"-v(\d+(?:\.\d+)*)", path.name)
    if m:
        return (1, tuple(int(x) for x in m.group(1).split(".")), path.name)
    return (0, tuple(int(x) for x in re.findall(r"\d+", path.name)), path.name)


def find_file(bench: Benchmark, data_dir: Path) -> Path | None:
    """The best file for `bench` in `data_dir` (see `_version_key`), or None."""
    for pattern in bench.patterns:
        found = [p for p in data_dir.glob(pattern) if p.is_file() and ("-Mini" in p.name) == bench.mini]
        if found:
            return max(found, key=_version_key)
    return None


def detect_format(raw: Raw) -> str:
    """The loader for a file (a key of LOADERS), from the keys of its first record."""
    from execeval.tasks.multipl_e import looks_like_multipl_e, records
    from execeval.tasks.competitive import competitive_format
    from execeval.tasks.humaneval_x import looks_like_humaneval_x
    from execeval.tasks.stdio import looks_like_stdio

    for where, rec in records(raw):
        keys = set(rec)
        if (competitive := competitive_format(rec)) is not None:
            return competitive
        if looks_like_humaneval_x(rec):
            return "humaneval-x"
        if looks_like_multipl_e(rec) and not keys & {"format", "task_id"}:
            return "multipl-e"
        if looks_like_stdio(rec):
            return "stdio"
        if "format" in keys or keys & {"tests", "inputs", "reference"}:
            return "native"
        if keys & {"base_input", "plus_input"}:
            return "evalplus"
        if {"text", "test_list"} <= keys:
            return "mbpp"
        if "test_imports" in keys or {"prompt", "code", "test_list"} <= keys:
            return "mbpp-sanitized"
        if {"prompt", "test", "entry_point"} <= keys:
            return "humaneval"
        if {"code", "input", "output"} <= keys:  # CRUXEval: the file does not say which direction
            raise TaskFormatError(f"{where}: a CRUXEval file: name the task, output or input prediction",
                                  hint="--tasks cruxeval-o or cruxeval-i, with the file in --data-dir")
        raise TaskFormatError(f"{where}: not a task file this version can read (keys: {', '.join(sorted(keys))})",
                              hint="see docs/task-format.md for the formats and their keys")
    raise TaskFormatError(f"{raw.label}: no tasks in the file")


def _load_path(path: Path, split: str, name: str | None = None, fmt: str | None = None) -> TaskSet:
    raw = read_raw(path)
    fmt = fmt or detect_format(raw)
    name = name or raw.label
    if fmt != "mbpp":
        return LOADERS[fmt](raw, name=name)
    # a run on another split must not be mistaken for the usual test-split score
    return LOADERS[fmt](raw, name=name if split == "test" else f"{name}:{split}", split=split)


def _shipped(name: str) -> TaskSet:
    folder = SHIPPED[name]
    res = resources.files("execeval.tasks").joinpath(folder, "tasks.jsonl")
    if not res.is_file():
        raise TaskFormatError(f"the {name} tasks (execeval/tasks/{folder}/tasks.jsonl) are missing from this install",
                              hint="reinstall execeval")
    with resources.as_file(res) as path:
        return LOADERS["native"](path, name=name)


def _data_dir(data_dir: str | Path | None) -> Path | None:
    chosen = data_dir if data_dir is not None else os.environ.get(DATA_DIR_ENV) or None
    if chosen is None:
        return None
    path = Path(chosen).expanduser()
    if not path.is_dir():
        how = "--data-dir" if data_dir is not None else f"${DATA_DIR_ENV}"
        raise UsageError(f"data directory {path} ({how}) does not exist", hint="give a directory holding the files")
    return path


def load_tasks(name_or_path: str | os.PathLike[str], *, data_dir: str | Path | None = None, split: str = "test") -> TaskSet:
    """Load a benchmark by name (`humaneval`, `humaneval+`, `humaneval+-mini`, `mbpp`, `mbpp-sanitized`, `mbpp+`,
    `cruxeval-o`, `cruxeval-i`, `demo`, `hpc-kernels`, `apps`, `codecontests`, `taco`, `codeforces`,
    `livecodebench[-vN]`, `humaneval-x-LANG` for LANG in cpp, go, java, js, python, rust) or a task file by path (format detected
    from its content).

    `split` selects the original-MBPP split ("prompt", "test", "validation", "train", "all"); other benchmarks have
    a single split and ignore it.
    """
    name_or_path = os.fspath(name_or_path)
    key = _ALIASES.get(name_or_path.strip().lower(), name_or_path.strip().lower())
    bench = BENCHMARKS.get(key)
    if bench is None and _is_lcb_release(key):  # one release is several files: execeval/tasks/lcb_releases.py
        from execeval.tasks.lcb_releases import load_release

        return load_release(key, _data_dir(data_dir))
    if bench is None:
        path = Path(name_or_path).expanduser()
        if path.is_file():
            return _load_path(path, split)
        if path.exists():
            raise UsageError(f"{path} is a directory, not a task file")
        raise UsageError(f"no benchmark or file named '{name_or_path}'",
                         hint=f"use one of {', '.join(benchmark_names())} or a path to a task file")
    if bench.name in SHIPPED:
        return _shipped(bench.name)
    directory = _data_dir(data_dir)
    found = find_file(bench, directory) if directory else None
    if found is not None:
        # CRUXEval's one file is two benchmarks: the name, not the content, says which
        return _load_path(found, split, bench.name, bench.format if bench.format.startswith("cruxeval") else None)
    return _from_hub(bench, split, directory)


def _from_hub(bench: Benchmark, split: str, directory: Path | None) -> TaskSet:
    """The hub copy of a benchmark, when `datasets` is installed and online; otherwise a one-line fix."""
    where = f"in {directory}" if directory else "(no --data-dir given)"
    fix = f"put {bench.usual_file} in --data-dir DIR or set {DATA_DIR_ENV}"
    if bench.hub is None:
        raise UsageError(f"{bench.name}: no {bench.usual_file} {where}", hint=fix)
    try:
        import datasets  # noqa: F401  (optional and heavy: only here)
    except ImportError:
        raise UsageError(f"{bench.name}: no {bench.usual_file} {where}, and Hugging Face `datasets` is not installed",
                         hint=fix) from None
    hub_id, config = bench.hub
    try:
        rows = _hub_rows(hub_id, config, bench.format, split)
    except Exception as e:  # noqa: BLE001 - the hub's errors are many and undocumented; all mean "not available here"
        raise UsageError(f"{bench.name}: no local file {where} and {hub_id} could not be fetched "
                         f"({type(e).__name__})", hint=fix) from None
    try:
        return _from_rows(bench, rows, f"hf:{hub_id}" + (f"/{config}" if config else ""), split)
    except TaskFormatError as e:  # hub copies drift from the released files
        raise TaskFormatError(str(e), hint=f"the hub copy is not in the expected format; {fix}") from None


def _hub_rows(hub_id: str, config: str | None, fmt: str, split: str) -> list[dict]:
    import datasets

    if fmt in ("mbpp", "mbpp-sanitized"):  # MBPP's hub copy is split the published way; we select by id instead
        dsets = datasets.load_dataset(hub_id, config)
        rows = [dict(r) for s in dsets.values() for r in s]
        return sorted(rows, key=lambda r: int(r["task_id"]))
    return [dict(r) for r in datasets.load_dataset(hub_id, config, split="test")]


def _from_rows(bench: Benchmark, rows: list[dict], source: str, split: str) -> TaskSet:
    from execeval.tasks import cruxeval, evalplus, humaneval, mbpp

    make = {"humaneval": humaneval.task_from_record, "evalplus": evalplus.task_from_record,
            "mbpp": mbpp.task_from_record, "mbpp-sanitized": mbpp.sanitized_task_from_record,
            "cruxeval-o": lambda r, w: cruxeval.task_from_record(r, w, "output"),
            "cruxeval-i": lambda r, w: cruxeval.task_from_record(r, w, "input")}[bench.format]
    located = [(f"{source}#{i}", make(r, f"{source}#{i}")) for i, r in enumerate(rows)]
    digest = sha256(json.dumps(rows, sort_keys=True, default=str).encode())
    if bench.format == "mbpp":
        located = mbpp.select(located, split)
    name = bench.name if bench.format != "mbpp" or split == "test" else f"{bench.name}:{split}"
    return make_taskset(name, located, source, digest)
