"""Alembic entry point of the tenant history: see renda.tenants.migrations."""

from renda.tenants.migrations import run_alembic_env

run_alembic_env("tenant")
