"""Issue #24, the sandbox's side: nothing a job leaves or does may change another job's verdict, hide its own, or
stop the harness. Real hostile code through a real `ForkServerSandbox` with one fork server, so that the job
after the hostile one runs on the same server and sees whatever was left."""

from __future__ import annotations

import json
import os

import pytest

from execeval.sandbox import Assert, Call, ForkServerSandbox, Limits, PythonTests, Script, Status
from execeval.values import encode

import hostile_programs as hp

QUICK = Limits(wall_s=20, cpu_s=5, memory_mb=1024)


@pytest.fixture(scope="module")
def sandbox():
    sb = ForkServerSandbox(workers=1)
    assert sb.run(Script("print('warm')")).status is Status.OK
    yield sb
    sb.close()


def servers() -> set[int]:
    return hp.fork_servers_of(os.getpid())


def script_ok(sb, code: str, limits: Limits = QUICK):
    r = sb.run(Script(code), limits)
    assert r.status is Status.OK, r
    return json.loads(r.stdout.decode().strip().splitlines()[-1]) if r.stdout.strip() else None


LOOK = """\
import json, os
seen = {}
for d in ("/tmp", "/var/tmp", "/dev/shm", os.getcwd()):
    seen[d] = sorted(n for n in os.listdir(d) if d != "/tmp" or n != "job")
print(json.dumps(seen))
"""


def assert_all_empty(sb) -> None:
    seen = script_ok(sb, LOOK)
    assert all(not names for names in seen.values()), seen


# ---------------------------------------------------------------- 2. cleanup a job can't break
DEEP = """\
import os
base = {base!r}
os.chdir(base)
for i in range({depth}):
    os.mkdir({name!r})
    os.chdir({name!r})
    if i % 300 == 0:
        open("f", "w").close()
        os.symlink("/", "root")
        os.symlink(".", "loop")
os.chmod(".", 0)
os.chdir(base)
for i in range(300):
    os.mkdir(f"wide{{i}}")
os.chmod(os.path.join(base, "wide0"), 0)
print("made")
"""

_DEEP_CASES = {
    "/tmp 1500 deep": ("/tmp", 1500, "d"),
    "/var/tmp 3000 deep, long names past PATH_MAX": ("/var/tmp", 3000, "n" * 60),
    "/dev/shm 2000 deep": ("/dev/shm", 2000, "s"),
    "work dir 2000 deep": (".", 2000, "w"),
}


@pytest.mark.parametrize("where", list(_DEEP_CASES))
def test_deep_trees_left_behind_do_not_stop_the_server(sandbox, where):
    base, depth, name = _DEEP_CASES[where]
    before = servers()
    r = sandbox.run(Script(DEEP.format(base=base if base != "." else "/tmp/job", depth=depth, name=name)),
                    Limits(wall_s=30, cpu_s=10, memory_mb=1024, disk_mb=64))
    assert r.status is Status.OK and r.stdout == b"made\n", r
    assert_all_empty(sandbox)
    assert servers() == before, "the fork server died or was replaced"
    assert sandbox.pool.retired == 0, sandbox.pool.last_retirement
    right = sandbox.run(PythonTests("def square(x):\n    return x * x\n", hp.SQUARE,
                                    tuple(Assert(a) for a in hp.SQUARE_ASSERTS)), QUICK)
    assert right.all_cases_passed, right
