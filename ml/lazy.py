"""Public names of a feature package, imported on first use.

A package's ``__init__`` names its public functions, and other packages import only those; but
importing them all eagerly would make every ``from ml.forecast import X`` pay for the registry,
scipy and the training code (``python -m ml --help`` went from 0.8 s to 1.4 s). So each package
lists its names here and declares the same imports under ``TYPE_CHECKING`` for the type checker;
tests/test_architecture.py checks that the two lists agree.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any


def lazy_exports(package: str, exports: dict[str, tuple[str, ...]]
                 ) -> tuple[Callable[[str], Any], Callable[[], list[str]], list[str]]:
    """``__getattr__``, ``__dir__`` and ``__all__`` for ``package``.

    ``exports`` maps a submodule (relative to the package) to the names it gives the package;
    a name equal to the submodule's own name exports the submodule itself.
    """
    where = {name: module for module, names in exports.items() for name in names}
    public = sorted(where)

    def __getattr__(name: str) -> Any:  # noqa: N807 - the module-level hook's own name
        module = where.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        imported = importlib.import_module(f"{package}.{module}")
        value = imported if name == module.rsplit(".", 1)[-1] else getattr(imported, name)
        globals_of_package = importlib.import_module(package).__dict__
        globals_of_package[name] = value  # later lookups skip this hook
        return value

    def __dir__() -> list[str]:  # noqa: N807
        return public

    return __getattr__, __dir__, public
