"""The t0008 migration creates exactly the tables the models describe."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from renda.core.db import TenantBase
from renda.modules import import_module_parts

TABLES = {"handling_units", "handling_unit_users", "opinions", "opinion_steps", "opinion_sms", "suggestion_drafts"}


def _table_of(obj: object, kind: str) -> str:
    table = obj if kind == "table" else getattr(obj, "table", None)
    return str(getattr(table, "name", ""))


def _diff(connection: Connection, schema: str) -> list[object]:
    connection.exec_driver_sql(f'SET search_path TO "{schema}"')
    context = MigrationContext.configure(
        connection,
        opts={
            "compare_type": True,
            "include_name": lambda name, kind, parent: kind != "table" or name in TABLES,
            "include_object": lambda obj, name, kind, reflected, other: _table_of(obj, kind) in TABLES,
        },
    )
    return compare_metadata(context, TenantBase.metadata)


async def test_migration_matches_the_models(database, database_url, offices) -> None:
    import_module_parts("models")
    engine = create_async_engine(database_url)
    try:
        async with engine.connect() as connection:
            diff = await connection.run_sync(_diff, f"t_{offices['a']}")
    finally:
        await engine.dispose()
    assert diff == []
