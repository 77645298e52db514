"""The tree shows the flow: imports go down the layers only, and no two modules import each other.

docs/architecture.md draws the same layers; a new import that goes against them fails here
(including imports inside functions), so the drawing cannot quietly drift from the code.
"""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src"

# Lowest first. A module may import its own layer and any layer before it, never one after it.
LAYERS: list[tuple[str, ...]] = [
    ("otcctl", "otcctl.errors", "otcctl.i18n", "otcctl.process"),
    ("otcctl.domain",),
    ("otcctl.model",),
    ("otcctl.plan",),
    ("otcctl.secrets",),
    ("otcctl.connectors",),
    ("otcctl.steps",),
    ("otcctl.run",),
    ("otcctl.output",),
    ("otcctl.cli", "otcctl.__main__"),
]


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _layer(module: str) -> int:
    best, best_len = -1, -1
    for index, prefixes in enumerate(LAYERS):
        for prefix in prefixes:
            if (module == prefix or module.startswith(prefix + ".")) and len(prefix) > best_len:
                best, best_len = index, len(prefix)
    return best


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def _product_modules() -> dict[str, Path]:
    return {_module_name(p): p for p in sorted((SRC / "otcctl").rglob("*.py"))}


MODULES = _product_modules()


@cache
def _edges() -> dict[str, set[str]]:
    edges: dict[str, set[str]] = {}
    for name, path in MODULES.items():
        targets = {t for t in _imports(path) if t in MODULES and t != name}
        edges[name] = targets
    return edges


@pytest.mark.parametrize("module", sorted(MODULES))
def test_imports_go_down_the_layers(module: str) -> None:
    own = _layer(module)
    assert own >= 0, f"{module} is in no layer: add it to LAYERS and docs/architecture.md"
    upward = sorted(t for t in _edges()[module] if _layer(t) > own and t != "otcctl")
    assert not upward, f"{module} imports upward: {upward}"


def test_the_product_never_imports_the_lab() -> None:
    offenders = sorted(n for n, p in MODULES.items() if any(t.startswith("otcctl_lab") for t in _imports(p)))
    assert not offenders, f"otcctl modules import the lab package: {offenders}"


def test_no_import_cycles() -> None:
    edges = _edges()
    visiting: list[str] = []
    done: set[str] = set()
    cycles: list[list[str]] = []

    def visit(node: str) -> None:
        if node in done:
            return
        if node in visiting:
            cycles.append([*visiting[visiting.index(node):], node])
            return
        visiting.append(node)
        for target in sorted(edges.get(node, ())):
            # a package's __init__ re-exporting its own modules is not a cycle of meaning
            if node.startswith(target + "."):
                continue
            visit(target)
        visiting.pop()
        done.add(node)

    for module in sorted(edges):
        visit(module)
    assert not cycles, "import cycles: " + "; ".join(" -> ".join(c) for c in cycles)
