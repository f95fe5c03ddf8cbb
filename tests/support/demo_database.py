"""A deployment of its own for tests that change every office (an export's source, a key rotation):
a throwaway database on the test server with the demo seeded and the tables it leaves empty filled."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg

import renda.core.db as db_module
from renda.core.db import Database, configure_database
from renda.core.permissions import TOKEN_SCOPES
from tests.conftest import _asyncpg_dsn, _server_url, _with_database

COUNTY = "610922"


@asynccontextmanager
async def throwaway_database(label: str) -> AsyncIterator[str]:
    server = _server_url()
    name = f"renda_test_{label}_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(_asyncpg_dsn(server))
    await admin.execute(f'CREATE DATABASE "{name}"')
    await admin.close()
    try:
        yield _with_database(server, name)
    finally:
        admin = await asyncpg.connect(_asyncpg_dsn(server))
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


@asynccontextmanager
async def configured(url: str) -> AsyncIterator[Database]:
    """Make `url` the app's database for a while (the demo seed and the services use the configured one)."""
    previous = db_module._database
    database = configure_database(url)
    try:
        yield database
    finally:
        await database.dispose()
        db_module._database = previous


async def fill_what_the_demo_leaves_empty(database: Database) -> None:
    """Suggestions with their units, an invitation, an office API token and a sign-in identity."""
    from renda.modules.members import service as members
    from renda.modules.members.schemas import ApiTokenIn, InvitationIn
    from renda.tenants.scoping import load_tenant
    from tests.modules.suggestions.support import make_suggestion, office

    county = await office(database, COUNTY, "石泉")
    await make_suggestion(county, status="assigned")
    await make_suggestion(county, status="draft")
    tenant = await load_tenant(COUNTY)
    async with database.platform_session() as session:
        session.info["actor"] = "system:test"
        await members.invite(session, tenant, InvitationIn("新同事", ["staff"], phone="13800138000"), "system:test")
        await members.issue_office_token(
            session, tenant, county.staff.user_id, ApiTokenIn("政务网对接", sorted(TOKEN_SCOPES)[:2])
        )
        await session.commit()
    conn = await asyncpg.connect(_asyncpg_dsn(database.url))
    try:
        await conn.execute(
            "insert into platform.user_identities (id, user_id, issuer, subject, created_at, last_sign_in_at) "
            "values ($1, $2, 'https://idp.example.gov.cn', 'sub-1', now(), now())",
            uuid.uuid4(),
            county.staff.user_id,
        )
    finally:
        await conn.close()


@asynccontextmanager
async def demo_deployment(label: str) -> AsyncIterator[str]:
    """The demo offices, seeded under the tests' secret key, in a database of their own (yields its URL)."""
    from renda.demo import seed_demo
    from renda.tenants.migrations import load_all_models, migrate_all

    # Every model first: a module imported during a flush (the rollup watch loads the metrics lazily)
    # would add its Session listeners while SQLAlchemy iterates them.
    await load_all_models()
    async with throwaway_database(label) as url, configured(url) as db:
        await migrate_all(db)
        await seed_demo(db)
        await fill_what_the_demo_leaves_empty(db)
        yield url
