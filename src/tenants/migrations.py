"""Alembic, run programmatically: one history for `platform`, one applied to every tenant schema.

Each schema is upgraded in one transaction (PostgreSQL DDL is transactional), so a failing tenant
keeps its previous revision untouched and the next `renda migrate` resumes it.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
import weakref
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alembic.config import Config
from alembic.operations import Operations
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, select, text
from sqlalchemy.ext.asyncio import AsyncConnection

from renda.core.db import PLATFORM_SCHEMA, Database, PlatformBase, TenantBase

log = logging.getLogger("renda.migrate")
MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"
PLATFORM_SCRIPTS = MIGRATIONS_DIR / "platform"
TENANT_SCRIPTS = MIGRATIONS_DIR / "tenant"


def script_directory(location: Path) -> ScriptDirectory:
    config = Config()
    config.set_main_option("script_location", str(location))
    return ScriptDirectory.from_config(config)


def _upgrade(
    connection: Connection, script: ScriptDirectory, schema: str, target: str = "head"
) -> tuple[str | None, str | None]:
    """Upgrade `schema` to `target` on `connection` (already in a transaction)."""
    is_tenant = schema != PLATFORM_SCHEMA
    previous_map = connection.get_execution_options().get("schema_translate_map")
    connection.execute(text(f'SET LOCAL search_path TO "{schema}"'))
    if is_tenant:
        connection.execution_options(schema_translate_map={None: schema})
    try:

        def steps(revision: str | tuple[str, ...], _context: object) -> list[object]:
            return script._upgrade_revs(target, revision)

        context = MigrationContext.configure(
            connection,
            opts={
                "version_table_schema": schema,
                "transactional_ddl": True,
                "fn": steps,
                "target_metadata": TenantBase.metadata if is_tenant else PlatformBase.metadata,
            },
        )
        _look_up_version_table_by_name(context, connection, schema)
        before = context.get_current_revision()
        with Operations.context(context):
            context.run_migrations()
        return before, context.get_current_revision()
    finally:
        connection.execution_options(schema_translate_map=previous_map)


# Alembic's `op` is one global context per process: a revision's `op.create_table` goes to whichever
# migration set it last. So one schema is upgraded at a time: among the coroutines of one event loop
# (two offices created by two requests at once) by an asyncio lock, whose waiters let the loop run; among
# threads with loops of their own by a thread lock, which within one loop is then never contended.
_upgrading_in_loop: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = weakref.WeakKeyDictionary()
_upgrading_in_process = threading.Lock()


# Whether the schema's version table exists, found by its qualified name: one index lookup.
_VERSION_TABLE = text("SELECT to_regclass(format('%I.alembic_version', CAST(:schema AS text))) IS NOT NULL")


def _look_up_version_table_by_name(context: MigrationContext, connection: Connection, schema: str) -> None:
    """Alembic asks whether the version table exists (three times an upgrade) through the dialect's
    `has_table`, whose query finds every schema's `alembic_version` and compares each one's schema
    name as text, which no index serves: its cost grows with the number of offices, and so the
    whole `renda migrate` with their square (about 10 ms a question at 221 offices, 70% of a real
    revision's time). Here the question is asked by the table's qualified name instead."""

    def has_version_table() -> bool:
        return bool(connection.execute(_VERSION_TABLE, {"schema": schema}).scalar())

    def ensure_version_table(purge: bool = False) -> None:
        if not has_version_table():
            context._version.create(connection)
        if purge:
            connection.execute(context._version.delete())

    context._has_version_table = has_version_table  # type: ignore[method-assign]
    context._ensure_version_table = ensure_version_table  # type: ignore[method-assign]


async def upgrade_schema(
    connection: AsyncConnection, script: ScriptDirectory, schema: str
) -> tuple[str | None, str | None]:
    lock = _upgrading_in_loop.setdefault(asyncio.get_running_loop(), asyncio.Lock())
    async with lock:
        return await connection.run_sync(_upgrade_alone, script, schema)


def _upgrade_alone(connection: Connection, script: ScriptDirectory, schema: str) -> tuple[str | None, str | None]:
    with _upgrading_in_process:
        return _upgrade(connection, script, schema)


async def upgrade_platform(database: Database) -> tuple[str | None, str | None]:
    script = script_directory(PLATFORM_SCRIPTS)
    async with database.direct().engine.connect() as connection, connection.begin():
        await connection.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{PLATFORM_SCHEMA}"'))
        return await upgrade_schema(connection, script, PLATFORM_SCHEMA)


@dataclass(frozen=True)
class TenantMigrationResult:
    code: str
    schema: str
    ok: bool
    before: str | None = None
    after: str | None = None
    error: str | None = None
    seconds: float = 0.0

    @property
    def changed(self) -> bool:
        return self.ok and self.before != self.after


async def upgrade_tenant(database: Database, code: str, schema: str, script: ScriptDirectory) -> TenantMigrationResult:
    started = time.perf_counter()
    try:
        async with database.direct().engine.connect() as connection, connection.begin():
            before, after = await upgrade_schema(connection, script, schema)
    except Exception as exc:
        log.warning("tenant migration failed", extra={"tenant": code, "error": str(exc)[:300]})
        return TenantMigrationResult(
            code, schema, False, error=f"{type(exc).__name__}: {exc}"[:2000], seconds=time.perf_counter() - started
        )
    return TenantMigrationResult(code, schema, True, before, after, seconds=time.perf_counter() - started)


async def current_revision(database: Database, schema: str) -> str | None:
    async with database.engine.execution_options(schema_translate_map={None: schema}).connect() as connection:
        exists = (await connection.execute(text(f"select to_regclass('\"{schema}\".alembic_version')"))).scalar()
        if exists is None:
            return None
        return (await connection.execute(text(f'select version_num from "{schema}".alembic_version'))).scalar()


# Every office's revision in one statement: the schemas travel as a parameter and each one's
# `alembic_version` is read by `query_to_xml` (dynamic SQL inside the statement), so the statement
# names no office schema (the guard's rule) and 2,000 offices cost one round trip, not 2,000.
REVISIONS_SQL = text(
    """
    SELECT s.schema,
           CASE WHEN to_regclass(format('%I.alembic_version', s.schema)) IS NOT NULL THEN
             (xpath('/row/v/text()',
                    query_to_xml(format('SELECT version_num AS v FROM %I.alembic_version', s.schema),
                                 false, true, '')))[1]::text
           END AS revision
    FROM unnest(CAST(:schemas AS text[])) AS s(schema)
    """
)


REVISIONS_BATCH = 1000  # schemas per statement: 2,000 offices are read in two statements at once


async def current_revisions(database: Database, schemas: list[str], concurrency: int = 4) -> dict[str, str | None]:
    """Each schema's revision (None where it has none): one statement per `REVISIONS_BATCH` schemas,
    at most `concurrency` of them at once."""
    semaphore = asyncio.Semaphore(max(1, concurrency))

    async def read(batch: list[str]) -> list[Any]:
        async with semaphore, database.engine.connect() as connection:
            return list((await connection.execute(REVISIONS_SQL, {"schemas": batch})).all())

    batches = [schemas[i : i + REVISIONS_BATCH] for i in range(0, len(schemas), REVISIONS_BATCH)]
    found = await asyncio.gather(*(read(batch) for batch in batches))
    return {schema: revision for rows in found for schema, revision in rows}


async def migrate_all(
    database: Database, concurrency: int = 4, tenant_scripts: Path = TENANT_SCRIPTS
) -> list[TenantMigrationResult]:
    """Upgrade the platform, then every tenant that is behind.

    The tenants' revisions are read a thousand in one statement, at most `concurrency` statements at
    once (`current_revisions`); the tenants that are behind are then upgraded one after the other
    (Alembic's `op` is one global context: `upgrade_schema`), each in its own transaction, and a failure is reported
    without stopping the others. Migrations go to the database directly, never through a
    transaction pooler (`Database.direct`).
    """
    from renda.tenants.models import Tenant

    direct = database.direct()
    await upgrade_platform(direct)
    async with direct.platform_session() as session:
        tenants = (await session.execute(select(Tenant.code, Tenant.schema_name).order_by(Tenant.path))).all()
    script = script_directory(tenant_scripts)
    head = script.get_current_head()
    started = time.perf_counter()
    revisions = await current_revisions(direct, [schema for _code, schema in tenants], concurrency)
    checked = (time.perf_counter() - started) / max(1, len(tenants))
    results = []
    for code, schema in tenants:
        if revisions.get(schema) == head:
            results.append(TenantMigrationResult(code, schema, True, head, head, seconds=checked))
        else:
            results.append(await upgrade_tenant(direct, code, schema, script))
    return results


def tenant_head(tenant_scripts: Path = TENANT_SCRIPTS) -> str | None:
    return script_directory(tenant_scripts).get_current_head()


def run_alembic_env(history: str) -> None:
    """Body of each history's env.py, for authoring revisions with the `alembic` command.

    The models are compared against a schema upgraded to head inside a transaction that is rolled
    back, so authoring a revision never changes a database.
    """
    from alembic import context

    from renda.config import Settings
    from renda.core.db import configure_database
    from renda.core.embedded import ensure_database_url

    settings = Settings.from_env()
    database = configure_database(ensure_database_url(settings))
    # Tenant revisions are compared in `public`, the connection's default schema, where reflection of
    # unqualified tables looks; the transaction is rolled back, so nothing stays there.
    schema = PLATFORM_SCHEMA if history == "platform" else "public"

    def run(connection: Connection) -> None:
        connection.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
        _upgrade(connection, context.script, schema)
        connection.execute(text(f'SET LOCAL search_path TO "{schema}"'))
        # Reflect the tables as they are: without the engine's guard that maps unqualified tables
        # to a schema that does not exist.
        connection.execution_options(schema_translate_map=None)
        context.configure(connection=connection, **comparison_options(history, schema))
        context.run_migrations()

    async def main() -> None:
        await load_all_models()
        async with database.engine.connect() as connection:
            transaction = await connection.begin()
            await connection.run_sync(run)
            await transaction.rollback()  # authoring only: nothing is applied here

    asyncio.run(main())


def comparison_options(history: str, schema: str) -> dict[str, Any]:
    """How the models are compared with a schema at head: by `alembic revision --autogenerate` and by
    tests/test_models_match_migrations.py. A tenant schema must be the connection's `search_path`
    (its tables are unqualified in the models) and the connection must have no schema translate map."""
    return {
        "target_metadata": PlatformBase.metadata if history == "platform" else TenantBase.metadata,
        "version_table_schema": schema,
        "include_schemas": history == "platform",
        # Platform: the `platform` schema only; tenant: the default (unnamed) schema.
        "include_name": lambda name, type_, _parent: (
            (name == schema if history == "platform" else name in (None, schema))
            if type_ == "schema"
            else name != "alembic_version"
        ),
        "compare_type": True,
        "compare_server_default": True,
    }


async def load_all_models() -> None:
    """Import every module's models so the metadata is complete."""
    import importlib

    from renda.modules import import_module_parts

    for platform_models in ("renda.tenants.models", "renda.workers.models"):
        importlib.import_module(platform_models)
    import_module_parts("models")
