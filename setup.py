"""Maps the import name `renda` onto the `src/` folder (DESIGN.md's layout)."""

from setuptools import find_packages, setup

setup(
    package_dir={"renda": "src"},
    packages=["renda", *(f"renda.{name}" for name in find_packages("src"))],
)
