"""How a job's child tells the fork server that setting up its sandbox failed, where the job's code can't.

A set-up failure is the harness's fault: the job is retried, and a sample that still ends so is left out of the
scores. Told by an exit code and a line on stderr, any candidate could claim one (write the line, exit with the
code) and drop its failing sample from the denominator. So the child writes the failure into one page of memory
shared with the server (MAP_SHARED, made once per server, no file behind it) and unmaps that page once set-up is
done, before any of the job's code runs: the code has no way back to it. The server reads the page after each
job that exited with `SETUP_FAILED` and clears it.

ctypes rather than the `mmap` module: an extension module would stay mapped in the server, and every fork pays
for each mapping (see forkserver.py).
"""

from __future__ import annotations

import ctypes

from execeval.sandbox.isolation.linux import libc

SETUP_FAILED = 112  # the child's exit code when its set-up failed (the page says whether it really did)
_PAGE = 4096
_PROT_READ, _PROT_WRITE, _MAP_SHARED, _MAP_ANONYMOUS = 1, 2, 0x01, 0x20
_MARK = b"F"

libc.mmap.restype = ctypes.c_void_p
libc.mmap.argtypes = (ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_long)
libc.munmap.argtypes = (ctypes.c_void_p, ctypes.c_size_t)


class SetupReport:
    """One shared page: `failed(why)` in the child, `done()` in the child once set up, `take()` in the server."""

    def __init__(self) -> None:
        address = libc.mmap(None, _PAGE, _PROT_READ | _PROT_WRITE, _MAP_SHARED | _MAP_ANONYMOUS, -1, 0)
        if address in (None, ctypes.c_void_p(-1).value):
            raise OSError(ctypes.get_errno(), "mmap of the set-up report page failed")
        self.address: int = address

    def failed(self, why: str) -> None:
        """In the child, before it exits with SETUP_FAILED."""
        data = _MARK + why.encode("utf-8", "replace")[:_PAGE - 2]
        ctypes.memmove(self.address, data, len(data))

    def done(self) -> None:
        """In the child, once set-up is over and before the job's code runs: the page leaves its memory."""
        libc.munmap(self.address, _PAGE)

    def take(self) -> str | None:
        """In the server, after the job: why its set-up failed, or None if it did not (whatever the job wrote or
        how it exited); the page is cleared for the next job."""
        if ctypes.string_at(self.address, 1) != _MARK:
            return None
        why = ctypes.string_at(self.address, _PAGE).rstrip(b"\0")[1:].decode("utf-8", "replace")
        ctypes.memset(self.address, 0, _PAGE)
        return why
