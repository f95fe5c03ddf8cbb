"""Rosters: a month generated from the rules covers every live deputy assigned to the station (own and
recorded elsewhere, any level), spread evenly over the days, with the quarterly turn at a 代表之家;
a rerun changes nothing; hand edits are checked; a deputy sees their own schedule."""

from __future__ import annotations

from collections import Counter

from tests.conftest import make_caller
from tests.modules.receptions.support import (
    YEAR,
    A,
    B,
    add_deputies,
    add_directory_mandate,
    add_station,
    api,
    last_of_february,
    receptions_state,
    staff_and_deputy,
    unique,
)


async def _rules(client, staff, station, *rules) -> None:
    for rule in rules:
        made = await client.post(f"{api(A)}/stations/{station}/rules", json=rule, headers=staff.headers)
        assert made.status_code == 201, made.text


async def test_generated_month_covers_every_deputy_and_is_balanced(client, database, database_url, offices) -> None:
    staff, deputy, linked = await staff_and_deputy(database)
    own = await add_deputies(A, *(unique(f"三原代表{i}") for i in range(6)))
    national = await add_directory_mandate(database, unique("全国代表"), "national")
    provincial = await add_directory_mandate(database, unique("省代表"), "provincial")
    city = await add_directory_mandate(database, unique("市代表"), "city")
    home = await add_station(A, unique("三原县城关街道代表之家"), kind="deputy_home", township_code="610422100")
    station = await add_station(
        A,
        unique("三原县城关街道代表联络站"),
        township_code="610422100",
        persons=[linked, *own],
        mandates=[national, provincial, city],
    )
    await _rules(client, staff, home, {"kind": "month_days", "days": [15], "valid_from": f"{YEAR}-01-01"})
    await _rules(
        client,
        staff,
        station,
        {"kind": "month_days", "days": [10, 20, 30], "valid_from": f"{YEAR}-01-01"},
        {"kind": "duty_rhythm", "per_month": 1, "per_quarter_home": 1, "valid_from": f"{YEAR}-01-01"},
    )

    deputies = 1 + len(own) + 3
    months = {}
    for month in (1, 2, 3):
        made = await client.post(
            f"{api(A)}/roster/generate",
            json={"station_id": str(station), "year": YEAR, "month": month},
            headers=staff.headers,
        )
        assert made.status_code == 201, made.text
        months[month] = made.json()
        assert made.json()["unmet"] == []
        assert len(made.json()["coverage"]) == deputies
        assert all(c["station_days"] == 1 for c in made.json()["coverage"])
    # Every deputy (all levels) once a month at the station, 10 deputies over 3 days: 4/3/3.
    roster = await client.get(
        f"{api(A)}/roster", params={"year": YEAR, "month": 2, "station_id": str(station)}, headers=staff.headers
    )
    assert roster.status_code == 200, roster.text
    per_day = Counter(e["day"] for e in roster.json())
    feb_days = (f"{YEAR}-02-10", f"{YEAR}-02-20", f"{YEAR}-02-{last_of_february()}")  # the 30th: 28th or 29th
    assert sorted(per_day.values()) == [3, 3, 4] and set(per_day) == set(feb_days)
    assert {e["deputy"]["level_label"].split("(")[0] for e in roster.json()} >= {
        "全国人大代表",
        "省人大代表",
        "市人大代表",
    }
    # By the quarter's last month, every deputy had their turn at the home, spread over the quarter.
    assert all(c["home_days"] == 1 and c["met"] for c in months[3]["coverage"])
    home_turns = []
    for month in (1, 2, 3):
        at_home = await client.get(
            f"{api(A)}/roster", params={"year": YEAR, "month": month, "station_id": str(home)}, headers=staff.headers
        )
        home_turns.append(len(at_home.json()))
    assert sum(home_turns) == deputies and min(home_turns) >= 3

    # Generating again gives the same roster (what it made before is replaced, nothing added).
    first = {(e["day"], e["deputy"]["key"]) for e in roster.json()}
    again = await client.post(
        f"{api(A)}/roster/generate", json={"station_id": str(station), "year": YEAR, "month": 2}, headers=staff.headers
    )
    assert again.status_code == 201 and (again.json()["created"], again.json()["kept"]) == (deputies, 0)
    feb = await client.get(
        f"{api(A)}/roster", params={"year": YEAR, "month": 2, "station_id": str(station)}, headers=staff.headers
    )
    assert {(e["day"], e["deputy"]["key"]) for e in feb.json()} == first
    # A hand-made entry is kept and counted: the deputy is not rostered a second time.
    moved = feb.json()[0]
    assert (await client.delete(f"{api(A)}/roster/{moved['id']}", headers=staff.headers)).status_code == 204
    other_day = next(d for d in feb_days if d != moved["day"])
    by_hand = {
        "station_id": str(station),
        "day": other_day,
        "deputy": {k: moved["deputy"][k] for k in ("person_id", "mandate_id")},
    }
    assert (await client.post(f"{api(A)}/roster", json=by_hand, headers=staff.headers)).status_code == 201
    again = await client.post(
        f"{api(A)}/roster/generate", json={"station_id": str(station), "year": YEAR, "month": 2}, headers=staff.headers
    )
    assert (again.json()["created"], again.json()["kept"]) == (deputies - 1, 1)
    feb = await client.get(
        f"{api(A)}/roster", params={"year": YEAR, "month": 2, "station_id": str(station)}, headers=staff.headers
    )
    assert len(feb.json()) == deputies and len({e["deputy"]["key"] for e in feb.json()}) == deputies

    coverage = await client.get(
        f"{api(A)}/roster/coverage/{station}", params={"year": YEAR, "month": 2}, headers=staff.headers
    )
    assert coverage.status_code == 200 and all(c["station_days"] == 1 for c in coverage.json())

    # The linked deputy sees their own schedule, and only theirs.
    mine = await client.get(
        f"{api(A)}/roster/mine", params={"start": f"{YEAR}-01-01", "end": f"{YEAR}-03-31"}, headers=deputy.headers
    )
    assert mine.status_code == 200
    assert {e["deputy"]["person_id"] for e in mine.json()} == {str(linked)}
    assert len(mine.json()) == 4  # three months at the station and one turn at the home
    unlinked = await make_caller(database, unique("三原县未关联代表"), {A: ["deputy"]})
    refused = await client.get(f"{api(A)}/roster/mine", headers=unlinked.headers)
    assert refused.status_code == 403 and refused.json()["code"] == "not_linked_deputy"
    assert (await client.get(f"{api(A)}/roster/mine", headers=staff.headers)).status_code == 403


async def test_hand_edits_of_the_roster_are_checked(client, database, database_url, offices) -> None:
    staff, deputy, linked = await staff_and_deputy(database)
    [other] = await add_deputies(A, unique("三原县未进站代表"))
    [foreign] = await add_deputies(B, unique("泾阳县代表"))
    station = await add_station(A, unique("三原县陂西镇代表联络站"), persons=[linked])
    second = await add_station(A, unique("三原县大程镇代表联络站"), persons=[linked])
    for s in (station, second):
        await _rules(client, staff, s, {"kind": "month_days", "days": [10, 20, 30], "valid_from": f"{YEAR}-01-01"})
    url = f"{api(A)}/roster"

    def entry(day: str, person=linked, station_id=station) -> dict:
        return {"station_id": str(station_id), "day": day, "deputy": {"person_id": str(person)}}

    added = await client.post(url, json=entry(f"{YEAR}-05-10"), headers=staff.headers)
    assert added.status_code == 201, added.text
    assert added.json()["source"] == "manual" and added.json()["reminder_label"] == "待提醒"
    before = await receptions_state(database_url, A)
    for body, status, code in (
        (entry(f"{YEAR}-05-10"), 409, "already_rostered"),
        (entry(f"{YEAR}-05-10", station_id=second), 409, "busy_that_day"),
        (entry(f"{YEAR}-05-11"), 400, "not_reception_day"),
        (entry("2025-05-10"), 400, "invalid_date"),
        (entry(f"{YEAR}-05-20", person=other), 400, "not_assigned"),
        (entry(f"{YEAR}-05-20", person=foreign), 400, "unknown_deputy"),
        ({"station_id": str(station), "day": f"{YEAR}-05-20", "deputy": {}}, 400, "invalid_deputy"),
        ({"station_id": str(station), "day": f"{YEAR}-02-30", "deputy": {"person_id": str(linked)}}, 400, None),
    ):
        refused = await client.post(url, json=body, headers=staff.headers)
        assert refused.status_code == status, (body, refused.text)
        if code:
            assert refused.json()["code"] == code
    assert await receptions_state(database_url, A) == before
    # The deputy may not edit the roster.
    assert (await client.post(url, json=entry(f"{YEAR}-05-20"), headers=deputy.headers)).status_code == 403
    assert (await client.delete(f"{url}/{added.json()['id']}", headers=deputy.headers)).status_code == 403
    assert (await client.delete(f"{url}/{added.json()['id']}", headers=staff.headers)).status_code == 204
    assert (await client.delete(f"{url}/{added.json()['id']}", headers=staff.headers)).status_code == 404

    # Generation refuses a month with no days or a station with nobody.
    empty = await add_station(A, unique("三原县空站"))
    refused = await client.post(
        f"{url}/generate", json={"station_id": str(empty), "year": YEAR, "month": 5}, headers=staff.headers
    )
    assert refused.status_code == 400 and refused.json()["code"] == "no_reception_days"
    await _rules(client, staff, empty, {"kind": "month_days", "days": [10], "valid_from": f"{YEAR}-01-01"})
    refused = await client.post(
        f"{url}/generate", json={"station_id": str(empty), "year": YEAR, "month": 5}, headers=staff.headers
    )
    assert refused.status_code == 400 and refused.json()["code"] == "no_deputies"
    past = await client.post(
        f"{url}/generate", json={"station_id": str(station), "year": 2026, "month": 1}, headers=staff.headers
    )
    assert past.status_code == 400 and past.json()["code"] == "invalid_month"
    bad = await client.post(
        f"{url}/generate", json={"station_id": str(station), "year": YEAR, "month": 13}, headers=staff.headers
    )
    assert bad.status_code == 400
