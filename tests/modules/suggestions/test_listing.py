"""The suggestion list `GET /api/v1/t/{code}/suggestions/items`: every filter, what each role sees,
page bounds and bad filter values.

Each test has its own office term (`office` opens a fresh one), and staff lists filter by it, so the
suggestions other tests leave in the same office never show up here.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from renda.core.timezone import local_today
from tests.conftest import make_caller
from tests.modules.suggestions.support import add_co_unit, add_cosigner, make_suggestion, office, unique, unkey


def _url(code: str) -> str:
    return f"/api/v1/t/{code}/suggestions/items"


async def _ids(client, place, caller=None, **params) -> set[str]:
    response = await client.get(
        _url(place.code),
        params={"term_id": str(place.term_id), "page_size": 200, **params},
        headers=(caller or place.staff).headers,
    )
    assert response.status_code == 200, response.text
    return {item["id"] for item in response.json()["items"]}


@pytest.mark.date_sensitive  # overdue: deadlines before today
async def test_every_filter_narrows_the_list(client, database, offices) -> None:
    place = await office(database, offices["a"], "竹山")
    keyed: list = []
    try:
        await _every_filter(client, place, keyed)
    finally:
        await unkey(place, *keyed)


async def _every_filter(client, place, keyed: list) -> None:
    today = local_today()
    title = unique("关于城关镇自来水管网改造的建议")
    plain = await make_suggestion(place, status="submitted", title=title, category="urban_construction")
    motion = await make_suggestion(place, status="accepted", kind="motion", category="education")
    late = await make_suggestion(place, status="assigned", deadline=today - timedelta(days=1), is_key=True)
    keyed.append(late.id)
    on_time = await make_suggestion(place, status="assigned", deadline=today + timedelta(days=30))
    replied = await make_suggestion(place, status="replied", reply_class="B", replied_on_time=True)
    closed = await make_suggestion(
        place, status="closed", reply_class="A", rating="satisfied", replied_on_time=True, year=2025
    )
    other_unit = await make_suggestion(
        place, status="assigned", lead_unit_id=place.other_unit_id, deadline=today + timedelta(days=60)
    )
    await add_co_unit(place, on_time.id, place.other_unit_id)
    await make_suggestion(place, status="draft")  # the lead's own work: nobody else lists it

    every = {str(s.id) for s in (plain, motion, late, on_time, replied, closed, other_unit)}
    assert await _ids(client, place) == every
    assert await _ids(client, place, status="assigned") == {str(late.id), str(on_time.id), str(other_unit.id)}
    assert await _ids(client, place, status="open") == every - {str(closed.id)}
    assert await _ids(client, place, kind="motion") == {str(motion.id)}
    assert await _ids(client, place, category="education") == {str(motion.id)}
    assert await _ids(client, place, year="2025") == {str(closed.id)}
    assert await _ids(client, place, overdue="1") == {str(late.id)}
    assert await _ids(client, place, key="1") == {str(late.id)}
    assert str(late.id) not in await _ids(client, place, key="0")
    assert await _ids(client, place, rating="satisfied") == {str(closed.id)}
    assert await _ids(client, place, **{"class": "B"}) == {str(replied.id)}
    mine = {str(late.id), str(on_time.id), str(replied.id), str(closed.id)}
    assert await _ids(client, place, unit_id=str(place.unit_id)) == mine
    assert await _ids(client, place, unit_id=str(place.unit_id), unit_role="lead") == mine
    assert await _ids(client, place, unit_id=str(place.other_unit_id)) == {str(other_unit.id), str(on_time.id)}
    assert await _ids(client, place, unit_id=str(place.other_unit_id), unit_role="co") == {str(on_time.id)}
    assert await _ids(client, place, q=title[4:12]) == {str(plain.id)}
    assert await _ids(client, place, q=f"2025-{closed.seq:04d}") == {str(closed.id)}
    assert await _ids(client, place, q=f"议2026-{motion.seq:04d}") == {str(motion.id)}
    assert await _ids(client, place, status="replied", year="2026", unit_id=str(place.unit_id)) == {str(replied.id)}

    response = await client.get(
        _url(place.code), params={"term_id": str(place.term_id), "overdue": "1"}, headers=place.staff.headers
    )
    [row] = response.json()["items"]
    assert row["number"] == f"2026-{late.seq:04d}" and row["overdue"] is True and row["is_key"] is True
    assert row["status_label"] == "办理中" and row["kind_label"] == "建议、批评和意见"
    assert row["unit_name"].startswith("竹山交通运输局") and row["lead_name"].startswith("竹山代表0")


async def test_search_by_the_lead_deputy_name(client, database, offices) -> None:
    place = await office(database, offices["a"], "竹山")
    led_by_cosigner = await make_suggestion(
        place, lead_person_id=place.cosigner_persons[0], lead_mandate_id=place.mandates[place.cosigner_persons[0]]
    )
    await make_suggestion(place)
    response = await client.get(_url(place.code), params={"term_id": str(place.term_id)}, headers=place.staff.headers)
    name = next(i["lead_name"] for i in response.json()["items"] if i["id"] == str(led_by_cosigner.id))
    assert await _ids(client, place, q=name) == {str(led_by_cosigner.id)}


async def test_each_role_sees_what_it_may(client, database, offices) -> None:
    place = await office(database, offices["a"], "竹山")
    other_lead = place.cosigner_persons[0]
    own = await make_suggestion(place, status="assigned")
    draft = await make_suggestion(place, status="draft")
    cosigned = await make_suggestion(
        place, status="submitted", lead_person_id=other_lead, lead_mandate_id=place.mandates[other_lead]
    )
    await add_cosigner(place, cosigned.id, place.deputy_person)
    someone_elses = await make_suggestion(
        place,
        status="assigned",
        lead_person_id=other_lead,
        lead_mandate_id=place.mandates[other_lead],
        lead_unit_id=place.other_unit_id,
    )
    co_handled = await make_suggestion(
        place,
        status="assigned",
        lead_person_id=other_lead,
        lead_mandate_id=place.mandates[other_lead],
        lead_unit_id=place.other_unit_id,
    )
    await add_co_unit(place, co_handled.id, place.unit_id)
    filed = {str(s.id) for s in (own, cosigned, someone_elses, co_handled)}

    # The lead deputy: their own (with their draft) and what they were asked to co-sign.
    assert await _ids(client, place, place.deputy) == {str(own.id), str(draft.id), str(cosigned.id)}
    # A unit: what it leads or co-handles, never another unit's item.
    assert await _ids(client, place, place.unit_user) == {str(own.id), str(co_handled.id)}
    assert await _ids(client, place, place.other_unit_user) == {str(someone_elses.id), str(co_handled.id)}
    assert str(own.id) not in await _ids(client, place, place.other_unit_user, unit_id=str(place.unit_id))
    # Staff, a viewer, a committee member and the city's staff through the county: every filed one.
    city = await make_caller(database, unique("十堰市工作人员"), {offices["city"]: ["staff"]})
    for caller in (place.staff, place.viewer, place.committee, city):
        assert await _ids(client, place, caller) == filed
    # The neighbouring county's staff reach nothing of this office.
    neighbour = await make_caller(database, unique("竹溪县工作人员"), {offices["b"]: ["staff"]})
    response = await client.get(_url(place.code), headers=neighbour.headers)
    assert response.status_code in (403, 404)


@pytest.mark.date_sensitive  # the rating window: rating_due from today
async def test_replies_awaiting_the_lead_deputys_rating(client, database, offices) -> None:
    """`to_rate`: replied, not rated, the window open; a deputy gets only what they lead, not what they
    co-signed (only the lead rates), staff every one of the office."""
    place = await office(database, offices["a"], "竹山")
    today, other_lead = local_today(), place.cosigner_persons[0]
    mine = await make_suggestion(place, status="replied", rating_due=today)
    await make_suggestion(place, status="replied", rating_due=today - timedelta(days=1))  # window closed
    await make_suggestion(place, status="replied", rating_due=today + timedelta(days=5), rating="satisfied")
    await make_suggestion(place, status="assigned", deadline=today + timedelta(days=5))
    cosigned = await make_suggestion(
        place,
        status="replied",
        rating_due=today + timedelta(days=5),
        lead_person_id=other_lead,
        lead_mandate_id=place.mandates[other_lead],
    )
    await add_cosigner(place, cosigned.id, place.deputy_person)
    assert await _ids(client, place, place.deputy, to_rate="1") == {str(mine.id)}
    assert str(cosigned.id) in await _ids(client, place, place.deputy)  # listed, but not to rate
    assert await _ids(client, place, to_rate="1") == {str(mine.id), str(cosigned.id)}
    response = await client.get(_url(place.code), params={"to_rate": "later"}, headers=place.staff.headers)
    assert response.status_code == 400 and response.json()["code"] == "invalid_filter"


async def test_pages_and_their_bounds(client, database, offices) -> None:
    place = await office(database, offices["a"], "竹山")
    for _ in range(5):
        await make_suggestion(place)
    seen: list[str] = []
    for page in (1, 2, 3):
        response = await client.get(
            _url(place.code),
            params={"term_id": str(place.term_id), "page": page, "page_size": 2},
            headers=place.staff.headers,
        )
        body = response.json()
        assert body["total"] == 5 and body["page"] == page and body["page_size"] == 2
        seen += [i["id"] for i in body["items"]]
    assert len(seen) == len(set(seen)) == 5
    past = await client.get(
        _url(place.code), params={"term_id": str(place.term_id), "page": 9}, headers=place.staff.headers
    )
    assert past.status_code == 200 and past.json()["items"] == [] and past.json()["total"] == 5
    for params, code in (
        ({"page": 0}, "invalid_page"),
        ({"page": 10_000_000}, "invalid_page"),
        ({"page_size": 0}, "invalid_page_size"),
        ({"page_size": 201}, "invalid_page_size"),
    ):
        response = await client.get(_url(place.code), params=params, headers=place.staff.headers)
        assert response.status_code == 400 and response.json()["code"] == code, params


async def test_bad_filter_values_are_refused_with_a_code(client, database, offices) -> None:
    place = await office(database, offices["a"], "竹山")
    for params in (
        {"status": "lost"},
        {"status": "draft"},
        {"kind": "petition"},
        {"category": "weather"},
        {"year": "二〇二六"},
        {"year": "1900"},
        {"term_id": "12"},
        {"unit_id": "not-an-id"},
        {"unit_role": "lead"},
        {"unit_id": str(place.unit_id), "unit_role": "boss"},
        {"key": "maybe"},
        {"overdue": "soon"},
        {"rating": "great"},
        {"class": "E"},
        {"q": "长" * 101},
    ):
        response = await client.get(_url(place.code), params=params, headers=place.staff.headers)
        assert response.status_code == 400, params
        body = response.json()
        assert body["code"] == "invalid_filter" and (
            "无效" in body["message"] or "不能" in body["message"] or "请" in body["message"]
        ), body


async def test_a_units_list_joins_its_units_and_finds_what_the_reach_clause_finds(client, database, offices) -> None:
    """A handling unit's user (here of two units) lists through a join on their units' rows: the same
    suggestions, each once, as the general `visible_to` clause gives, whatever the filters."""
    from datetime import UTC, datetime

    from renda.core.pagination import paginate_rows
    from renda.modules.suggestions import listing
    from renda.modules.suggestions.common import LoopCaller, visible_to
    from renda.modules.suggestions.models import SuggestionUnit
    from renda.modules.units import service as units
    from renda.tenants.scoping import load_tenant, tenant_session
    from tests.modules.suggestions.support import ACTOR, add_unit

    place = await office(database, offices["a"], "谷城列表")
    third, _ = await add_unit(place, "谷城水利局")
    tenant = await load_tenant(place.code)
    async with tenant_session(tenant, actor=ACTOR) as session:  # the transport unit's user also answers for the third
        await units.add_unit_user(session, True, tenant, await units.get_unit(session, third), place.unit_user.user_id)
        await session.commit()
    today = local_today()
    led = await make_suggestion(place, status="assigned", deadline=today - timedelta(days=3))
    co = await make_suggestion(place, status="assigned", lead_unit_id=place.other_unit_id, category="education")
    await add_co_unit(place, co.id, place.unit_id)
    second_round = await make_suggestion(place, status="closed", round=2, reply_class="C", rating="dissatisfied")
    third_led = await make_suggestion(place, status="replied", lead_unit_id=third, reply_class="B")
    handed_on = await make_suggestion(place, status="assigned", lead_unit_id=place.other_unit_id)
    not_ours = await make_suggestion(place, status="assigned", lead_unit_id=place.other_unit_id)
    async with tenant_session(tenant, actor=ACTOR) as session:
        then = datetime(2026, 3, 10, 2, tzinfo=UTC)
        session.add_all(
            [
                # Round 1 of the suggestion now in its second round: the same unit in two rows.
                SuggestionUnit(
                    suggestion_id=second_round.id, unit_id=place.unit_id, round=1, role="lead", assigned_at=then
                ),
                # Handed on to the other unit by a reassignment: the replaced unit still sees it.
                SuggestionUnit(
                    suggestion_id=handed_on.id,
                    unit_id=place.unit_id,
                    round=1,
                    role="lead",
                    assigned_at=then,
                    withdrawn_at=then,
                ),
                # Both of the user's units on one suggestion.
                SuggestionUnit(suggestion_id=led.id, unit_id=third, round=1, role="co", assigned_at=then),
            ]
        )
        await session.commit()
    seen = {str(s.id) for s in (led, co, second_round, third_led, handed_on)}
    assert await _ids(client, place, place.unit_user) == seen and str(not_ours.id) not in seen

    async with tenant_session(tenant, actor=ACTOR, read_only=True) as session:
        unit_ids = await units.unit_ids_of_user(session, place.unit_user.user_id)  # as `loop_caller_for` finds them
        assert unit_ids == {place.unit_id, third}
        caller = LoopCaller(
            place.unit_user.user_id, full=False, manage=False, person_ids=frozenset(), unit_ids=unit_ids
        )
        for params in (
            {},
            {"status": "assigned"},
            {"status": "open"},
            {"overdue": "1"},
            {"class": "B"},
            {"category": "education"},
            {"unit_id": str(place.unit_id), "unit_role": "co"},
            {"unit_id": str(third)},
            {"rating": "dissatisfied"},
            {"q": "改善出行"},
        ):
            filters = listing.parse_filter({"term_id": str(place.term_id), **params})
            direct, values = listing.list_statement(caller, filters, today)
            assert "handled_by_my_units" in str(direct) and "EXISTS" not in str(direct).upper()
            shape, general_values = listing._shape_and_params(filters, today)
            general = listing._build(shape, visible_to(caller), caller.person_ids)
            for page_size in (200, 2):
                joined = await paginate_rows(session, direct, 1, page_size, values)
                reached = await paginate_rows(session, general, 1, page_size, general_values)
                assert [r.id for r in joined.items] == [r.id for r in reached.items], params
                assert joined.total == reached.total, params
            assert len({r.id for r in joined.items}) == len(joined.items)
