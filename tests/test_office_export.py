"""An office exported to one file and imported into an empty deployment comes out identical, table
by table; restored with --replace into a running deployment, it leaves the other offices untouched;
a tampered file, another migration revision and another secret key are refused with nothing changed.

The source is a database of its own with the demo seeded (and the tables the demo leaves empty
filled), so the shared test database's offices are not disturbed."""

from __future__ import annotations

import io
import json
import tarfile
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest

from renda.tenants.restore import IMPORT_ACTOR
from renda.tenants.transfer import PLATFORM_PARTS, part_filter
from tests.conftest import _asyncpg_dsn
from tests.support.demo_database import demo_deployment, throwaway_database
from tests.test_cli import renda

CITY, COUNTY, OTHER = "610900", "610922", "610921"
PLATFORM_KEYS = {
    "rollup_figures": ["office_code", "metric", "period", "scope", "dimension", "member"],
    "mandate_directory": ["mandate_id"],
    "mandate_claims": ["person_key", "level", "congress_division", "term_number"],
}


@pytest.fixture(scope="module")
async def source(database) -> AsyncIterator[str]:
    """A running deployment: the demo offices, seeded under the tests' secret key."""
    async with demo_deployment("source") as url:
        yield url


async def snapshot(url: str, code: str, *, leave_out_actor: str | None = None) -> dict[str, bytes]:
    """Every table of the office's schema and its platform rows, as COPY text ordered by primary key,
    and its sequences."""
    conn = await asyncpg.connect(_asyncpg_dsn(url))
    schema = f"t_{code}"
    try:
        found: dict[str, bytes] = {}
        office_id = await conn.fetchval("select id from platform.tenants where code = $1", code)
        tables = await conn.fetch(
            """select c.relname, array(select a.attname from pg_constraint k join unnest(k.conkey) as u(n) on true
                      join pg_attribute a on a.attrelid = c.oid and a.attnum = u.n
                      where k.conrelid = c.oid and k.contype = 'p') as key
               from pg_class c join pg_namespace n on n.oid = c.relnamespace
               where n.nspname = $1 and c.relkind = 'r'""",
            schema,
        )
        for name, key in tables:
            assert key, f"{name} has no primary key to order by"
            found[f"{schema}.{name}"] = await _copy(conn, f'select * from "{schema}"."{name}"', key)
        for part in PLATFORM_PARTS:
            where = part_filter(part, office_id, code)
            if part.table == "audit_events" and leave_out_actor:
                where += f" and actor <> '{leave_out_actor}'"
            key = PLATFORM_KEYS.get(part.table, ["id"])
            found[f"platform.{part.table}"] = await _copy(
                conn, f"select * from platform.{part.table} where {where}", key
            )
        for row in await conn.fetch("select sequencename from pg_sequences where schemaname = $1", schema):
            value = await conn.fetchrow(f'select last_value, is_called from "{schema}"."{row[0]}"')
            found[f"{schema}.{row[0]}"] = repr(tuple(value)).encode()
        return found
    finally:
        await conn.close()


async def _copy(conn: asyncpg.Connection, query: str, key: list[str]) -> bytes:
    out = io.BytesIO()

    async def sink(chunk: bytes) -> None:
        out.write(chunk)

    await conn.copy_from_query(f"{query} order by {', '.join(key)}", output=sink)
    return out.getvalue()


async def test_an_office_round_trips_into_an_empty_deployment(source, tmp_path: Path) -> None:
    city_file, county_file = tmp_path / "city.tar.gz", tmp_path / "county.tar.gz"
    for code, file in ((CITY, city_file), (COUNTY, county_file)):
        status, out, err = await renda(source, "tenants", "export", code, "--out", str(file))
        assert status == 0, err
        assert code in out and file.exists()
    with tarfile.open(county_file) as archive:
        manifest = json.load(archive.extractfile("manifest.json"))
    rows = {(t["kind"], t["table"]): t["rows"] for t in manifest["tables"]}
    # Data in every module: the register, organisation, contacts, receptions, opinions, the portal,
    # suggestions, notifications, members and the directory.
    for table in (
        "persons", "mandates", "stations", "deputy_groups", "contact_records", "receptions", "roster_entries",
        "opinions", "opinion_sms", "portal_settings", "suggestions", "suggestion_units", "notifications",
        "handling_units", "audit_log",
    ):  # fmt: skip
        assert rows[("tenant", table)] > 0, table
    for table in ("tenants", "users", "memberships", "invitations", "api_tokens", "user_identities"):
        assert rows[("platform", table)] > 0, table
    for table in ("mandate_directory", "mandate_claims", "rollup_figures"):
        assert rows[("platform", table)] > 0, table
    assert manifest["children"] == ["610922100", "610922101"]

    async with throwaway_database("target") as target:
        status, _, err = await renda(target, "migrate")
        assert status == 0, err
        # The county first: its parent city is not there yet.
        status, _, err = await renda(target, "tenants", "import", str(county_file))
        assert status != 0 and "上级机关 610900 不在本部署中" in err and "export_parent_missing" in err
        assert await _schemas(target) == set()

        status, out, err = await renda(target, "tenants", "import", str(city_file))
        assert status == 0, err
        status, out, err = await renda(target, "tenants", "import", str(county_file))
        assert status == 0, err
        assert "已导入" in out and "610922100, 610922101" in err  # its townships are not there

        for code in (CITY, COUNTY):
            before = await snapshot(source, code)
            after = await snapshot(target, code, leave_out_actor=IMPORT_ACTOR)
            assert len(before) > 60 and before.keys() == after.keys()
            different = sorted(name for name in before if before[name] != after[name])
            assert not different, different
        # The import is recorded, and the city's totals are to be recomputed with the county in them.
        conn = await asyncpg.connect(_asyncpg_dsn(target))
        try:
            assert (
                await conn.fetchval(
                    "select count(*) from platform.audit_events where actor = $1 and tenant_code = $2",
                    IMPORT_ACTOR,
                    COUNTY,
                )
                == 1
            )
            assert await conn.fetchval("select count(*) from platform.rollup_pending where office_code = $1", CITY) == 1
        finally:
            await conn.close()

        # Once there, the same file is refused without --replace.
        status, _, err = await renda(target, "tenants", "import", str(county_file))
        assert status != 0 and "tenant_exists" in err and "--replace" in err


async def _schemas(url: str) -> set[str]:
    conn = await asyncpg.connect(_asyncpg_dsn(url))
    try:
        return {r[0] for r in await conn.fetch("select nspname from pg_namespace where nspname like 't\\_%'")}
    finally:
        await conn.close()


async def _execute(url: str, *statements: str) -> None:
    conn = await asyncpg.connect(_asyncpg_dsn(url))
    try:
        for statement in statements:
            await conn.execute(statement)
    finally:
        await conn.close()


async def test_restoring_one_office_leaves_the_others_untouched(source, tmp_path: Path) -> None:
    backup = tmp_path / "county.tar.gz"
    status, _, err = await renda(source, "tenants", "export", COUNTY, "--out", str(backup))
    assert status == 0, err
    as_backed_up = await snapshot(source, COUNTY)
    # The office changes after the backup: a person renamed, an opinion deleted, a membership gone.
    await _execute(
        source,
        f"update t_{COUNTY}.persons set name = '改过的名字' where id = (select id from t_{COUNTY}.persons limit 1)",
        f"delete from t_{COUNTY}.opinion_sms",
        f"delete from platform.memberships where tenant_id = (select id from platform.tenants where code = '{COUNTY}')"
        " and roles = '{viewer}'",
    )
    assert await snapshot(source, COUNTY) != as_backed_up
    others = {code: await snapshot(source, code) for code in (CITY, OTHER, "610922100")}

    status, out, err = await renda(source, "tenants", "import", str(backup), "--replace")
    assert status == 0, err
    assert "已恢复" in out

    restored = await snapshot(source, COUNTY, leave_out_actor=IMPORT_ACTOR)
    assert sorted(name for name in as_backed_up if as_backed_up[name] != restored[name]) == []
    for code, before in others.items():
        after = await snapshot(source, code)
        assert sorted(name for name in before if before[name] != after[name]) == [], code


def _rewrite(file: Path, out: Path, *, manifest_change=None, data_change: str | None = None) -> None:
    """A copy of an export with its manifest edited or one table's data altered (checksums kept)."""
    with tarfile.open(file) as source, tarfile.open(out, "w:gz") as target:
        for member in source.getmembers():
            data = source.extractfile(member).read()
            if member.name == "manifest.json" and manifest_change:
                manifest = json.loads(data)
                manifest_change(manifest)
                data = json.dumps(manifest).encode()
            elif member.name == data_change:
                data = data.replace("石泉".encode(), "汉阴".encode(), 1)
            member.size = len(data)
            target.addfile(member, io.BytesIO(data))


async def test_a_tampered_file_another_revision_or_another_key_is_refused(source, tmp_path: Path) -> None:
    backup = tmp_path / "county.tar.gz"
    status, _, err = await renda(source, "tenants", "export", COUNTY, "--out", str(backup))
    assert status == 0, err
    await _execute(source, f"update t_{COUNTY}.stations set name = name || '(新)'")
    before = await snapshot(source, COUNTY)

    tampered = tmp_path / "tampered.tar.gz"
    _rewrite(backup, tampered, data_change="tenant/stations.copy")
    status, _, err = await renda(source, "tenants", "import", str(tampered), "--replace")
    assert status != 0 and "export_checksum" in err and "stations" in err

    older = tmp_path / "older.tar.gz"
    _rewrite(backup, older, manifest_change=lambda m: m.update(tenant_revision="t0011"))
    status, _, err = await renda(source, "tenants", "import", str(older), "--replace")
    assert status != 0 and "export_revision_mismatch" in err and "t0011" in err and "renda migrate" in err

    status, _, err = await renda(
        source, "tenants", "import", str(backup), "--replace", env={"RENDA_SECRET_KEY": "another-key"}
    )
    assert status != 0 and "export_key_mismatch" in err and "RENDA_SECRET_KEY" in err

    status, _, err = await renda(source, "tenants", "import", str(tmp_path / "nothing.txt"))
    assert status != 0

    assert await snapshot(source, COUNTY) == before
