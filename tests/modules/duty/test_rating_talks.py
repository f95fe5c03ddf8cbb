"""Low grades: a reminder talk scheduled with the committee's decision or after it (the deputy is told,
and told again when it moves), then held or cancelled; a deputy rated low two years running is advised
to resign (劝辞) and listed for staff."""

from __future__ import annotations

from datetime import date

import pytest

from tests.modules.duty.support import duty_office, person_name
from tests.modules.duty.support_rating import (
    assess,
    at,
    decide,
    notices,
    rating_row,
    ratings_api,
    state_of,
    step,
)

pytestmark = pytest.mark.date_sensitive


async def test_two_low_years_running_advise_resignation(client, database, offices) -> None:
    office = await duty_office(database, offices["a"], "远安劝辞", deputies=3)
    code, staff = office.code, office.staff
    twice, once, recovered = office.persons
    grades = {2040: ("basic", "competent", "incompetent"), 2041: ("incompetent", "basic", "good")}
    for year, chosen in grades.items():
        with at(date(year, 12, 12)):
            for deputy, grade in zip(office.deputies, chosen, strict=True):
                rating_id = (await assess(client, deputy, code, year)).json()["id"]
                await decide(client, staff, code, rating_id, grade)
    assert (await rating_row(code, 2040, twice)).advise_resign is False  # no 2039 rating
    assert (await rating_row(code, 2041, twice)).advise_resign is True
    assert (await rating_row(code, 2041, once)).advise_resign is False
    assert (await rating_row(code, 2041, recovered)).advise_resign is False
    with at(date(2041, 12, 13)):
        listed = (await client.get(ratings_api(code, "/advise-resign?year=2041"), headers=staff.headers)).json()
        mine = [row for row in listed if row["person_id"] in {str(p) for p in office.persons}]
        assert [(r["name"], r["grade_label"], r["previous_grade_label"]) for r in mine] == [
            (await person_name(code, twice), "不称职", "基本称职")
        ]
        flagged = (
            await client.get(ratings_api(code, "?year=2041&advise_resign=1&page_size=200"), headers=staff.headers)
        ).json()
        assert str(twice) in {r["person_id"] for r in flagged["items"]}
        assert str(once) not in {r["person_id"] for r in flagged["items"]}
        # The deputy is not shown the flag.
        own = (await client.get(ratings_api(code, "/mine"), headers=office.deputy.headers)).json()
        assert own["rating"]["advise_resign"] is False


async def test_a_talk_is_scheduled_moved_and_held(client, database, offices) -> None:
    office = await duty_office(database, offices["b"], "兴山约谈", deputies=2)
    code, staff, deputy = office.code, office.staff, office.deputy
    with at(date(2042, 12, 18)):
        low_id = (await assess(client, deputy, code, 2042)).json()["id"]
        good_id = (await assess(client, office.deputies[1], code, 2042)).json()["id"]
        for rating_id in (low_id, good_id):
            for name in ("group", "township"):
                assert (await step(client, staff, code, rating_id, name, "basic")).status_code == 200
        talk = {"scheduled_on": "2043-01-08", "place": "县人大常委会三楼会议室", "talker": "王副主任"}
        # A talk with a good grade: refused, nothing decided.
        before = await state_of(code, office.persons)
        refused = await step(client, staff, code, good_id, "committee", "good", talk=talk)
        assert refused.status_code == 400 and refused.json()["code"] == "talk_not_needed"
        assert await state_of(code, office.persons) == before
        decided = await step(client, staff, code, low_id, "committee", "basic", talk=talk)
        assert decided.status_code == 200, decided.text
        (scheduled,) = decided.json()["talks"]
        assert (scheduled["status"], scheduled["scheduled_on"], scheduled["talker"]) == (
            "scheduled",
            "2043-01-08",
            "王副主任",
        )
        (told,) = await notices(code, deputy.user_id, "duty_talk_scheduled")
        name = await person_name(code, office.person)
        assert told.title == "2042年度履职评价提醒约谈安排"
        assert f"{name}代表" in told.body and "基本称职" in told.body and "2043年01月08日" in told.body
        assert "县人大常委会三楼会议室" in told.body and "王副主任" in told.body

        before = await state_of(code, office.persons)
        for path, body, status, error in (
            (f"/{low_id}/talks", {"scheduled_on": "2043-01-09"}, 409, "talk_already_scheduled"),
            (f"/{good_id}/talks", {"scheduled_on": "2043-01-09"}, 409, "talk_not_needed"),
            (f"/{low_id}/talks", {"scheduled_on": "2045-01-09"}, 400, "invalid_talk_date"),
        ):
            response = await client.post(ratings_api(code, path), json=body, headers=staff.headers)
            assert response.status_code == status and response.json()["code"] == error, response.text
        assert await state_of(code, office.persons) == before

        talk_id = scheduled["id"]
        moved = await client.patch(
            ratings_api(code, f"/talks/{talk_id}"), json={"scheduled_on": "2043-01-15"}, headers=staff.headers
        )
        assert moved.status_code == 200 and moved.json()["scheduled_on"] == "2043-01-15"
        assert len(await notices(code, deputy.user_id, "duty_talk_scheduled")) == 2
        noted = await client.patch(
            ratings_api(code, f"/talks/{talk_id}"), json={"note": "带上履职材料"}, headers=staff.headers
        )
        assert noted.status_code == 200 and len(await notices(code, deputy.user_id, "duty_talk_scheduled")) == 2
        bad_day = await client.patch(
            ratings_api(code, f"/talks/{talk_id}"), json={"scheduled_on": "2041-12-31"}, headers=staff.headers
        )
        assert bad_day.status_code == 400 and bad_day.json()["code"] == "invalid_talk_date"
        denied = await client.patch(
            ratings_api(code, f"/talks/{talk_id}"), json={"status": "held"}, headers=deputy.headers
        )
        assert denied.status_code == 403
        held = await client.patch(
            ratings_api(code, f"/talks/{talk_id}"), json={"status": "held"}, headers=staff.headers
        )
        assert held.status_code == 200 and held.json()["status_label"] == "已约谈"
        closed = await client.patch(
            ratings_api(code, f"/talks/{talk_id}"), json={"scheduled_on": "2043-01-20"}, headers=staff.headers
        )
        assert closed.status_code == 409 and closed.json()["code"] == "talk_closed"

        listed = (await client.get(ratings_api(code, "/talks?year=2042"), headers=office.viewer.headers)).json()
        mine = [t for t in listed if t["id"] == talk_id]
        assert mine and mine[0]["status"] == "held" and mine[0]["grade_label"] == "基本称职"
        overview = (await client.get(ratings_api(code, "/overview?year=2042"), headers=staff.headers)).json()
        rows = (await client.get(ratings_api(code, "?year=2042&low=1&page_size=200"), headers=staff.headers)).json()
        assert {r["person_id"]: r["talk_status"] for r in rows["items"]}[str(office.person)] == "held"
        basic = next(g for g in overview["grades"] if g["key"] == "basic")
        assert basic["label"] == "基本称职" and basic["count"] >= 1

        # A talk scheduled after the decision (a cancelled one is followed by another).
        decided_later = await step(client, staff, code, good_id, "committee", "incompetent")
        assert decided_later.status_code == 200
        first = await client.post(
            ratings_api(code, f"/{good_id}/talks"), json={"scheduled_on": "2043-01-10"}, headers=staff.headers
        )
        assert first.status_code == 201, first.text
        cancelled = await client.patch(
            ratings_api(code, f"/talks/{first.json()['id']}"), json={"status": "cancelled"}, headers=staff.headers
        )
        assert cancelled.status_code == 200
        second = await client.post(
            ratings_api(code, f"/{good_id}/talks"),
            json={"scheduled_on": "2043-01-12", "place": "镇人大办公室"},
            headers=staff.headers,
        )
        assert second.status_code == 201
        told = await notices(code, office.deputies[1].user_id, "duty_talk_scheduled")
        assert len(told) == 2 and "另行通知的地点" in told[0].body and "镇人大办公室" in told[1].body
