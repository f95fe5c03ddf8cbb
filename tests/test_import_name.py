"""`renda` is the only import name of the code: src/ on the path must not give a second copy."""

from __future__ import annotations

import importlib
import sys

import pytest


def test_src_is_not_a_second_name_for_the_package() -> None:
    assert "src" not in sys.modules
    with pytest.raises(ImportError, match="renda"):
        importlib.import_module("src.core.db")
    assert not any(name == "src" or name.startswith("src.") for name in sys.modules)


def test_renda_is_the_package() -> None:
    db = importlib.import_module("renda.core.db")
    assert db.__name__ == "renda.core.db"
