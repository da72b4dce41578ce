"""What a job leaves behind, removed by the fork server between jobs, in ways no job's leftovers can break.

Everything here runs in the server after every process of the job is gone (PID 1 of its namespace killed and
reaped them), so nothing races it; still, nothing here follows a symlink or recurses in Python: a job decides
the shape of what it leaves (a 1,500-deep directory made `shutil.rmtree` hit RecursionError and kill the server).
A failure raises `CleanupError`; the server then answers the job as judged and retires itself (see process.py).
"""

from __future__ import annotations

import os
import stat

_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC


class CleanupError(Exception):
    """What a job left could not be removed: the server that ran it must not run another job."""


def empty_tree(path: str, keep: frozenset[str] | set[str] = frozenset()) -> None:
    """Remove everything below `path` (but the top-level names in `keep`), depth first with an explicit stack.

    At most two directory fds are open at once (the next level is opened from the current one, the way back is
    `..`), and no path longer than one name is ever built, so neither the depth nor the names' length of what a
    job made can exhaust fds, PATH_MAX or Python's recursion limit."""
    fd = os.open(path, _DIR_FLAGS)
    pending: list[list[str]] = []  # per level below `path`: the subdirectories of that level still to remove
    try:
        while True:
            subdirs = []
            with os.scandir(fd) as entries:
                for entry in entries:
                    if not pending and entry.name in keep:
                        continue
                    if entry.is_dir(follow_symlinks=False):
                        subdirs.append(entry.name)
                    else:
                        os.unlink(entry.name, dir_fd=fd)
            pending.append(subdirs)
            while pending and not pending[-1]:  # this level is empty: go up, removing it
                pending.pop()
                if not pending:
                    return
                parent = os.open("..", _DIR_FLAGS, dir_fd=fd)
                os.close(fd)
                fd = parent
                os.rmdir(pending[-1].pop(), dir_fd=fd)
            try:
                child = os.open(pending[-1][-1], _DIR_FLAGS, dir_fd=fd)
            except PermissionError:  # `chmod 0` by a job of the server's own uid (no namespaces): undo it
                os.chmod(pending[-1][-1], stat.S_IRWXU, dir_fd=fd)
                child = os.open(pending[-1][-1], _DIR_FLAGS, dir_fd=fd)
            os.close(fd)
            fd = child
    finally:
        os.close(fd)
