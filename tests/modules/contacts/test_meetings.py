"""Invited attendance: meetings of the term, a rotation that reaches every deputy within the term,
attendance and speeches, public observers, and the invited deputies notified."""

from __future__ import annotations

import math

from sqlalchemy import select

from renda.modules.notifications.models import Notification
from renda.tenants.scoping import load_tenant, tenant_session
from tests.conftest import make_caller
from tests.modules.contacts.support import (
    BEFORE_TERM,
    COUNTY,
    OTHER_COUNTY,
    QUARTER_START,
    TODAY,
    contacts_state,
    deputies,
    fresh_term,
    township,
)

API = "/api/v1/t/{code}/contacts"


async def test_the_rotation_invites_every_deputy_within_the_term(client, database, database_url, offices) -> None:
    office = await fresh_term(COUNTY)
    staff = await make_caller(database, "德城区会务干部", {COUNTY: ["staff"]})
    signed_in = [await make_caller(database, f"代表本人{n}", {COUNTY: ["deputy"]}) for n in range(2)]
    people: dict[str, str] = {}
    linked: set[str] = set()  # the persons the signed-in users are
    for code, name, size in (("371402106", "二屯镇", 7), ("371402107", "黄河涯镇", 6), ("371402108", "抬头寺镇", 4)):
        await township(office, code, name)
        users = [u.user_id for u in signed_in] if code == "371402106" else None
        made = await deputies(office, size, township_code=code, user_ids=users)
        linked |= {str(p) for p in made[: len(users or [])]}
        for person in made:
            people[str(person)] = code
    api = API.format(code=COUNTY)
    per_meeting = 5
    meetings = math.ceil(len(people) / per_meeting)  # 17 deputies, 5 a meeting: 4 meetings reach all

    first_batch: list[str] = []
    invitations_of_linked = 0
    for number in range(1, meetings + 1):
        held_on = (TODAY if number % 2 else QUARTER_START).isoformat()
        meeting = await client.post(
            f"{api}/meetings",
            json={"number": number, "title": f"第{number}次常委会会议", "held_on": held_on},
            headers=staff.headers,
        )
        assert meeting.status_code == 201, meeting.text
        meeting_id = meeting.json()["id"]
        suggested = await client.get(
            f"{api}/meetings/{meeting_id}/rotation", params={"count": per_meeting}, headers=staff.headers
        )
        batch = [e["deputy"]["id"] for e in suggested.json()]
        if number == 1:
            first_batch = batch
            # A batch is spread over the townships.
            assert {people[p] for p in batch} == {"371402106", "371402107", "371402108"}
            assert all(e["times_invited"] == 0 for e in suggested.json())
        invited = await client.post(
            f"{api}/meetings/{meeting_id}/invitations", json={"person_ids": batch}, headers=staff.headers
        )
        assert invited.status_code == 201, invited.text
        invitations_of_linked += len(linked & set(batch))
    summary = (await client.get(f"{api}/meetings/summary", headers=staff.headers)).json()
    assert summary["deputies"] == 17 and summary["invited_once"] == 17 and summary["never_invited"] == []
    assert summary["meetings"] == meetings and summary["invitations"] == meetings * per_meeting

    # Once everyone has been invited, the rotation starts again with those invited longest ago.
    extra = await client.post(
        f"{api}/meetings",
        json={"number": 9, "title": "第九次会议", "held_on": TODAY.isoformat()},
        headers=staff.headers,
    )
    again = await client.get(
        f"{api}/meetings/{extra.json()['id']}/rotation", params={"count": 3}, headers=staff.headers
    )
    assert all(e["times_invited"] == 1 for e in again.json())

    # The deputies linked to a platform user were told, once per invitation.
    async with tenant_session(await load_tenant(COUNTY), actor="system:test") as session:
        query = select(Notification).where(Notification.kind == "attendance_invitation")
        told = list((await session.execute(query)).scalars())
    mine = [n for n in told if n.user_id in {u.user_id for u in signed_in}]
    # 20 places for 17 deputies: a signed-in deputy may be among the three invited twice.
    assert invitations_of_linked >= 2
    assert len(mine) == invitations_of_linked and all(n.title.startswith("邀请您列席第") for n in mine)
    assert any(first_batch)


async def test_attendance_speeches_observers_and_bad_input(client, database, database_url, offices) -> None:
    office = await fresh_term(COUNTY)
    other = await fresh_term(OTHER_COUNTY)
    staff = await make_caller(database, "德城区会务干部乙", {COUNTY: ["staff"]})
    member = await make_caller(database, "只能查看的组成人员", {COUNTY: ["committee_member"]})
    a, b, c = await deputies(office, 3)
    (foreign,) = await deputies(other, 1)
    api = API.format(code=COUNTY)
    created = await client.post(
        f"{api}/meetings",
        json={"number": 3, "title": "审议城市管理条例草案", "held_on": TODAY.isoformat(), "observers": 12},
        headers=staff.headers,
    )
    meeting = created.json()
    assert meeting["label"].endswith("常委会第3次会议") and meeting["observers"] == 12
    url = f"{api}/meetings/{meeting['id']}"
    detail = await client.post(
        f"{url}/invitations", json={"person_ids": [str(a), str(b), str(c)]}, headers=staff.headers
    )
    invitations = {i["deputy"]["id"]: i for i in detail.json()["invitations"]}

    before = await contacts_state(database_url, COUNTY)
    refusals = [
        (
            "post",
            api + "/meetings",
            {"number": 3, "title": "重复", "held_on": TODAY.isoformat()},
            409,
            "duplicate_meeting",
        ),
        (
            "post",
            api + "/meetings",
            {"number": 4, "title": "任期外", "held_on": BEFORE_TERM.isoformat()},
            400,
            "invalid_date",
        ),
        (
            "post",
            api + "/meetings",
            {"number": 5, "title": "负数", "held_on": TODAY.isoformat(), "observers": -1},
            400,
            None,
        ),
        ("post", f"{url}/invitations", {"person_ids": [str(a)]}, 409, "already_invited"),
        ("post", f"{url}/invitations", {"person_ids": [str(foreign)]}, 400, "unknown_deputy"),
        (
            "patch",
            f"{url}/invitations/{invitations[str(b)]['id']}",
            {"speech": "发言"},
            400,
            "speech_without_attendance",
        ),
        ("patch", f"{url}/invitations/{invitations[str(b)]['id']}", {"status": "gone"}, 400, None),
    ]
    for method, path, body, status, code in refusals:
        refused = await client.request(method.upper(), path, json=body, headers=staff.headers)
        assert refused.status_code == status, (path, body, refused.text)
        if code:
            assert refused.json()["code"] == code
    as_member = await client.post(f"{url}/invitations", json={"person_ids": [str(a)]}, headers=member.headers)
    assert as_member.status_code == 403 and as_member.json()["code"] == "staff_only"
    assert await contacts_state(database_url, COUNTY) == before

    attended = await client.patch(
        f"{url}/invitations/{invitations[str(a)]['id']}",
        json={"status": "attended", "speech": "建议条例增加对占道经营的分类管理"},
        headers=staff.headers,
    )
    assert attended.status_code == 200 and attended.json()["spoke"] and attended.json()["status_label"] == "已列席"
    excused = await client.patch(
        f"{url}/invitations/{invitations[str(b)]['id']}", json={"status": "excused"}, headers=staff.headers
    )
    assert excused.json()["status_label"] == "请假"
    assert (
        await client.delete(f"{url}/invitations/{invitations[str(c)]['id']}", headers=staff.headers)
    ).status_code == 204
    shown = (await client.get(url, headers=member.headers)).json()
    assert (shown["invited"], shown["attended"], shown["speeches"]) == (2, 1, 1)
    updated = await client.patch(url, json={"observers": 15, "notes": "公民旁听 15 人"}, headers=staff.headers)
    assert updated.json()["observers"] == 15
    listed = (await client.get(f"{api}/meetings", headers=staff.headers)).json()
    assert listed["observers_total"] >= 15 and listed["items"][0]["id"] == meeting["id"]
    assert (await client.delete(url, headers=staff.headers)).status_code == 204
    assert (await client.get(url, headers=staff.headers)).status_code == 404
