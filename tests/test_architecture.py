"""The layout holds: feature packages are entered through their ``__init__`` only, their lazy
export lists match what the type checker sees, and the domain imports neither web nor workers."""

from __future__ import annotations

import ast
import importlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import PROJECT_ROOT

FEATURE_PACKAGES = ("ml.alerts", "ml.analytics", "ml.forecast")
LAZY_PACKAGES = (*FEATURE_PACKAGES, "ml.db")
PRODUCTION = ("ml", "webapp", "workers", "ops")


def _modules(*tops: str) -> Iterator[tuple[str, ast.Module]]:
    for top in tops:
        for path in sorted((PROJECT_ROOT / top).rglob("*.py")):
            dotted = ".".join(path.relative_to(PROJECT_ROOT).with_suffix("").parts)
            yield dotted.removesuffix(".__init__"), ast.parse(path.read_text())


def _imported(tree: ast.Module) -> Iterator[tuple[int, str]]:
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and not node.level:
            yield node.lineno, node.module
        elif isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name


def _inside(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def test_other_packages_enter_a_feature_package_through_its_init() -> None:
    found = [f"{module}:{line} imports {target}"
             for module, tree in _modules(*PRODUCTION)
             for line, target in _imported(tree)
             for package in FEATURE_PACKAGES
             if _inside(target, package) and target != package and not _inside(module, package)]
    assert not found, "import these names from the package itself:\n" + "\n".join(found)


def test_the_domain_imports_neither_the_web_nor_the_workers() -> None:
    found = [f"{module}:{line} imports {target}"
             for module, tree in _modules("ml")
             for line, target in _imported(tree)
             if _inside(target, "webapp") or _inside(target, "workers")]
    found += [f"{module}:{line} imports {target}"
              for module, tree in _modules("workers")
              for line, target in _imported(tree) if _inside(target, "webapp")]
    assert not found, "\n".join(found)


def _import_graph() -> dict[str, set[str]]:
    """Module -> the project modules it imports, at the top or inside functions alike
    (``from pkg import sub`` with ``sub`` a module depends on ``pkg.sub``, not on ``pkg``)."""
    trees = dict(_modules(*PRODUCTION))
    graph: dict[str, set[str]] = {module: set() for module in trees}
    for module, tree in trees.items():
        for node in ast.walk(tree):
            targets: list[str] = []
            if isinstance(node, ast.ImportFrom) and node.module and not node.level:
                submodules = [f"{node.module}.{a.name}" for a in node.names
                              if f"{node.module}.{a.name}" in trees]
                targets = submodules if len(submodules) == len(node.names) else [node.module]
                targets += submodules
            elif isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            graph[module].update(t for t in targets if t in trees and t != module)
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for other in sorted(graph[node]):
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_no_import_cycles() -> None:
    assert _cycles({"a": {"b"}, "b": {"a"}, "c": {"a"}}) == [["a", "b"]]  # the check works
    assert not _cycles(_import_graph()), "modules that import each other"


def _type_checking_names(package: str) -> set[str]:
    path = PROJECT_ROOT / Path(*package.split(".")) / "__init__.py"
    tree = ast.parse(path.read_text())
    block = next(node for node in tree.body if isinstance(node, ast.If)
                 and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING")
    return {alias.asname or alias.name for node in block.body
            if isinstance(node, ast.ImportFrom) for alias in node.names}


@pytest.mark.parametrize("package", LAZY_PACKAGES)
def test_lazy_exports_match_the_typed_imports_and_resolve(package: str) -> None:
    module = importlib.import_module(package)
    assert set(module.__all__) == _type_checking_names(package)
    for name in module.__all__:
        assert getattr(module, name) is not None, f"{package}.{name}"
    with pytest.raises(AttributeError, match="no attribute 'not_a_name'"):
        module.not_a_name  # noqa: B018 - the lookup itself is the test
