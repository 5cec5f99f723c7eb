"""The layers, as a test: the design card's walls and the direction of imports, read from the code with `ast`.

- hub/ and connectors/ never import each other (they meet only in the node contract and the wire).
- simpul/ is the shared bottom layer; only its top, simpul/cli/, may import hub/ or connectors/.
- No import cycles, counting imports inside functions and under TYPE_CHECKING.
- The hub's domain never imports its doors (hub.api, hub.dashboard, hub.open311) or its composition root (hub.app).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("hub", "connectors", "simpul")
TOP = ("simpul.cli", "simpul.__main__")  # the `simpul` command, and `python -m simpul` which runs it
DOORS = ("hub.api", "hub.dashboard", "hub.open311", "hub.unavailable", "hub.app")  # unavailable: the doors' 503


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for package in PACKAGES for p in (ROOT / package).rglob("*.py")}


def _imports(path: Path, modules: dict[str, Path]) -> Iterator[str]:
    """Every project module `path` imports, wherever the import statement stands."""
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [f"{node.module}.{alias.name}" if f"{node.module}.{alias.name}" in modules else node.module
                     for alias in node.names]
        else:
            continue
        for name in names:
            while name and name not in modules:
                name = name.rpartition(".")[0]
            if name and name.split(".")[0] in PACKAGES:
                yield name


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    return {name: set(_imports(path, modules)) - {name} for name, path in modules.items()}


def _within(module: str, *packages: str) -> bool:
    return any(module == p or module.startswith(p + ".") for p in packages)



def test_hub_and_connectors_never_import_each_other() -> None:
    graph = _graph()
    crossing = [f"{a} -> {b}" for a, targets in graph.items() for b in targets
                if (_within(a, "hub") and _within(b, "connectors")) or (_within(a, "connectors") and _within(b, "hub"))]
    assert crossing == []


def test_the_shared_library_imports_nothing_above_it() -> None:
    graph = _graph()
    upward = [f"{a} -> {b}" for a, targets in graph.items() for b in targets
              if _within(a, "simpul") and not _within(a, *TOP) and _within(b, "hub", "connectors", *TOP)]
    assert upward == []


def test_the_hub_domain_never_imports_its_doors() -> None:
    graph = _graph()
    upward = [f"{a} -> {b}" for a, targets in graph.items() for b in targets
              if _within(a, "hub") and not _within(a, *DOORS) and _within(b, *DOORS)]
    assert upward == []


def test_no_module_imports_itself_back_through_others() -> None:
    graph = _graph()
    assert [sorted(cycle) for cycle in _cycles(graph)] == []


def _cycles(graph: dict[str, set[str]]) -> list[set[str]]:
    """The strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[set[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        for target in graph.get(module, ()):
            if target not in index:
                visit(target)
                low[module] = min(low[module], low[target])
            elif target in stack:
                low[module] = min(low[module], index[target])
        if low[module] == index[module]:
            component = set()
            while True:
                member = stack.pop()
                component.add(member)
                if member == module:
                    break
            if len(component) > 1:
                found.append(component)

    for module in sorted(graph):
        if module not in index:
            visit(module)
    return found


def test_the_rules_see_a_cycle_and_a_wall_crossed() -> None:
    """The checks above would notice: a made-up graph with both faults is caught."""
    graph = {"hub.a": {"hub.b"}, "hub.b": {"hub.a", "connectors.x"}, "connectors.x": set()}
    assert _cycles(graph) == [{"hub.a", "hub.b"}]
    assert _within("hub.api.schema", *DOORS) and not _within("hub.apiary", *DOORS)
