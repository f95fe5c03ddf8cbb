"""The boundary between an office's schema and `platform`, kept known for Citus schema-based sharding.

Under schema-based sharding each office schema (`t_<code>`) is a distributed schema that may live on
any node, and `platform` stays on the coordinator. A transaction of an office that also writes a
platform table then spans two nodes (Citus commits it with two-phase commit), and a statement that
names an office table and a platform table together needs the platform table on every node. This
file lists every platform table with what office work does to it; docs/scaling.md explains each.

Checked here: every platform table (of the models and of the migrated database) is listed, and the
tables a few office requests write are listed as written by requests. The isolation suite checks
the rest as it calls every office route and runs every office actor (tests/isolation/test_routes.py
and test_workers.py use `undocumented`): a platform write or a mixed statement that appears there
without an entry here fails that test by the table's name.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import text

from renda.core.db import PlatformBase
from renda.tenants.migrations import load_all_models
from tests.conftest import make_caller
from tests.support.platform_writes import platform_writes

DOCS = Path(__file__).resolve().parent.parent / "docs" / "scaling.md"


@dataclass(frozen=True)
class Boundary:
    requests: bool  # written inside an office's request transaction
    jobs: bool  # written inside an office's job transaction
    why: str
    joined: bool = False  # named in one statement together with an office's tables


PLATFORM_TABLES: dict[str, Boundary] = {
    "platform.outbox": Boundary(True, True, "every office write that starts a job: the transactional outbox"),
    "platform.rollup_pending": Boundary(True, True, "every office write that changes a counted figure"),
    "platform.audit_events": Boundary(True, False, "the office's changes to its members, tokens and invitations"),
    "platform.memberships": Boundary(True, False, "an office admin grants, changes and removes members"),
    "platform.invitations": Boundary(True, False, "an office admin invites members"),
    "platform.api_tokens": Boundary(True, False, "an office admin issues and revokes office tokens"),
    "platform.users": Boundary(True, False, "an invitation accepted or a member added makes the user"),
    "platform.mandate_claims": Boundary(True, False, "a deputy's account is linked to their mandates"),
    "platform.portal_rate_hits": Boundary(True, False, "the public portal's per-address limits"),
    "platform.processed_messages": Boundary(False, True, "every idempotent actor claims its message"),
    "platform.mandate_directory": Boundary(False, True, "the office's deputies, copied for the cross-office register"),
    "platform.rollup_figures": Boundary(False, True, "an office's figures, written where its ancestors read them"),
    "platform.tenants": Boundary(False, False, "the office registry; read by every request", joined=True),
    "platform.web_sessions": Boundary(False, False, "sign-in sessions: written before an office is resolved"),
    "platform.user_identities": Boundary(False, False, "sign-in through an identity provider"),
    "platform.pending_sign_ins": Boundary(False, False, "sign-in through an identity provider"),
    "platform.identity_providers": Boundary(False, False, "platform administration"),
    "platform.scheduled_runs": Boundary(False, False, "the scheduler, once per run for all offices"),
    "platform.dead_jobs": Boundary(False, False, "written by the broker's dead-letter handling, outside any job"),
}


def undocumented(found: dict[str, set[str]], *, requests: bool = False, jobs: bool = False) -> list[str]:
    """The tables of `found` (a `PlatformWrites` field) not listed as written by office requests
    (`requests`), by office jobs (`jobs`), or, with neither, as named with office tables."""
    missing = []
    for table in sorted(found):
        entry = PLATFORM_TABLES.get(table)
        listed = entry is not None and (entry.requests if requests else entry.jobs if jobs else entry.joined)
        if not listed:
            what = (
                "office requests write"
                if requests
                else "office jobs write"
                if jobs
                else "a statement joins with office tables"
            )
            missing.append(f"{table}: {what} it; list it in tests/test_schema_boundaries.py and docs/scaling.md")
    return missing


async def test_every_platform_table_is_listed(database) -> None:
    await load_all_models()
    assert set(PlatformBase.metadata.tables) == set(PLATFORM_TABLES)
    async with database.platform_session() as session:
        tables = await session.execute(
            text("select table_name from information_schema.tables where table_schema = 'platform'")
        )
        in_database = {f"platform.{name}" for name in tables.scalars()} - {"platform.alembic_version"}
    assert in_database == set(PLATFORM_TABLES)


def test_the_docs_explain_every_table_office_work_touches() -> None:
    documented = DOCS.read_text()
    touched = [t for t, b in PLATFORM_TABLES.items() if b.requests or b.jobs or b.joined]
    assert [t for t in touched if f"`{t}`" not in documented] == []


@pytest.mark.parametrize(
    ("found", "kind", "expected"),
    [
        ({"platform.outbox": {"1"}}, "requests", []),
        ({"platform.rollup_figures": {"1"}}, "requests", ["platform.rollup_figures"]),
        ({"platform.rollup_figures": {"1"}}, "jobs", []),
        ({"platform.new_table": {"1"}}, "jobs", ["platform.new_table"]),
    ],
)
def test_a_table_not_listed_fails_by_its_name(found, kind, expected) -> None:
    problems = undocumented(found, **{kind: True})
    assert [p.split(":")[0] for p in problems] == expected


async def test_office_requests_write_only_listed_platform_tables(client, database, hierarchy) -> None:
    """A handful of office requests (an export, an invitation, an office token) write the platform
    tables listed for them, and nothing else; the isolation suite does the same for every route."""
    office = hierarchy["a"]
    admin = await make_caller(database, "石泉县边界管理员", {office: ["office_admin"]})
    with platform_writes() as written:
        export = await client.post(
            f"/api/v1/t/{office}/exports", json={"kind": "audit_log", "params": {}}, headers=admin.headers
        )
        assert export.status_code == 202, export.text
        token = await client.post(
            f"/api/v1/t/{office}/api-tokens", json={"name": "边界测试", "scopes": ["audit.read"]}, headers=admin.headers
        )
        assert token.status_code == 201, token.text
    assert not undocumented(written.requests, requests=True)
    assert {"platform.outbox", "platform.api_tokens"} <= set(written.requests)
    assert written.requests["platform.outbox"] == {office}
    assert not undocumented(written.joined)
