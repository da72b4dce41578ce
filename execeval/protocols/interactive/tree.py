"""An episode's file tree as data: read from a tar, compared the way `git status --short` lists changes.

Bash episodes keep their state in the harness as one tar (directories, symlinks and modes survive), so the
reward is computed here, outside the sandbox, from three trees: the starting one, the agent's and the gold
command's. Like git, only files and symlinks are tracked (an empty new directory is no change), and a new
directory holding no file of the starting tree is one change, `dir/`, as git's `?? dir/`.
"""

from __future__ import annotations

import hashlib
import io
import tarfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Entry", "Tree", "Change", "changes", "tar_directory", "ROOT"]

ROOT = "fs"  # the tree's top directory inside every state tar


@dataclass(frozen=True)
class Entry:
    kind: str  # "file" | "link"
    digest: str  # sha256 of the content, or of the link's target
    executable: bool = False  # the one mode bit git tracks


@dataclass(frozen=True)
class Tree:
    """path (relative to the tree's root, '/'-separated) -> Entry, for files and symlinks."""

    entries: Mapping[str, Entry]
    dirs: frozenset[str] = frozenset()

    @classmethod
    def from_tar(cls, data: bytes, root: str = ROOT) -> "Tree":
        entries: dict[str, Entry] = {}
        dirs = set()
        prefix = root.rstrip("/") + "/"
        with tarfile.open(fileobj=io.BytesIO(data)) as tar:
            for m in tar:
                name = m.name.removeprefix("./")
                if not name.startswith(prefix):
                    continue
                path = name[len(prefix):].rstrip("/")
                if not path:
                    continue
                if m.isdir():
                    dirs.add(path)
                elif m.issym():
                    entries[path] = Entry("link", _sha(m.linkname.encode()))
                elif m.isfile():
                    f = tar.extractfile(m)
                    entries[path] = Entry("file", _sha(f.read() if f else b""), bool(m.mode & 0o111))
        return cls(entries, frozenset(dirs))

    def content(self, path: str) -> tuple:
        """What two trees must share for `path` (a file, a link, or `dir/` with everything under it) to count
        as identical."""
        if path.endswith("/"):
            return tuple(sorted((p, e) for p, e in self.entries.items() if p.startswith(path)))
        return (self.entries.get(path),)

    def under(self, directory: str) -> Iterator[str]:
        prefix = directory.rstrip("/") + "/"
        return (p for p in self.entries if p.startswith(prefix))


@dataclass(frozen=True, order=True)
class Change:
    path: str
    kind: str  # "added" | "modified" | "deleted"


def changes(start: Tree, end: Tree) -> list[Change]:
    """What `git status --short` would show for `end` after committing `start`."""
    found = []
    for path, entry in start.entries.items():
        now = end.entries.get(path)
        if now is None:
            found.append(Change(path, "deleted"))
        elif now != entry:
            found.append(Change(path, "modified"))
    added = set()
    for path in end.entries:
        if path in start.entries:
            continue
        added.add(_untracked_root(path, start))
    found.extend(Change(p, "added") for p in added)
    return sorted(found)


def _untracked_root(path: str, start: Tree) -> str:
    """The shallowest directory above `path` that held no file at the start (`dir/`), else `path` itself."""
    parts = path.split("/")
    for depth in range(1, len(parts)):
        directory = "/".join(parts[:depth])
        if next(start.under(directory), None) is None:
            return directory + "/"
    return path


def tar_directory(directory: str | Path, root: str = ROOT) -> bytes:
    """A directory as a state tar (its contents under `root/`), deterministic: sorted, fixed owner and times
    kept as they are, so the same fixture gives the same bytes."""
    directory = Path(directory)
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.GNU_FORMAT) as tar:
        top = tarfile.TarInfo(root)
        top.type, top.mode = tarfile.DIRTYPE, 0o755
        tar.addfile(top)
        for path in sorted(directory.rglob("*")):
            info = tar.gettarinfo(str(path), arcname=f"{root}/{path.relative_to(directory).as_posix()}")
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            if info.isfile():
                with open(path, "rb") as f:
                    tar.addfile(info, f)
            else:
                tar.addfile(info)
    return buf.getvalue()


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
