"""Congresses an office administers, their terms, and the term change (换届)."""

from __future__ import annotations

import asyncio
import uuid
from datetime import date

import dramatiq
from sqlalchemy import select

from renda.tenants.scoping import load_tenant, tenant_session
from renda.workers.models import OutboxMessage, ProcessedMessage
from tests.conftest import make_caller
from tests.modules.deputies.helpers import (
    TERM_END,
    add_mandate,
    add_person,
    api,
    count,
    id_number,
    own_county,
    row_counts,
    township_term,
)


async def test_own_congress_gets_its_name_and_code_from_the_office(client, database, hierarchy) -> None:
    code = await own_county(database, "611022", "丹凤县人大常委会")
    clerk = await make_caller(database, "丹凤县代表工委", {code: ["staff"]})
    created = await client.post(f"{api(code)}/congresses", json={"level": "county"}, headers=clerk.headers)
    assert created.status_code == 201, created.text
    body = created.json()
    assert (body["name"], body["division_code"], body["level_label"]) == ("丹凤县人民代表大会", code, "县人大代表")
    again = await client.post(f"{api(code)}/congresses", json={"level": "county"}, headers=clerk.headers)
    assert again.status_code == 409 and again.json()["code"] == "congress_exists"
    listed = await client.get(f"{api(code)}/congresses", headers=clerk.headers)
    assert [c["id"] for c in listed.json()] == [body["id"]]


async def test_congresses_are_recorded_by_the_office_that_administers_them(
    client, database, database_url, hierarchy
) -> None:
    county, city = hierarchy["a"], hierarchy["city"]
    clerk = await make_caller(database, "石泉县代表工委", {county: ["staff"]})
    before = await row_counts(database_url, county)
    refused = [
        # the township office is on the platform: it records its own deputies
        ({"level": "township", "division_code": hierarchy["a_township"]}, 409, "congress_recorded_elsewhere"),
        # the city office is on the platform: it records city, provincial and national deputies
        ({"level": "city"}, 409, "congress_recorded_elsewhere"),
        ({"level": "national"}, 409, "congress_recorded_elsewhere"),
        ({"level": "township", "division_code": "610921300"}, 400, "invalid_division_code"),  # another county's
        ({"level": "county", "division_code": "610921"}, 400, "invalid_division_code"),
        ({"level": "village"}, 400, "invalid_level"),
        ({"level": "township", "division_code": f"{county}301"}, 400, "name_required"),
        ({"level": "county", "extra": 1}, 400, "validation_error"),
    ]
    for body, status, code in refused:
        response = await client.post(f"{api(county)}/congresses", json=body, headers=clerk.headers)
        assert (response.status_code, response.json()["code"]) == (status, code), (body, response.text)
        assert response.json()["message"]
    assert await row_counts(database_url, county) == before

    city_clerk = await make_caller(database, "安康市代表工委", {city: ["staff"]})
    for body in ({"level": "national"}, {"level": "provincial", "name": "陕西省人民代表大会"}):
        response = await client.post(f"{api(city)}/congresses", json=body, headers=city_clerk.headers)
        assert response.status_code in (201, 409), response.text
    names = {c["level"]: c for c in (await client.get(f"{api(city)}/congresses", headers=city_clerk.headers)).json()}
    assert names["national"]["name"] == "全国人民代表大会" and names["provincial"]["division_code"] == "610000"
    county_level = await client.post(f"{api(city)}/congresses", json={"level": "county"}, headers=city_clerk.headers)
    assert county_level.json()["code"] == "level_not_administered"


async def test_terms_one_current_others_history(client, database, database_url, hierarchy) -> None:
    code = hierarchy["a"]
    clerk = await make_caller(database, "届次管理员", {code: ["staff"]})
    congress_id, term_id = await township_term(client, clerk, code)
    term = (await client.get(f"{api(code)}/terms/{term_id}", headers=clerk.headers)).json()
    assert term["is_current"] and term["label"] == "第十八届"

    url = f"{api(code)}/congresses/{congress_id}/terms"
    before = await count(database_url, code, "terms")
    for body, status, error in (
        ({"number": 19, "starts_on": "2026-10-01"}, 409, "use_term_change"),
        ({"number": 18, "starts_on": "2016-10-01", "ends_on": "2021-09-30"}, 409, "term_exists"),
        ({"number": 0, "starts_on": "2016-10-01", "ends_on": "2021-09-30"}, 400, "validation_error"),
        ({"number": 5, "starts_on": "2001-10-01"}, 400, "ends_on_required"),
        ({"number": 6, "starts_on": "2019-01-01", "ends_on": "2022-01-01"}, 409, "terms_overlap"),
        ({"number": 7, "starts_on": "2016-10-01", "ends_on": "2016-01-01"}, 400, "invalid_dates"),
        ({"number": "十八", "starts_on": "2016-10-01"}, 400, "validation_error"),
    ):
        response = await client.post(url, json=body, headers=clerk.headers)
        assert (response.status_code, response.json()["code"]) == (status, error), (body, response.text)
    assert await count(database_url, code, "terms") == before

    # Earlier terms are recorded for the history: not current.
    earlier = await client.post(
        url, json={"number": 17, "starts_on": "2016-10-01", "ends_on": "2021-09-30"}, headers=clerk.headers
    )
    assert earlier.status_code == 201 and not earlier.json()["is_current"] and earlier.json()["label"] == "第十七届"
    listed = (await client.get(f"{api(code)}/congresses/{congress_id}", headers=clerk.headers)).json()
    assert [t["number"] for t in listed["terms"]] == [18, 17]


async def test_term_change_ends_live_mandates_and_opens_the_next_term(client, app, database, database_url, hierarchy):
    code = hierarchy["a"]
    clerk = await make_caller(database, "换届办理人", {code: ["staff"]})
    _, term_id = await township_term(client, clerk, code)
    persons = [(await add_person(client, clerk, code, name))["id"] for name in ("赵一", "钱二", "孙三")]
    mandates = [(await add_mandate(client, clerk, code, p, term_id))["id"] for p in persons]
    suspend = {"suspended_on": "2024-03-01", "reason": "custody"}
    await client.post(f"{api(code)}/mandates/{mandates[1]}/suspend", json=suspend, headers=clerk.headers)
    end = {"ended_on": "2023-05-06", "reason": "moved_out"}
    await client.post(f"{api(code)}/mandates/{mandates[2]}/end", json=end, headers=clerk.headers)

    url = f"{api(code)}/terms/{term_id}/change"
    before = await row_counts(database_url, code)
    for body, status, error in (
        ({"next_starts_on": "2026-09-01"}, 400, "invalid_dates"),  # before the closing date
        ({"next_starts_on": "2026-10-01", "closes_on": "2024-01-01"}, 400, "invalid_dates"),  # before a suspension
        ({"next_starts_on": "2026-10-01", "next_number": 18}, 400, "invalid_term_number"),
        ({"next_starts_on": "not a date"}, 400, "validation_error"),
    ):
        response = await client.post(url, json=body, headers=clerk.headers)
        assert (response.status_code, response.json()["code"]) == (status, error), (body, response.text)
    assert await row_counts(database_url, code) == before

    changed = await client.post(url, json={"next_starts_on": "2026-10-01"}, headers=clerk.headers)
    assert changed.status_code == 200, changed.text
    result = changed.json()
    assert result["ended_mandates"] == 2
    assert result["closed"]["ends_on"] == str(TERM_END) and not result["closed"]["is_current"]
    assert (
        result["opened"]["number"] == 19 and result["opened"]["is_current"] and result["opened"]["label"] == "第十九届"
    )
    for mandate_id in mandates[:2]:
        mandate = (await client.get(f"{api(code)}/mandates/{mandate_id}", headers=clerk.headers)).json()
        assert (mandate["status"], mandate["ended_on"], mandate["end_reason"]) == ("ended", str(TERM_END), "term_ended")
        assert mandate["events"][0]["kind"] == "ended" and mandate["events"][0]["reason_label"] == "任期届满"
        assert mandate["events"][0]["recorded_by"] == "换届办理人"
    untouched = (await client.get(f"{api(code)}/mandates/{mandates[2]}", headers=clerk.headers)).json()
    assert (untouched["ended_on"], untouched["end_reason"]) == ("2023-05-06", "moved_out")

    # A closed term takes no new mandates, and is changed only once.
    person = await add_person(client, clerk, code, "李新")
    closed = await client.post(
        f"{api(code)}/mandates", json={"person_id": person["id"], "term_id": term_id}, headers=clerk.headers
    )
    assert closed.status_code == 409 and closed.json()["code"] == "term_closed"
    twice = await client.post(url, json={"next_starts_on": "2026-10-01"}, headers=clerk.headers)
    assert twice.status_code == 409 and twice.json()["code"] == "term_not_current"
    await add_mandate(client, clerk, code, person["id"], result["opened"]["id"])

    # After the commit, the outbox tells later modules; the actor takes a message once.
    tenant = await load_tenant(code)
    async with tenant_session(tenant, actor="test") as session:
        message = (
            await session.execute(
                select(OutboxMessage).where(
                    OutboxMessage.actor_name == "term_changed", OutboxMessage.args[1].astext == term_id
                )
            )
        ).scalar_one()
    assert message.args == [code, term_id, result["opened"]["id"]] and message.tenant_code == code

    async def processed() -> list[ProcessedMessage]:
        async with tenant_session(tenant, actor="test") as session:
            query = select(ProcessedMessage).where(ProcessedMessage.message_id == message.message_id)
            return list((await session.execute(query)).scalars())

    for _ in range(600):  # the broker and the relay share a busy database in CI
        if await processed():
            break
        await asyncio.sleep(0.1)
    first = await processed()
    assert len(first) == 1
    app.state.broker.enqueue(
        dramatiq.Message(
            queue_name="deputies",
            actor_name="term_changed",
            args=tuple(message.args),
            kwargs={},
            options={},
            message_id=message.message_id,
        )
    )
    await asyncio.sleep(1)
    assert [(p.message_id, p.processed_at) for p in await processed()] == [(first[0].message_id, first[0].processed_at)]


async def test_term_dates_must_cover_their_mandates(client, database, database_url, hierarchy) -> None:
    code = hierarchy["a"]
    clerk = await make_caller(database, "届次日期", {code: ["staff"]})
    _, term_id = await township_term(client, clerk, code)
    person = await add_person(client, clerk, code, "周到", id_number=id_number())
    await add_mandate(client, clerk, code, person["id"], term_id, starts_on="2022-01-10")
    url = f"{api(code)}/terms/{term_id}"
    refused = await client.patch(url, json={"starts_on": "2022-02-01"}, headers=clerk.headers)
    assert refused.status_code == 400 and refused.json()["code"] == "term_excludes_mandates"
    moved = await client.patch(url, json={"starts_on": "2021-11-01", "ends_on": None}, headers=clerk.headers)
    assert moved.status_code == 200 and moved.json()["starts_on"] == "2021-11-01" and moved.json()["ends_on"] is None
    assert (await client.patch(url, json={"bogus": 1}, headers=clerk.headers)).json()["code"] == "validation_error"
    missing = await client.patch(f"{api(code)}/terms/{uuid.uuid4()}", json={}, headers=clerk.headers)
    assert missing.status_code == 404 and missing.json()["code"] == "term_not_found"
    assert date.fromisoformat(moved.json()["starts_on"]) < date(2022, 1, 10)


async def test_a_locked_read_refreshes_a_term_loaded_earlier_in_the_session(database) -> None:
    """A route's dependency loads the term it addresses before the service locks it: the locked read
    must see what another transaction committed meanwhile, or a second 换届 would act on a term that
    is no longer current."""
    from renda.modules.deputies.models import Congress, Term
    from renda.modules.deputies.service import get_term

    tenant = await load_tenant(await own_county(database, "611025", "镇安县人大常委会"))
    async with tenant_session(tenant, actor="system:test") as session:
        congress = Congress(level="county", name=f"测试人大{uuid.uuid4().hex[:6]}", division_code="611025")
        session.add(congress)
        await session.flush()
        term = Term(congress_id=congress.id, number=31, starts_on=date(2021, 10, 1), is_current=False)
        session.add(term)
        await session.commit()
        term_id = term.id

    async with tenant_session(tenant, actor="system:test") as first:
        loaded = await get_term(first, term_id)  # what the route's dependency holds
        assert loaded.ends_on is None
        async with tenant_session(tenant, actor="system:test") as other:
            (await get_term(other, term_id)).ends_on = date(2026, 9, 30)
            await other.commit()
        locked = await get_term(first, term_id, for_update=True)
        assert locked is loaded and locked.ends_on == date(2026, 9, 30)
