"""Hostile assembly on every ISA, through the real sandbox: raw system calls from the guest stay contained.

Under qemu-user the guest's `svc #0` / `ecall` become the emulator's own system calls on the host, so the same
seccomp filter, namespaces and rlimits apply to them as to a native `syscall`. Each hostile program is C compiled
by the ISA's gcc to assembly (in the sandbox) plus a stub that issues the raw system call instruction: every
hostile act below goes through that stub, never through libc. The candidate is the whole `.s`; the host checks
containment as tests/test_hostile_languages.py does (processes by marker, files by path, a listener it owns).
"""

from __future__ import annotations

import os
import socket
import time

import pytest

import hostile_programs as hp
from execeval.judges.program_tests import judge_test_program
from execeval.languages import build, run
from execeval.languages.asm import EMULATOR_RESERVE_MB
from execeval.sandbox import Limits, Status
from test_asm import HARNESS, ISAS, gcc_assembly, require
from test_hostile import REPO, assert_no_survivors, host_scratch, new_marker, world_writable_dir  # noqa: F401
from test_hostile_languages import assert_harness_alive
from test_languages import sandbox  # noqa: F401 - the same module-scoped fixture (`cache` is conftest.py's)

QUICK = Limits(wall_s=15, cpu_s=5, memory_mb=256)

# long execeval_raw(long nr, long a, long b, long c, long d, long e, long f): the ISA's system call instruction
RAW_STUB = {
    "x86_64": "movq %rdi, %rax\n movq %rsi, %rdi\n movq %rdx, %rsi\n movq %rcx, %rdx\n movq %r8, %r10\n"
              " movq %r9, %r8\n movq 8(%rsp), %r9\n syscall\n ret",
    "aarch64": "mov x8, x0\n mov x0, x1\n mov x1, x2\n mov x2, x3\n mov x3, x4\n mov x4, x5\n mov x5, x6\n"
               " svc #0\n ret",
    "riscv64": "mv a7, a0\n mv a0, a1\n mv a1, a2\n mv a2, a3\n mv a3, a4\n mv a4, a5\n mv a5, a6\n ecall\n ret",
}
PRELUDE = """#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <unistd.h>
#define HOLD() usleep(300000)  /* long enough for the host to see the job alive */
long execeval_raw(long nr, long a, long b, long c, long d, long e, long f);
#define RAW(nr, a, b, c) execeval_raw(nr, (long)(a), (long)(b), (long)(c), 0, 0, 0)
"""

FORK_LOOP = PRELUDE + """
int main(void) {
    puts("bombing"); fflush(stdout);
    for (;;) RAW(SYS_clone, SIGCHLD, 0, 0);  /* fork, as the kernel sees it: one raw clone */
}
"""
CONNECT = PRELUDE + """
#include <arpa/inet.h>
int main(int argc, char **argv) {
    long fd = RAW(SYS_socket, AF_INET, SOCK_STREAM, 0);
    if (fd < 0) { printf("blocked socket %ld\\n", fd); fflush(stdout); HOLD(); return 0; }
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET; a.sin_port = htons(atoi(argv[2])); a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    long rc = RAW(SYS_connect, fd, &a, sizeof a);
    if (rc == 0) { RAW(SYS_write, fd, "hi", 2); puts("connected"); return 0; }
    printf("blocked connect %ld\\n", rc);
    HOLD(); return 0;
}
"""
WRITE_OUTSIDE = PRELUDE + """
int main(int argc, char **argv) {
    for (int i = 2; i < argc; i++) {
        long fd = RAW(SYS_openat, AT_FDCWD, argv[i], O_WRONLY | O_CREAT | O_TRUNC);
        if (fd >= 0 && RAW(SYS_write, fd, "escaped", 7) == 7) printf("wrote %s\\n", argv[i]);
        else printf("denied %s %ld\\n", argv[i], fd);
    }
    HOLD(); return 0;
}
"""
PTRACE = PRELUDE + """
int main(void) {
    printf("traceme %ld\\n", RAW(SYS_ptrace, PTRACE_TRACEME, 0, 0));
    printf("attach-parent %ld\\n", RAW(SYS_ptrace, PTRACE_ATTACH, RAW(SYS_getppid, 0, 0, 0), 0));
    printf("attach-1 %ld\\n", RAW(SYS_ptrace, PTRACE_ATTACH, 1, 0));
    fflush(stdout); HOLD(); return 0;
}
"""
HUGE_MMAP = PRELUDE + """
int main(void) {
    for (long mb = 1L << 20; mb >= 64; mb /= 2) {  /* from 1 TiB down: the largest map the job gets, touched */
        char *p = (char *)execeval_raw(SYS_mmap, 0, mb << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                                       -1, 0);
        if ((unsigned long)p > -4096UL) continue;
        printf("mapped %ld MiB\\n", mb); fflush(stdout);
        for (long i = 0; i < (mb << 20); i += 4096) p[i] = 1;
        puts("touched"); fflush(stdout); HOLD(); return 0;
    }
    puts("refused"); return 0;
}
"""
SELF_MODIFYING = PRELUDE + """
#include <stdint.h>
__attribute__((noipa)) int seven(void) { return 7; }  /* noipa: every call really runs its code */
__attribute__((noipa)) int forty_two(void) { return 42; }
int main(void) {
    uintptr_t page = (uintptr_t)seven & ~(uintptr_t)4095;
    long rc = RAW(SYS_mprotect, page, 8192, PROT_READ | PROT_WRITE | PROT_EXEC);
    if (rc != 0) { printf("mprotect %ld\\n", rc); fflush(stdout); HOLD(); return 0; }
    int before = seven();
    memcpy((void *)seven, (void *)forty_two, 16);  /* the code of one function over another's */
    __builtin___clear_cache((char *)seven, (char *)seven + 16);
    printf("smc %d %d\\n", before, seven());
    fflush(stdout); HOLD(); return 0;
}
"""
ENDLESS = PRELUDE + "int main(void) { for (;;) RAW(SYS_getpid, 0, 0, 0); }\n"
EARLY_EXIT = PRELUDE + """int count_below(const int *a, int n, int limit) { RAW(SYS_exit_group, 0, 0, 0); return 0; }
"""


def hostile(isa: str, c_source: str, sandbox, cache):  # noqa: F811
    """The hostile C as this ISA's assembly, with the raw system call stub; built as the whole program."""
    language = require(isa)
    stub = f"\t.text\n\t.globl execeval_raw\n\t.type execeval_raw, %function\nexeceval_raw:\n {RAW_STUB[isa]}\n"
    source = gcc_assembly(isa, c_source, sandbox) + "\n" + stub
    built = build(language, source, sandbox, cache=cache)
    assert built.ok, built.diagnostics
    return language, built, source


def run_watched(isa: str, c_source: str, sandbox, cache, limits: Limits, *args: str):  # noqa: F811
    language, built, _ = hostile(isa, c_source, sandbox, cache)
    marker = new_marker()  # in argv: the host finds the job (qemu's process, and every one it forks) by it
    with hp.Watch(marker) as watch:
        r = run(language, built, sandbox, args=(marker, *args), limits=limits)
    assert_no_survivors(marker)
    assert watch.seen, "the watch never saw the job: it proves nothing"
    return r, watch


@pytest.mark.parametrize("isa", ISAS)
def test_raw_fork_loop_is_capped_and_leaves_nothing(sandbox, cache, isa):  # noqa: F811
    limits = Limits(wall_s=3, cpu_s=2, memory_mb=256, processes=16)
    r, watch = run_watched(isa, FORK_LOOP, sandbox, cache, limits)
    assert watch.max_procs <= limits.processes + 1, f"{watch.max_procs} processes at once, limit {limits.processes}"
    # qemu's children of a raw clone may say why they gave up (on stdout): the job's own words come first
    assert r.status in (Status.TIMEOUT, Status.CPU_LIMIT) and r.stdout.startswith(b"bombing\n"), r
    assert_harness_alive(sandbox, cache)


@pytest.mark.parametrize("isa", ISAS)
def test_raw_socket_to_host_listener_is_blocked(sandbox, cache, isa):  # noqa: F811
    listener = hp.Listener()
    try:
        socket.create_connection(("127.0.0.1", listener.port), timeout=2).close()  # the listener does count
        deadline = time.monotonic() + 5
        while listener.accepted < 1 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert listener.accepted == 1, "the listener counts nothing: this test would prove nothing"
        r, _ = run_watched(isa, CONNECT, sandbox, cache, QUICK, str(listener.port))
        time.sleep(0.3)
        assert listener.accepted == 1, f"the job reached the host: {r.stdout!r}"
        assert r.status is Status.OK and r.stdout.startswith(b"blocked"), r
    finally:
        listener.close()


@pytest.mark.parametrize("isa", ISAS)
def test_raw_writes_outside_the_work_dir_are_denied(sandbox, cache, host_scratch, tmp_path, isa):  # noqa: F811
    marker = new_marker()
    open_dir = world_writable_dir(host_scratch, f"asm-{isa}-{marker}")
    os.chmod(tmp_path, 0o777)
    targets = [str(open_dir / marker), str(tmp_path / marker), str(REPO / marker), f"/{marker}", "inside.txt"]
    try:
        r, _ = run_watched(isa, WRITE_OUTSIDE, sandbox, cache, QUICK, *targets)
        assert r.status is Status.OK and b"wrote inside.txt\n" in r.stdout, r  # its own work dir: writable
        assert not hp.escaped(targets[:-1]), f"the job wrote on the host: {hp.escaped(targets[:-1])}"
        assert r.stdout.count(b"denied ") == 4, r
    finally:
        for path in hp.escaped(targets[:-1]):
            os.unlink(path)


@pytest.mark.parametrize("isa", ISAS)
def test_raw_ptrace_is_denied(sandbox, cache, isa):  # noqa: F811
    r, _ = run_watched(isa, PTRACE, sandbox, cache, QUICK)
    assert r.status is Status.OK, r
    results = dict(line.split() for line in r.stdout.decode().splitlines())
    assert set(results) == {"traceme", "attach-parent", "attach-1"} and all(int(v) < 0 for v in results.values()), r


@pytest.mark.parametrize("isa", ISAS)
def test_raw_huge_mmap_is_capped(sandbox, cache, isa):  # noqa: F811
    limits = Limits(wall_s=20, cpu_s=10, memory_mb=256)
    r, watch = run_watched(isa, HUGE_MMAP, sandbox, cache, limits)
    reserve = 0 if isa == "x86_64" else EMULATOR_RESERVE_MB  # the emulator's own room (docs/languages.md)
    assert watch.max_rss_kb <= (limits.memory_mb + reserve + 16) * 1024, f"job RSS {watch.max_rss_kb} kB"
    mapped = [int(line.split()[1]) for line in r.stdout.decode().splitlines() if line.startswith("mapped")]
    assert mapped, r
    if mapped[0] > limits.memory_mb + reserve:  # a cgroup caps the job's memory, not its address space
        # (tests/test_memory_cap.py): the reservation was granted, touching it was not
        assert r.status is Status.MEMORY_LIMIT and "no RLIMIT_AS" in dict(sandbox.isolation().enforcement)["memory"], r
    assert_harness_alive(sandbox, cache)


@pytest.mark.parametrize("isa", ISAS)
def test_self_modifying_code_runs_contained(sandbox, cache, isa):  # noqa: F811
    """Code rewritten at run time is no way out: the emulator retranslates it (or the kernel refuses the W+X
    mapping), and the job still ends within its limits, leaving nothing behind."""
    r, _ = run_watched(isa, SELF_MODIFYING, sandbox, cache, QUICK)
    assert r.status is Status.OK and (r.stdout == b"smc 7 42\n" or r.stdout.startswith(b"mprotect -")), r


@pytest.mark.parametrize("isa", ISAS)
def test_endless_loop_of_system_calls_is_stopped(sandbox, cache, isa):  # noqa: F811
    limits = Limits(wall_s=4, cpu_s=1, memory_mb=256)
    r, _ = run_watched(isa, ENDLESS, sandbox, cache, limits)
    assert r.status in (Status.TIMEOUT, Status.CPU_LIMIT), r
    assert_harness_alive(sandbox, cache)


@pytest.mark.parametrize("isa", ISAS)
def test_raw_exit_before_the_tests_end_is_not_a_pass(sandbox, cache, isa):  # noqa: F811
    """The candidate ends the process with status 0 from inside the first test: the harness's end-of-tests
    token was never printed, so the verdict is a failure, not a forged pass."""
    require(isa)
    stub = f"\t.text\n\t.globl execeval_raw\nexeceval_raw:\n {RAW_STUB[isa]}\n"
    candidate = gcc_assembly(isa, EARLY_EXIT, sandbox) + "\n" + stub
    r = judge_test_program(f"asm-{isa}", candidate, HARNESS, sandbox, limits=QUICK, cache=cache)
    assert r.status is Status.FAILED and r.error_type == "EarlyExit", r


ENVIRON_READER = """#include <stdio.h>
#include <string.h>
int count_below(const int *a, int n, int limit);
int main(void) {  /* stands for a candidate that reads its process's environment block from /proc */
    char b[8192]; FILE *f = fopen("/proc/self/environ", "r"); size_t n = f ? fread(b, 1, sizeof b - 1, f) : 0;
    b[n] = 0;
    for (size_t i = 0; i + 19 < n; i++)
        if (!memcmp(b + i, "EXECEVAL_END_TOKEN=", 19) && b[i + 19]) { printf("found %s\\n", b + i + 19); return 0; }
    puts("not found");
    return count_below(0, 0, 0);
}
"""


@pytest.mark.parametrize("isa", ISAS)
def test_end_token_is_not_in_proc_environ(sandbox, cache, isa):  # noqa: F811
    """Natively the harness clears the variable's bytes; under qemu-user (whose own environment the guest cannot
    clear) the token comes in a work-dir file the harness reads and deletes instead."""
    require(isa)
    candidate = gcc_assembly(isa, "int count_below(const int *a, int n, int limit) { return 0; }\n", sandbox)
    r = judge_test_program(f"asm-{isa}", candidate, ENVIRON_READER, sandbox, limits=QUICK, cache=cache)
    assert r.status is not Status.SANDBOX_ERROR and not r.stdout.startswith(b"found"), r  # "found": it leaked


TOKEN_FILE_READER = """#include <stdio.h>
int count_below(const int *a, int n, int limit);
int main(void) {  /* stands for a candidate that looks for the token's file in its work dir once the tests run */
    char b[200]; FILE *f = fopen(".execeval_end_token", "r");
    if (f) { size_t n = fread(b, 1, sizeof b - 1, f); b[n] = 0; printf("found %s\\n", b); return 0; }
    puts("not found");
    return count_below(0, 0, 0);
}
"""


@pytest.mark.parametrize("isa", ISAS)
def test_the_token_file_is_gone_before_the_tests_run(sandbox, cache, isa):  # noqa: F811
    require(isa)
    candidate = gcc_assembly(isa, "int count_below(const int *a, int n, int limit) { return 0; }\n", sandbox)
    r = judge_test_program(f"asm-{isa}", candidate, TOKEN_FILE_READER, sandbox, limits=QUICK, cache=cache)
    assert r.status is Status.OK and b"not found" in r.stdout, r
