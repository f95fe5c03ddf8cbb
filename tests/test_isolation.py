"""Tenant isolation: every tenant route, called in office A's context, never reads or changes B.

The routes are enumerated from the app, so a route added later is covered without anyone
remembering to add it here. The SQL guard (conftest) also fails any statement that reaches a
schema other than the request's.
"""

from __future__ import annotations

import hashlib
import re
import uuid

import asyncpg
import pytest
from litestar.routes import HTTPRoute
from sqlalchemy import select

from renda.core.permissions import PERMISSION_LABELS, declared_permission
from renda.modules.exports.models import Export
from renda.tenants.scoping import load_tenant, tenant_session
from tests.conftest import _asyncpg_dsn, make_caller

PARAM = re.compile(r"\{(\w+)(?::\w+)?\}")


async def snapshot(database_url: str, schema: str) -> str:
    """A digest of every row of every table in `schema`, read outside the app."""
    conn = await asyncpg.connect(_asyncpg_dsn(database_url))
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


async def seed_export(code: str, marker: str) -> uuid.UUID:
    tenant = await load_tenant(code)
    async with tenant_session(tenant, actor=f"user:{uuid.uuid4()}:{marker}") as session:
        export = Export(kind="audit_log", params={"actor": marker}, requested_by=f"user:x:{marker}")
        session.add(export)
        await session.commit()
        return export.id


def tenant_routes(app) -> list[tuple[str, str]]:
    found = []
    for route in app.routes:
        if isinstance(route, HTTPRoute) and "{code" in route.path:
            for method in sorted(route.methods - {"OPTIONS", "HEAD"}):
                found.append((method, route.path))
    return found


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


async def platform_snapshot(database_url: str, tenant_id: uuid.UUID) -> str:
    """A digest of the office's rows in platform tables (memberships, invitations, tokens, ...)."""
    conn = await asyncpg.connect(_asyncpg_dsn(database_url))
    try:
        tables = await conn.fetch(
            "select table_name from information_schema.columns"
            " where table_schema='platform' and column_name='tenant_id' order by 1"
        )
        digest = hashlib.sha256()
        for (table,) in tables:
            rows = await conn.fetch(f'select * from platform."{table}" where tenant_id=$1 order by 1', tenant_id)
            digest.update(f"{table}:{[tuple(r) for r in rows]}".encode())
        return digest.hexdigest()
    finally:
        await conn.close()


async def seed_office_b(database, code: str, marker: str) -> dict[str, str]:
    """One object of every kind a tenant route can address by id, all in office B."""
    from renda.modules.members import service as members
    from renda.modules.members.schemas import ApiTokenIn, InvitationIn

    tenant = await load_tenant(code)
    member = await make_caller(database, marker, {code: ["staff"]})
    async with database.platform_session() as session:
        session.info["actor"] = "system:test"
        invitation = await members.invite(
            session, tenant, InvitationIn(marker, ["viewer"], email=f"{uuid.uuid4().hex[:8]}@b.gov.cn"), "system:test"
        )
        token, _ = await members.issue_office_token(session, tenant, member.user_id, ApiTokenIn(marker, ["audit.read"]))
        await session.commit()
    seeded = {
        "export_id": str(await seed_export(code, marker)),
        "user_id": str(member.user_id),
        "invitation_id": str(invitation.id),
        "token_id": str(token.id),
        **await seed_organisation(code, marker),
    }
    seeded |= await seed_register(code, seeded) | await seed_notifications(code, member.user_id, marker)
    return seeded | await seed_two_contacts(code, marker, seeded)


async def seed_two_contacts(code: str, marker: str, seeded: dict[str, str]) -> dict[str, str]:
    """The contacts, receptions, opinions and portal objects of office B (each module's own seeder)."""
    from tests.modules.contacts.support import seed_contacts
    from tests.modules.receptions.support import seed_receptions

    found = await seed_contacts(code, f"{marker}联系")
    found |= await seed_receptions(code, seeded["station_id"], seeded["person_id"])
    return found | await seed_opinions(code, marker)


async def seed_opinions(code: str, marker: str) -> dict[str, str]:
    """A handling unit with an opinion assigned to it, and a suggestion draft, of office B."""
    from renda.modules.opinions.common import SYSTEM_VIEWER
    from renda.modules.opinions.handling import assign
    from renda.modules.opinions.intake import intake
    from renda.modules.opinions.schemas import UnitIn
    from renda.modules.opinions.units import create_unit
    from renda.modules.suggestions import service as suggestions

    tenant = await load_tenant(code)
    async with tenant_session(tenant, actor="system:test") as session:
        unit = await create_unit(session, SYSTEM_VIEWER, UnitIn(name=marker))
        opinion = await intake(session, tenant, source="staff", content=marker, submitter_phone="13900000000")
        await assign(session, SYSTEM_VIEWER, tenant, opinion, unit_id=unit.id)
        draft = await suggestions.create_draft(
            session, tenant, deputy_person_id=None, title=marker, content=marker, source="staff", source_id=None
        )
        await session.commit()
        return {"unit_id": str(unit.id), "opinion_id": str(opinion.id), "draft_id": str(draft.id)}


async def seed_notifications(code: str, user_id: uuid.UUID, marker: str) -> dict[str, str]:
    """An inbox item of office B's member, with a failed email delivery."""
    from renda.modules.notifications import service as notifications
    from renda.modules.notifications.models import NotificationDelivery

    async with tenant_session(await load_tenant(code), actor="system:test") as session:
        (item,) = await notifications.notify(
            session,
            kind="office_notice",
            event_key=f"isolation:{marker}",
            recipients=[user_id],
            variables={"office": marker, "subject": marker, "content": marker},
            link=f"/t/{code}/",
        )
        delivery = (
            await session.execute(select(NotificationDelivery).where(NotificationDelivery.notification_id == item.id))
        ).scalar_one()
        delivery.status, delivery.last_error = "failed", marker
        await session.commit()
        return {"notification_id": str(item.id), "delivery_id": str(delivery.id)}


async def seed_register(code: str, seeded: dict[str, str]) -> dict[str, str]:
    """A congress, a term and a mandate of office B (for the person seeded above)."""
    from datetime import date

    from sqlalchemy import select

    from renda.modules.deputies.models import Congress, Mandate, Term

    async with tenant_session(await load_tenant(code), actor="system:test") as session:
        taken = set((await session.execute(select(Congress.division_code))).scalars())
        division = next(f"{code}{n}" for n in range(999, 100, -1) if f"{code}{n}" not in taken)
        congress = Congress(level="township", name=f"{division}人民代表大会", division_code=division)
        session.add(congress)
        await session.flush()
        term = Term(congress_id=congress.id, number=1, starts_on=date(2021, 10, 1), is_current=True)
        session.add(term)
        await session.flush()
        mandate = Mandate(
            person_id=uuid.UUID(seeded["person_id"]), term_id=term.id, level="township", starts_on=term.starts_on
        )
        session.add(mandate)
        await session.commit()
        return {"congress_id": str(congress.id), "term_id": str(term.id), "mandate_id": str(mandate.id)}


async def seed_organisation(code: str, marker: str) -> dict[str, str]:
    """A deputy, a committee member, a body, a deputy group and a station of office B."""
    from datetime import date

    from sqlalchemy import select

    from renda.modules.deputies.models import Congress, Person, Term
    from renda.modules.organisation.models import Body, BodyMember, CommitteeMember, DeputyGroup, Station
    from renda.modules.portal.models import DeputyCommitment

    async with tenant_session(await load_tenant(code), actor=f"user:x:{marker}") as session:
        taken = set((await session.execute(select(Congress.division_code))).scalars())
        division = next(f"{code}{n}" for n in range(100, 999) if f"{code}{n}" not in taken)
        person = Person(name=marker[:50], name_pinyin="b", name_initials="b", gender="female")
        congress = Congress(level="township", name=marker, division_code=division)
        session.add_all([person, congress])
        await session.flush()
        term = Term(congress_id=congress.id, number=1, starts_on=date(2021, 10, 1), is_current=False)
        session.add(term)
        await session.flush()
        rows = {
            "person_id": person,
            "committee_member_id": CommitteeMember(
                term_id=term.id, name=marker[:50], position="member", started_on=term.starts_on
            ),
            "body_id": Body(kind="working_commission", name=marker),
            "group_id": DeputyGroup(kind="professional", name=marker),
            "station_id": Station(kind="workroom", name=marker, reception_days=[10, 20, 30]),
        }
        session.add_all(rows.values())
        await session.flush()
        rows["body_member_id"] = BodyMember(body_id=rows["body_id"].id, name=marker[:50])
        rows["commitment_id"] = DeputyCommitment(person_id=person.id, year=2026, text=marker)
        session.add_all([rows["body_member_id"], rows["commitment_id"]])
        await session.commit()
        return {key: str(row.id) for key, row in rows.items()}


async def test_routes_in_a_never_touch_b(app, client, database, database_url, hierarchy) -> None:
    a, b = hierarchy["a"], hierarchy["b"]
    marker_b = f"B机关秘密{uuid.uuid4().hex[:8]}"
    b_ids = await seed_office_b(database, b, marker_b)
    await seed_export(a, "A机关")
    caller = await make_caller(database, "石泉县管理员", {a: ["office_admin"]})
    b_tenant = await load_tenant(b)
    before = (await snapshot(database_url, f"t_{b}"), await platform_snapshot(database_url, b_tenant.id))

    routes = tenant_routes(app)
    assert len(routes) >= 6, routes
    for method, path in routes:
        names = [name for name in PARAM.findall(path) if name != "code"]
        missing = [name for name in names if name not in b_ids]
        assert not missing, f"{path}: seed an object of office B for {missing} in seed_office_b"
        params = {"code": a, **b_ids}
        url = PARAM.sub(lambda m, params=params: params[m.group(1)], path)
        body = {"kind": "audit_log", "params": {}} if method in {"POST", "PUT", "PATCH"} else None
        response = await client.request(method, url, json=body, headers=caller.headers)
        assert response.status_code < 500, (method, url, response.text)
        text = response.content.decode("utf-8", "replace")
        assert marker_b not in text and not any(v in text for v in b_ids.values()), (method, url)
        assert f"t_{b}" not in text, (method, url)
        if names:  # an id of B's, asked for in A, is simply not there
            assert response.status_code == 404, (method, url, response.status_code)

    after = (await snapshot(database_url, f"t_{b}"), await platform_snapshot(database_url, b_tenant.id))
    assert after == before


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
    before = await snapshot(database_url, f"t_{county}")
    write = await client.post(
        f"/api/v1/t/{county}/exports", json={"kind": "audit_log", "params": {}}, headers=city_admin.headers
    )
    assert write.status_code == 403 and write.json()["code"] == "read_only_access"
    assert await snapshot(database_url, f"t_{county}") == before
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
