"""Attendance from the organiser's sign-in list: present, on leave, absent for the office's deputies;
recording a deputy twice is refused (the whole list, nothing stored) unless it is the explicit change;
changes are audited; the roster and a deputy's own activities; the Excel sign-in sheet."""

from __future__ import annotations

import asyncio
import io
import uuid
from datetime import timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import select, update

from renda.modules.audit.models import AuditLog
from renda.modules.deputies.models import Mandate
from renda.modules.duty.activity_exports import attendance_params, attendance_rows
from renda.tenants.scoping import load_tenant, tenant_session
from tests.modules.duty.support import ACTOR, person_name
from tests.modules.duty.support_activities import (
    END,
    START,
    activity_office,
    api,
    at,
    attendance_of,
    duty_state,
    new_activity,
    refused,
)

pytestmark = pytest.mark.date_sensitive


def entries(*pairs) -> dict:
    return {"entries": [{"person_id": str(p), "status": s, **({"note": n} if n else {})} for p, s, n in pairs]}


async def test_the_organiser_records_the_sign_in_list(client, database, offices) -> None:
    office = await activity_office(database, offices["a"], "远安", deputies=3)
    one, two, three = office.persons
    made = await new_activity(client, office, kind="session", title="县第二十届人民代表大会第二次会议")
    base = f"{api(office.code)}/activities/{made['id']}"
    recorded = await client.post(
        f"{base}/attendance",
        json=entries((one, "present", None), (two, "leave", "因病请假"), (three, "absent", None)),
        headers=office.staff.headers,
    )
    assert recorded.status_code == 201, recorded.text
    rows = {r["person_id"]: r for r in recorded.json()}
    assert rows[str(two)]["status_label"] == "请假" and rows[str(two)]["note"] == "因病请假"
    assert {r["source_label"] for r in rows.values()} == {"签到表录入"}
    assert rows[str(one)]["name"] == await person_name(office.code, one)
    assert rows[str(one)]["group_name"].startswith("远安代表小组")
    shown = await client.get(base, headers=office.viewer.headers)
    assert shown.json()["counts"] == {"present": 1, "leave": 1, "absent": 1}
    listed = await client.get(f"{base}/attendance", params={"status": "leave"}, headers=office.committee.headers)
    assert [r["person_id"] for r in listed.json()] == [str(two)]

    # The roster: every deputy of the office serving that day, with what is recorded.
    roster = await client.get(f"{base}/roster", params={"group_id": str(office.group_id)}, headers=office.staff.headers)
    assert roster.status_code == 200
    assert {r["person_id"]: (r["attendance"] or {}).get("status") for r in roster.json()} == {
        str(one): "present",
        str(two): "leave",
        str(three): "absent",
    }


async def test_a_deputy_recorded_twice_is_refused_and_nothing_changes(client, database, offices) -> None:
    office = await activity_office(database, offices["a"], "远安", deputies=3)
    one, two, three = office.persons
    made = await new_activity(client, office)
    base = f"{api(office.code)}/activities/{made['id']}"
    first = await client.post(f"{base}/attendance", json=entries((one, "present", None)), headers=office.staff.headers)
    assert first.status_code == 201
    before = await duty_state(office.code)

    # Again in a later list (with a new deputy beside): the whole list is refused.
    again = await client.post(
        f"{base}/attendance",
        json=entries((two, "present", None), (one, "absent", None)),
        headers=office.staff.headers,
    )
    refused(again, 409, "attendance_recorded_twice")
    assert again.json()["details"]["person_ids"] == [str(one)]
    assert "已登记" in again.json()["message"] and "更改" in again.json()["message"]
    # Twice in the same list.
    doubled = await client.post(
        f"{base}/attendance",
        json=entries((three, "present", None), (three, "leave", None)),
        headers=office.staff.headers,
    )
    refused(doubled, 409, "attendance_recorded_twice")
    assert await duty_state(office.code) == before
    assert await attendance_of(office.code, made["id"]) == {one: ("present", "list")}


async def test_only_the_office_s_serving_deputies_are_recorded(client, database, offices) -> None:
    office = await activity_office(database, offices["a"], "远安", deputies=2)
    other = await activity_office(database, offices["b"], "兴山", deputies=1)
    one, ended = office.persons
    # One whose mandate ended before the activity's day.
    async with tenant_session(await load_tenant(office.code), actor=ACTOR) as session:
        await session.execute(
            update(Mandate)
            .where(Mandate.person_id == ended)
            .values(status="ended", ended_on=START.date() - timedelta(days=1), end_reason="resigned")
        )
        await session.commit()
    made = await new_activity(client, office)
    base = f"{api(office.code)}/activities/{made['id']}"
    before = await duty_state(office.code)
    for stranger in (other.person, ended, uuid.uuid4()):
        response = await client.post(
            f"{base}/attendance",
            json=entries((one, "present", None), (stranger, "present", None)),
            headers=office.staff.headers,
        )
        refused(response, 400, "unknown_deputy")
    assert await duty_state(office.code) == before
    roster = await client.get(f"{base}/roster", headers=office.staff.headers)
    assert str(ended) not in {r["person_id"] for r in roster.json()}
    assert str(one) in {r["person_id"] for r in roster.json()}


async def test_the_explicit_change_and_its_audit(client, database, offices) -> None:
    office = await activity_office(database, offices["a"], "远安", deputies=1)
    made = await new_activity(client, office)
    base = f"{api(office.code)}/activities/{made['id']}"
    (row,) = (
        await client.post(
            f"{base}/attendance", json=entries((office.person, "absent", None)), headers=office.staff.headers
        )
    ).json()
    changed = await client.patch(
        f"{base}/attendance/{row['id']}", json={"status": "leave", "note": "会前已请假"}, headers=office.staff.headers
    )
    assert changed.status_code == 200, changed.text
    assert (changed.json()["status"], changed.json()["note"]) == ("leave", "会前已请假")
    refused(
        await client.patch(f"{base}/attendance/{row['id']}", json={"status": "late"}, headers=office.staff.headers),
        400,
        "validation_error",
    )
    refused(
        await client.patch(f"{base}/attendance/{row['id']}", json={"status": "present"}, headers=office.deputy.headers),
        403,
        "duty_staff_only",
    )
    async with tenant_session(await load_tenant(office.code), actor=ACTOR, read_only=True) as session:
        query = select(AuditLog).where(AuditLog.entity == "duty_attendances", AuditLog.entity_id == row["id"])
        audited = (await session.execute(query.order_by(AuditLog.at))).scalars().all()
    assert [a.action for a in audited] == ["create", "update"]
    assert audited[1].changes["status"] == ["absent", "leave"]
    assert audited[1].actor.startswith(f"user:{office.staff.user_id}")

    removed = await client.delete(f"{base}/attendance/{row['id']}", headers=office.staff.headers)
    assert removed.status_code == 204
    assert await attendance_of(office.code, made["id"]) == {}
    # Now recorded afresh, not twice.
    again = await client.post(
        f"{base}/attendance", json=entries((office.person, "present", None)), headers=office.staff.headers
    )
    assert again.status_code == 201


async def test_a_cancelled_activity_takes_no_attendance(client, database, offices) -> None:
    office = await activity_office(database, offices["a"], "远安", deputies=1)
    made = await new_activity(client, office)
    base = f"{api(office.code)}/activities/{made['id']}"
    await client.post(f"{base}/cancel", headers=office.staff.headers)
    refused(
        await client.post(
            f"{base}/attendance", json=entries((office.person, "present", None)), headers=office.staff.headers
        ),
        409,
        "activity_cancelled",
    )


async def test_deputies_see_their_own_activities_not_others_attendance(client, database, offices) -> None:
    office = await activity_office(database, offices["a"], "远安", deputies=2)
    with at(START - timedelta(days=30)):
        recorded = await new_activity(client, office, title="已登记的视察")
        coming = await new_activity(
            client,
            office,
            kind="group_activity",
            title="本组的小组活动",
            group_id=str(office.group_id),
            starts_at=(START + timedelta(days=60)).isoformat(),
            ends_at=(END + timedelta(days=60)).isoformat(),
        )
        await client.post(
            f"{api(office.code)}/activities/{recorded['id']}/attendance",
            json=entries((office.persons[0], "present", None), (office.persons[1], "leave", None)),
            headers=office.staff.headers,
        )
        mine = await client.get(
            f"{api(office.code)}/activities/mine", params={"year": 2027}, headers=office.deputy.headers
        )
        assert mine.status_code == 200, mine.text
        found = {m["activity"]["title"]: m["status"] for m in mine.json()}
        assert found["已登记的视察"] == "present" and found["本组的小组活动"] is None
        assert coming["id"] in {m["activity"]["id"] for m in mine.json()}
        refused(
            await client.get(
                f"{api(office.code)}/activities/{recorded['id']}/attendance", headers=office.deputy.headers
            ),
            403,
            "duty_not_own",
        )
        refused(
            await client.get(f"{api(office.code)}/activities/mine", headers=office.staff.headers),
            403,
            "duty_deputy_only",
        )


async def test_the_sign_in_sheet_exports_every_deputy_recorded(client, database, offices) -> None:
    office = await activity_office(database, offices["a"], "远安", deputies=2)
    made = await new_activity(client, office, title="执法检查", kind="law_check")
    await client.post(
        f"{api(office.code)}/activities/{made['id']}/attendance",
        json=entries((office.persons[0], "present", None), (office.persons[1], "leave", "出差")),
        headers=office.staff.headers,
    )
    async with tenant_session(await load_tenant(office.code), actor=ACTOR, read_only=True) as session:
        rows = [r async for r in attendance_rows(session, attendance_params(uuid.UUID(made["id"])))]
    names = [await person_name(office.code, p) for p in office.persons]
    assert sorted((r[3], r[5], r[7]) for r in rows) == sorted([(names[0], "出席", ""), (names[1], "请假", "出差")])
    assert {r[0] for r in rows} == {"执法检查"} and {r[1] for r in rows} == {"执法检查"}
    assert rows[0][2] == "2027-05-10 09:00 至 2027-05-10 11:30"

    # Through the exports module, as the page asks for it: a workbook with the sheet.
    requested = await client.post(
        f"/api/v1/t/{office.code}/exports",
        json={"kind": "duty_attendance", "params": attendance_params(uuid.UUID(made["id"]))},
        headers=office.staff.headers,
    )
    assert requested.status_code == 202, requested.text
    export_id = requested.json()["id"]
    for _ in range(100):
        status = (await client.get(f"/api/v1/t/{office.code}/exports/{export_id}", headers=office.staff.headers)).json()
        if status["status"] == "done":
            break
        await asyncio.sleep(0.1)
    assert status["status"] == "done" and status["row_count"] == 2, status
    file = await client.get(f"/api/v1/t/{office.code}/exports/{export_id}/file", headers=office.staff.headers)
    sheet = load_workbook(io.BytesIO(file.content)).active
    assert sheet.title == "履职活动签到表"
    assert [c.value for c in sheet[1]][:6] == ["活动名称", "活动类型", "活动时间", "姓名", "代表小组", "出席情况"]
