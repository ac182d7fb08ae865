"""A package's public names, each loaded from its home module on first use (PEP 562).

A package's ``__init__`` names its surface once, as imports under ``if TYPE_CHECKING:`` (what type
checkers and readers see) and in ``__all__``; :func:`exports` reads those imports from the package's
source when a name is first asked for, so importing one module of a package (the store's use of the
stamp rules, say) never loads its heavier neighbours (the renderer).

    __getattr__, __dir__ = exports(__name__, __file__)
"""

from __future__ import annotations

import ast
import importlib
import sys
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any


def homes(source: str) -> dict[str, str]:
    """Name → the module it is imported from, for the imports under ``if TYPE_CHECKING:`` in ``source``."""
    found: dict[str, str] = {}
    for node in ast.parse(source).body:
        if isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING":
            for statement in node.body:
                if isinstance(statement, ast.ImportFrom) and statement.module and not statement.level:
                    found.update({alias.asname or alias.name: statement.module for alias in statement.names})
    return found


def exports(package: str, file: str) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """The ``__getattr__`` and ``__dir__`` of a package whose public names load lazily."""

    @cache
    def table() -> dict[str, str]:
        return homes(Path(file).read_text("utf-8"))

    def __getattr__(name: str) -> Any:  # noqa: N807 - the module hook's name
        home = table().get(name)
        if home is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(home), name)
        setattr(sys.modules[package], name, value)
        return value

    def __dir__() -> list[str]:  # noqa: N807
        return sorted({*vars(sys.modules[package]), *table()})

    return __getattr__, __dir__
