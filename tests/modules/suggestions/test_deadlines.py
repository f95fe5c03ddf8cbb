"""The daily deadline check (`suggestions.deadlines`): a week before the deadline the lead unit is
reminded, once per deadline; overdue, the unit and staff are told and an `escalated` step recorded once
per suggestion and round; a late co-handler is reminded; a second run of the same day tells nobody twice."""

from __future__ import annotations

import asyncio
from datetime import date, datetime, time

import pytest

from renda.core.timezone import LOCAL_TZ
from renda.modules.suggestions.tasks import suggestion_deadlines
from renda.workers.scheduler import office_job, registered_jobs
from tests.modules.suggestions.support import add_cohandler, add_unit, make_suggestion, notices, office, steps

# Dates matter here (reminders a week before the deadline and escalation after it, around month ends and 29 February):
# CI runs these again with the clock pinned (tests/conftest.py).
pytestmark = pytest.mark.date_sensitive


def period(day: date) -> str:
    return datetime.combine(day, time(8, 30), tzinfo=LOCAL_TZ).isoformat(timespec="minutes")


async def run(code: str, day: date) -> None:
    await asyncio.to_thread(suggestion_deadlines.fn, code, period(day))


def test_the_check_runs_every_morning_for_every_office() -> None:
    assert "suggestions.deadlines" in registered_jobs()
    assert office_job("suggestions.deadlines")[0] is suggestion_deadlines


async def test_due_soon_overdue_and_late_cohandlers(client, database, offices) -> None:
    place = await office(database, offices["a"], "竹山期限")
    lead_id, lead_user = await add_unit(place, "自然资源和规划局")
    co_id, co_user = await add_unit(place, "财政局")
    # The check of 22 February 2028 (a leap year): 29 February is a week away, 21 February is past.
    day = date(2028, 2, 22)
    soon = await make_suggestion(place, status="assigned", lead_unit_id=lead_id, deadline=date(2028, 2, 29), year=2027)
    later = await make_suggestion(place, status="assigned", lead_unit_id=lead_id, deadline=date(2028, 3, 1), year=2027)
    late = await make_suggestion(place, status="assigned", lead_unit_id=lead_id, deadline=date(2028, 2, 21), year=2027)
    done = await make_suggestion(
        place, status="replied", lead_unit_id=lead_id, deadline=date(2028, 2, 1), year=2027, reply_class="A"
    )
    await add_cohandler(place, later, co_id, date(2028, 2, 21))

    await run(place.code, day)
    await run(place.code, day)  # the message delivered twice
    assert len(await notices(place.code, lead_user.user_id, "suggestion_due_soon", soon.id)) == 1
    assert await notices(place.code, lead_user.user_id, "suggestion_due_soon", later.id) == []
    (overdue,) = await notices(place.code, lead_user.user_id, "suggestion_overdue", late.id)
    assert "已逾期1天" in overdue.body
    assert len(await notices(place.code, place.staff.user_id, "suggestion_overdue", late.id)) == 1
    assert await notices(place.code, place.unit_user.user_id, "suggestion_overdue", late.id) == []
    assert await notices(place.code, lead_user.user_id, "suggestion_overdue", done.id) == []
    assert len(await notices(place.code, co_user.user_id, "suggestion_opinion_overdue", later.id)) == 1
    assert [s.kind for s in await steps(place.code, late.id)] == ["escalated"]
    assert [s.kind for s in await steps(place.code, soon.id)] == ["reminder"]
    assert [s.kind for s in await steps(place.code, done.id)] == []

    # Days later: escalated once per round; the one due soon is now overdue and escalated in its turn.
    await run(place.code, date(2028, 3, 3))
    assert [s.kind for s in await steps(place.code, late.id)] == ["escalated"]
    assert len(await notices(place.code, lead_user.user_id, "suggestion_overdue", late.id)) == 1
    assert [s.kind for s in await steps(place.code, soon.id)] == ["reminder", "escalated"]
    assert len(await notices(place.code, co_user.user_id, "suggestion_opinion_overdue", later.id)) == 1


async def test_an_extended_deadline_is_reminded_again(client, database, offices) -> None:
    from renda.modules.suggestions.models import Suggestion
    from renda.tenants.scoping import load_tenant, tenant_session
    from tests.modules.suggestions.support import ACTOR

    place = await office(database, offices["b"], "竹溪期限")
    unit_id, user = await add_unit(place, "卫生健康局")
    item = await make_suggestion(place, status="assigned", lead_unit_id=unit_id, deadline=date(2027, 12, 31))
    await run(place.code, date(2027, 12, 25))
    async with tenant_session(await load_tenant(place.code), actor=ACTOR) as session:
        (await session.get_one(Suggestion, item.id)).deadline = date(2028, 1, 31)
        await session.commit()
    await run(place.code, date(2027, 12, 26))  # not within a week of the new deadline
    await run(place.code, date(2028, 1, 24))
    assert len(await notices(place.code, user.user_id, "suggestion_due_soon", item.id)) == 2
    assert [s.kind for s in await steps(place.code, item.id)] == ["reminder", "reminder"]
