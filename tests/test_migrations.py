"""`renda migrate`: idempotent, per-tenant results, a failing tenant left untouched and resumable."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import event, text
from sqlalchemy.engine import Engine

from renda.tenants.migrations import TENANT_SCRIPTS, migrate_all, tenant_head
from tests.conftest import ensure_tenant, raw_fetchval

FAILING_REVISION = '''"""adds a table, and fails in one tenant after creating it"""
import sqlalchemy as sa
from alembic import op

revision = "t9999"
down_revision = "{head}"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table("probe", sa.Column("id", sa.Integer, primary_key=True))
    schema = op.get_bind().execute(sa.text("select current_schema()")).scalar()
    if schema == "{failing}" and {fail}:
        raise RuntimeError("simulated failure in " + schema)


def downgrade() -> None:
    op.drop_table("probe")
'''


def scripts_with_extra_revision(tmp_path: Path, failing_schema: str, fail: bool) -> Path:
    target = tmp_path / "tenant"
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(TENANT_SCRIPTS, target, ignore=shutil.ignore_patterns("__pycache__"))
    (target / "versions" / "t9999_probe.py").write_text(
        FAILING_REVISION.format(head=tenant_head(), failing=failing_schema, fail=fail)
    )
    return target


async def revision_of(database_url: str, schema: str) -> str:
    return await raw_fetchval(database_url, f'select version_num from "{schema}".alembic_version')


async def has_table(database_url: str, schema: str, table: str) -> bool:
    return await raw_fetchval(database_url, f"select to_regclass('\"{schema}\".{table}') is not null")


async def test_noop_migrate_reports_every_tenant(database, hierarchy) -> None:
    results = await migrate_all(database, concurrency=3)
    codes = {r.code for r in results}
    assert set(hierarchy.values()) <= codes
    assert all(r.ok and not r.changed and r.after == tenant_head() for r in results)


@contextmanager
def statements_sent() -> Iterator[list[str]]:
    sent: list[str] = []

    def record(_conn, _cursor, statement, *_args) -> None:
        sent.append(statement)

    event.listen(Engine, "before_cursor_execute", record)
    try:
        yield sent
    finally:
        event.remove(Engine, "before_cursor_execute", record)


async def test_noop_migrate_reads_every_revision_in_one_statement(database, hierarchy) -> None:
    """Not one query per office: the offices' revisions come in one statement (per thousand offices)."""
    with statements_sent() as sent:
        results = await migrate_all(database, concurrency=3)
    assert len(results) >= 4
    # The platform's own upgrade asks whether its version table exists (by name, a parameter).
    probes = [s for s in sent if s.startswith("SELECT to_regclass(format('%I.alembic_version', CAST(")]
    assert len(probes) <= 3 < len(results)
    office_reads = [s for s in sent if "alembic_version" in s and "platform" not in s and s not in probes]
    assert len(office_reads) == 1 and "query_to_xml" in office_reads[0]


async def test_failing_tenant_is_left_whole_and_resumes(database, database_url, hierarchy, tmp_path) -> None:
    await ensure_tenant(database, "610924", "紫阳县人大常委会", "county", "610900")
    failing = "t_610924"
    head = tenant_head()
    scripts = scripts_with_extra_revision(tmp_path, failing, fail=True)

    results = {r.code: r for r in await migrate_all(database, concurrency=2, tenant_scripts=scripts)}
    assert not results["610924"].ok and "simulated failure" in results["610924"].error
    others = [r for code, r in results.items() if code != "610924"]
    assert others and all(r.ok and r.after == "t9999" for r in others), [
        (r.code, r.before, r.after, (r.error or "")[:1500]) for r in others
    ]
    # The failing tenant is exactly as before: old revision, no half-created table.
    assert await revision_of(database_url, failing) == head
    assert not await has_table(database_url, failing, "probe")
    assert await has_table(database_url, "t_610922", "probe")

    # The fix ships; the next run upgrades only what is behind.
    fixed = scripts_with_extra_revision(tmp_path, failing, fail=False)
    with statements_sent() as sent:
        rerun = {r.code: r for r in await migrate_all(database, concurrency=2, tenant_scripts=fixed)}
    # Its version table is looked up by name, not by the dialect's scan of every schema's tables.
    assert not [s for s in sent if "pg_catalog.pg_namespace" in s]
    assert rerun["610924"].ok and rerun["610924"].changed and rerun["610924"].after == "t9999"
    assert all(not r.changed for code, r in rerun.items() if code != "610924")
    assert await has_table(database_url, failing, "probe")

    # Put every tenant back at the real head for the other tests.
    for code in rerun:
        await raw_fetchval(database_url, f'DROP TABLE "t_{code}".probe')
        await raw_fetchval(database_url, f"UPDATE \"t_{code}\".alembic_version SET version_num = '{head}'")


async def test_provisioning_failure_leaves_no_tenant(database, monkeypatch) -> None:
    import pytest

    from renda.tenants import service
    from renda.tenants.divisions import Level
    from renda.tenants.schemas import TenantCreate

    async def broken_upgrade(*_args, **_kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(service, "upgrade_schema", broken_upgrade)
    with pytest.raises(RuntimeError):
        await service.create_tenant(
            database, TenantCreate("610925", "岚皋县人大常委会", Level.COUNTY, "610900"), actor="t"
        )
    async with database.platform_session() as session:
        assert (await session.execute(text("select count(*) from platform.tenants where code='610925'"))).scalar() == 0
        assert (await session.execute(text("select to_regnamespace('t_610925')"))).scalar() is None
