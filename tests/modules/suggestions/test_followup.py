"""Follow-up (回头看) of B and C replies until resolved, and the carry-over into the new year on 1 January,
also across a term change: the suggestion keeps its term, its deputy and the deputy's ended mandate,
and is still handled and rated (办理工作不换届)."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import update

from renda.core.timezone import LOCAL_TZ
from renda.modules.deputies.models import Mandate, MandateStatus, Term
from renda.modules.suggestions.models import SuggestionFollowUp
from renda.modules.suggestions.tasks import carry_over_suggestions
from renda.tenants.scoping import load_tenant, tenant_session
from renda.workers.scheduler import Yearly, registered_jobs
from tests.modules.suggestions.support import ACTOR, get, make_suggestion, office, reply, reset_settings, steps

# Dates matter here (follow-up dates and the 1 January carry-over):
# CI runs these again with the clock pinned (tests/conftest.py).
pytestmark = pytest.mark.date_sensitive


@pytest.fixture(autouse=True)
async def default_rules(offices):
    """Each test starts from the offices' default rules and leaves them so."""
    for code in (offices["a"], offices["b"]):
        await reset_settings(code)
    yield
    for code in (offices["a"], offices["b"]):
        await reset_settings(code)


HTML = {"Accept": "text/html"}
SUMMER = datetime(2026, 9, 15, 10, 0, tzinfo=LOCAL_TZ)
NEW_YEAR = datetime(2027, 1, 1, 0, 30, tzinfo=LOCAL_TZ)  # the yearly job's hour


def api(code: str, suggestion_id=None) -> str:
    base = f"/api/v1/t/{code}/suggestions/items"
    return f"{base}/{suggestion_id}" if suggestion_id else base


async def count_follow_ups(code: str, suggestion_id) -> int:
    from sqlalchemy import func, select

    async with tenant_session(await load_tenant(code), actor=ACTOR) as session:
        query = select(func.count()).where(SuggestionFollowUp.suggestion_id == suggestion_id)
        return await session.scalar(query) or 0


async def test_b_and_c_replies_are_followed_up_until_resolved(client, database, offices) -> None:
    place = await office(database, offices["a"], "竹山回头看")
    with time_machine.travel(SUMMER, tick=True):
        b = await make_suggestion(place, status="assigned")
        a = await make_suggestion(place, status="assigned")
        await reply(place, b.id, "B", commitments="年底前完成改造")
        await reply(place, a.id, "A")
        assert (await get(place.code, a.id)).follow_up == "none"
        not_needed = await client.post(
            f"{api(place.code, a.id)}/follow-ups",
            json={"checked_on": "2026-09-15", "progress": "已完成"},
            headers=place.staff.headers,
        )
        assert not_needed.status_code == 409 and not_needed.json()["code"] == "no_follow_up"

        first = await client.post(
            f"{api(place.code, b.id)}/follow-ups",
            json={"checked_on": "2026-09-15", "progress": "已完成招标,正在施工"},
            headers=place.staff.headers,
        )
        assert first.status_code == 201, first.text
        assert first.json()["follow_up"] == "open" and first.json()["year"] == 2026
        # Only staff record it; a date to come or an empty progress is refused.
        for who, body, code in (
            (place.unit_user, {"checked_on": "2026-09-15", "progress": "x"}, "suggestions_staff_only"),
            (place.staff, {"checked_on": "2026-09-20", "progress": "x"}, "follow_up_in_future"),
            (place.staff, {"checked_on": "2026-09-15", "progress": "  "}, "progress_required"),
        ):
            refused = await client.post(f"{api(place.code, b.id)}/follow-ups", json=body, headers=who.headers)
            assert refused.json()["code"] == code, refused.text
        assert await count_follow_ups(place.code, b.id) == 1

        resolved = await client.post(
            f"{api(place.code, b.id)}/follow-ups",
            json={"checked_on": "2026-09-15", "progress": "已竣工通车", "resolved": True},
            headers=place.staff.headers,
        )
        assert resolved.json()["follow_up"] == "resolved"
        found = await get(place.code, b.id)
        assert found.follow_up == "resolved" and found.resolved_at is not None
        again = await client.post(
            f"{api(place.code, b.id)}/follow-ups",
            json={"checked_on": "2026-09-15", "progress": "再看看"},
            headers=place.staff.headers,
        )
        assert again.status_code == 409 and again.json()["code"] == "follow_up_resolved"
        listed = (await client.get(f"{api(place.code, b.id)}/follow-ups", headers=place.unit_user.headers)).json()
        assert [f["progress"] for f in listed] == ["已完成招标,正在施工", "已竣工通车"]
        page = await client.get(
            f"/t/{place.code}/suggestions/items/{b.id}/supervision", headers={**HTML, **place.staff.headers}
        )
        assert page.status_code == 200 and "已竣工通车" in page.text and "已落实" in page.text


async def test_new_year_carries_unfinished_and_followed_up_across_the_term_change(client, database, offices) -> None:
    place = await office(database, offices["a"], "竹山结转")
    other = await office(database, offices["b"], "竹溪结转")
    with time_machine.travel(SUMMER, tick=True):
        stalled = await make_suggestion(place, status="assigned", deadline=date(2026, 12, 15))
        followed = await make_suggestion(place, status="closed", reply_class="C", rating="basic", follow_up="open")
        done = await make_suggestion(place, status="closed", rating="satisfied")
        this_year = await make_suggestion(place, status="assigned", year=2027)
        theirs = await make_suggestion(other, status="assigned")
    # The term ends with the year; the lead deputy is not re-elected: the mandate ends.
    async with tenant_session(await load_tenant(place.code), actor=ACTOR) as session:
        await session.execute(update(Term).where(Term.id == place.term_id).values(ends_on=date(2026, 12, 31)))
        await session.execute(
            update(Mandate)
            .where(Mandate.id == place.mandates[place.deputy_person])
            .values(status=MandateStatus.ENDED, ended_on=date(2026, 12, 31), end_reason="term_ended")
        )
        await session.commit()

    with time_machine.travel(NEW_YEAR, tick=True):
        period = NEW_YEAR.isoformat(timespec="minutes")
        await asyncio.to_thread(carry_over_suggestions.fn, place.code, period)
        await asyncio.to_thread(carry_over_suggestions.fn, place.code, period)  # delivered twice
        for made, carried in ((stalled, 2027), (followed, 2027), (done, None), (this_year, None)):
            found = await get(place.code, made.id)
            assert found.carried_to_year == carried, made.title
        found = await get(place.code, stalled.id)
        assert (found.term_id, found.lead_person_id, found.lead_mandate_id) == (
            place.term_id,
            place.deputy_person,
            place.mandates[place.deputy_person],
        )
        carried_steps = [s for s in await steps(place.code, stalled.id) if s.kind == "carried_over"]
        assert len(carried_steps) == 1 and carried_steps[0].note == "结转至2027年度继续办理"
        assert [s.note for s in await steps(place.code, followed.id) if s.kind == "carried_over"] == [
            "结转至2027年度继续跟踪落实(回头看)"
        ]
        assert (await get(other.code, theirs.id)).carried_to_year is None  # A's job leaves B alone

        # By hand it carries nothing twice; a year to come is refused.
        by_hand = await client.post(f"{api(place.code)}/carry-over", json={"year": 2027}, headers=place.staff.headers)
        assert by_hand.json() == {"year": 2027, "carried": 0}
        future = await client.post(f"{api(place.code)}/carry-over", json={"year": 2028}, headers=place.staff.headers)
        assert future.status_code == 400 and future.json()["code"] == "invalid_carry_year"
        deputy = await client.post(f"{api(place.code)}/carry-over", json={"year": 2027}, headers=place.deputy.headers)
        assert deputy.status_code == 403

        # The stalled one is still handled, replied and rated by its deputy whose mandate has ended.
        await reply(place, stalled.id, "A", text="新年伊始已完成。")
        rated = await client.post(
            f"{api(place.code, stalled.id)}/rating", json={"rating": "satisfied"}, headers=place.deputy.headers
        )
        assert rated.status_code == 200 and rated.json()["status"] == "closed", rated.text
        board = (await client.get(f"{api(place.code)}/board?year=2026", headers=place.staff.headers)).json()
        row = next(r for r in board["items"] if r["id"] == str(stalled.id))
        assert row["carried_to_year"] == 2027 and row["rating"] == "satisfied"


async def test_carry_over_by_hand_runs_for_the_office_only(client, database, offices) -> None:
    place = await office(database, offices["a"], "竹山手动结转")
    other = await office(database, offices["b"], "竹溪手动结转")
    mine = await make_suggestion(place, status="accepted", year=2024)
    theirs = await make_suggestion(other, status="accepted", year=2024)
    done = await client.post(f"{api(place.code)}/carry-over", json={"year": 2025}, headers=place.staff.headers)
    assert done.status_code == 200 and done.json()["carried"] >= 1
    assert (await get(place.code, mine.id)).carried_to_year == 2025
    assert (await get(other.code, theirs.id)).carried_to_year is None


def test_the_carry_over_runs_on_new_years_day() -> None:
    job = registered_jobs()["suggestions.carry_over"]
    assert job.schedule == Yearly(month=1, day=1, hour=0, minute=30)
    assert job.schedule.period_start(NEW_YEAR + timedelta(hours=3)) == NEW_YEAR
    assert job.schedule.period_start(NEW_YEAR - timedelta(minutes=1)) == datetime(2026, 1, 1, 0, 30, tzinfo=LOCAL_TZ)
    assert job.schedule.period_start(datetime(2027, 6, 1, tzinfo=UTC)) == NEW_YEAR
