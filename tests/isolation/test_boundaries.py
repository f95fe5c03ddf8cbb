"""The tenant boundary's other sides: every route declares the permission it checks, a member of one
office is refused in another, a parent office reads its descendants but never writes, and a session
made without an office cannot reach office tables. (Every route called as office A, with B checked
after each call: test_routes.py, test_portal.py, test_workers.py.)"""

from __future__ import annotations

import pytest

from renda.core.permissions import PERMISSION_LABELS, declared_permission
from renda.modules.exports.models import Export
from tests.conftest import make_caller
from tests.isolation.office_b import Digest


def test_every_route_declares_one_permission(app) -> None:
    missing = []
    for route in app.routes:
        for handler in getattr(route, "route_handlers", []):
            if handler.http_methods == {"OPTIONS"}:  # Litestar's automatic CORS preflight answer
                continue
            if declared_permission(handler) is None:
                missing.append(f"{route.path} {handler.handler_name}")
    assert not missing, f"routes without a declared permission: {missing}"


def test_tenant_routes_declare_office_permissions(app) -> None:
    for route in app.routes:
        if "{code" in route.path:
            for handler in route.route_handlers:
                if handler.http_methods == {"OPTIONS"}:
                    continue
                permission = declared_permission(handler)
                assert permission not in ("public", "authenticated") and not permission.startswith("platform."), (
                    f"{route.path} must check the caller's rights in the office"
                )
                assert permission in PERMISSION_LABELS, f"{route.path}: add {permission} to PERMISSION_LABELS"


async def test_member_of_a_is_refused_in_b(client, database, hierarchy) -> None:
    caller = await make_caller(database, "石泉县工作人员", {hierarchy["a"]: ["staff"]})
    response = await client.get(f"/api/v1/t/{hierarchy['b']}/audit", headers=caller.headers)
    assert response.status_code == 403 and response.json()["code"] == "not_a_member"
    page = await client.get(f"/t/{hierarchy['b']}/", headers={**caller.headers, "Accept": "text/html"})
    assert page.status_code == 403 and "无权访问" in page.text


async def test_parent_office_reads_but_never_writes(client, database, database_url, hierarchy) -> None:
    city_admin = await make_caller(database, "市代表工委", {hierarchy["city"]: ["office_admin"]})
    county = hierarchy["a"]
    read = await client.get(f"/api/v1/t/{county}/audit", headers=city_admin.headers)
    assert read.status_code == 200
    digest = await Digest.of(database_url, county)

    async def county_tables() -> dict[str, str]:  # the county's own rows (other tests' jobs may run for it)
        return {table: rows for table, rows in (await digest.take()).items() if table.startswith(f"t_{county}.")}

    before = await county_tables()
    write = await client.post(
        f"/api/v1/t/{county}/exports", json={"kind": "audit_log", "params": {}}, headers=city_admin.headers
    )
    assert write.status_code == 403 and write.json()["code"] == "read_only_access"
    assert await county_tables() == before
    await digest.close()
    # A township's office never sees its county.
    township_admin = await make_caller(database, "镇人大主席团", {hierarchy["a_township"]: ["office_admin"]})
    up = await client.get(f"/api/v1/t/{county}/audit", headers=township_admin.headers)
    assert up.status_code == 403


async def test_session_without_tenant_cannot_reach_tenant_tables(database) -> None:
    from sqlalchemy import select
    from sqlalchemy.exc import ProgrammingError

    async with database.platform_session() as session:
        with pytest.raises(ProgrammingError, match="no_tenant_selected"):
            await session.execute(select(Export))
