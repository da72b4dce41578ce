"""Sizes the README promises: no module over 400 lines, no function over 80, unless the code says why.

A module says why with a `# long module: REASON` line among its first 30 lines; a function with a
`# long function: REASON` comment on its `def` line or the line after it.
"""

from __future__ import annotations

import ast
from pathlib import Path

import execeval

ROOT = Path(execeval.__file__).resolve().parent
MAX_MODULE_LINES, MAX_FUNCTION_LINES = 400, 80


def oversized(path: Path) -> list[str]:
    """What in one source file is over the limits without a stated reason."""
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines()
    found = []
    if len(lines) > MAX_MODULE_LINES and not any("# long module:" in line for line in lines[:30]):
        found.append(f"{path.name}: {len(lines)} lines")
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            length = (node.end_lineno or node.lineno) - node.lineno + 1
            said = " ".join(lines[node.lineno - 1:node.lineno + 1])
            if length > MAX_FUNCTION_LINES and "# long function:" not in said:
                found.append(f"{path.name}:{node.lineno} {node.name}: {length} lines")
    return found


def test_no_module_or_function_over_the_limits_without_a_reason():
    found = [item for path in sorted(ROOT.rglob("*.py")) for item in oversized(path)]
    assert found == []


def test_the_check_finds_a_long_function_and_accepts_a_reason(tmp_path):
    body = "".join(f"    x{i} = {i}\n" for i in range(MAX_FUNCTION_LINES))
    plain = tmp_path / "plain.py"
    plain.write_text(f"def f():\n{body}")
    assert oversized(plain) == [f"plain.py:1 f: {MAX_FUNCTION_LINES + 1} lines"]
    said = tmp_path / "said.py"
    said.write_text(f"def f():  # long function: one table, read top to bottom\n{body}")
    assert oversized(said) == []


def test_the_check_finds_a_long_module(tmp_path):
    module = tmp_path / "big.py"
    module.write_text("x = 1\n" * (MAX_MODULE_LINES + 1))
    assert oversized(module) == [f"big.py: {MAX_MODULE_LINES + 1} lines"]
