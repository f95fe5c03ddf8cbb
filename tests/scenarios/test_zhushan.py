"""The 竹山 scenario of the two contacts, end to end through the API, the workers and the portal:

35 committee members fixed to 3–5 of 228 county deputies (7 council members overseeing the
townships), every deputy covered; a member without a contact in the quarter flagged and reminded;
a station receiving on the 10th, 20th and 30th rosters its deputies and reminds them the day before;
an opinion taken at a reception goes through the whole loop and the person's rating is recorded;
the rollups show coverage, receptions and opinions. Dates are relative to today.
"""

from __future__ import annotations

import asyncio
import calendar
import uuid
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import select

from renda.core.timezone import LOCAL_TZ, local_today
from renda.modules.contacts import service as contacts
from renda.modules.notifications.models import Notification
from renda.modules.opinions.models import OpinionSms
from renda.modules.organisation.models import Station, StationAssignment
from renda.modules.receptions.tasks import send_roster_reminders
from renda.modules.rollups import service as rollups
from renda.modules.rollups.periods import containing
from renda.tenants.scoping import load_tenant, tenant_session
from renda.workers.outbox import OutboxRelay
from tests.conftest import broker_params, ensure_tenant, make_caller, running_worker
from tests.modules.contacts.support import deputies, fresh_term, members, township
from tests.modules.opinions.conftest import sms  # noqa: F401  (the SMS gateway at the edge)
from tests.modules.opinions.support import HTML, rating_link

CITY, COUNTY = "420300", "420323"
TOWNSHIPS = ["城关", "宝丰", "擂鼓", "溢水", "麻家渡", "秦古", "得胜", "楼台"]
SIZES = [36, 32, 30, 28, 27, 26, 25, 24]  # 228 county deputies
PHONE = "13807191234"
ACTOR = "system:test:竹山"


@pytest.fixture(params=broker_params())
def broker(request):
    with running_worker(request.param) as broker:
        yield broker


def reception_days(year: int, month: int) -> list[date]:
    """逢十: the 10th, 20th and 30th, the month's last day where it has no 30th."""
    last = calendar.monthrange(year, month)[1]
    return [date(year, month, 10), date(year, month, 20), date(year, month, min(30, last))]


def last_reception_day_before(today: date) -> date:
    month = today.replace(day=1)
    while True:
        past = [d for d in reception_days(month.year, month.month) if d < today]
        if past:
            return past[-1]
        month = (month - timedelta(days=1)).replace(day=1)


async def inbox(user_id: uuid.UUID, kind: str) -> list[Notification]:
    async with tenant_session(await load_tenant(COUNTY), actor=ACTOR) as session:
        query = select(Notification).where(Notification.user_id == user_id, Notification.kind == kind)
        return list((await session.execute(query)).scalars())


async def a_station(deputy_ids: list[uuid.UUID]) -> uuid.UUID:
    async with tenant_session(await load_tenant(COUNTY), actor=ACTOR) as session:
        station = Station(
            kind="liaison_station", name=f"城关镇代表联络站{uuid.uuid4().hex[:4]}", address="竹山县城关镇人民路 8 号"
        )
        session.add(station)
        await session.flush()
        session.add_all(StationAssignment(station_id=station.id, person_id=p) for p in deputy_ids)
        await session.commit()
        return station.id


async def test_zhushan(broker, client, database, sms) -> None:  # noqa: F811
    await ensure_tenant(database, CITY, "十堰市人大常委会", "city", None)
    await ensure_tenant(database, COUNTY, "十堰市竹山县人大常委会", "county", CITY)
    today = local_today()
    office = await fresh_term(COUNTY)
    staff = await make_caller(database, "竹山县代表工委干事", {COUNTY: ["staff"]})
    rostered_users = [await make_caller(database, f"竹山县进站代表{n}", {COUNTY: ["deputy"]}) for n in range(6)]
    laggard = await make_caller(database, "竹山县常委会委员(未联系)", {COUNTY: ["committee_member"]})
    county_deputies: list[uuid.UUID] = []
    for n, (name, size) in enumerate(zip(TOWNSHIPS, SIZES, strict=True)):
        code = f"420323{100 + n}"
        await township(office, code, f"{name}镇")
        users = [u.user_id for u in rostered_users] if n == 0 else None
        county_deputies += await deputies(office, size, township_code=code, user_ids=users)
    assert len(county_deputies) == 228
    committee = await members(office, 35, council=7, user_ids=[None] * 34 + [laggard.user_id])
    api = f"/api/v1/t/{COUNTY}/contacts"

    # 1. The suggested balanced assignment, reviewed and saved: 3–5 each, every deputy covered.
    proposal = await client.post(f"{api}/proposals", json={}, headers=staff.headers)
    assert proposal.status_code == 201, proposal.text
    applied = await client.post(f"{api}/proposals/{proposal.json()['id']}/apply", headers=staff.headers)
    assert applied.status_code == 200, applied.text
    board = (await client.get(f"{api}/assignments", headers=staff.headers)).json()
    fixed = {row["member"]["id"]: [d["deputy"]["id"] for d in row["deputies"]] for row in board["members"]}
    assert len(fixed) == 35 and all(3 <= len(ids) <= 5 for ids in fixed.values())
    coverage = (await client.get(f"{api}/coverage", headers=staff.headers)).json()
    assert coverage["summary"]["to_cover"] == 228 and coverage["summary"]["uncovered"] == 0

    # 2. Every member but one contacts each of their deputies this quarter; that one is flagged and reminded.
    for member_id, deputy_ids in fixed.items():
        if member_id == str(committee[-1]):
            continue
        record = {
            "contacted_on": today.isoformat(),
            "mode": "visit",
            "topics": "听取代表对县域经济发展的意见",
            "person_ids": deputy_ids,
            "committee_member_id": member_id,
        }
        created = await client.post(f"{api}/records", json=record, headers=staff.headers)
        assert created.status_code == 201, created.text
    report = (await client.get(f"{api}/reports/members", headers=staff.headers)).json()
    behind = [row["member"]["id"] for row in report["rows"] if row["behind"]]
    assert behind == [str(committee[-1])]
    quarter_end_month = ((today.month - 1) // 3) * 3 + 3
    reminder_day = max(today, date(today.year, quarter_end_month, 1))  # the job reminds in the quarter's last month
    period = datetime.combine(reminder_day, datetime.min.time().replace(hour=9), LOCAL_TZ).isoformat()
    assert await contacts.remind_behind_schedule(COUNTY, reminder_day, period) == 1
    assert await contacts.remind_behind_schedule(COUNTY, reminder_day, period) == 0  # the same run again
    assert len(await inbox(laggard.user_id, "contact_behind_schedule")) == 1

    # 3. A station receiving on the 10th, 20th and 30th: next month's roster and the day-before reminder.
    station_id = await a_station(county_deputies[:6])  # 城关's first six, who sign in
    receptions = f"/api/v1/t/{COUNTY}/receptions"
    held_on = last_reception_day_before(today)  # the reception of step 4, which the rule must already cover
    rule = {"kind": "month_days", "days": [10, 20, 30], "valid_from": held_on.replace(day=1).isoformat()}
    made = await client.post(f"{receptions}/stations/{station_id}/rules", json=rule, headers=staff.headers)
    assert made.status_code == 201, made.text
    following = (today.replace(day=28) + timedelta(days=5)).replace(day=1)
    generated = await client.post(
        f"{receptions}/roster/generate",
        json={"station_id": str(station_id), "year": following.year, "month": following.month},
        headers=staff.headers,
    )
    assert generated.status_code == 201, generated.text
    days = reception_days(following.year, following.month)
    assert generated.json()["reception_days"] == [d.isoformat() for d in days]
    assert all(row["met"] for row in generated.json()["coverage"])
    roster = (
        await client.get(
            f"{receptions}/roster/",
            params={"station_id": str(station_id), "year": following.year, "month": following.month},
            headers=staff.headers,
        )
    ).json()
    entries = roster["items"] if isinstance(roster, dict) else roster
    first_day = [e for e in entries if e["day"] == days[0].isoformat()]
    assert first_day and {e["day"] for e in entries} <= {d.isoformat() for d in days}
    assert {e["deputy"]["person_id"] for e in entries} == {str(p) for p in county_deputies[:6]}
    eve = datetime.combine(days[0] - timedelta(days=1), datetime.min.time().replace(hour=16), LOCAL_TZ)
    await send_roster_reminders(COUNTY, eve.isoformat())
    await send_roster_reminders(COUNTY, eve.isoformat())  # a repeated message reminds nobody twice
    person_user = {str(p): u for p, u in zip(county_deputies[:6], rostered_users, strict=True)}
    for entry in entries:
        reminded = await inbox(person_user[entry["deputy"]["person_id"]].user_id, "reception_roster")
        expected = sum(1 for e in first_day if e["deputy"]["person_id"] == entry["deputy"]["person_id"])
        assert len(reminded) == expected

    # 4. An opinion taken at a reception goes through the whole loop to the person's rating.
    reception = await client.post(
        f"{receptions}/records/",
        json={
            "station_id": str(station_id),
            "held_on": held_on.isoformat(),
            "visitor_name": "陈大爷",
            "visitor_phone": PHONE,
            "issue": "宝丰镇至城关的班车停运后,村民进城看病不方便,希望恢复班车。",
            "category": "transport",
            "deputies": [{"person_id": str(county_deputies[0])}],
            "to_opinion": True,
        },
        headers=staff.headers,
    )
    assert reception.status_code == 201, reception.text
    assert reception.json()["off_schedule"] is False
    opinion_id = reception.json()["opinion_id"]
    assert opinion_id
    unit_user = await make_caller(database, "竹山县交通运输局经办人", {COUNTY: ["handling_unit"]})
    opinions = f"/api/v1/t/{COUNTY}/opinions"
    unit = await client.post(
        f"{opinions}/units/", json={"name": f"竹山县交通运输局{uuid.uuid4().hex[:4]}"}, headers=staff.headers
    )
    assert unit.status_code == 201, unit.text
    joined = await client.post(
        f"{opinions}/units/{unit.json()['id']}/users", json={"user_id": str(unit_user.user_id)}, headers=staff.headers
    )
    assert joined.status_code == 201, joined.text
    url = f"{opinions}/{opinion_id}"
    assert (
        await client.post(f"{url}/analysis", json={"category": "transport"}, headers=staff.headers)
    ).status_code == 200
    assigned = await client.post(f"{url}/assignment", json={"unit_id": unit.json()["id"]}, headers=staff.headers)
    assert assigned.status_code == 200, assigned.text
    answered = await client.post(
        f"{url}/answer",
        json={"answer": "已协调客运公司于下周一恢复宝丰—城关班车,每日四班。"},
        headers=unit_user.headers,
    )
    assert answered.status_code == 200, answered.text
    await OutboxRelay(database, broker).drain()
    for _ in range(600):
        if sms.to(PHONE):
            break
        await asyncio.sleep(0.1)
    [(_, text, _)] = sms.to(PHONE)
    link_office, token = rating_link(text)
    assert link_office == COUNTY
    rated = await client.post(f"/p/{COUNTY}/opinions/rate/{token}", data={"rating": "solved"}, headers=HTML)
    assert rated.status_code == 200 and "感谢您的评价" in rated.text
    detail = (await client.get(url, headers=staff.headers)).json()
    opinion = detail.get("opinion", detail)
    assert opinion["status"] == "closed" and opinion["rating"] == "solved"
    kinds = [step["kind"] for step in detail["steps"]]
    assert kinds == ["intake", "analysis", "assignment", "answer", "feedback", "rating", "close"]
    async with tenant_session(await load_tenant(COUNTY), actor=ACTOR) as session:
        query = select(OpinionSms).where(OpinionSms.opinion_id == uuid.UUID(opinion_id))
        assert [row.status for row in (await session.execute(query)).scalars()] == ["sent"]  # one SMS, sent once
    assert len(sms.to(PHONE)) == 1

    # 5. The rollups: full coverage, the reception, the opinion received, closed and rated.
    await rollups.recompute_all()
    quarter = containing("quarter", today).key
    figures = await client.get(f"/api/v1/t/{CITY}/reports", params={"period": quarter}, headers=staff.headers)
    assert figures.status_code == 403  # the county's staff can't read the city
    city_viewer = await make_caller(database, "十堰市代表工委", {CITY: ["viewer"]})
    report = (
        await client.get(f"/api/v1/t/{COUNTY}/reports", params={"period": quarter}, headers=city_viewer.headers)
    ).json()
    values = {m["key"]: m["value"] for m in report["metrics"]}
    assert values["contacts.coverage"] == 100.0
    assert values["opinions.received"] >= 1 and values["opinions.closed"] >= 1
    if held_on >= containing("quarter", today).start:
        assert values["receptions.held"] >= 1
