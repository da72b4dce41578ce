"""bench/_perfstacks.py (what `fork_profile.py --by-function` prints) on samples of a real `perf script` run: a
fork server (pid 8400) forking, one of its jobs exiting, another running the runner, as perf 6.18 printed them for
CPython 3.12 with its perf trampolines."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
from _perfstacks import UNKNOWN, PerfMap, breakdown, kernel_path, parse_script

SCRIPT = """\
python  8400
\tffffffff8160554b copy_page_range
\tffffffff81611270 dup_mmap
\tffffffff8135eaa8 copy_process
\tffffffff8135f968 kernel_clone
\tffffffff8135fd4d __do_sys_clone
\tffffffff8223b5d1 do_syscall_64
\tffffffff81000130 entry_SYSCALL_64_after_hwframe
\t           d4353 arch_fork (inlined)
\t           d3eca __libc_fork
\t            6f79 [unknown]
\t          110811 _PyEval_EvalFrameDefault
\t    7fd459bf1392 [unknown]

swapper     0
\tffffffff8224fc27 default_idle

python  8851
\tffffffff8224fc27 _raw_spin_lock
\tffffffff815fe8bf unmap_page_range
\tffffffff8161065e exit_mmap
\tffffffff81366ff4 do_exit
\tffffffff813679e9 do_group_exit
\tffffffff81367a94 __x64_sys_exit_group
\tffffffff8223b5d1 do_syscall_64

python  8855
\t          113b22 _PyEval_EvalFrameDefault
\t    7fd459bf0afa [unknown]

python  8856
\tffffffff81234567 __x64_sys_close_range+0x12
\tffffffff8223b5d1 do_syscall_64
"""
MAP = """\
7fd459bf0af5 b py::report_tests:/work/execeval/sandbox/python/runner.py
7fd459bf138d b py::_raw_fork:/work/execeval/sandbox/server/process.py
"""


def test_samples_are_read_per_process_with_their_frames():
    samples = list(parse_script(SCRIPT.splitlines()))
    assert [s.pid for s in samples] == [8400, 8851, 8855, 8856]  # the idle task is not a python process
    assert samples[0].frames[0] == (0xFFFFFFFF8160554B, "copy_page_range")
    assert samples[2].frames[-1] == (0x7FD459BF0AFA, "[unknown]")


def test_kernel_work_is_named_by_what_it_serves():
    fork, exit_, user, syscall = parse_script(SCRIPT.splitlines())
    assert (kernel_path(fork), kernel_path(exit_), kernel_path(user)) == ("fork", "exit", None)
    assert kernel_path(syscall) == "syscall close_range"


def test_each_sample_goes_under_its_innermost_python_function(tmp_path):
    (tmp_path / "perf-1.map").write_text(MAP)
    perfmap = PerfMap([tmp_path / "perf-1.map", tmp_path / "missing.map"])
    assert perfmap.name(0x7FD459BF0AF5 + 0xA) == "report_tests:/work/execeval/sandbox/python/runner.py"
    assert perfmap.name(0x7FD459BF0AF5 + 0xB) is None  # past the stub's end
    parts = breakdown(parse_script(SCRIPT.splitlines()), {8400}, perfmap)
    assert parts["server"].samples == 1 and parts["job"].samples == 3
    assert parts["server"].functions == {"_raw_fork:/work/execeval/sandbox/server/process.py": 1}
    assert parts["server"].doing == {"fork": 1}
    assert parts["job"].functions["report_tests:/work/execeval/sandbox/python/runner.py"] == 1
    assert parts["job"].functions[UNKNOWN] == 2  # the exit and the syscall ran no Python frame of the map
    assert parts["job"].doing == {"exit": 1, "user space (Python and C)": 1, "syscall close_range": 1}
