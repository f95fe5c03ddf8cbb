"""Domain modules, one folder each, with the anatomy of DESIGN.md."""

from __future__ import annotations

import importlib
import pkgutil
from types import ModuleType


def import_module_parts(part: str) -> list[ModuleType]:
    """Import `renda.modules.<name>.<part>` of every module that has one, in name order: how the app,
    the workers and the registries find each module's routes, tasks, metrics, ... by convention."""
    found = []
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name):
        name = f"{__name__}.{info.name}.{part}"
        try:
            found.append(importlib.import_module(name))
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
    return found
