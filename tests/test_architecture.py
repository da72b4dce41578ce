"""The import graph the README's architecture table describes: no circles, layers that only look down, and no
module reaching for another package's private names or private modules.

Imports under `if TYPE_CHECKING:` never count (they never run). Imports inside functions (deferred) count for
circles and private names: a circle that only closes at call time is still a circle. They do not count for
layering, since deferring is how optional extras and the CLI stay lazy.
"""

from __future__ import annotations

import ast
from pathlib import Path

import execeval

ROOT = Path(execeval.__file__).resolve().parent

# what a lower layer may import: the sandbox runs untrusted code and must not depend on what judges it
ALLOWED = {
    "execeval.sandbox": {"execeval", "execeval.errors", "execeval.values", "execeval.setlayout", "execeval.codeid",
                         "execeval.sandbox"},
    "execeval.runs": {"execeval.errors", "execeval.metrics", "execeval.runs"},
    "execeval.metrics": {"execeval.errors", "execeval.metrics"},
    "execeval.errors": set(),
    "execeval.values": {"execeval.errors", "execeval.digests", "execeval.setlayout"},
    "execeval.setlayout": set(),
    "execeval.digests": set(),
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


def _imports(path: Path, deferred: bool) -> list[tuple[str, str | None]]:
    """(module, name) for each `import module` / `from module import name` run when the module loads, and with
    `deferred` also those inside functions; never those under `if TYPE_CHECKING:`."""
    out: list[tuple[str, str | None]] = []

    def visit(node: ast.AST, top: bool) -> None:
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for child in node.orelse:
                visit(child, top)
            return
        if isinstance(node, ast.Import):
            out.extend((a.name, None) for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.extend((node.module, a.name) for a in node.names)
        inner = isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
        if inner and not deferred:
            return
        for child in ast.iter_child_nodes(node):
            visit(child, top and not inner)

    visit(ast.parse(path.read_text(encoding="utf-8")), True)
    return out


def _graph(deferred: bool = True) -> tuple[dict[str, set[str]], list[tuple[str, str, str]]]:
    """Module -> modules it imports (package-internal only), and (importer, module, name) for each private name
    or private module it takes from another package."""
    modules = _modules()
    edges: dict[str, set[str]] = {m: set() for m in modules}
    private: list[tuple[str, str, str]] = []
    for name, path in modules.items():
        for module, imported in _imports(path, deferred):
            full = f"{module}.{imported}" if imported else module
            target = full if full in modules else module if module in modules else None
            if target is None:
                continue
            edges[name].add(target)
            if target == module and imported and imported.startswith("_"):
                private.append((name, module, imported))
        private += [(name, t, "") for t in _private_modules(name, edges[name])]
    private = [p for p in private if _package(p[1]) != _package(p[0])]
    return edges, private


def _private_modules(importer: str, targets: set[str]) -> list[str]:
    """Targets that are, or sit inside, a module whose own name starts with `_` (`execeval.tasks._jsonl`), outside
    the importer's package; `__init__`-style dunders are not private."""
    def private(module: str) -> bool:
        return any(p.startswith("_") and not p.startswith("__") for p in module.split(".")[1:])
    return sorted(t for t in targets if private(t) and _package(t) != _package(importer))


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
    edges, _ = _graph(deferred=False)
    wrong = [(m, sorted(_package(t) for t in targets if _package(t) not in ALLOWED[_package(m)]))
             for m, targets in edges.items() if _package(m) in ALLOWED]
    assert [(m, t) for m, t in wrong if t] == []


def test_no_package_imports_another_packages_private_names():
    _, private = _graph()
    assert private == []


def test_the_private_module_rule_catches_a_planted_import():
    targets = {"execeval.tasks._jsonl", "execeval.tasks.records", "execeval.samples._own._deep", "execeval.values"}
    assert _private_modules("execeval.samples", targets) == ["execeval.tasks._jsonl"]
    assert _private_modules("execeval.tasks.mbpp", targets) == ["execeval.samples._own._deep"]


def test_deferred_imports_are_followed_and_type_checking_ones_are_not(tmp_path):
    path = tmp_path / "m.py"
    path.write_text("from typing import TYPE_CHECKING\nimport a\nif TYPE_CHECKING:\n    import b\n"
                    "else:\n    import c\ndef f():\n    from d import e\n", encoding="utf-8")
    assert _imports(path, deferred=False) == [("typing", "TYPE_CHECKING"), ("a", None), ("c", None)]
    assert _imports(path, deferred=True) == [("typing", "TYPE_CHECKING"), ("a", None), ("c", None), ("d", "e")]


CHOSEN_BY_THE_FACTORY = {"ForkServerSandbox", "RaySandbox"}


def _backends_built_outside_the_sandbox() -> list[str]:
    """`module:line` of every call that builds a backend `open_sandbox` chooses, outside execeval/sandbox/."""
    found = []
    for name, path in _modules().items():
        if name == "execeval.sandbox" or name.startswith("execeval.sandbox."):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call):
                called = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
                if called in CHOSEN_BY_THE_FACTORY:
                    found.append(f"{name}:{node.lineno}")
    return found


def test_every_caller_gets_its_sandbox_from_open_sandbox():
    """A caller that builds a fork server itself never sees `--executor ray`: they all ask `open_sandbox`."""
    assert _backends_built_outside_the_sandbox() == []
