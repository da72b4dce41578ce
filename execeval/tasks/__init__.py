"""Benchmark tasks: the one task model, and loaders that read benchmark files into it.

Import cost matters (the CLI imports this for `--help`), so only the model and the registry table load here; each
loader module, and Hugging Face `datasets` when it is needed, is imported on first use.

    from execeval.tasks import load_tasks
    taskset = load_tasks("humaneval+", data_dir="data/")
"""

from __future__ import annotations

from execeval.tasks.model import Assert, Call, Task, TaskSet, TestCase, TestSuite
from execeval.tasks.registry import BENCHMARKS, LOADERS, benchmark_names, load_tasks

__all__ = ["Task", "TaskSet", "TestSuite", "Assert", "Call", "TestCase", "load_tasks", "BENCHMARKS", "LOADERS",
           "benchmark_names"]
