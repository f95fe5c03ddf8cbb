"""The tenant registry API: creating offices of all three levels, bad input, suspend and resume."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, select, text

from renda.tenants.models import Tenant
from tests.conftest import make_caller


async def count_tenants(database) -> int:
    async with database.platform_session() as session:
        return (await session.execute(select(func.count()).select_from(Tenant))).scalar_one()


@pytest.mark.smoke
async def test_create_three_levels_and_list(client, platform_admin, database) -> None:
    h = platform_admin.headers
    city = await client.post(
        "/api/v1/platform/tenants", json={"code": "610700", "name": "汉中市人大常委会", "level": "city"}, headers=h
    )
    assert city.status_code == 201, city.text
    county = await client.post(
        "/api/v1/platform/tenants",
        json={"code": "610722", "name": "城固县人大常委会", "level": "county", "parent": "610700"},
        headers=h,
    )
    assert county.status_code == 201, county.text
    township = await client.post(
        "/api/v1/platform/tenants",
        json={"code": "610722100", "name": "城固县博望街道人大工委", "level": "township", "parent": "610722"},
        headers=h,
    )
    assert township.status_code == 201, township.text
    assert township.json()["path"] == "610700/610722/610722100"
    assert township.json()["schema"] == "t_610722100"
    async with database.platform_session() as session:
        tables = (
            (
                await session.execute(
                    text("select table_name from information_schema.tables where table_schema='t_610722100'")
                )
            )
            .scalars()
            .all()
        )
    assert {"audit_log", "exports", "alembic_version"} <= set(tables)

    listed = await client.get("/api/v1/platform/tenants", params={"parent": "610722"}, headers=h)
    assert [t["code"] for t in listed.json()["items"]] == ["610722100"]
    shown = await client.get("/api/v1/platform/tenants/610722", headers=h)
    assert shown.json()["level_label"] == "县级" and shown.json()["parent"] == "610700"


async def test_two_offices_created_at_once(database) -> None:
    """Two offices provisioned at the same time in one process (two requests at once): each one's
    migrations run in its own schema, although Alembic's `op` is one context per process."""
    from renda.tenants.divisions import Level
    from renda.tenants.migrations import current_revision, tenant_head
    from renda.tenants.schemas import TenantCreate
    from renda.tenants.service import create_tenant

    offices = [("654200", "塔城地区人大工委"), ("654300", "阿勒泰地区人大工委")]
    await asyncio.gather(
        *(create_tenant(database, TenantCreate(code, name, Level.CITY), actor="test") for code, name in offices)
    )
    for code, _name in offices:
        assert await current_revision(database, f"t_{code}") == tenant_head()
    async with database.platform_session() as session:
        tables = await session.execute(
            text(
                "select table_schema, count(*) from information_schema.tables"
                " where table_schema = any(:s) group by table_schema"
            ),
            {"s": [f"t_{code}" for code, _ in offices]},
        )
        counts = dict(tables.all())
    assert counts["t_654200"] == counts["t_654300"] > 50


async def test_bad_input_creates_nothing(client, platform_admin, database, hierarchy) -> None:
    h = platform_admin.headers
    before = await count_tenants(database)
    cases = [
        (
            {"code": "61092X", "name": "某县人大常委会", "level": "county", "parent": "610900"},
            400,
            "invalid_division_code",
        ),
        ({"code": "610923", "name": "宁陕县人大常委会", "level": "county", "parent": "610922"}, 400, "invalid_parent"),
        ({"code": "610923", "name": "宁陕县人大常委会", "level": "county"}, 400, "invalid_parent"),
        ({"code": "610922", "name": "重复县人大常委会", "level": "county", "parent": "610900"}, 409, "tenant_exists"),
        (
            {"code": "610923", "name": "宁陕县人大常委会", "level": "county", "parent": "619900"},
            404,
            "tenant_not_found",
        ),
        ({"code": "610923", "name": "宁陕县人大常委会", "level": "province"}, 400, "validation_error"),
        ({"code": 610923, "name": "宁陕县人大常委会", "level": "county"}, 400, "validation_error"),
        (
            {"code": "610923", "name": "宁陕县", "level": "county", "parent": "610900", "extra": 1},
            400,
            "validation_error",
        ),
    ]
    for body, status, code in cases:
        response = await client.post("/api/v1/platform/tenants", json=body, headers=h)
        assert response.status_code == status, (body, response.text)
        assert response.json()["code"] == code, (body, response.json())
        assert response.json()["message"]
    malformed = await client.post(
        "/api/v1/platform/tenants", content=b'{"code": "610923",', headers={**h, "Content-Type": "application/json"}
    )
    assert malformed.status_code == 400 and malformed.json()["code"] == "malformed_json"
    assert await count_tenants(database) == before


async def test_registry_needs_platform_admin(client, database, hierarchy) -> None:
    staff = await make_caller(database, "县工作人员", {hierarchy["a"]: ["office_admin"]})
    response = await client.get("/api/v1/platform/tenants", headers=staff.headers)
    assert response.status_code == 403 and response.json()["code"] == "permission_denied"
    anonymous = await client.get("/api/v1/platform/tenants")
    assert anonymous.status_code == 401
    forged = await client.get("/api/v1/platform/tenants", headers={"Authorization": "Bearer rdt_forged"})
    assert forged.status_code == 401


async def test_suspend_blocks_and_resume_restores(client, platform_admin, database) -> None:
    from tests.conftest import ensure_tenant

    await ensure_tenant(database, "610923", "宁陕县人大常委会", "county", "610900")
    await ensure_tenant(database, "610900", "安康市人大常委会", "city", None)
    member = await make_caller(database, "宁陕县工作人员", {"610923": ["staff"]})
    assert (await client.get("/api/v1/t/610923/audit", headers=member.headers)).status_code == 200

    suspended = await client.post(
        "/api/v1/platform/tenants/610923/suspend", json={"reason": "机构调整"}, headers=platform_admin.headers
    )
    assert suspended.status_code == 200 and suspended.json()["status"] == "suspended"
    blocked = await client.get("/api/v1/t/610923/audit", headers=member.headers)
    assert blocked.status_code == 403 and blocked.json()["code"] == "tenant_suspended"
    assert "停用" in blocked.json()["message"]

    resumed = await client.post("/api/v1/platform/tenants/610923/resume", headers=platform_admin.headers)
    assert resumed.json()["status"] == "active"
    audit = await client.get("/api/v1/t/610923/audit", headers=member.headers)
    assert audit.status_code == 200


async def test_unknown_office_is_404(client, platform_admin) -> None:
    response = await client.get("/api/v1/t/619999/audit", headers=platform_admin.headers)
    assert response.status_code == 404 and response.json()["code"] == "tenant_not_found"


async def test_health_ready_and_openapi(client) -> None:
    assert (await client.get("/health")).json() == {"status": "ok"}
    ready = await client.get("/ready")
    assert ready.status_code == 200 and ready.json()["checks"] == {"database": "ok", "broker": "ok"}
    schema = await client.get("/schema/openapi.json")
    assert "/api/v1/platform/tenants" in schema.json()["paths"]
    assert ready.headers["x-request-id"]
