"""Tenant isolation for every contacts route (API and pages, enumerated from the app): office B's ids
through office A's URL are not there, B's data never changes, and A's members cannot read B."""

from __future__ import annotations

import hashlib
import re
import uuid

import asyncpg
from litestar.routes import HTTPRoute

from tests.conftest import _asyncpg_dsn, make_caller
from tests.modules.contacts.support import COUNTY, OTHER_COUNTY, fresh_term, seed_contacts

PARAM = re.compile(r"\{(\w+)(?::\w+)?\}")


async def schema_digest(database_url: str, schema: str) -> str:
    conn = await asyncpg.connect(_asyncpg_dsn(database_url), statement_cache_size=0)
    try:
        tables = await conn.fetch(
            "select table_name from information_schema.tables where table_schema=$1 order by 1", schema
        )
        digest = hashlib.sha256()
        for (table,) in tables:
            rows = await conn.fetch(f'select * from "{schema}"."{table}" order by 1')
            digest.update(f"{table}:{[tuple(r) for r in rows]}".encode())
        return digest.hexdigest()
    finally:
        await conn.close()


def contacts_routes(app) -> list[tuple[str, str]]:
    found = []
    for route in app.routes:
        if isinstance(route, HTTPRoute) and "{code" in route.path and "/contacts" in route.path:
            for method in sorted(route.methods - {"OPTIONS", "HEAD"}):
                found.append((method, route.path))
    return found


async def test_every_contacts_route_in_a_never_reaches_b(app, client, database, database_url, offices) -> None:
    await fresh_term(COUNTY)
    marker = f"陵城区机密{uuid.uuid4().hex[:8]}"
    b_ids = await seed_contacts(OTHER_COUNTY, marker)
    admin = await make_caller(database, "德城区管理员", {COUNTY: ["office_admin"]})
    before = await schema_digest(database_url, f"t_{OTHER_COUNTY}")

    routes = contacts_routes(app)
    assert len(routes) >= 60, routes
    for method, path in routes:
        names = [name for name in PARAM.findall(path) if name != "code"]
        assert all(name in b_ids for name in names), f"{path}: seed office B's object for {names}"
        url = PARAM.sub(lambda m: COUNTY if m.group(1) == "code" else b_ids[m.group(1)], path)
        body = {"kind": "audit_log", "params": {}} if method in {"POST", "PUT", "PATCH"} else None
        response = await client.request(method, url, json=body, headers=admin.headers)
        assert response.status_code < 500, (method, url, response.text)
        text = response.content.decode("utf-8", "replace")
        assert marker not in text and not any(v in text for v in b_ids.values()), (method, url)
        if names:
            assert response.status_code == 404, (method, url, response.status_code, response.text)
    assert await schema_digest(database_url, f"t_{OTHER_COUNTY}") == before


async def test_a_member_of_a_cannot_read_b(client, database, offices) -> None:
    staff = await make_caller(database, "德城区工作人员", {COUNTY: ["staff"]})
    member = await make_caller(database, "德城区组成人员乙", {COUNTY: ["committee_member"]})
    for who in (staff, member):
        for path in ("assignments", "records", "coverage", "reports/members", "meetings", "settings"):
            refused = await client.get(f"/api/v1/t/{OTHER_COUNTY}/contacts/{path}", headers=who.headers)
            assert refused.status_code == 403 and refused.json()["code"] == "not_a_member"
        page = await client.get(f"/t/{OTHER_COUNTY}/contacts", headers={**who.headers, "Accept": "text/html"})
        assert page.status_code == 403 and "无权访问" in page.text


async def test_a_parent_office_reads_but_never_writes(client, database, database_url, offices) -> None:
    from tests.modules.contacts.support import CITY

    office = await fresh_term(COUNTY)
    city_staff = await make_caller(database, "德州市代表工委", {CITY: ["staff"]})
    read = await client.get(f"/api/v1/t/{COUNTY}/contacts/assignments", headers=city_staff.headers)
    assert read.status_code == 200 and read.json()["term"]["id"] == str(office.term_id)
    before = await schema_digest(database_url, f"t_{COUNTY}")
    write = await client.put(
        f"/api/v1/t/{COUNTY}/contacts/settings",
        json={"min_per_member": 1, "max_per_member": 2},
        headers=city_staff.headers,
    )
    assert write.status_code == 403 and write.json()["code"] == "read_only_access"
    assert await schema_digest(database_url, f"t_{COUNTY}") == before
