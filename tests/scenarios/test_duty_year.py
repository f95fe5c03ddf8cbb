"""A deputy's year of duty in 大悟县, all through the routes (issue: duty performance).

She attends the congress session (base points), is absent without leave from an inspection (nothing),
leads a suggestion that becomes a key suggestion (lead points plus the bonus) and co-signs another
(co-signer points), receives people at a station twice, signs in to a training by QR code and submits
evidence of another training that staff verify. The ledger, the ranking and the archive show exactly
this. On 1 January the new cycle starts at zero and the old year's archive is closed. A deputy rated
基本称职 two years running is flagged for advice to resign.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from renda.core.timezone import LOCAL_TZ
from renda.modules.duty.archive_tasks import close_duty_archives
from renda.modules.duty.models import Rating
from renda.modules.duty.points_tasks import start_year
from renda.tenants.scoping import load_tenant, tenant_session
from tests.conftest import ensure_tenant
from tests.modules.duty.support import ACTOR, DutyOffice, duty_office
from tests.modules.duty.support_activities import JPEG, at, sign_in_token
from tests.modules.receptions.support import add_station

CITY, COUNTY = ("420900", "孝感市人大常委会"), ("420922", "孝感市大悟县人大常委会")
YEAR = 2026

# What the office's default rules give her (defaults.py): the session 20, absent 0, lead 5, key 5,
# co-signing 2, two receptions 3 each, the QR training's 2 hours and the evidenced 3 hours at 1 an hour.
EXPECTED = {
    ("session", "event"): 20.0,
    ("absence", "event"): 0.0,
    ("suggestion_lead", "event"): 5.0,
    ("key_suggestion", "event"): 5.0,
    ("suggestion_cosign", "event"): 2.0,
    ("reception", "event"): 6.0,
    ("training", "event"): 5.0,
}


def moment(month: int, day: int, hour: int = 9) -> datetime:
    return datetime(YEAR, month, day, hour, tzinfo=LOCAL_TZ)


@pytest.fixture(scope="module")
async def dawu(database) -> DutyOffice:
    await ensure_tenant(database, *CITY, "city", None)
    await ensure_tenant(database, *COUNTY, "county", CITY[0])
    return await duty_office(database, COUNTY[0], "大悟", deputies=3)


def duty(path: str) -> str:
    return f"/api/v1/t/{COUNTY[0]}/duty{path}"


SUGGESTIONS = f"/api/v1/t/{COUNTY[0]}/suggestions/items"


async def ok(response, status: int = 200) -> dict:
    assert response.status_code == status, response.text
    return response.json() if response.content else {}


async def activity(client, office: DutyOffice, kind: str, title: str, start: datetime, **fields) -> str:
    body = {
        "kind": kind,
        "title": title,
        "starts_at": start.isoformat(),
        "ends_at": (start + timedelta(hours=2)).isoformat(),
        **fields,
    }
    return (await ok(await client.post(duty("/activities"), json=body, headers=office.staff.headers), 201))["id"]


async def attendance(client, office: DutyOffice, activity_id: str, status: str) -> None:
    entries = {"entries": [{"person_id": str(office.person), "status": status}]}
    url = duty(f"/activities/{activity_id}/attendance")
    await ok(await client.post(url, json=entries, headers=office.staff.headers), 201)


async def file_suggestion(client, lead, title: str, cosigner=None, cosigner_person=None) -> str:
    body = {"category": "transport", "title": title, "content": f"{title}:建议县交通运输局统筹资金尽快实施。"}
    sid = (await ok(await client.post(SUGGESTIONS, json=body, headers=lead.headers), 201))["item"]["id"]
    if cosigner is not None:
        asked = {"person_ids": [str(cosigner_person)]}
        await ok(await client.post(f"{SUGGESTIONS}/{sid}/cosigners", json=asked, headers=lead.headers))
        await ok(await client.post(f"{SUGGESTIONS}/{sid}/cosigners/confirm", headers=cosigner.headers))
    await ok(await client.post(f"{SUGGESTIONS}/{sid}/submit", headers=lead.headers))
    return sid


async def her_year(client, office: DutyOffice) -> None:
    staff, her = office.staff, office.deputy
    with at(moment(3, 5)):
        session = await activity(client, office, "session", f"县第{uuid.uuid4().hex[:4]}次人代会", moment(3, 5))
        await attendance(client, office, session, "present")
    with at(moment(4, 10)):
        inspection = await activity(client, office, "inspection", "视察城区农贸市场改造", moment(4, 10))
        await attendance(client, office, inspection, "absent")
    with at(moment(4, 20)):
        # Her suggestion, accepted and chosen as a key suggestion; another deputy's, which she co-signs.
        led = await file_suggestion(client, her, "关于硬化宣化店镇通村公路的建议")
        await ok(await client.post(f"{SUGGESTIONS}/{led}/accept", headers=staff.headers))
        await ok(
            await client.put(
                f"{SUGGESTIONS}/{led}/key",
                json={"is_key": True, "leader_name": "张副主任", "leader_title": "县人大常委会副主任"},
                headers=staff.headers,
            )
        )
        other = office.deputies[1]
        await file_suggestion(client, other, "关于增设城区公交线路的建议", her, office.person)
    station = await add_station(COUNTY[0], f"大悟县城关镇代表联络站{uuid.uuid4().hex[:4]}", persons=[office.person])
    for day in (10, 20):
        body = {
            "station_id": str(station),
            "held_on": f"{YEAR}-05-{day}",
            "visitor_name": "群众",
            "issue": "反映村道路灯损坏",
            "category": "other",
            "deputies": [{"person_id": str(office.person)}],
        }
        await ok(await client.post(f"/api/v1/t/{COUNTY[0]}/receptions/records", json=body, headers=staff.headers), 201)
    training = await activity(client, office, "training", "代表履职能力培训班", moment(6, 15), hours="2")
    token = await sign_in_token(client, office, training)
    with at(moment(6, 15, 10)):
        signed = await ok(
            await client.post(duty(f"/activities/{training}/sign-in"), json={"token": token}, headers=her.headers)
        )
        assert signed["already"] is False
        again = await ok(
            await client.post(duty(f"/activities/{training}/sign-in"), json={"token": token}, headers=her.headers)
        )
        assert again["already"] is True  # twice counts once
    with at(moment(7, 1)):
        fields = {"kind": "training", "title": "参加省人大代表履职培训", "occurred_on": f"{YEAR}-06-28", "hours": "3"}
        files = [("files", ("结业证书.jpg", JPEG, "image/jpeg"))]
        evidence = await ok(await client.post(duty("/evidence"), data=fields, files=files, headers=her.headers), 201)
        await ok(await client.post(duty(f"/evidence/{evidence['id']}/verify"), headers=staff.headers))
        await ok(await client.post(duty("/points/reconcile"), params={"year": YEAR}, headers=staff.headers))


async def test_a_deputys_year_of_duty_shows_in_ledger_ranking_and_archive(client, dawu: DutyOffice) -> None:
    office, her = dawu, dawu.deputy
    await her_year(client, office)

    with at(moment(11, 1)):
        mine = await ok(await client.get(duty("/points/mine"), params={"year": YEAR}, headers=her.headers))
        by_kind: dict[tuple[str, str], float] = {}
        for entry in mine["entries"]:
            key = (entry["event_kind"], entry["reason"])
            by_kind[key] = by_kind.get(key, 0.0) + entry["points"]
            assert entry["rule"] and entry["why"]  # every entry says what priced it and why
        assert by_kind == EXPECTED
        assert sorted(e["event_kind"] for e in mine["entries"]).count("reception") == 2
        assert (mine["base"], mine["bonus"], mine["total"]) == (38.0, 5.0, 43.0)

        ranking = await ok(
            await client.get(duty("/points/ranking"), params={"year": YEAR}, headers=office.staff.headers)
        )
        first = ranking["items"][0]
        assert (first["person_id"], first["total"], first["rank"]) == (str(office.person), 43.0, 1)
        # The co-signed suggestion's lead has its 5; the third deputy has nothing yet.
        totals = {item["person_id"]: item["total"] for item in ranking["items"]}
        assert totals[str(office.persons[1])] == 5.0 and totals.get(str(office.persons[2]), 0.0) == 0.0

        years = await ok(await client.get(duty("/archives/mine"), headers=her.headers))
        assert [(y["year"], y["status"]) for y in years["years"]][:1] == [(YEAR, "open")]
        archive = await ok(
            await client.get(duty(f"/archives/{office.person}"), params={"year": YEAR}, headers=her.headers)
        )
        summary = archive["content"]["summary"]
        assert archive["status"] == "open"
        assert (summary["present"], summary["absent"], summary["leave"]) == (1, 1, 0)  # trainings are listed apart
        assert (summary["trainings"], summary["training_hours"]) == (2, "5")
        assert (summary["suggestions_lead"], summary["suggestions_cosign"], summary["receptions"]) == (1, 1, 2)
        assert summary["points"] == "43"

    # New Year: the rules of the new year are written, everyone starts at zero, the old year's archive closes.
    new_year = datetime(YEAR + 1, 1, 1, 0, 30, tzinfo=LOCAL_TZ)
    with at(new_year):
        await start_year(office.code, YEAR + 1)
        await asyncio.to_thread(close_duty_archives.fn, office.code, new_year.isoformat(timespec="minutes"))
        fresh = await ok(await client.get(duty("/points/mine"), headers=her.headers))
        assert (fresh["year"], fresh["total"], fresh["entries"]) == (YEAR + 1, 0.0, [])
        closed = await ok(
            await client.get(duty(f"/archives/{office.person}"), params={"year": YEAR}, headers=her.headers)
        )
        assert closed["status"] == "closed" and closed["closed_at"] is not None
        assert closed["content"]["summary"]["points"] == "43"
        old = await ok(await client.get(duty("/points/mine"), params={"year": YEAR}, headers=her.headers))
        assert old["total"] == 43.0  # the old year keeps its points


async def rate(client, office: DutyOffice, year: int, grade: str) -> None:
    """The year's ratings started by staff in December, hers taken through to the committee's decision."""
    with at(datetime(year, 12, 10, 10, tzinfo=LOCAL_TZ)):
        await ok(await client.post(duty("/ratings/start"), json={"year": year}, headers=office.staff.headers))
        async with tenant_session(await load_tenant(office.code), actor=ACTOR, read_only=True) as session:
            query = select(Rating.id).where(Rating.year == year, Rating.person_id == office.persons[2])
            rating_id = (await session.execute(query)).scalar_one()
        for step in ("group", "township", "committee"):
            body = {"step": step, "grade": grade}
            await ok(await client.post(duty(f"/ratings/{rating_id}/steps"), json=body, headers=office.staff.headers))


async def test_rated_basic_two_years_running_is_flagged(client, dawu: DutyOffice) -> None:
    office = dawu
    flagged_url = duty("/ratings/advise-resign")
    await rate(client, office, YEAR - 1, "basic")
    with at(datetime(YEAR - 1, 12, 20, tzinfo=LOCAL_TZ)):
        once = await ok(await client.get(flagged_url, params={"year": YEAR - 1}, headers=office.staff.headers))
        assert str(office.persons[2]) not in str(once)  # one low year is a reminder talk, not a flag
    await rate(client, office, YEAR, "basic")
    with at(datetime(YEAR, 12, 20, tzinfo=LOCAL_TZ)):
        twice = await ok(await client.get(flagged_url, params={"year": YEAR}, headers=office.staff.headers))
        assert str(office.persons[2]) in str(twice)
