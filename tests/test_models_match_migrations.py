"""The models and both migration histories agree: Alembic's autogenerate comparison of the metadata
with a database upgraded to head finds nothing, for the platform schema and for a tenant schema
made as `create_tenant` makes one (its tables unqualified, reached through `search_path`). A model
changed without its revision, or a revision that creates something else, fails here by name."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, inspect, text
from sqlalchemy.dialects import postgresql
from sqlalchemy.schema import CreateColumn

from renda.core.db import PLATFORM_SCHEMA, Database
from renda.tenants.migrations import (
    PLATFORM_SCRIPTS,
    TENANT_SCRIPTS,
    comparison_options,
    load_all_models,
    script_directory,
    upgrade_platform,
    upgrade_schema,
)
from tests.conftest import _asyncpg_dsn, _server_url, _with_database

TENANT_SCHEMA = "t_610900"


@pytest.fixture(scope="module")
async def at_head() -> AsyncIterator[Database]:
    """A database of its own: the platform history and one tenant schema upgraded to head, as
    `renda migrate` and `create_tenant` do it."""
    server = _server_url()
    name = f"renda_compare_{uuid.uuid4().hex[:10]}"
    admin = await asyncpg.connect(_asyncpg_dsn(server))
    await admin.execute(f'CREATE DATABASE "{name}"')
    await admin.close()
    database = Database(_with_database(server, name), pool_size=1)
    try:
        await load_all_models()
        await upgrade_platform(database)
        async with database.engine.connect() as connection, connection.begin():
            await connection.execute(text(f'CREATE SCHEMA "{TENANT_SCHEMA}"'))
            await upgrade_schema(connection, script_directory(TENANT_SCRIPTS), TENANT_SCHEMA)
        yield database
    finally:
        await database.dispose()
        admin = await asyncpg.connect(_asyncpg_dsn(server))
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


def differences(connection: Connection, history: str, schema: str) -> list[Any]:
    connection.execute(text(f'SET LOCAL search_path TO "{schema}"'))
    # Reflect what is there: not through the engine's guard that maps unqualified tables elsewhere.
    connection = connection.execution_options(schema_translate_map=None)
    options = comparison_options(history, schema)
    context = MigrationContext.configure(connection, opts=options)
    return compare_metadata(context, options["target_metadata"])


@pytest.mark.parametrize(("history", "schema"), [("platform", PLATFORM_SCHEMA), ("tenant", TENANT_SCHEMA)])
async def test_models_match_the_migrations(at_head: Database, history: str, schema: str) -> None:
    async with at_head.engine.connect() as connection, connection.begin():
        found = await connection.run_sync(differences, history, schema)
    assert found == [], f"the {history} models and migrations differ:\n" + "\n".join(map(repr, found))


def serial_columns(connection: Connection, history: str, schema: str) -> tuple[set[str], set[str]]:
    """Columns a sequence fills, in the models and in the database: autogenerate does not compare
    them (it drops a serial's `nextval` default before comparing), so a model without the serial its
    revision made would go unnoticed."""
    metadata = comparison_options(history, schema)["target_metadata"]
    dialect = postgresql.dialect()
    modelled = {
        f"{table.name}.{column.name}"
        for table in metadata.tables.values()
        for column in table.columns
        if "SERIAL" in str(CreateColumn(column).compile(dialect=dialect))
    }
    inspector = inspect(connection)
    reflected = {
        f"{table.name}.{column['name']}"
        for table in metadata.tables.values()
        for column in inspector.get_columns(table.name, schema=schema)
        if str(column.get("default") or "").startswith("nextval(")
    }
    return modelled, reflected


@pytest.mark.parametrize(("history", "schema"), [("platform", PLATFORM_SCHEMA), ("tenant", TENANT_SCHEMA)])
async def test_serial_columns_match(at_head: Database, history: str, schema: str) -> None:
    async with at_head.engine.connect() as connection, connection.begin():
        modelled, reflected = await connection.run_sync(serial_columns, history, schema)
    assert modelled == reflected
    if history == "tenant":
        assert {"contact_settings.id", "portal_settings.id"} <= modelled


async def test_the_comparison_sees_a_difference(at_head: Database) -> None:
    """The check can fail: a column the schema lacks is reported (the change is rolled back)."""

    def without_a_column(connection: Connection) -> list[Any]:
        connection.execute(text(f'SET LOCAL search_path TO "{TENANT_SCHEMA}"'))
        connection.execute(text("ALTER TABLE portal_settings DROP COLUMN notice"))
        return differences(connection, "tenant", TENANT_SCHEMA)

    async with at_head.engine.connect() as connection:
        async with connection.begin() as transaction:
            found = await connection.run_sync(without_a_column)
            await transaction.rollback()
    assert [(kind, table, column.name) for kind, _schema, table, column in found] == [
        ("add_column", "portal_settings", "notice")
    ]


def test_platform_and_tenant_histories_are_found() -> None:
    assert script_directory(PLATFORM_SCRIPTS).get_current_head() is not None
    assert script_directory(TENANT_SCRIPTS).get_current_head() is not None
