"""Duty activities through the API: staff create, edit, cancel and list them (search, filters, pages);
the checks of what an activity may be; who may do what; every change in the audit log."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from renda.modules.audit.models import AuditLog
from renda.modules.organisation.models import DeputyGroup
from renda.tenants.scoping import load_tenant, tenant_session
from tests.modules.duty.support import ACTOR, unique
from tests.modules.duty.support_activities import (
    END,
    START,
    activity_body,
    activity_office,
    api,
    at,
    duty_state,
    new_activity,
    refused,
)

pytestmark = pytest.mark.date_sensitive


async def test_staff_create_edit_and_cancel_an_activity(client, database, offices) -> None:
    office = await activity_office(database, offices["a"], "远安", deputies=1)
    base = f"{api(office.code)}/activities"
    with at(START - timedelta(days=3)):
        made = await new_activity(client, office, group_id=str(office.group_id), organiser="")
        assert made["kind_label"] == "视察" and made["phase"] == "planned" and made["phase_label"] == "未开始"
        assert made["year"] == 2027 and made["hours"] is None
        assert made["organiser"] == "宜昌市远安县人大常委会"  # none given: the office
        assert made["group_name"].startswith("远安代表小组")
        assert made["sign_in_opens_at"].startswith("2027-05-10T00:30:00")  # 08:30 Beijing time, in UTC
        assert made["counts"] == {"present": 0, "leave": 0, "absent": 0}

        # A training credits hours; its times in Beijing time without a zone.
        changed = await client.patch(
            f"{base}/{made['id']}",
            json={
                "kind": "training",
                "hours": 3.5,
                "title": "  代表履职能力 培训 ",
                "starts_at": "2027-05-10T14:00:00",
            },
            headers=office.staff.headers,
        )
        assert changed.status_code == 400 and changed.json()["code"] == "invalid_time_window"  # ends before
        changed = await client.patch(
            f"{base}/{made['id']}",
            json={
                "kind": "training",
                "hours": 3.5,
                "title": "  代表履职能力 培训 ",
                "starts_at": "2027-05-10T14:00:00",
                "ends_at": "2027-05-10T17:30:00",
            },
            headers=office.staff.headers,
        )
        assert changed.status_code == 200, changed.text
        out = changed.json()
        assert (out["kind_label"], out["hours"], out["title"]) == ("学习培训", 3.5, "代表履职能力 培训")
        assert out["starts_at"].startswith("2027-05-10T06:00:00")

        cancelled = await client.post(f"{base}/{made['id']}/cancel", headers=office.staff.headers)
        assert cancelled.status_code == 200 and cancelled.json()["phase"] == "cancelled"
        again = await client.post(f"{base}/{made['id']}/cancel", headers=office.staff.headers)
        assert again.status_code == 200 and again.json()["phase_label"] == "已取消"
        before = await duty_state(office.code)
        refused(
            await client.patch(f"{base}/{made['id']}", json={"title": "改名"}, headers=office.staff.headers),
            409,
            "activity_cancelled",
        )
        assert await duty_state(office.code) == before

    async with tenant_session(await load_tenant(office.code), actor=ACTOR, read_only=True) as session:
        query = select(AuditLog.action, AuditLog.changes).where(AuditLog.entity_id == made["id"])
        audited = (await session.execute(query.order_by(AuditLog.at))).all()
    assert [a for a, _ in audited] == ["create", "update", "update"]
    assert audited[1].changes["kind"] == ["inspection", "training"]
    assert audited[2].changes["status"] == ["planned", "cancelled"]
    assert all("sign_in_secret" not in c or c["sign_in_secret"] == "***" for _, c in audited)


@pytest.mark.parametrize(
    ("fields", "status", "code"),
    [
        ({"ends_at": START.isoformat()}, 400, "invalid_time_window"),
        ({"ends_at": (START + timedelta(days=40)).isoformat()}, 400, "activity_too_long"),
        ({"kind": "training"}, 400, "hours_required"),
        ({"kind": "training", "hours": 0}, 400, "invalid_hours"),
        ({"kind": "training", "hours": 2.25}, 400, "invalid_hours"),
        ({"hours": 2}, 400, "hours_only_for_training"),
        ({"title": "   "}, 400, "title_required"),
        ({"kind": "picnic"}, 400, "validation_error"),
        ({"colour": "red"}, 400, "validation_error"),
    ],
)
async def test_what_an_activity_may_not_be(client, database, offices, fields, status, code) -> None:
    office = await activity_office(database, offices["a"], "远安", deputies=0)
    before = await duty_state(office.code)
    response = await client.post(
        f"{api(office.code)}/activities", json=activity_body(**fields), headers=office.staff.headers
    )
    refused(response, status, code)
    assert await duty_state(office.code) == before


async def test_a_group_or_station_of_another_office_is_refused(client, database, offices) -> None:
    office = await activity_office(database, offices["a"], "远安", deputies=0)
    other = await activity_office(database, offices["b"], "兴山", deputies=0)
    before = await duty_state(office.code)
    for field, code in (("group_id", "unknown_group"), ("station_id", "unknown_station")):
        response = await client.post(
            f"{api(office.code)}/activities",
            json=activity_body(**{field: str(other.group_id)}),
            headers=office.staff.headers,
        )
        refused(response, 400, code)
    assert await duty_state(office.code) == before
    # Another office's activity is not found here.
    theirs = await new_activity(client, other)
    refused(
        await client.get(f"{api(office.code)}/activities/{theirs['id']}", headers=office.staff.headers),
        404,
        "activity_not_found",
    )


async def test_only_staff_write_and_everyone_in_duty_reads(client, database, offices) -> None:
    office = await activity_office(database, offices["a"], "远安", deputies=1)
    made = await new_activity(client, office)
    for caller in (office.deputy, office.committee):
        refused(
            await client.post(f"{api(office.code)}/activities", json=activity_body(), headers=caller.headers),
            403,
            "duty_staff_only" if caller is office.deputy else "permission_denied",
        )
    refused(
        await client.post(f"{api(office.code)}/activities/{made['id']}/cancel", headers=office.deputy.headers),
        403,
        "duty_staff_only",
    )
    for caller in (office.viewer, office.committee, office.deputy):
        shown = await client.get(f"{api(office.code)}/activities/{made['id']}", headers=caller.headers)
        assert shown.status_code == 200 and shown.json()["title"] == made["title"]


async def test_the_list_searches_filters_and_pages(client, database, offices) -> None:
    office = await activity_office(database, offices["b"], "兴山", deputies=0)
    marker = unique("筛选")
    with at(START + timedelta(hours=1)):  # the inspection of 09:00–11:30 is under way
        ongoing = await new_activity(client, office, title=f"{marker}视察")
        later = await new_activity(
            client,
            office,
            kind="research",
            title=f"{marker}调研",
            starts_at=(START + timedelta(days=7)).isoformat(),
            ends_at=(END + timedelta(days=7)).isoformat(),
        )
        earlier = await new_activity(
            client,
            office,
            kind="session",
            title=f"{marker}人代会",
            place=f"{marker}会堂",
            starts_at=(START - timedelta(days=400)).isoformat(),
            ends_at=(START - timedelta(days=397)).isoformat(),
        )
        gone = await new_activity(
            client,
            office,
            kind="research",
            title=f"{marker}取消的调研",
            starts_at=(START - timedelta(days=1)).isoformat(),
            ends_at=(END - timedelta(days=1)).isoformat(),
        )
        await client.post(f"{api(office.code)}/activities/{gone['id']}/cancel", headers=office.staff.headers)

        async def titles(**params) -> list[str]:
            found = await client.get(
                f"{api(office.code)}/activities", params={"q": marker, **params}, headers=office.viewer.headers
            )
            assert found.status_code == 200, found.text
            return [a["title"] for a in found.json()["items"]]

        assert await titles() == [later["title"], ongoing["title"], gone["title"], earlier["title"]]
        assert await titles(kind="research") == [later["title"], gone["title"]]
        assert await titles(year=2026) == [earlier["title"]]
        assert await titles(status="ongoing") == [ongoing["title"]]
        assert await titles(status="planned") == [later["title"]]
        assert await titles(status="finished") == [earlier["title"]]
        assert await titles(status="cancelled") == [gone["title"]]
        assert await titles(q=f"{marker}会堂") == [earlier["title"]]  # the place is searched too
        first = await client.get(
            f"{api(office.code)}/activities",
            params={"q": marker, "page": 2, "page_size": 3},
            headers=office.viewer.headers,
        )
        assert first.json()["total"] == 4 and [a["title"] for a in first.json()["items"]] == [earlier["title"]]
        for params, code in (
            ({"kind": "picnic"}, "invalid_kind"),
            ({"status": "soon"}, "invalid_status"),
            ({"page_size": 500}, "invalid_page_size"),
        ):
            refused(
                await client.get(f"{api(office.code)}/activities", params=params, headers=office.viewer.headers),
                400,
                code,
            )


async def test_groups_of_the_office_name_their_activities(client, database, offices) -> None:
    office = await activity_office(database, offices["a"], "远安", deputies=0)
    async with tenant_session(await load_tenant(office.code), actor=ACTOR, read_only=True) as session:
        name = await session.scalar(select(DeputyGroup.name).where(DeputyGroup.id == office.group_id))
    made = await new_activity(client, office, kind="group_activity", group_id=str(office.group_id))
    found = await client.get(
        f"{api(office.code)}/activities",
        params={"group_id": str(office.group_id)},
        headers=office.staff.headers,
    )
    assert [a["id"] for a in found.json()["items"]] == [made["id"]]
    assert found.json()["items"][0]["group_name"] == name
