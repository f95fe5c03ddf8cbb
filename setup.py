"""Maps the import name `renda` onto the `src/` folder (DESIGN.md's layout).

Every folder under src/ is a package, those without `__init__.py` (templates, static files, the
Alembic histories) as namespace packages, so the data files beside them and the revisions in
`migrations/*/versions` land in the wheel; tests/test_package.py checks that every tracked file does.
"""

from setuptools import find_namespace_packages, setup

setup(
    package_dir={"renda": "src"},
    packages=["renda", *(f"renda.{name}" for name in find_namespace_packages("src", exclude=["*__pycache__*"]))],
)
