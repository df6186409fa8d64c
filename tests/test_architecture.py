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
