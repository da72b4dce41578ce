"""Code out of a chat model's reply: pick the right fenced block, then keep only what a test harness should run.

Chat models wrap code in prose and Markdown, and add their own demos (`print(f(3))`, asserts, an
`if __name__ == "__main__":` block) that would print noise, fail on their own wrong guesses, or wait for input.
Everything here is static (`ast`, never running the code), so it is safe on any reply.
"""

from __future__ import annotations

import ast
import re

__all__ = ["extract_code", "sanitize", "fenced_blocks", "defines"]

_FENCE = re.compile(r"^[ \t]*(`{3,}|~{3,})[ \t]*([\w+#.-]*)[^\n]*\n(.*?)(?:^[ \t]*\1[ \t]*$|\Z)", re.M | re.S)
_CONTINUES = re.compile(r"(else|elif|except|finally)\b|[)\]}]")  # column-0 lines that continue a statement
_TEST_CALLS = frozenset({"print", "check", "test", "main", "unittest.main", "doctest.testmod", "pytest.main"})
_LANGS = frozenset({"", "python", "py", "python3", "py3"})


def fenced_blocks(reply: str) -> list[tuple[str, str]]:
    """(language, code) of every fenced block, in order; an unclosed last fence (a cut-off reply) counts."""
    return [(m.group(2).lower(), m.group(3)) for m in _FENCE.finditer(reply)]


def defines(code: str, name: str) -> bool:
    """Whether `code` has a top-level `def name` / `class name` (by regex, so broken code still counts)."""
    return re.search(rf"^(?:async[ \t]+)?(?:def|class)[ \t]+{re.escape(name)}\b", code, re.M) is not None


def extract_code(reply: str, entry_point: str | None = None) -> str:
    """The fenced block that defines `entry_point`, else the first Python (or untagged) block, else the first
    block, else the whole reply."""
    blocks = fenced_blocks(reply)
    if entry_point:
        for _, code in blocks:
            if defines(code, entry_point):
                return code
    python = [code for lang, code in blocks if lang in _LANGS]
    if python or blocks:
        return (python or [blocks[0][1]])[0]
    return reply


def sanitize(code: str, entry_point: str | None = None) -> str:
    """Keep the definitions; drop prose lines that do not parse, `if __name__ == "__main__":` blocks, and
    top-level asserts, prints and test calls (any top-level statement that calls the entry point)."""
    source = _parseable(code)
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return source
    lines = source.splitlines()
    drop: set[int] = set()
    for node in tree.body:
        if _is_noise(node, entry_point):
            start = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])])
            drop.update(range(start - 1, (node.end_lineno or node.lineno)))
    kept = "\n".join(line for i, line in enumerate(lines) if i not in drop)
    return re.sub(r"\n{3,}", "\n\n", kept).strip("\n") + "\n"


def _parseable(code: str) -> str:
    """Drop top-level chunks that do not parse (prose), keeping multi-chunk statements together.

    A chunk starts at each column-0 line (except `else:`, `except`, closing brackets, and the `def` after a
    decorator). A chunk that fails to parse is held: if it parses joined with the next chunk, both are kept
    (e.g. a triple-quoted string with column-0 lines); if the next parses alone, the held text was prose.
    """
    chunks: list[list[str]] = []
    for line in code.replace("\r\n", "\n").expandtabs(8).split("\n"):
        starts = bool(line) and not line[0].isspace() and not _CONTINUES.match(line)
        if starts and chunks and chunks[-1][0].startswith("@") and all(
                x.startswith("@") or not x.strip() for x in chunks[-1]):
            starts = False
        if starts or not chunks:
            chunks.append([line])
        else:
            chunks[-1].append(line)
    kept: list[str] = []
    held: list[str] = []
    for chunk in chunks:
        if held and _parses(held + chunk):
            kept += held + chunk
            held = []
        elif _parses(chunk):
            kept += chunk
            held = []
        else:
            held = held + chunk if held else chunk
    return "\n".join(kept)


def _parses(lines: list[str]) -> bool:
    try:
        ast.parse("\n".join(lines))
        return True
    except (SyntaxError, ValueError):
        return False


def _is_noise(node: ast.stmt, entry_point: str | None) -> bool:
    """Top-level statements a candidate program must not run at import."""
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Import, ast.ImportFrom)):
        return False
    if isinstance(node, ast.If) and _is_main_guard(node.test):
        return True
    if isinstance(node, ast.Assert):
        return True
    if isinstance(node, ast.Expr) and isinstance(node.value, (ast.Name, ast.Attribute)):
        return True  # a stray word of prose that happens to parse ("Output")
    if isinstance(node, ast.Expr) and isinstance(node.value, ast.Call):
        called = _name(node.value.func)
        if called in _TEST_CALLS or called.startswith("test_"):
            return True
    return bool(entry_point) and any(isinstance(n, ast.Call) and _name(n.func) == entry_point
                                     for n in ast.walk(node))


def _is_main_guard(test: ast.expr) -> bool:
    if not (isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], ast.Eq)):
        return False
    return {_name(test.left) or _const(test.left),
            _name(test.comparators[0]) or _const(test.comparators[0])} == {"__name__", "__main__"}


def _name(node: ast.expr) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return f"{_name(node.value)}.{node.attr}"
    return ""


def _const(node: ast.expr) -> str:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else ""
