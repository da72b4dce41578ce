"""Which compiled Java class has `public static void main(String[])`: read from the class files javac wrote.

Reading the bytecode (not the source) is exact: comments, strings, nested classes and modifiers in any order
cannot mislead it, and MultiPL-E's package-private `class Problem` is found as well as a contest's `public class
Main`. Only the constant pool and the method table are read, within bounds; a malformed file is skipped.
"""

from __future__ import annotations

import struct
from collections.abc import Mapping

ACC_PUBLIC, ACC_STATIC = 0x0001, 0x0008
MAIN_DESCRIPTOR = "([Ljava/lang/String;)V"
_FIXED_SIZE = {3: 4, 4: 4, 5: 8, 6: 8, 7: 2, 8: 2, 9: 4, 10: 4, 11: 4, 12: 4, 15: 3, 16: 2, 17: 4, 18: 4, 19: 2, 20: 2}


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data, self.pos = data, 0

    def take(self, fmt: str) -> tuple:
        values = struct.unpack_from(fmt, self.data, self.pos)
        self.pos += struct.calcsize(fmt)
        return values

    def skip(self, n: int) -> None:
        if self.pos + n > len(self.data):
            raise struct.error("truncated")
        self.pos += n


def _members(r: _Reader, utf8: dict[int, str]) -> list[tuple[int, str, str]]:
    """A field or method table: (access flags, name, descriptor) each; attributes skipped."""
    (count,) = r.take(">H")
    members = []
    for _ in range(count):
        flags, name, desc, attrs = r.take(">HHHH")
        for _ in range(attrs):
            _, length = r.take(">HI")
            r.skip(length)
        members.append((flags, utf8.get(name, ""), utf8.get(desc, "")))
    return members


def parse(data: bytes) -> tuple[str, int, bool]:
    """(binary class name like `Outer$Inner`, class access flags, has a `public static void main(String[])`)."""
    r = _Reader(data)
    magic, _, _, cp_count = r.take(">IHHH")
    if magic != 0xCAFEBABE:
        raise struct.error("not a class file")
    utf8: dict[int, str] = {}
    classes: dict[int, int] = {}
    index = 1
    while index < cp_count:
        (tag,) = r.take(">B")
        if tag == 1:
            (length,) = r.take(">H")
            utf8[index] = r.data[r.pos:r.pos + length].decode("utf-8", "replace")
            r.skip(length)
        elif tag in _FIXED_SIZE:
            if tag == 7:
                classes[index] = struct.unpack_from(">H", r.data, r.pos)[0]
            r.skip(_FIXED_SIZE[tag])
        else:
            raise struct.error(f"unknown constant tag {tag}")
        index += 2 if tag in (5, 6) else 1  # a long or a double takes two slots
    access, this_class, _, n_interfaces = r.take(">HHHH")
    r.skip(2 * n_interfaces)
    _members(r, utf8)  # fields
    has_main = any(flags & (ACC_PUBLIC | ACC_STATIC) == ACC_PUBLIC | ACC_STATIC and name == "main"
                   and desc == MAIN_DESCRIPTOR for flags, name, desc in _members(r, utf8))
    return utf8.get(classes.get(this_class, 0), "").replace("/", "."), access, has_main


def main_class(artifacts: Mapping[str, bytes]) -> str | None:
    """The class to launch: among those with a main, a public top-level one first, then any top-level one, then
    a nested one; ties broken by name, so the choice never depends on file order."""
    found = []
    for name, data in artifacts.items():
        if not name.endswith(".class"):
            continue
        try:
            binary, access, has_main = parse(data)
        except (struct.error, UnicodeError):
            continue
        if has_main and binary:
            found.append(("$" in binary, not access & ACC_PUBLIC, binary))
    return min(found)[2] if found else None
