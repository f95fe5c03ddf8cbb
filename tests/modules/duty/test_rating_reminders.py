"""The daily reminders of the star rating (`duty.rating_reminders`): deputies when the window opens and
in its last days if they have not assessed themselves, a group's leader and the staff while steps await
them; a second run on the same day tells nobody twice."""

from __future__ import annotations

import asyncio
from datetime import date, datetime, time

import pytest

from renda.core.timezone import LOCAL_TZ
from renda.modules.duty.rating_tasks import duty_rating_reminders
from renda.workers.scheduler import office_job, registered_jobs
from tests.modules.duty.support import duty_office
from tests.modules.duty.support_rating import assess, at, make_leader, notices, set_window

pytestmark = pytest.mark.date_sensitive
KIND = "duty_rating_step_due"


def period(day: date) -> str:
    return datetime.combine(day, time(8, 40), tzinfo=LOCAL_TZ).isoformat(timespec="minutes")


async def run(code: str, day: date) -> None:
    await asyncio.to_thread(duty_rating_reminders.fn, code, period(day))


def test_the_reminders_run_every_morning_for_every_office() -> None:
    assert "duty.rating_reminders" in registered_jobs()
    assert office_job("duty.rating_reminders")[0] is duty_rating_reminders


async def test_deputies_leaders_and_staff_are_reminded_once_per_event(client, database, offices) -> None:
    office = await duty_office(database, offices["b"], "兴山提醒", deputies=3)
    code, staff = office.code, office.staff
    assessing, silent, leader = office.deputies
    await make_leader(code, office.group_id, office.persons[2])
    with at(date(2044, 11, 20)):
        await set_window(client, staff, code, 2044, date(2044, 12, 1), date(2044, 12, 20))
    await run(code, date(2044, 11, 30))
    assert await notices(code, silent.user_id, KIND) == []

    await run(code, date(2044, 12, 1))
    await run(code, date(2044, 12, 1))  # the message delivered twice
    for deputy in office.deputies:
        (opened,) = await notices(code, deputy.user_id, KIND)
        assert opened.title == "2044年度代表履职星级评价:代表自评"
        assert "已经开始" in opened.body and "2044年12月20日" in opened.body
        assert opened.link == f"/t/{code}/duty/ratings/mine"
    assert await notices(code, staff.user_id, KIND) == []  # nothing awaits the staff yet

    with at(date(2044, 12, 5)):
        assert (await assess(client, assessing, code, 2044)).status_code == 200
    await run(code, date(2044, 12, 6))
    await run(code, date(2044, 12, 6))
    (to_leader,) = [n for n in await notices(code, leader.user_id, KIND) if "代表小组评议" in n.title]
    assert "1名代表" in to_leader.body and to_leader.link == f"/t/{code}/duty/ratings/group?year=2044"
    (to_staff,) = await notices(code, staff.user_id, KIND)
    assert "待代表小组评议" in to_staff.title and "待代表小组评议" in to_staff.body
    assert to_staff.link == f"/t/{code}/duty/ratings?year=2044"
    await run(code, date(2044, 12, 7))
    assert len(await notices(code, staff.user_id, KIND)) == 2  # once a day while it awaits

    # The last three days: those who have not assessed themselves, once.
    await run(code, date(2044, 12, 18))
    await run(code, date(2044, 12, 19))
    closing = [n for n in await notices(code, silent.user_id, KIND) if "截止" in n.body and "尚未" in n.body]
    assert len(closing) == 1 and "12月20日截止" in closing[0].body
    assert [n for n in await notices(code, assessing.user_id, KIND) if "尚未" in n.body] == []
    assert len(await notices(code, assessing.user_id, KIND)) == 1
