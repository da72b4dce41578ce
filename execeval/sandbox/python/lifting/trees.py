"""The test code's syntax trees as the lifting steps read them: parsed once, walked fast.

A fork server lifts each task's tests once, on its first sample, and every server does so apart: this is most of
that per-task CPU (a HumanEval task's setup walked and parsed), so it is kept small and shared.
"""

from __future__ import annotations

import ast
import functools
from collections.abc import Iterator


def nodes(body: list[ast.stmt]) -> Iterator[ast.AST]:
    """Every node of `body`, as `ast.walk` gives them but in no set order, twice as fast: a task's first job
    walks its whole setup (`_bound`), ~15% of the CPU its lifting costs each fork server."""
    stack: list[ast.AST] = list(body)
    while stack:
        node = stack.pop()
        yield node
        for field in node._fields:
            value = getattr(node, field, None)
            if type(value) is list:
                stack.extend([item for item in value if isinstance(item, ast.AST)])
            elif isinstance(value, ast.AST):
                stack.append(value)


@functools.lru_cache(maxsize=4)
def parsed(code: str) -> list[ast.stmt] | None:
    """`code`'s statements (None if it does not parse), read, never changed, by every step that needs them: a
    task's setup was parsed up to three times per fork server (its `check`, the names it binds, its `import
    math`), ~20% of the CPU a task's lifting costs."""
    try:
        return ast.parse(code).body
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
