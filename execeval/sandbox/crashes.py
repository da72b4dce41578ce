"""How runtimes name the exception that ended a process, read from its stderr: one place for the patterns.

Python and Node end with `Name: message`; a JVM starts with `Exception in thread "main" java.lang.Name: ...`
(its frames follow); C++'s default terminate handler says `terminate called after throwing an instance of 'T'`.
"""

from __future__ import annotations

import re

ERROR_LINE = re.compile(rb"^([A-Za-z_][\w.]*(?:Error|Exception|Exit|Interrupt))\b")  # Python, JS: "Name: msg"
JVM_UNCAUGHT = re.compile(rb'Exception in thread "[^"\n]*" ([A-Za-z_][\w.$]*)')
CPP_UNCAUGHT = re.compile(rb"terminate called after throwing an instance of '([^']+)'")


def error_type_in(stderr: bytes) -> str | None:
    """The exception's class name: Python's traceback ends with it; a JVM's names it first (its frames follow)."""
    m = JVM_UNCAUGHT.search(stderr[-8192:])
    if m:
        return m.group(1).decode().rsplit(".", 1)[-1]
    for line in reversed(stderr.strip().splitlines()[-5:]):
        m = ERROR_LINE.match(line.strip())
        if m:
            return m.group(1).decode().rsplit(".", 1)[-1]
    return None
