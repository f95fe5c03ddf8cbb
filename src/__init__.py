"""Renda: the platform for People's Congress deputy work (人大代表工作)."""

# The package lives in src/ and is imported as `renda` only (setup.py). With the project root on
# sys.path (the tests need it for `tests.…`), `import src.core.db` would load a second copy of every
# module, with its own `TenantBase`, registries and settings: refuse it.
if __name__ != "renda":
    raise ImportError(f"import the package as `renda`, not `{__name__}` (src/ is mapped onto `renda`)")

VERSION = "0.1.0"
