"""Tenant isolation for every opinions and suggestions endpoint: office B's opinions, units and
drafts through office A's URLs are not found (and B's data stays as it was); B's deputy or unit in
A's requests is refused; a member of A cannot reach B at all."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select

from renda.modules.opinions.models import Opinion, OpinionStep
from renda.modules.suggestions import service as suggestions
from renda.modules.suggestions.models import SuggestionDraft
from renda.modules.units.models import HandlingUnit, HandlingUnitUser
from renda.tenants.scoping import load_tenant, tenant_session
from tests.conftest import make_caller
from tests.modules.opinions.support import HTML, intake, office


async def state(code: str) -> tuple:
    async with tenant_session(await load_tenant(code), actor="system:test") as session:
        rows = []
        for model in (Opinion, OpinionStep, HandlingUnit, HandlingUnitUser, SuggestionDraft):
            rows.append(await session.scalar(select(func.count()).select_from(model)))
        statuses = (
            await session.execute(select(Opinion.id, Opinion.status, Opinion.unit_id).order_by(Opinion.id))
        ).all()
        units = (await session.execute(select(HandlingUnit.id, HandlingUnit.name, HandlingUnit.is_active))).all()
        drafts = (
            await session.execute(select(SuggestionDraft.id, SuggestionDraft.title, SuggestionDraft.status))
        ).all()
        return tuple(rows), sorted(statuses), sorted(units), sorted(drafts)


async def test_office_b_is_not_reachable_through_office_a(client, database, offices) -> None:
    a, b = offices["a"], offices["b"]
    ours = await office(database, a, "岐山隔离")
    theirs = await office(database, b, "扶风隔离")
    their_opinion = await intake(b, "扶风县:河道垃圾无人清理", deputy_person_id=theirs.deputy_person)
    our_opinion = await intake(a, "岐山县:河道垃圾无人清理")
    tenant_b = await load_tenant(b)
    async with tenant_session(tenant_b, actor="system:test") as session:
        draft = await suggestions.create_draft(
            session,
            tenant_b,
            deputy_person_id=None,
            title="扶风县的建议",
            content="内容",
            source="staff",
            source_id=None,
        )
        await session.commit()
    before = await state(b)
    staff = ours.staff.headers
    api = f"/api/v1/t/{a}"
    pages = f"/t/{a}"
    unit_body = {"unit_id": str(ours.unit_id)}

    not_found = [
        ("get", f"{api}/opinions/{their_opinion.id}", None),
        ("post", f"{api}/opinions/{their_opinion.id}/analysis", {"category": "environment"}),
        ("post", f"{api}/opinions/{their_opinion.id}/duplicate", {"duplicate_of_id": str(our_opinion.id)}),
        ("post", f"{api}/opinions/{their_opinion.id}/assignment", unit_body),
        ("post", f"{api}/opinions/{their_opinion.id}/escalation", {}),
        ("post", f"{api}/opinions/{their_opinion.id}/answer", {"answer": "x"}),
        ("post", f"{api}/opinions/{their_opinion.id}/rating", {"rating": "solved"}),
        ("post", f"{api}/opinions/{their_opinion.id}/close", {}),
        ("get", f"{api}/opinions/units/{theirs.unit_id}", None),
        ("patch", f"{api}/opinions/units/{theirs.unit_id}", {"name": "改名"}),
        ("delete", f"{api}/opinions/units/{theirs.unit_id}", None),
        ("post", f"{api}/opinions/units/{theirs.unit_id}/users", {"user_id": str(ours.unit_user.user_id)}),
        ("delete", f"{api}/opinions/units/{theirs.unit_id}/users/{theirs.unit_user.user_id}", None),
        ("get", f"{api}/suggestions/{draft.id}", None),
        ("patch", f"{api}/suggestions/{draft.id}", {"title": "改"}),
        ("post", f"{api}/suggestions/{draft.id}/withdraw", None),
    ]
    for method, url, body in not_found:
        kwargs = {"json": body} if body is not None else {}
        response = await client.request(method.upper(), url, headers=staff, **kwargs)
        assert response.status_code == 404, (method, url, response.text)

    form = {**staff, **HTML}
    page_not_found = [
        ("get", f"{pages}/opinions/{their_opinion.id}", None),
        ("post", f"{pages}/opinions/{their_opinion.id}/analysis", {"category": "environment"}),
        ("post", f"{pages}/opinions/{their_opinion.id}/duplicate", {"duplicate_of_id": str(our_opinion.id)}),
        ("post", f"{pages}/opinions/{their_opinion.id}/assignment", unit_body),
        ("post", f"{pages}/opinions/{their_opinion.id}/escalation", {}),
        ("post", f"{pages}/opinions/{their_opinion.id}/answer", {"answer": "x"}),
        ("post", f"{pages}/opinions/{their_opinion.id}/rating", {"rating": "solved"}),
        ("post", f"{pages}/opinions/{their_opinion.id}/close", {}),
        ("post", f"{pages}/opinions/units/{theirs.unit_id}/edit", {"name": "改名"}),
        ("post", f"{pages}/opinions/units/{theirs.unit_id}/delete", {}),
        ("post", f"{pages}/opinions/units/{theirs.unit_id}/users", {"user_id": str(ours.unit_user.user_id)}),
        ("post", f"{pages}/opinions/units/{theirs.unit_id}/users/{theirs.unit_user.user_id}/remove", {}),
        ("get", f"{pages}/suggestions/{draft.id}", None),
        ("post", f"{pages}/suggestions/{draft.id}/edit", {"title": "改", "content": "改"}),
        ("post", f"{pages}/suggestions/{draft.id}/withdraw", {}),
    ]
    for method, url, body in page_not_found:
        kwargs = {"data": body} if body is not None else {}
        response = await client.request(method.upper(), url, headers=form, **kwargs)
        assert response.status_code == 404, (method, url)

    # B's things named inside A's requests are refused and change nothing.
    refused = [
        (f"{api}/opinions/{our_opinion.id}/duplicate", {"duplicate_of_id": str(their_opinion.id)}, "unknown_duplicate"),
        (f"{api}/opinions/{our_opinion.id}/assignment", {"unit_id": str(theirs.unit_id)}, "unknown_unit"),
        (f"{api}/opinions", {"content": "x", "deputy_person_id": str(theirs.deputy_person)}, "unknown_deputy"),
        (f"{api}/opinions/units/{ours.unit_id}/users", {"user_id": str(theirs.unit_user.user_id)}, "invalid_unit_user"),
        (
            f"{api}/suggestions",
            {"title": "t", "content": "c", "deputy_person_id": str(theirs.deputy_person)},
            "unknown_deputy",
        ),
    ]
    for url, body, code in refused:
        response = await client.post(url, json=body, headers=staff)
        assert response.status_code == 400 and response.json()["code"] == code, (url, response.text)

    # A's lists never show B's rows.
    listed = (await client.get(f"{api}/opinions?q=河道垃圾&page_size=200", headers=staff)).json()["items"]
    assert [o["id"] for o in listed] == [str(our_opinion.id)]
    assert str(theirs.unit_id) not in [
        u["id"] for u in (await client.get(f"{api}/opinions/units", headers=staff)).json()
    ]
    assert str(draft.id) not in [
        d["id"] for d in (await client.get(f"{api}/suggestions", headers=staff)).json()["items"]
    ]

    # A member of A cannot reach B at all.
    for url in (
        f"/api/v1/t/{b}/opinions",
        f"/api/v1/t/{b}/opinions/{their_opinion.id}",
        f"/api/v1/t/{b}/opinions/units",
        f"/api/v1/t/{b}/suggestions",
    ):
        response = await client.get(url, headers=staff)
        assert response.status_code == 403 and response.json()["code"] == "not_a_member"
    for url in (f"/t/{b}/opinions", f"/t/{b}/opinions/units", f"/t/{b}/suggestions"):
        assert (await client.get(url, headers=form)).status_code == 403
    denied = await client.post(
        f"/api/v1/t/{b}/opinions/{their_opinion.id}/assignment", json={"unit_id": str(theirs.unit_id)}, headers=staff
    )
    assert denied.status_code == 403

    assert await state(b) == before


async def test_a_parent_office_reads_but_never_writes(client, database, offices) -> None:
    a = offices["a"]
    people = await office(database, a, "岐山上级")
    opinion = await intake(a, "上级只读测试:农贸市场排水不畅")
    city_staff = await make_caller(database, "宝鸡市工作人员", {offices["city"]: ["staff"]})
    api = f"/api/v1/t/{a}/opinions"
    assert (await client.get(f"{api}/{opinion.id}", headers=city_staff.headers)).status_code == 200
    write = await client.post(
        f"{api}/{opinion.id}/assignment", json={"unit_id": str(people.unit_id)}, headers=city_staff.headers
    )
    assert write.status_code == 403 and write.json()["code"] == "read_only_access"
    assert (await client.get(f"{api}/{uuid.uuid4()}", headers=city_staff.headers)).status_code == 404


async def test_an_unknown_id_is_404_whatever_the_body(client, database, offices) -> None:
    """The addressed object is looked up before the body is read (as the suite's route test expects)."""
    a = offices["a"]
    people = await office(database, a, "岐山顺序")
    missing = uuid.uuid4()
    body = {"kind": "audit_log", "params": {}}
    for method, url in [
        ("POST", f"/api/v1/t/{a}/opinions/{missing}/analysis"),
        ("POST", f"/api/v1/t/{a}/opinions/{missing}/answer"),
        ("PATCH", f"/api/v1/t/{a}/opinions/units/{missing}"),
        ("POST", f"/api/v1/t/{a}/opinions/units/{missing}/users"),
        ("PATCH", f"/api/v1/t/{a}/suggestions/{missing}"),
        ("POST", f"/api/v1/t/{a}/suggestions/{missing}/withdraw"),
        ("POST", f"/t/{a}/opinions/{missing}/analysis"),
        ("POST", f"/t/{a}/opinions/units/{missing}/edit"),
        ("POST", f"/t/{a}/suggestions/{missing}/edit"),
    ]:
        response = await client.request(method, url, json=body, headers=people.staff.headers)
        assert response.status_code == 404, (url, response.status_code)
