"""进家入站 across offices: a county puts a city deputy organised in its territory, recorded by the
city, into its deputy groups and stations, through the platform's mandate directory."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Iterator
from datetime import date

import dramatiq
import pytest
from sqlalchemy import select

from renda.modules.deputies.models import Term
from renda.tenants.scoping import load_tenant, tenant_session
from renda.workers.outbox import OutboxRelay
from tests.conftest import ensure_tenant, make_caller, running_worker
from tests.modules.deputies.helpers import api, id_number
from tests.modules.organisation.support import ACTOR, own_congress, unique

# Offices of their own: 延安市 and two of its counties.
CITY, COUNTY, OTHER = "610600", "610621", "610622"


@pytest.fixture
def worker_broker() -> Iterator[dramatiq.Broker]:
    with running_worker("stub") as broker:
        yield broker


async def publish_all(database, broker: dramatiq.Broker) -> None:
    await OutboxRelay(database, broker).drain()
    for _ in range(100):  # the worker runs in its own threads
        # Empty and finished: a message taken off the queue is still being handled until acked.
        if not broker.queues or all(q.unfinished_tasks == 0 for q in broker.queues.values()):
            await asyncio.sleep(0.3)
            return
        await asyncio.sleep(0.1)


async def open_city_term() -> str:
    """The current term of the city's congress (made on the first run)."""
    congress_id = await own_congress(CITY, "city")
    async with tenant_session(await load_tenant(CITY), actor=ACTOR) as session:
        query = select(Term).where(Term.congress_id == congress_id, Term.is_current)
        term = (await session.execute(query)).scalar_one_or_none()
        if term is None:
            term = Term(congress_id=congress_id, number=6, starts_on=date(2021, 10, 1), is_current=True)
            session.add(term)
            await session.commit()
        return str(term.id)


async def city_mandate(client, staff, term_id: str, organised_in: str) -> tuple[str, str]:
    """A city deputy recorded by the city and organised in `organised_in`: (mandate id, name)."""
    name = f"延安代表{random.randrange(10**6)}"
    person = await client.post(
        f"{api(CITY)}/persons", json={"name": name, "gender": "male", "id_number": id_number()}, headers=staff.headers
    )
    assert person.status_code == 201, person.text
    body = {
        "person_id": person.json()["id"],
        "term_id": term_id,
        "starts_on": "2021-10-01",
        "organised_in": organised_in,
    }
    mandate = await client.post(f"{api(CITY)}/mandates", json=body, headers=staff.headers)
    assert mandate.status_code == 201, mandate.text
    return mandate.json()["id"], name


async def test_county_organises_a_city_deputy(client, database, hierarchy, worker_broker) -> None:
    await ensure_tenant(database, CITY, "延安市人大常委会", "city", None)
    await ensure_tenant(database, COUNTY, "延长县人大常委会", "county", CITY)
    await ensure_tenant(database, OTHER, "延川县人大常委会", "county", CITY)
    city_staff = await make_caller(database, "延安市代表工委干事", {CITY: ["staff"]})
    staff = await make_caller(database, "延长县代表工委干事", {COUNTY: ["staff"]})
    viewer = await make_caller(database, "延长县只读用户", {COUNTY: ["viewer"]})
    term_id = await open_city_term()
    mandate_id, name = await city_mandate(client, city_staff, term_id, COUNTY)
    elsewhere_id, _ = await city_mandate(client, city_staff, term_id, OTHER)
    await publish_all(database, worker_broker)

    org = f"{api(COUNTY)}/organisation"
    made = {}
    for key, path, body in (
        ("group", "groups", {"kind": "geographic", "name": unique("代表小组")}),
        ("second", "groups", {"kind": "geographic", "name": unique("代表小组")}),
        ("station", "stations", {"kind": "liaison_station", "name": unique("代表联络站")}),
    ):
        response = await client.post(f"{org}/{path}", json=body, headers=staff.headers)
        assert response.status_code == 201, response.text
        made[key] = response.json()["id"]

    added = await client.post(
        f"{org}/groups/{made['group']}/external-members", json={"mandate_id": mandate_id}, headers=staff.headers
    )
    assert added.status_code == 201, added.text
    [member] = added.json()["external_members"]
    assert (member["mandate_id"], member["name"], member["level"]) == (mandate_id, name, "city")
    assert member["level_label"] == "市人大代表" and "延安市" in member["recorded_by_name"]
    assert added.json()["member_count"] == 1
    listed = await client.get(f"{org}/groups", params={"q": added.json()["name"]}, headers=staff.headers)
    assert [g["member_count"] for g in listed.json()["items"]] == [1]

    again = await client.post(
        f"{org}/groups/{made['group']}/external-members", json={"mandate_id": mandate_id}, headers=staff.headers
    )
    assert again.status_code == 409 and again.json()["code"] == "already_member"
    second = await client.post(
        f"{org}/groups/{made['second']}/external-members", json={"mandate_id": mandate_id}, headers=staff.headers
    )
    assert second.status_code == 409 and second.json()["code"] == "already_in_geographic_group"

    station = await client.post(
        f"{org}/stations/{made['station']}/external-deputies", json={"mandate_id": mandate_id}, headers=staff.headers
    )
    assert station.status_code == 201, station.text
    assert [d["name"] for d in station.json()["external_deputies"]] == [name]
    assert station.json()["deputy_count"] == 1
    shown = await client.get(f"{org}/stations/{made['station']}", headers=staff.headers)
    assert [d["mandate_id"] for d in shown.json()["external_deputies"]] == [mandate_id]
    duplicate = await client.post(
        f"{org}/stations/{made['station']}/external-deputies", json={"mandate_id": mandate_id}, headers=staff.headers
    )
    assert duplicate.status_code == 409 and duplicate.json()["code"] == "already_assigned"

    # Organised in the neighbouring county, or not in the directory at all: not this office's to organise.
    for unknown in (elsewhere_id, made["group"]):
        for path in (f"groups/{made['second']}/external-members", f"stations/{made['station']}/external-deputies"):
            refused = await client.post(f"{org}/{path}", json={"mandate_id": unknown}, headers=staff.headers)
            assert refused.status_code == 400 and refused.json()["code"] == "not_in_territory", refused.text
    # The city records it itself: for the city it is not "elsewhere".
    city_group = await client.post(
        f"{api(CITY)}/organisation/groups",
        json={"kind": "professional", "name": unique("小组")},
        headers=city_staff.headers,
    )
    refused = await client.post(
        f"{api(CITY)}/organisation/groups/{city_group.json()['id']}/external-members",
        json={"mandate_id": mandate_id},
        headers=city_staff.headers,
    )
    assert refused.status_code == 400 and refused.json()["code"] == "not_in_territory"

    for bad in (b"{not json", b'{"mandate_id": "x"}', b'{"mandate_id": "%s", "more": 1}' % mandate_id.encode()):
        response = await client.post(
            f"{org}/groups/{made['second']}/external-members",
            content=bad,
            headers={**staff.headers, "Content-Type": "application/json"},
        )
        assert response.status_code == 400, (bad, response.text)

    forbidden = [
        ("POST", f"{org}/groups/{made['second']}/external-members", {"mandate_id": mandate_id}),
        ("DELETE", f"{org}/groups/{made['group']}/external-members/{mandate_id}", None),
        ("POST", f"{org}/stations/{made['station']}/external-deputies", {"mandate_id": mandate_id}),
        ("DELETE", f"{org}/stations/{made['station']}/external-deputies/{mandate_id}", None),
    ]
    for method, url, body in forbidden:
        response = await client.request(method, url, json=body, headers=viewer.headers)
        assert response.status_code == 403, (method, url, response.text)
    seen = await client.get(f"{org}/groups/{made['group']}", headers=viewer.headers)
    assert seen.status_code == 200 and seen.json()["external_members"][0]["name"] == name

    # The pages show them read-only, with the office that records them, and find them by name.
    page = await client.get(f"/t/{COUNTY}/organisation/groups/{made['group']}", headers=staff.headers)
    assert page.status_code == 200 and f"{name}(由延安市人大常委会登记)" in page.text
    page = await client.get(
        f"/t/{COUNTY}/organisation/groups/{made['second']}", params={"eq": name}, headers=staff.headers
    )
    assert page.status_code == 200 and mandate_id in page.text
    page = await client.get(f"/t/{COUNTY}/organisation/stations/{made['station']}", headers=staff.headers)
    assert page.status_code == 200 and f"{name}(由延安市人大常委会登记)" in page.text
    overview = await client.get(f"/t/{COUNTY}/organisation", params={"tab": "stations"}, headers=staff.headers)
    assert overview.status_code == 200 and name in overview.text

    # Moved out of the first group, the deputy may join the second; removing twice is 404.
    removed = await client.delete(f"{org}/groups/{made['group']}/external-members/{mandate_id}", headers=staff.headers)
    assert removed.status_code == 204
    gone = await client.delete(f"{org}/groups/{made['group']}/external-members/{mandate_id}", headers=staff.headers)
    assert gone.status_code == 404
    moved = await client.post(
        f"{org}/groups/{made['second']}/external-members", json={"mandate_id": mandate_id}, headers=staff.headers
    )
    assert moved.status_code == 201 and moved.json()["member_count"] == 1
    unassigned = await client.delete(
        f"{org}/stations/{made['station']}/external-deputies/{mandate_id}", headers=staff.headers
    )
    assert unassigned.status_code == 204
    shown = await client.get(f"{org}/stations/{made['station']}", headers=staff.headers)
    assert shown.json()["external_deputies"] == [] and shown.json()["deputy_count"] == 0
