"""Evaluation (评): the lead deputy is asked to rate a reply and rates it in one step; only they, only in
the window, once per round; dissatisfied opens a second round and tells the staff and the unit; the
nightly job closes replies left unrated as not rated."""

from __future__ import annotations

import asyncio
from datetime import datetime, time, timedelta

import pytest
import time_machine

from renda.core.timezone import LOCAL_TZ, local_today
from renda.modules.suggestions.common import add_months
from renda.modules.suggestions.tasks import close_unrated_suggestions
from renda.workers.scheduler import office_job, registered_jobs
from tests.modules.suggestions.support import (
    get,
    make_suggestion,
    notices,
    office,
    reply,
    reset_settings,
    set_settings,
    steps,
    units_of,
)

# Dates matter here (the rating window, the second round's deadline, the nightly close):
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
# A summer morning in Beijing: the window and deadlines below are counted from it.
NOON = datetime(2026, 7, 1, 10, 0, tzinfo=LOCAL_TZ)


def api(code: str, suggestion_id) -> str:
    return f"/api/v1/t/{code}/suggestions/items/{suggestion_id}"


async def test_the_lead_deputy_is_asked_and_rates_in_one_step(client, database, offices) -> None:
    place = await office(database, offices["a"], "竹山评价")
    with time_machine.travel(NOON, tick=True):
        made = await make_suggestion(place, status="assigned")
        await reply(place, made.id, "A", text="已完成县城至麻家渡镇公路硬化。")
        (notice,) = await notices(place.code, place.deputy.user_id, "suggestion_replied")
        assert notice.link == f"/t/{place.code}/suggestions/items/{made.id}/rate"
        assert "请评价" in notice.title and "2026年07月31日" in notice.body  # 30 days, the default window
        assert await notices(place.code, place.unit_user.user_id, "suggestion_replied") == []

        # The link opens a page where one tap rates it.
        page = await client.get(notice.link, headers={**HTML, **place.deputy.headers})
        assert page.status_code == 200 and "基本满意" in page.text and "已完成县城至麻家渡镇公路硬化" in page.text

        # Nobody but the lead deputy: not a co-signer, the staff, the unit; nothing changes.
        for other in (place.cosigners[0], place.staff, place.unit_user):
            refused = await client.post(
                f"{api(place.code, made.id)}/rating", json={"rating": "satisfied"}, headers=other.headers
            )
            if other is place.cosigners[0]:  # a co-signer does not even see a suggestion they were not asked to sign
                assert refused.status_code in (403, 404), refused.text
            else:
                assert refused.status_code == 403 and refused.json()["code"] == "not_lead_deputy", refused.text
                assert "领衔代表" in refused.json()["message"]
        assert (await get(place.code, made.id)).rating is None

        rated = await client.post(
            f"{api(place.code, made.id)}/rating",
            json={"rating": "satisfied", "comment": "路修好了,群众满意"},
            headers=place.deputy.headers,
        )
        assert rated.status_code == 200, rated.text
        assert rated.json()["status"] == "closed" and rated.json()["rating_label"] == "满意"

        # Once per round: a second rating is refused and the first stays; the unit sees it.
        again = await client.post(
            f"{api(place.code, made.id)}/rating", json={"rating": "dissatisfied"}, headers=place.deputy.headers
        )
        assert again.status_code == 409 and again.json()["code"] == "already_rated"
        seen = await client.get(f"{api(place.code, made.id)}/rating", headers=place.unit_user.headers)
        assert seen.json()["rating"] == "satisfied" and seen.json()["rating_comment"] == "路修好了,群众满意"
        assert (
            await client.get(f"{api(place.code, made.id)}/rating", headers=place.other_unit_user.headers)
        ).status_code == 404
    found = await get(place.code, made.id)
    assert (found.status, found.rating, found.round) == ("closed", "satisfied", 1) and found.closed_at is not None
    kinds = [s.kind for s in await steps(place.code, made.id)]
    assert kinds[-2:] == ["rated", "closed"]


async def test_dissatisfied_opens_a_second_round_and_tells_staff_and_unit(client, database, offices) -> None:
    place = await office(database, offices["a"], "竹山不满意")
    await set_settings(place.code, second_round_months=2)
    with time_machine.travel(NOON, tick=True):
        made = await make_suggestion(place, status="assigned")
        await reply(place, made.id, "B", text="列入明年计划。", commitments="2027年6月前完成")
        assert (await get(place.code, made.id)).follow_up == "open"
        rated = await client.post(
            f"{api(place.code, made.id)}/rating",
            json={"rating": "dissatisfied", "comment": "拖得太久"},
            headers=place.deputy.headers,
        )
        assert rated.status_code == 200, rated.text
        body = rated.json()
        assert body["status"] == "assigned" and body["round"] == 2 and body["rating"] is None
        assert body["deadline"] == add_months(local_today(), 2).isoformat() == "2026-09-01"
        for user in (place.staff, place.unit_user):
            (notice,) = await notices(place.code, user.user_id, "suggestion_dissatisfied")
            assert "拖得太久" in notice.body and notice.link == f"/t/{place.code}/suggestions/items/{made.id}"
        assert await notices(place.code, place.other_unit_user.user_id, "suggestion_dissatisfied") == []

        found = await get(place.code, made.id)
        assert (found.round, found.lead_unit_id, found.reply_class, found.follow_up) == (2, place.unit_id, None, "none")
        assert [(u.round, u.role, u.unit_id) for u in await units_of(place.code, made.id)] == [
            (1, "lead", place.unit_id),
            (2, "lead", place.unit_id),
        ]
        # Round 1's reply and rating stay in the timeline and on the pages.
        second = next(s for s in await steps(place.code, made.id) if s.kind == "second_round")
        assert second.round == 2 and "列入明年计划" in second.note and "不满意;拖得太久" in second.note
        page = await client.get(
            f"/t/{place.code}/suggestions/items/{made.id}/rate", headers={**HTML, **place.deputy.headers}
        )
        assert "列入明年计划" in page.text and "第1轮评价:不满意" in page.text

        # Round 2: the deputy is asked again, and rates this round once.
        await reply(place, made.id, "A", text="已提前开工。")
        assert len(await notices(place.code, place.deputy.user_id, "suggestion_replied")) == 2
        done = await client.post(
            f"{api(place.code, made.id)}/rating", json={"rating": "basic"}, headers=place.deputy.headers
        )
        assert done.json()["status"] == "closed" and done.json()["rating"] == "basic"


async def test_a_rating_after_the_window_is_refused_and_the_night_closes_it_as_not_rated(
    client, database, offices
) -> None:
    place = await office(database, offices["a"], "竹山逾期评价")
    other = await office(database, offices["b"], "竹溪逾期评价")
    await set_settings(place.code, rating_window_days=10)
    await set_settings(other.code, rating_window_days=10)
    with time_machine.travel(NOON, tick=True):
        made = await make_suggestion(place, status="assigned")
        theirs = await make_suggestion(other, status="assigned")
        await reply(place, made.id, "C")
        await reply(other, theirs.id, "C")
    assert (await get(place.code, made.id)).rating_due.isoformat() == "2026-07-11"
    with time_machine.travel(NOON + timedelta(days=11), tick=True):
        late = await client.post(
            f"{api(place.code, made.id)}/rating", json={"rating": "satisfied"}, headers=place.deputy.headers
        )
        assert late.status_code == 409 and late.json()["code"] == "rating_window_closed"
        assert "2026年07月11日" in late.json()["message"]
        assert (await get(place.code, made.id)).status == "replied"

        day = local_today()
        period = datetime.combine(day, time(1, 10), tzinfo=LOCAL_TZ).isoformat(timespec="minutes")
        await asyncio.to_thread(close_unrated_suggestions.fn, place.code, period)
        await asyncio.to_thread(close_unrated_suggestions.fn, place.code, period)  # delivered twice
    found = await get(place.code, made.id)
    assert (found.status, found.rating) == ("closed", None) and found.follow_up == "open"  # C: still followed up
    closing = [s for s in await steps(place.code, made.id) if s.kind == "closed"]
    assert len(closing) == 1 and "视为未评价" in closing[0].note and "满意)" in closing[0].note
    # The job of office A leaves office B's expired reply alone.
    assert (await get(other.code, theirs.id)).status == "replied"

    with time_machine.travel(NOON + timedelta(days=12), tick=True):
        closed = await client.post(
            f"{api(place.code, made.id)}/rating", json={"rating": "basic"}, headers=place.deputy.headers
        )
    assert closed.status_code == 409 and closed.json()["code"] == "rating_window_closed"


async def test_bad_ratings_change_nothing(client, database, offices) -> None:
    place = await office(database, offices["a"], "竹山评价输入")
    assigned = await make_suggestion(place, status="assigned")
    early = await client.post(
        f"{api(place.code, assigned.id)}/rating", json={"rating": "satisfied"}, headers=place.deputy.headers
    )
    assert early.status_code == 409 and early.json()["code"] == "not_replied"
    made = await make_suggestion(place, status="assigned")
    await reply(place, made.id)
    for body in ({"rating": "great"}, {"rating": "satisfied", "comment": "长" * 1001}, {}):
        bad = await client.post(f"{api(place.code, made.id)}/rating", json=body, headers=place.deputy.headers)
        assert bad.status_code == 400, bad.text
    viewer = await client.post(
        f"{api(place.code, made.id)}/rating", json={"rating": "satisfied"}, headers=place.viewer.headers
    )
    assert viewer.status_code == 403
    assert (await get(place.code, made.id)).rating is None
    # Through the phone page: an unknown choice is refused there too, in Chinese.
    page = await client.post(
        f"/t/{place.code}/suggestions/items/{made.id}/rate",
        data={"rating": "great"},
        headers={**HTML, **place.deputy.headers},
    )
    assert page.status_code == 400 and "请选择满意、基本满意或不满意" in page.text
    ok = await client.post(
        f"/t/{place.code}/suggestions/items/{made.id}/rate",
        data={"rating": "basic", "comment": "基本解决"},
        headers={**HTML, **place.deputy.headers},
        follow_redirects=True,
    )
    assert ok.status_code == 200 and "评价已提交" in ok.text
    assert (await get(place.code, made.id)).rating == "basic"


def test_the_unrated_are_closed_every_night_in_every_office() -> None:
    job = registered_jobs()["suggestions.close_unrated"]
    assert (job.schedule.hour, job.schedule.minute) == (1, 10)
    assert office_job("suggestions.close_unrated") == (close_unrated_suggestions, None)


async def test_dissatisfied_again_after_the_second_round_closes_it_as_it_is(client, database, offices) -> None:
    place = await office(database, offices["a"], "竹山二次不满意")
    made = await make_suggestion(place, status="assigned")
    await reply(place, made.id, "C", commitments="待资金到位后实施")
    first = await client.post(
        f"{api(place.code, made.id)}/rating", json={"rating": "dissatisfied"}, headers=place.deputy.headers
    )
    assert first.json()["round"] == 2
    await reply(place, made.id, "C", commitments="已列入明年预算")
    second = await client.post(
        f"{api(place.code, made.id)}/rating",
        json={"rating": "dissatisfied", "comment": "仍未解决"},
        headers=place.deputy.headers,
    )
    assert (
        second.json()["status"] == "closed"
        and second.json()["rating"] == "dissatisfied"
        and second.json()["round"] == 2
    )
    found = await get(place.code, made.id)
    assert found.follow_up == "open"  # a C reply is still followed up after closing
    assert len(await notices(place.code, place.staff.user_id, "suggestion_dissatisfied")) == 2
    assert [s.note for s in await steps(place.code, made.id) if s.kind == "closed"] == [
        "重新办理后代表仍不满意,办结并如实统计"
    ]


async def test_the_second_round_keeps_the_co_handlers_with_a_new_due_date(client, database, offices) -> None:
    from renda.modules.suggestions.models import SuggestionUnit
    from renda.tenants.scoping import load_tenant, tenant_session
    from tests.modules.suggestions.support import ACTOR

    place = await office(database, offices["a"], "竹山协办")
    await set_settings(place.code, cohandler_days=20)
    with time_machine.travel(NOON, tick=True):
        made = await make_suggestion(place, status="assigned")
        async with tenant_session(await load_tenant(place.code), actor=ACTOR) as session:
            session.add(SuggestionUnit(suggestion_id=made.id, unit_id=place.other_unit_id, round=1, role="co"))
            await session.commit()
        await reply(place, made.id, "B", commitments="年内完成")
        rated = await client.post(
            f"{api(place.code, made.id)}/rating", json={"rating": "dissatisfied"}, headers=place.deputy.headers
        )
        assert rated.status_code == 200, rated.text
    second = [(u.role, u.unit_id, u.opinion_due) for u in await units_of(place.code, made.id) if u.round == 2]
    assert sorted(second, key=lambda u: u[0]) == [
        ("co", place.other_unit_id, NOON.date() + timedelta(days=20)),
        ("lead", place.unit_id, None),
    ]


async def test_the_units_reply_through_handling_asks_the_deputy_to_rate(client, database, offices) -> None:
    place = await office(database, offices["a"], "竹山答复请评")
    made = await make_suggestion(place, status="assigned")
    replied = await client.post(
        f"{api(place.code, made.id)}/reply",
        json={"reply_class": "B", "reply_text": "已列入明年计划", "reply_commitments": "明年6月前完工"},
        headers=place.unit_user.headers,
    )
    assert replied.status_code == 200, replied.text
    (notice,) = await notices(place.code, place.deputy.user_id, "suggestion_replied")
    assert notice.link.endswith(f"/suggestions/items/{made.id}/rate") and "B类" in notice.body
    found = await get(place.code, made.id)
    assert found.follow_up == "open" and found.rating_due == local_today() + timedelta(days=30)
    rated = await client.post(
        f"{api(place.code, made.id)}/rating", json={"rating": "basic"}, headers=place.deputy.headers
    )
    assert rated.json()["status"] == "closed"
