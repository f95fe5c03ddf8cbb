"""Rules → the reception calendar: 逢十 (10th/20th/30th, the 30th of February being its last day), weekdays,
validity periods, exceptions (a cancelled holiday, an extra day, office-wide or per station)."""

from __future__ import annotations

import calendar
import uuid
from datetime import date

from renda.modules.receptions import schedule
from renda.modules.receptions import service as receptions
from renda.tenants.scoping import load_tenant, tenant_session
from tests.modules.receptions.support import (
    COMMON_YEAR,
    LEAP_YEAR,
    YEAR,
    A,
    add_station,
    api,
    staff_and_deputy,
    unique,
)


def test_the_30th_of_february_is_its_last_day() -> None:
    cal = schedule.StationCalendar(True, [10, 20, 30], [], {}, {})
    assert schedule.reception_days(cal, date(COMMON_YEAR, 2, 1), date(COMMON_YEAR, 2, 28)) == [
        date(COMMON_YEAR, 2, 10),
        date(COMMON_YEAR, 2, 20),
        date(COMMON_YEAR, 2, 28),
    ]
    assert schedule.reception_days(cal, date(LEAP_YEAR, 2, 1), date(LEAP_YEAR, 2, 29))[-1] == date(LEAP_YEAR, 2, 29)
    # 31 in a 30-day month is the 30th, once.
    cal31 = schedule.StationCalendar(True, [30, 31], [], {}, {})
    assert schedule.reception_days(cal31, date(YEAR, 4, 1), date(YEAR, 4, 30)) == [date(YEAR, 4, 30)]
    assert schedule.reception_days(cal31, date(YEAR, 1, 1), date(YEAR, 1, 31)) == [date(YEAR, 1, 30), date(YEAR, 1, 31)]


async def test_next_reception_days_and_rostered_on_for_the_portal(offices) -> None:
    station = await add_station(A, unique("三原县城关街道代表联络站"), days=[10, 20, 30])
    inactive = await add_station(A, unique("三原县停用联络站"), days=[10, 20, 30], active=False)
    async with tenant_session(await load_tenant(A), actor="system:test") as session:
        found = await receptions.next_reception_days(
            session, [station, inactive, uuid.uuid4()], date(YEAR, 1, 25), count=3
        )
        assert found == {station: [date(YEAR, 1, 30), date(YEAR, 2, 10), date(YEAR, 2, 20)], inactive: []}
        assert await receptions.rostered_on(session, station, date(YEAR, 1, 30)) == []


async def test_rules_and_exceptions_make_the_calendar(client, database, offices) -> None:
    staff, _, _ = await staff_and_deputy(database)
    name = unique("三原县城关街道代表联络站")
    station = await add_station(A, name, days=[5])
    other = await add_station(A, unique("三原县西阳镇代表联络站"), days=[15])
    rules = f"{api(A)}/stations/{station}/rules"

    made = await client.post(
        rules,
        json={"kind": "month_days", "days": [30, 10, 20, 10], "valid_from": f"{YEAR}-01-01"},
        headers=staff.headers,
    )
    assert made.status_code == 201, made.text
    assert made.json()["days"] == [10, 20, 30] and "逢十接待日" in made.json()["label"]
    # In March, Wednesdays too (until the end of March).
    weekly = await client.post(
        rules,
        json={"kind": "weekdays", "days": [3], "valid_from": f"{YEAR}-03-01", "valid_to": f"{YEAR}-03-31"},
        headers=staff.headers,
    )
    assert weekly.status_code == 201 and weekly.json()["label"] == "每周周三"

    async def days_of(year: int, month: int, station_id=station) -> list[str]:
        found = await client.get(
            f"{api(A)}/calendar",
            params={"year": year, "month": month, "station_id": str(station_id)},
            headers=staff.headers,
        )
        assert found.status_code == 200, found.text
        return [d["day"] for d in found.json()["days"] if d["stations"]]

    feb, leap_feb = f"{COMMON_YEAR}-02", f"{LEAP_YEAR}-02"
    assert await days_of(COMMON_YEAR, 2) == [f"{feb}-10", f"{feb}-20", f"{feb}-28"]  # the 30th of February
    assert await days_of(LEAP_YEAR, 2) == [f"{leap_feb}-10", f"{leap_feb}-20", f"{leap_feb}-29"]
    wednesdays = {d for d in range(1, 32) if calendar.weekday(YEAR, 3, d) == calendar.WEDNESDAY}
    assert await days_of(YEAR, 3) == [f"{YEAR}-03-{d:02d}" for d in sorted(wednesdays | {10, 20, 30})]
    # Before the rules start, the station's own simple days no longer apply: the rules decide.
    assert await days_of(YEAR - 1, 12) == []
    assert await days_of(YEAR - 1, 12, other) == [f"{YEAR - 1}-12-15"]  # no rules: Station.reception_days is the rule

    # A holiday for every station, and an extra day for one.
    holiday = await client.post(
        f"{api(A)}/exceptions",
        json={"day": f"{YEAR}-04-30", "kind": "cancelled", "reason": "劳动节调休"},
        headers=staff.headers,
    )
    assert holiday.status_code == 201 and holiday.json()["station_name"] == "全部家站室"
    extra = await client.post(
        f"{api(A)}/exceptions",
        json={"day": f"{YEAR}-04-12", "kind": "extra", "station_id": str(station), "reason": "集中接待"},
        headers=staff.headers,
    )
    assert extra.status_code == 201, extra.text
    assert await days_of(YEAR, 4) == [f"{YEAR}-04-10", f"{YEAR}-04-12", f"{YEAR}-04-20"]
    office = await client.get(f"{api(A)}/calendar", params={"year": YEAR, "month": 4}, headers=staff.headers)
    day30 = next(d for d in office.json()["days"] if d["day"] == f"{YEAR}-04-30")
    assert day30["stations"] == [] and name in day30["cancelled"]
    listed = await client.get(f"{api(A)}/exceptions", params={"year": YEAR, "month": 4}, headers=staff.headers)
    assert {e["kind"] for e in listed.json()} >= {"cancelled", "extra"}
    twice = await client.post(
        f"{api(A)}/exceptions",
        json={"day": f"{YEAR}-04-12", "kind": "cancelled", "station_id": str(station)},
        headers=staff.headers,
    )
    assert twice.status_code == 409 and twice.json()["code"] == "duplicate_exception"

    # The portal's read: next days from the rules and exceptions.
    async with tenant_session(await load_tenant(A), actor="system:test") as session:
        found = await receptions.next_reception_days(session, [station], date(YEAR, 4, 21))
    assert found[station] == [date(YEAR, 5, 10), date(YEAR, 5, 20), date(YEAR, 5, 30)]

    # Deleting a holiday restores the day.
    assert (
        await client.delete(f"{api(A)}/exceptions/{holiday.json()['id']}", headers=staff.headers)
    ).status_code == 204
    assert f"{YEAR}-04-30" in await days_of(YEAR, 4)


async def test_reception_days_mirror_the_rules_valid_today(client, database, offices) -> None:
    staff, _, _ = await staff_and_deputy(database)
    station = await add_station(A, unique("三原县代表之家"), kind="deputy_home", days=[1])
    rules = f"{api(A)}/stations/{station}/rules"
    made = await client.post(
        rules, json={"kind": "month_days", "days": [10, 20, 30], "valid_from": "2026-01-01"}, headers=staff.headers
    )
    assert made.status_code == 201
    org = await client.get(f"/api/v1/t/{A}/organisation/stations/{station}", headers=staff.headers)
    assert org.json()["reception_days"] == [10, 20, 30] and "逢十" in org.json()["reception_label"]
    changed = await client.patch(f"{api(A)}/rules/{made.json()['id']}", json={"days": [8, 18]}, headers=staff.headers)
    assert changed.status_code == 200 and changed.json()["days"] == [8, 18]
    org = await client.get(f"/api/v1/t/{A}/organisation/stations/{station}", headers=staff.headers)
    assert org.json()["reception_days"] == [8, 18]
    listed = await client.get(rules, headers=staff.headers)
    assert [r["kind"] for r in listed.json()] == ["month_days"]
    assert (await client.delete(f"{api(A)}/rules/{made.json()['id']}", headers=staff.headers)).status_code == 204
    assert (await client.get(rules, headers=staff.headers)).json() == []
