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
from renda.workers.broker import use_broker
from renda.workers.outbox import OutboxRelay
from tests.conftest import make_broker, make_caller
from tests.modules.deputies.helpers import api, id_number


@pytest.fixture
def worker_broker() -> Iterator[dramatiq.Broker]:
    broker = use_broker(make_broker("stub"))
    worker = dramatiq.Worker(broker, worker_threads=2, worker_timeout=100)
    worker.start()
    yield broker
    worker.stop()


async def publish_all(database, broker: dramatiq.Broker) -> None:
    relay = OutboxRelay(database, broker)
    await relay.drain()
    for _ in range(100):  # the worker runs in its own threads
        if not broker.queues or all(q.qsize() == 0 for q in broker.queues.values()):
            await asyncio.sleep(0.3)
            return
        await asyncio.sleep(0.1)


async def city_term(client, caller, city: str) -> str:
    congresses = (await client.get(f"{api(city)}/congresses", headers=caller.headers)).json()
    own = [c for c in congresses if c["level"] == "city" and c["division_code"] == city]
    if own:
        congress_id = own[0]["id"]
    else:
        body = {"level": "city", "division_code": city, "name": "安康市人民代表大会"}
        created = await client.post(f"{api(city)}/congresses", json=body, headers=caller.headers)
        assert created.status_code == 201, created.text
        congress_id = created.json()["id"]
    detail = (await client.get(f"{api(city)}/congresses/{congress_id}", headers=caller.headers)).json()
    current = [t for t in detail.get("terms", []) if t.get("is_current")]
    if current:
        return current[0]["id"]
    term = {"number": 5, "starts_on": "2021-10-01", "ends_on": "2026-09-30"}
    response = await client.post(f"{api(city)}/congresses/{congress_id}/terms", json=term, headers=caller.headers)
    assert response.status_code == 201, response.text
    return response.json()["id"]


async def test_city_mandate_organised_in_a_county(client, database, hierarchy, worker_broker) -> None:
    city, county, other = hierarchy["city"], hierarchy["a"], hierarchy["b"]
    city_staff = await make_caller(database, "市代表工委干事", {city: ["staff"]})
    county_staff = await make_caller(database, "石泉县代表工委干事", {county: ["staff"]})
    other_staff = await make_caller(database, "汉阴县代表工委干事", {other: ["staff"]})
    term_id = await city_term(client, city_staff, city)
    name = f"市代表{random.randrange(10**6)}"
    person = await client.post(
        f"{api(city)}/persons",
        json={"name": name, "gender": "male", "id_number": id_number()},
        headers=city_staff.headers,
    )
    assert person.status_code == 201, person.text
    mandate = await client.post(
        f"{api(city)}/mandates",
        json={"person_id": person.json()["id"], "term_id": term_id, "starts_on": "2022-01-01", "organised_in": county},
        headers=city_staff.headers,
    )
    assert mandate.status_code == 201, mandate.text
    await publish_all(database, worker_broker)

    listed = await client.get(f"{api(county)}/deputies/elsewhere", params={"q": name}, headers=county_staff.headers)
    assert listed.status_code == 200, listed.text
    [item] = listed.json()["items"]
    assert (item["recorded_by"], item["level"], item["organised_in"]) == (city, "city", county)
    assert "安康市" in item["recorded_by_name"]
    page = await client.get(f"/t/{county}/deputies/elsewhere", params={"q": name}, headers=county_staff.headers)
    assert page.status_code == 200 and name in page.text

    # Not in the neighbouring county, and not "elsewhere" for the city that records it.
    for code, caller in ((other, other_staff), (city, city_staff)):
        response = await client.get(f"{api(code)}/deputies/elsewhere", params={"q": name}, headers=caller.headers)
        assert response.json()["items"] == [], code

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
        json={"ended_on": "2023-05-01", "reason": "deceased"},
        headers=city_staff.headers,
    )
    assert ended.status_code == 200, ended.text
    await publish_all(database, worker_broker)
    listed = await client.get(f"{api(county)}/deputies/elsewhere", params={"q": name}, headers=county_staff.headers)
    assert listed.json()["items"] == []
