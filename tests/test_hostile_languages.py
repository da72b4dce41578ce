"""Hostile compiled code (C, Java) through the real sandbox, contained as Python is (tests/test_hostile.py).

Each program is real hostile code, compiled by the real toolchain and run by a real `CommandSandbox`. Containment
is checked from the host, never on the job's word: its processes are found in the host's /proc by a marker passed
in their argv (and set as their name), files by their path on the host, connections by a listener this test owns,
memory by reading the job's processes from outside, the harness by running more jobs afterwards.
"""

from __future__ import annotations

import os
import socket
import time

import pytest

import hostile_programs as hp
from execeval.languages import build, get_language, run, run_batch
from execeval.sandbox import Limits, Status
from test_hostile import REPO, assert_no_survivors, host_scratch, new_marker, world_writable_dir  # noqa: F401
from test_languages import sandbox  # noqa: F401 - the same module-scoped fixture (`cache` is conftest.py's)

QUICK = Limits(wall_s=10, cpu_s=5, memory_mb=512)

# every C program names itself after argv[1] (the marker), so the host finds it and every child it forks
C_PRELUDE = """#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/prctl.h>
#define MARK() prctl(PR_SET_NAME, argv[1], 0, 0, 0)
"""

C_FORK_BOMB = C_PRELUDE + """
int main(int argc, char **argv) {
    MARK();
    puts("bombing"); fflush(stdout);
    for (;;) if (fork() < 0) usleep(20000);
}
"""

C_MEMORY_BOMB = C_PRELUDE + """
int main(int argc, char **argv) {
    MARK();
    size_t chunk = 8u << 20, held = 0;
    for (;;) {
        char *p = malloc(chunk);
        if (!p) break;
        memset(p, 1, chunk);  /* touched: real memory, not just address space */
        held += chunk;
    }
    printf("held %zu MiB\\n", held >> 20); fflush(stdout);
    usleep(300000);  /* let the host look at it */
    return 1;
}
"""

C_CONNECT = C_PRELUDE + """
#include <arpa/inet.h>
#include <sys/socket.h>
int main(int argc, char **argv) {
    MARK();
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) { printf("blocked socket errno %d\\n", errno); return 0; }
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET; a.sin_port = htons(atoi(argv[2])); a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) == 0) { write(fd, "hi", 2); puts("connected"); return 0; }
    printf("blocked connect errno %d\\n", errno);
    return 0;
}
"""

C_WRITE_OUTSIDE = C_PRELUDE + """
int main(int argc, char **argv) {
    MARK();
    FILE *f = fopen("inside.txt", "w");  /* control: writing its own work dir works */
    printf("inside %s\\n", f && fputs("x", f) >= 0 && fclose(f) == 0 ? "ok" : "failed");
    for (int i = 2; i < argc; i++) {
        f = fopen(argv[i], "w");
        if (f) { fputs("escaped", f); fclose(f); printf("wrote %s\\n", argv[i]); }
        else printf("denied %s errno %d\\n", argv[i], errno);
    }
    return 0;
}
"""

C_SETSID_ORPHAN = C_PRELUDE + """
#include <sys/wait.h>
int main(int argc, char **argv) {
    MARK();
    if (fork() == 0) {
        setsid();
        if (fork() == 0) {
            for (int fd = 0; fd < 1024; fd++) close(fd);
            sleep(1);
            for (int i = 2; i < argc; i++) { FILE *f = fopen(argv[i], "w"); if (f) { fputs("survived", f); fclose(f); } }
            _exit(0);
        }
        _exit(0);
    }
    wait(NULL);
    puts("orphan launched"); fflush(stdout);
    usleep(600000);  /* long enough for the host to see it alive */
    return 0;
}
"""

JAVA_MEMORY_BOMB = """import java.util.*;
public class Main {
    public static void main(String[] args) {
        List<long[]> hold = new ArrayList<>();
        for (;;) hold.add(new long[1 << 20]);  // 8 MiB each, kept
    }
}
"""

JAVA_LOOP = """public class @MARKER@ {
    static volatile long x;
    public static void main(String[] args) { for (;;) x++; }
}
"""  # the marker names the class: it is in the JVM's argv, batch or not


def compiled(name: str, source: str, sandbox, cache):
    language = get_language(name)
    if not language.toolchain().available:
        pytest.skip(language.toolchain().missing_message())
    built = build(language, source, sandbox, cache=cache)
    assert built.ok, built.diagnostics
    return language, built


def assert_harness_alive(sandbox, cache) -> None:
    """The same sandbox still runs programs, both workers (a bomb took nothing of the harness with it)."""
    language, built = compiled("c", '#include <stdio.h>\nint main(void) { puts("alive"); return 0; }\n', sandbox,
                               cache)
    futures = [sandbox.submit(language.run_command(language.toolchain(), built.artifacts), QUICK) for _ in range(4)]
    assert all(f.result(timeout=60).stdout == b"alive\n" for f in futures)


def run_watched(source: str, name: str, sandbox, cache, limits: Limits, *args: str):
    """Build and run a marked program while the host watches for its processes; none may outlive it."""
    language, built = compiled(name, source, sandbox, cache)
    marker = new_marker()
    with hp.Watch(marker) as watch:
        r = run(language, built, sandbox, args=(marker, *args), limits=limits)
    assert_no_survivors(marker)
    assert watch.seen, "the watch never saw the job: it proves nothing"
    return r, watch


def test_c_fork_bomb_is_capped_and_leaves_nothing(sandbox, cache):
    limits = Limits(wall_s=2, cpu_s=2, memory_mb=256, processes=16)
    r, watch = run_watched(C_FORK_BOMB, "c", sandbox, cache, limits)
    assert watch.max_procs <= limits.processes + 1, f"{watch.max_procs} processes at once, limit {limits.processes}"
    assert r.status in (Status.TIMEOUT, Status.CPU_LIMIT) and r.stdout == b"bombing\n", r
    assert_harness_alive(sandbox, cache)


def test_c_memory_bomb_is_capped(sandbox, cache):
    limits = Limits(wall_s=10, cpu_s=5, memory_mb=256)
    r, watch = run_watched(C_MEMORY_BOMB, "c", sandbox, cache, limits)
    assert watch.max_rss_kb <= (limits.memory_mb + 16) * 1024, f"job RSS {watch.max_rss_kb} kB"
    assert r.status is not Status.OK, r
    if r.stdout:  # malloc said no (RLIMIT_AS) before the cgroup's OOM killer struck
        assert int(r.stdout.split()[1]) <= limits.memory_mb, r
    assert_harness_alive(sandbox, cache)


def test_java_memory_bomb_is_capped(sandbox, cache):
    limits = Limits(wall_s=15, cpu_s=10, memory_mb=256)
    r, watch = run_watched(JAVA_MEMORY_BOMB, "java", sandbox, cache, limits)
    assert r.status is Status.MEMORY_LIMIT and b"OutOfMemoryError" in r.stderr, r
    # the heap is held to memory_mb (-Xmx); the JVM's own RSS (code, metaspace, stacks) is well under 256 MiB more
    assert watch.max_rss_kb <= (limits.memory_mb + 256) * 1024, f"job RSS {watch.max_rss_kb} kB"
    assert_harness_alive(sandbox, cache)


def test_c_connect_to_host_listener_is_blocked(sandbox, cache):
    c, built = compiled("c", C_CONNECT, sandbox, cache)
    listener = hp.Listener()
    try:
        socket.create_connection(("127.0.0.1", listener.port), timeout=2).close()  # the listener does count
        deadline = time.monotonic() + 5
        while listener.accepted < 1 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert listener.accepted == 1, "the listener counts nothing: this test would prove nothing"
        r = run(c, built, sandbox, args=(new_marker(), str(listener.port)), limits=QUICK)
        time.sleep(0.3)
        assert listener.accepted == 1, f"the job reached the host: {r.stdout!r}"
        assert r.status is Status.OK and r.stdout.startswith(b"blocked"), r
    finally:
        listener.close()


def test_c_writing_outside_the_work_dir_is_denied(sandbox, cache, host_scratch, tmp_path):  # noqa: F811
    c, built = compiled("c", C_WRITE_OUTSIDE, sandbox, cache)
    marker = new_marker()
    open_dir = world_writable_dir(host_scratch, f"c-{marker}")
    os.chmod(tmp_path, 0o777)
    targets = [str(open_dir / marker), str(tmp_path / marker), f"/tmp/{marker}", f"/dev/shm/{marker}",
               str(REPO / marker), f"../{marker}", f"/{marker}"]
    try:
        r = run(c, built, sandbox, args=(marker, *targets), limits=QUICK)
        assert r.status is Status.OK and r.stdout.startswith(b"inside ok\n"), r  # it could write: its own dir
        assert not hp.escaped(targets), f"the job wrote on the host: {hp.escaped(targets)}"
        # the job's own private /tmp (its work dir's parent) and /dev/shm are writable, emptied after the job;
        # every other path must be denied
        private = {f"../{marker}", f"/tmp/{marker}", f"/dev/shm/{marker}"}
        wrote = [line.split(" ", 1)[1] for line in r.stdout.decode().splitlines() if line.startswith("wrote ")]
        assert set(wrote) <= private, r
    finally:
        for path in hp.escaped(targets):
            os.unlink(path)


def test_c_setsid_orphan_never_survives_nor_writes(sandbox, cache, host_scratch, tmp_path):  # noqa: F811
    c, built = compiled("c", C_SETSID_ORPHAN, sandbox, cache)
    marker = new_marker()
    open_dir = world_writable_dir(host_scratch, f"orphan-{marker}")
    os.chmod(tmp_path, 0o777)
    targets = [str(open_dir / marker), str(tmp_path / marker), f"/tmp/{marker}", str(REPO / marker)]
    with hp.Watch(marker) as watch:
        r = run(c, built, sandbox, args=(marker, *targets), limits=QUICK)
    assert_no_survivors(marker)
    assert r.stdout == b"orphan launched\n", r
    assert len(watch.seen) >= 2, f"the watch saw {len(watch.seen)} of the job's processes alive"
    time.sleep(2.0)  # past the moment the orphan would have written
    assert_no_survivors(marker)
    assert not hp.escaped(targets), f"an orphan wrote on the host: {hp.escaped(targets)}"


@pytest.mark.parametrize("batched", [False, True], ids=["one-jvm-per-input", "batch"])
def test_java_infinite_loop_is_gone_within_the_limit(sandbox, cache, batched):
    marker = new_marker()
    java, built = compiled("java", JAVA_LOOP.replace("@MARKER@", marker), sandbox, cache)
    limits = Limits(wall_s=4, cpu_s=1, memory_mb=256)
    start = time.monotonic()
    with hp.Watch(marker) as watch:
        if batched:
            results = run_batch(java, built, sandbox, [b"", b""], limits, cache=cache)
            assert len(results) == 1, results  # the first timeout ends the batch
            r = results[0]
        else:
            r = run(java, built, sandbox, limits=limits)
    elapsed = time.monotonic() - start
    assert_no_survivors(marker)
    assert watch.seen, "the watch never saw the JVM"
    assert r.status in (Status.TIMEOUT, Status.CPU_LIMIT), r  # stopped by a limit: the loop never ends by itself
    # generous on purpose (a loaded machine stretches a JVM's start and wall time): it only catches a kill that
    # waited on something else (a grace period of its own, the next input of the batch)
    assert elapsed < limits.wall_s + 60, (r.wall_s, elapsed)
    assert_harness_alive(sandbox, cache)


def test_witnesses_see_the_c_programs_escape_without_the_sandbox(sandbox, cache, host_scratch, tmp_path):  # noqa: F811
    """Control: the same binaries run unsandboxed do write on the host and reach the listener, and the checks
    above see it; so a sandbox that stopped containing them would fail those tests, not pass them vacuously."""
    import subprocess

    marker = new_marker()
    open_dir = world_writable_dir(host_scratch, f"control-{marker}")
    targets = [str(open_dir / marker), str(tmp_path / marker)]
    listener = hp.Listener()
    try:
        for source, args in ((C_WRITE_OUTSIDE, targets), (C_CONNECT, [str(listener.port)])):
            _, built = compiled("c", source, sandbox, cache)
            binary = tmp_path / f"prog-{len(args)}"
            binary.write_bytes(built.artifacts["main"])
            binary.chmod(0o755)
            subprocess.run([str(binary), marker, *args], cwd=tmp_path, capture_output=True, timeout=30, check=True)
        deadline = time.monotonic() + 5
        while listener.accepted < 1 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert hp.escaped(targets) == targets and listener.accepted == 1
    finally:
        listener.close()
        for path in hp.escaped(targets):
            os.unlink(path)
