"""The module boundaries of pyproject.toml's `[tool.importlinter]` hold, and the linter catches a breach.

The second test plants bad imports in a copy of the package and runs the same contracts on it, so a
contract that silently passes everything (a typo in a module name, a checker that finds nothing) fails.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def lint_imports(cwd: Path, *path: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(str(p) for p in path)}
    return subprocess.run(
        [str(LINT_IMPORTS), "--config", str(cwd / "pyproject.toml"), "--no-cache"],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_the_module_boundaries_hold() -> None:
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


PLANTED = {
    # another module's internals instead of its service
    "modules/contacts/planted.py": "from renda.modules.deputies import repository  # noqa\n",
    # a cycle: the register is beneath contacts, which uses it
    "modules/deputies/planted.py": "def later():\n    from renda.modules.contacts import service  # noqa\n",
    # core above the modules
    "core/planted.py": "from renda.modules.accounts import service  # noqa\n",
}


def test_the_linter_catches_planted_violations(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "src", tmp_path / "renda", ignore=shutil.ignore_patterns("__pycache__", "static"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    (tmp_path / "tests" / "support").mkdir(parents=True)
    shutil.copy(ROOT / "tests" / "support" / "module_api.py", tmp_path / "tests" / "support" / "module_api.py")
    clean = lint_imports(tmp_path, tmp_path)
    assert clean.returncode == 0, clean.stdout + clean.stderr  # the copy itself is the real package
    for name, source in PLANTED.items():
        (tmp_path / "renda" / name).write_text(source)

    result = lint_imports(tmp_path, tmp_path)

    assert result.returncode != 0
    out = " ".join(result.stdout.split())
    assert "core is the bottom layer BROKEN" in out
    assert "modules use each other only through their service BROKEN" in out
    assert "no import cycles between modules BROKEN" in out
    assert "renda.modules.contacts.planted imports renda.modules.deputies.repository" in out
    assert "renda.core.planted" in out
