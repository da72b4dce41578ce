"""The import graph the README's architecture table describes: no circles, layers that only look down, and no
module reaching for another package's private names.

Only imports that run when a module loads count (not those under `if TYPE_CHECKING:` or inside functions,
which are how optional extras and the CLI stay lazy).
"""

from __future__ import annotations

import ast
from pathlib import Path

import execeval

ROOT = Path(execeval.__file__).resolve().parent

# what a lower layer may import: the sandbox runs untrusted code and must not depend on what judges it
ALLOWED = {
    "execeval.sandbox": {"execeval", "execeval.errors", "execeval.values", "execeval.sandbox"},
    "execeval.runs": {"execeval.errors", "execeval.metrics", "execeval.runs"},
    "execeval.metrics": {"execeval.errors", "execeval.metrics"},
    "execeval.errors": set(),
    "execeval.values": {"execeval.errors"},
    # compare computes, the report package renders it: compare never imports report
    "execeval.compare": {"execeval.errors", "execeval.metrics", "execeval.runs", "execeval.evaluation"},
}


def _modules() -> dict[str, Path]:
    found = {}
    for path in ROOT.rglob("*.py"):
        parts = ["execeval", *path.relative_to(ROOT).with_suffix("").parts]
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


def _load_time_imports(path: Path) -> list[tuple[str, str | None]]:
    """(module, name) for each `import module` / `from module import name` run when the module loads."""
    out: list[tuple[str, str | None]] = []
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            continue
        for n in ast.walk(node) if isinstance(node, (ast.If, ast.Try)) else [node]:
            if isinstance(n, ast.Import):
                out += [(a.name, None) for a in n.names]
            elif isinstance(n, ast.ImportFrom) and n.module and n.level == 0:
                out += [(n.module, a.name) for a in n.names]
    return out


def _graph() -> tuple[dict[str, set[str]], list[tuple[str, str, str]]]:
    modules = _modules()
    edges: dict[str, set[str]] = {m: set() for m in modules}
    private: list[tuple[str, str, str]] = []
    for name, path in modules.items():
        for module, imported in _load_time_imports(path):
            full = f"{module}.{imported}" if imported else module
            if full in modules:
                edges[name].add(full)
            elif module in modules:
                edges[name].add(module)
                if imported and imported.startswith("_") and _package(module) != _package(name):
                    private.append((name, module, imported))
    return edges, private


def _package(module: str) -> str:
    return ".".join(module.split(".")[:2])


def _cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for start in edges:
        if start in index:
            continue
        work = [(start, iter(sorted(edges[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is None:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        top = stack.pop()
                        on_stack.discard(top)
                        component.append(top)
                        if top == node:
                            break
                    if len(component) > 1:
                        found.append(sorted(component))
            elif child not in index:
                index[child] = low[child] = len(index)
                stack.append(child)
                on_stack.add(child)
                work.append((child, iter(sorted(edges[child]))))
            elif child in on_stack:
                low[node] = min(low[node], index[child])
    return found


def test_no_import_circles():
    edges, _ = _graph()
    assert _cycles(edges) == []


def test_the_cycle_finder_finds_a_planted_circle():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_lower_layers_only_look_down():
    edges, _ = _graph()
    wrong = [(m, sorted(_package(t) for t in targets if _package(t) not in ALLOWED[_package(m)]))
             for m, targets in edges.items() if _package(m) in ALLOWED]
    assert [(m, t) for m, t in wrong if t] == []


def test_no_package_imports_another_packages_private_names():
    _, private = _graph()
    assert private == []
