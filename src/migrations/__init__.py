"""Alembic histories: `platform/` for the shared schema, `tenant/` for every office schema."""
