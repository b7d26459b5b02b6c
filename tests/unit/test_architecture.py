"""Layers import one way: core <- features <- wiring. A cycle between the packages of
designer_bff (module-level imports, as grimp reads them) fails here, naming the chain."""

from __future__ import annotations

import grimp

PACKAGE = "designer_bff"
# The wiring: it may import any feature; nothing may import it.
WIRING = {"app", "cli", "services", "migrations"}
# The core: it imports no feature.
CORE = {"core", "db", "config"}


def _top(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else parts[0]


def _package_graph() -> dict[str, set[str]]:
    graph = grimp.build_graph(PACKAGE, cache_dir=None)
    edges: dict[str, set[str]] = {}
    for module in graph.modules:
        for imported in graph.find_modules_directly_imported_by(module):
            a, b = _top(module), _top(imported)
            if a != b and imported.startswith(PACKAGE + "."):
                edges.setdefault(a, set()).add(b)
    return edges


def _cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one package (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0

    def visit(node: str) -> None:
        nonlocal counter
        index[node] = low[node] = counter
        counter += 1
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(edges.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
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

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return found


def test_no_import_cycle_between_packages() -> None:
    cycles = _cycles(_package_graph())
    assert cycles == [], f"import cycles between packages of {PACKAGE}: {cycles}"


def test_core_imports_no_feature_and_nothing_imports_the_wiring() -> None:
    edges = _package_graph()
    for core in CORE:
        leaks = edges.get(core, set()) - CORE
        assert not leaks, f"{core} (core) imports {sorted(leaks)}"
    for source, targets in edges.items():
        if source not in WIRING:
            assert not targets & WIRING, f"{source} imports the wiring: {targets & WIRING}"


def test_the_cycle_finder_finds_cycles() -> None:
    # The check above is only worth something if a cycle would be reported.
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
