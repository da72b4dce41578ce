"""cgroup v1's memory cap on the real hierarchy (root, where the host has one)."""

from __future__ import annotations

import os

import pytest

from execeval.sandbox.isolation.cgroup.v1 import MemoryCgroup

MEMSW = "/sys/fs/cgroup/memory/memory.memsw.limit_in_bytes"


@pytest.mark.skipif(os.geteuid() != 0 or not os.path.exists(MEMSW),
                    reason="needs root and cgroup v1's memory controller with swap accounting")
def test_a_group_left_with_low_limits_takes_a_higher_one():
    """A server's group is named by its host pid, so one left by an exited server of the same pid is found with
    that server's last limits. Raising them must write memsw first: the kernel refuses a limit above memsw (the
    fork server died with EINVAL in CI)."""
    left = MemoryCgroup(97, os.getpid())
    try:
        left.set_limit(256)
        fresh = MemoryCgroup(97, os.getpid())  # the same group, as a new server finds it
        fresh.set_limit(1024)
        for name in ("memory.limit_in_bytes", "memory.memsw.limit_in_bytes"):
            with open(os.path.join(fresh.path, name)) as f:
                assert int(f.read()) == 1024 << 20, name
        fresh.set_limit(128)  # and down again
        with open(os.path.join(fresh.path, "memory.limit_in_bytes")) as f:
            assert int(f.read()) == 128 << 20
    finally:
        for group in (left, locals().get("fresh")):
            if group is not None:
                os.close(group.procs_fd)
        os.rmdir(left.path)
