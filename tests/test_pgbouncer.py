"""Behind PgBouncer in transaction mode: what breaks without RENDA_DATABASE_TRANSACTION_POOLER, and
that with it (and RENDA_DATABASE_DIRECT_URL) requests, office provisioning and migrations work.

PgBouncer hands each transaction whichever server connection is free, so prepared statements of
one client meet another's on the same server connection. The PgBouncer here keeps two server
connections per database for two or more of the app's connections (each of which holds one while
in a transaction: the app begins one as a connection leaves its pool), so they share them."""

from __future__ import annotations

import asyncio
import dataclasses
import os

import dramatiq
import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import make_url, text
from sqlalchemy.exc import DBAPIError

import renda.core.db
from renda.config import Settings
from renda.core.db import Database
from renda.workers.broker import create_broker
from renda.workers.outbox import OutboxRelay
from tests.conftest import Caller, make_caller
from tests.support import pgbouncer

# Debian's package; scripts/test installs it. Under CI its absence is a failure, not a skip.
if not pgbouncer.available():
    if os.environ.get("CI"):
        raise RuntimeError("CI needs PgBouncer (apt-get install pgbouncer): scripts/test installs it")
    pytest.skip("PgBouncer is not installed (apt-get install pgbouncer)", allow_module_level=True)
if not os.environ.get("RENDA_TEST_DATABASE_URL"):  # CI always sets it
    pytest.skip("PgBouncer runs in front of a server (RENDA_TEST_DATABASE_URL)", allow_module_level=True)


@pytest.fixture
def pooled_url(database_direct_url: str):
    """The session's database through a private PgBouncer with two server connections."""
    with pgbouncer.running_pgbouncer(database_direct_url.replace("+asyncpg", ""), pool_size=2) as url:
        yield url.replace("postgresql://", "postgresql+asyncpg://")


async def _two_connections_take_turns(database: Database) -> None:
    """Two pooled connections, each running a few statements in turn, as two requests would."""
    async with database.engine.connect() as first, database.engine.connect() as second:
        for _ in range(3):
            for connection in (first, second):
                await connection.execute(text("SELECT count(*) FROM platform.tenants WHERE code = :c"), {"c": "x"})
                await connection.commit()


async def test_without_the_setting_prepared_statements_clash(pooled_url: str, database) -> None:
    # Only the statement caches as without a pooler; not the server settings, which PgBouncer refuses.
    plain = Database(pooled_url, pool_size=2, connect_args={"server_settings": {}})
    try:
        with pytest.raises(DBAPIError, match="prepared statement"):
            await _two_connections_take_turns(plain)
    finally:
        await plain.dispose()


async def test_with_the_setting_the_same_work_runs(pooled_url: str, database) -> None:
    pooled = Database(pooled_url, pool_size=2, transaction_pooler=True)
    try:
        await _two_connections_take_turns(pooled)
    finally:
        await pooled.dispose()


async def test_requests_provisioning_and_migrations_through_pgbouncer(
    pooled_url: str, database_direct_url: str, database, settings: Settings, platform_admin: Caller
) -> None:
    from renda.app import create_app
    from renda.tenants.migrations import migrate_all

    pooler_settings = dataclasses.replace(
        settings, database_transaction_pooler=True, database_direct_url=database_direct_url
    )
    previous_broker = dramatiq.get_broker()
    with pytest.MonkeyPatch.context() as patch:
        # create_app repoints the process-wide database and broker at its own: put them back after.
        patch.setattr(renda.core.db, "_database", renda.core.db._database)
        app = create_app(pooler_settings, pooled_url, broker=create_broker(None))
        through = renda.core.db.get_database()
        try:
            assert through.url == pooled_url and through.direct().url == database_direct_url
            # The outbox relay LISTENs on the server itself: a LISTEN outlives the transaction.
            listen = make_url(OutboxRelay(through, previous_broker)._listen_dsn())
            assert listen.port == make_url(database_direct_url).port != make_url(pooled_url).port
            async with AsyncTestClient(app) as client:
                headers = platform_admin.headers
                created = await client.post(
                    "/api/v1/platform/tenants",
                    json={"code": "653100", "name": "喀什地区人大工委", "level": "city"},
                    headers=headers,
                )
                assert created.status_code == 201, created.text
                # Several requests at once over the two server connections, each its own transaction.
                answers = await asyncio.gather(
                    *(client.get("/api/v1/platform/tenants/653100", headers=headers) for _ in range(6))
                )
                assert [a.status_code for a in answers] == [200] * 6
                staff = await make_caller(through, "喀什地区工委管理员", {"653100": ["office_admin"]})
                listed = await client.get("/api/v1/platform/tenants", params={"q": "喀什"}, headers=headers)
                assert "653100" in listed.text
                mine = await client.get("/api/v1/platform/tenants/653100", headers=staff.headers)
                assert mine.status_code in (200, 403), mine.text  # answered, whatever the role allows
            results = await migrate_all(through)
            assert {r.code: r.ok for r in results}["653100"]
        finally:
            await through.dispose()
            dramatiq.set_broker(previous_broker)
