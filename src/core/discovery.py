"""Finding what each module provides by convention (`routes.py`, `tasks.py`, `metrics.py`, ...)."""

from __future__ import annotations

import importlib
import pkgutil
from types import ModuleType


def import_module_parts(part: str) -> list[ModuleType]:
    """Import `renda.modules.<name>.<part>` of every module that has one, in name order."""
    import renda.modules

    found = []
    for info in sorted(pkgutil.iter_modules(renda.modules.__path__), key=lambda i: i.name):
        name = f"renda.modules.{info.name}.{part}"
        try:
            found.append(importlib.import_module(name))
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
    return found
