"""How runtimes name the exception that ended a process, read from its stderr: one place for the patterns.

Python and Node end with `Name: message`; a JVM starts with `Exception in thread "main" java.lang.Name: ...`
(its frames follow); C++'s default terminate handler says `terminate called after throwing an instance of 'T'`.
"""

from __future__ import annotations

import re

ERROR_LINE = re.compile(rb"^([A-Za-z_][\w.]*(?:Error|Exception|Exit|Interrupt))\b")  # Python, JS: "Name: msg"
JVM_UNCAUGHT = re.compile(rb'Exception in thread "[^"\n]*" ([A-Za-z_][\w.$]*)')
CPP_UNCAUGHT = re.compile(rb"terminate called after throwing an instance of '([^']+)'")
