"""One mandate, one record: a city deputy organised in a county is listed by the county (read-only)
and counted once by the city, through the platform's mandate directory."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Iterator

import dramatiq
import pytest

from renda.core.db import get_database
from renda.modules.deputies import directory
from renda.tenants.scoping import load_tenant
from renda.workers.outbox import OutboxRelay
from tests.conftest import ensure_tenant, make_caller, running_worker
from tests.modules.deputies.helpers import api, id_number, township_term


@pytest.fixture
def worker_broker() -> Iterator[dramatiq.Broker]:
    with running_worker("stub") as broker:
        yield broker


async def publish_all(database, broker: dramatiq.Broker) -> None:
    relay = OutboxRelay(database, broker)
    await relay.drain()
    for _ in range(100):  # the worker runs in its own threads
        # Empty and finished: a message taken off the queue is still being handled until acked.
        if not broker.queues or all(q.unfinished_tasks == 0 for q in broker.queues.values()):
            await asyncio.sleep(0.3)
            return
        await asyncio.sleep(0.1)


async def city_term(client, caller, city: str) -> tuple[str, str]:
    """The city congress and its current term: (term id, start)."""
    body = {"level": "city", "division_code": city, "name": "榆林市人民代表大会"}
    congress = await client.post(f"{api(city)}/congresses", json=body, headers=caller.headers)
    assert congress.status_code == 201, congress.text
    term = {"number": 5, "starts_on": "2021-10-01", "ends_on": "2026-09-30"}
    response = await client.post(
        f"{api(city)}/congresses/{congress.json()['id']}/terms", json=term, headers=caller.headers
    )
    assert response.status_code == 201, response.text
    return response.json()["id"], "2021-10-01"


async def test_city_mandate_organised_in_a_county(client, database, hierarchy, worker_broker) -> None:
    # Offices of its own: other tests fill 安康市's congresses with terms of their own.
    city, county, other = "610800", "610822", "610824"
    await ensure_tenant(database, city, "榆林市人大常委会", "city", None)
    await ensure_tenant(database, county, "府谷县人大常委会", "county", city)
    await ensure_tenant(database, other, "靖边县人大常委会", "county", city)
    city_staff = await make_caller(database, "榆林市代表工委干事", {city: ["staff"]})
    county_staff = await make_caller(database, "府谷县代表工委干事", {county: ["staff"]})
    other_staff = await make_caller(database, "靖边县代表工委干事", {other: ["staff"]})
    term_id, term_start = await city_term(client, city_staff, city)
    name, number = f"市代表{random.randrange(10**6)}", id_number()
    person = await client.post(
        f"{api(city)}/persons", json={"name": name, "gender": "male", "id_number": number}, headers=city_staff.headers
    )
    assert person.status_code == 201, person.text
    mandate = await client.post(
        f"{api(city)}/mandates",
        json={"person_id": person.json()["id"], "term_id": term_id, "starts_on": term_start, "organised_in": county},
        headers=city_staff.headers,
    )
    assert mandate.status_code == 201, mandate.text
    await publish_all(database, worker_broker)

    listed = await client.get(f"{api(county)}/deputies/elsewhere", params={"q": name}, headers=county_staff.headers)
    assert listed.status_code == 200, listed.text
    [item] = listed.json()["items"]
    assert (item["recorded_by"], item["level"], item["organised_in"]) == (city, "city", county)
    assert "榆林市" in item["recorded_by_name"]
    page = await client.get(f"/t/{county}/deputies/elsewhere", params={"q": name}, headers=county_staff.headers)
    assert page.status_code == 200 and name in page.text

    # Not in the neighbouring county, and not "elsewhere" for the city that records it.
    for code, caller in ((other, other_staff), (city, city_staff)):
        response = await client.get(f"{api(code)}/deputies/elsewhere", params={"q": name}, headers=caller.headers)
        assert response.json()["items"] == [], code

    # The same person also holds a county mandate, recorded by the county: the county's register shows
    # the person once, with the city mandate named as recorded by the city.
    _, county_term = await township_term(client, county_staff, county)
    local = await client.post(
        f"{api(county)}/persons",
        json={"name": name, "gender": "male", "id_number": number},
        headers=county_staff.headers,
    )
    assert local.status_code == 201, local.text
    township_mandate = await client.post(
        f"{api(county)}/mandates",
        json={"person_id": local.json()["id"], "term_id": county_term},
        headers=county_staff.headers,
    )
    assert township_mandate.status_code == 201, township_mandate.text
    await publish_all(database, worker_broker)
    register = (await client.get(f"{api(county)}/deputies", params={"q": name}, headers=county_staff.headers)).json()
    [entry] = register["items"]
    assert entry["levels"] == ["township"] and entry["recorded_elsewhere"] == ["市人大代表(榆林市人大常委会登记)"]
    async with get_database().platform_session() as session:
        persons = await directory.live_person_count(session, await load_tenant(county))
        mandates = sum(c.mandates for c in await directory.live_counts_by_level(session, await load_tenant(county)))
    assert mandates == persons + 1  # one person, two mandates

    # Counted in both territories, once each.
    async with get_database().platform_session() as session:
        county_counts = {
            c.level: c.mandates for c in await directory.live_counts_by_level(session, await load_tenant(county))
        }
        city_counts = {
            c.level: c.mandates for c in await directory.live_counts_by_level(session, await load_tenant(city))
        }
    assert county_counts.get("city", 0) >= 1 and city_counts.get("city", 0) >= county_counts["city"]

    # Ending the mandate at the city removes it from the county's list once republished.
    ended = await client.post(
        f"{api(city)}/mandates/{mandate.json()['id']}/end",
        json={"ended_on": term_start, "reason": "deceased"},
        headers=city_staff.headers,
    )
    assert ended.status_code == 200, ended.text
    await publish_all(database, worker_broker)
    listed = await client.get(f"{api(county)}/deputies/elsewhere", params={"q": name}, headers=county_staff.headers)
    assert listed.json()["items"] == []
