"""The memory limit is one cap on a job's RAM (and swap) where a cgroup gives one, not a cap on reserved address
space: correct programs that reserve much and touch little (OpenBLAS's per-thread buffers, JVMs, arenas) run as in
plain Python, and touching more than the cap is still `memory_limit` (SandboxFusion#45)."""

from __future__ import annotations

import pytest

from execeval.sandbox import Limits, Script, Status, open_sandbox
from execeval.sandbox.isolation.cgroup.groups import host_has_swap

RESERVE_3G_TOUCH_LITTLE = "import mmap\nm = mmap.mmap(-1, 3 << 30)\nm[:4096] = b'x' * 4096\nprint('ok')"


def _touch(mb: int) -> str:
    return f"b = bytearray({mb} << 20)\nfor i in range(0, len(b), 4096): b[i] = 1\nprint('ok')"


@pytest.fixture(scope="module")
def sandbox():
    with open_sandbox(workers=1) as sb:
        yield sb


def _memory_row(sb) -> str:
    return dict(sb.isolation().enforcement).get("memory", "")


def test_reserved_address_space_is_free_under_a_cgroup_cap(sandbox):
    row = _memory_row(sandbox)
    if "no RLIMIT_AS" not in row:
        pytest.skip(f"memory here: {row!r} (no cgroup capping RAM and swap: RLIMIT_AS stays, by design)")
    r = sandbox.run(Script(RESERVE_3G_TOUCH_LITTLE), Limits(memory_mb=256))
    assert r.status is Status.OK and r.stdout == b"ok\n", r


def test_touching_past_the_cap_is_memory_limit_whatever_the_order_of_limits(sandbox):
    """One worker, the cap raised and lowered between jobs (cgroup v1 wants memsw >= limit at every step)."""
    for mb in (256, 1024, 128, 512):
        ok = sandbox.run(Script(_touch(mb // 2)), Limits(memory_mb=mb, cpu_s=5))
        assert ok.status is Status.OK, (mb, ok)
        over = sandbox.run(Script(_touch(mb * 2)), Limits(memory_mb=mb, cpu_s=5))
        assert over.status is Status.MEMORY_LIMIT, (mb, over)


def test_the_cap_is_the_jobs_not_each_process(sandbox):
    row = _memory_row(sandbox)
    if "cgroup" not in row:
        pytest.skip(f"memory here: {row!r}: each process has its own cap")
    code = ("import os\nkids = []\nfor _ in range(3):\n    pid = os.fork()\n    if pid == 0:\n"
            "        b = bytearray(120 << 20)\n        for i in range(0, len(b), 4096): b[i] = 1\n"
            "        import time; time.sleep(1); os._exit(0)\n    kids.append(pid)\n"
            "codes = [os.waitpid(k, 0)[1] for k in kids]\nprint(codes)\nassert all(c == 0 for c in codes)")
    r = sandbox.run(Script(code), Limits(memory_mb=256, cpu_s=5, wall_s=20, processes=8))
    assert r.status is not Status.OK, r


@pytest.mark.parametrize("text,swaps", [("SwapTotal:       0 kB\n", False), ("SwapTotal:  2097148 kB\n", True),
                                        ("MemTotal: 1 kB\n", True)])
def test_host_has_swap_reads_meminfo(tmp_path, text, swaps):
    f = tmp_path / "meminfo"
    f.write_text(text)
    assert host_has_swap(str(f)) is swaps
