"""The rating window, pinned to the clock: self-assessment opens at 00:00 on 1 December (local time),
is still open at 23:59 on 31 December and closed at New Year; an office's own window (into January)
and its bounds; staff steps and starting everyone's rating wait for the window to open."""

from __future__ import annotations

from datetime import date

import pytest

from tests.modules.duty.support import duty_office
from tests.modules.duty.support_rating import assess, at, rating_row, ratings_api, set_window, state_of, step

pytestmark = pytest.mark.date_sensitive


async def test_the_default_window_is_december_in_local_time(client, database, offices) -> None:
    office = await duty_office(database, offices["a"], "远安窗口", deputies=1)
    code, deputy = office.code, office.deputy
    # 30 November 23:59:30 in Beijing (15:59 UTC): not yet.
    with at(date(2032, 11, 30), 23, 59, 30):
        early = await assess(client, deputy, code, 2032)
        assert early.status_code == 409 and early.json()["code"] == "rating_window_closed"
        assert "2032年12月01日起开放" in early.json()["message"]
        window = (await client.get(ratings_api(code, "/window?year=2032"), headers=deputy.headers)).json()
        assert (window["opens_on"], window["closes_on"], window["is_default"]) == ("2032-12-01", "2032-12-31", True)
        assert window["state"] == "before"
    assert await rating_row(code, 2032, office.person) is None
    # 1 December 00:00 (16:00 UTC on 30 November): open.
    with at(date(2032, 12, 1), 0, 0, 0):
        opened = await assess(client, deputy, code, 2032, grade="competent")
        assert opened.status_code == 200, opened.text
    # 31 December 23:59 (15:59 UTC): still open, the assessment can be revised.
    with at(date(2032, 12, 31), 23, 59, 0):
        last = await assess(client, deputy, code, 2032, grade="good", summary="最后一天修改")
        assert last.status_code == 200, last.text
        mine = (await client.get(ratings_api(code, "/mine"), headers=deputy.headers)).json()
        assert mine["year"] == 2032 and mine["may_assess"] is True
    before = await state_of(code, office.persons)
    # New Year, 00:00 in Beijing (16:00 UTC on 31 December): closed, nothing changes.
    with at(date(2033, 1, 1), 0, 0, 5):
        late = await assess(client, deputy, code, 2032, grade="excellent")
        assert late.status_code == 409 and late.json()["code"] == "rating_window_closed"
        assert "2032年12月31日截止" in late.json()["message"]
        mine = (await client.get(ratings_api(code, "/mine"), headers=deputy.headers)).json()
        # The new year is the rating year now; last year's rating is history.
        assert mine["year"] == 2033 and mine["rating"] is None and [h["year"] for h in mine["history"]] == [2032]
        assert mine["history"][0]["self_grade"] == "good"
    assert await state_of(code, office.persons) == before
    assert (await rating_row(code, 2032, office.person)).self_summary == "最后一天修改"


async def test_an_office_sets_its_own_window_into_january(client, database, offices) -> None:
    office = await duty_office(database, offices["a"], "远安自定", deputies=2)
    code, staff, deputy = office.code, office.staff, office.deputy
    with at(date(2034, 11, 1)):
        await set_window(client, staff, code, 2034, date(2034, 11, 15), date(2035, 1, 10))
        before = await state_of(code, office.persons)
        for body, message in (
            ({"opens_on": "2035-01-02", "closes_on": "2035-01-10"}, "应在2034年内开始"),
            ({"opens_on": "2034-12-01", "closes_on": "2035-04-01"}, "不晚于2035年03月31日"),
            ({"opens_on": "2034-12-10", "closes_on": "2034-12-09"}, "不早于开始日期"),
        ):
            refused = await client.put(ratings_api(code, "/window"), json={"year": 2034, **body}, headers=staff.headers)
            assert refused.status_code == 400 and refused.json()["code"] == "invalid_rating_window", refused.text
            assert message in refused.json()["message"]
        denied = await client.put(
            ratings_api(code, "/window"),
            json={"year": 2034, "opens_on": "2034-12-01", "closes_on": "2034-12-31"},
            headers=deputy.headers,
        )
        assert denied.status_code == 403 and denied.json()["code"] == "duty_staff_only"
        assert await state_of(code, office.persons) == before
        # Before the window: staff can neither start the year nor take a step.
        refused = await client.post(ratings_api(code, "/start"), json={"year": 2034}, headers=staff.headers)
        assert refused.status_code == 409 and refused.json()["code"] == "rating_window_closed"
    with at(date(2034, 11, 15), 0, 0, 1):
        assert (await assess(client, deputy, code, 2034)).status_code == 200
    # 10 January, late evening: last year's window is still open, and it is the rating year.
    with at(date(2035, 1, 10), 23, 59, 0):
        mine = (await client.get(ratings_api(code, "/mine"), headers=office.deputies[1].headers)).json()
        assert mine["year"] == 2034 and mine["window"]["is_default"] is False and mine["may_assess"] is True
        assert (await assess(client, office.deputies[1], code, 2034)).status_code == 200
    with at(date(2035, 1, 11), 0, 0, 1):
        late = await assess(client, deputy, code, 2034, grade="excellent")
        assert late.status_code == 409 and late.json()["code"] == "rating_window_closed"
        # After the window, staff still take the steps (the committee decides in January).
        rating_id = (await rating_row(code, 2034, office.person)).id
        assert (await step(client, staff, code, rating_id, "group", "good")).status_code == 200


async def test_staff_steps_wait_for_the_window_to_open(client, database, offices) -> None:
    office = await duty_office(database, offices["b"], "兴山未开", deputies=1)
    code, staff = office.code, office.staff
    with at(date(2036, 12, 2)):
        await set_window(client, staff, code, 2036, date(2036, 12, 1), date(2036, 12, 20))
        rating_id = (await assess(client, office.deputy, code, 2036)).json()["id"]
        await set_window(client, staff, code, 2036, date(2036, 12, 5), date(2036, 12, 20))
        before = await state_of(code, office.persons)
        early = await step(client, staff, code, rating_id, "group", "good")
        assert early.status_code == 409 and early.json()["code"] == "rating_window_closed"
        assert await state_of(code, office.persons) == before
