"""Mandates: dates within the term, one live mandate per term, end / suspend / resume, by-elections,
the change history, and the directory being told of every change."""

from __future__ import annotations

import uuid

from tests.conftest import make_caller, raw_fetchval
from tests.modules.deputies.helpers import add_mandate, add_person, api, count, row_counts, township_term


async def publish_requests(database_url: str, mandate_id: str) -> int:
    return int(
        await raw_fetchval(
            database_url,
            "select count(*) from platform.outbox where actor_name='publish_mandate' and args->>1 = $1",
            mandate_id,
        )
    )


async def test_mandate_takes_its_level_from_the_congress_and_stays_in_the_term(
    client, database, database_url, hierarchy
) -> None:
    code = hierarchy["a"]
    clerk = await make_caller(database, "资格登记员", {code: ["staff"]})
    _, term_id = await township_term(client, clerk, code)
    person = await add_person(client, clerk, code, "陈明")
    mandate = await add_mandate(
        client, clerk, code, person["id"], term_id, constituency="第三选区", organised_in=hierarchy["a_township"]
    )
    assert (mandate["level"], mandate["level_label"], mandate["status"]) == ("township", "乡镇人大代表", "active")
    assert mandate["starts_on"] == "2021-10-01" and mandate["term_label"] == "第十八届"
    assert mandate["organised_in"] == hierarchy["a_township"]
    assert [(e["kind"], e["on"], e["recorded_by"]) for e in mandate["events"]] == [
        ("elected", "2021-10-01", "资格登记员")
    ]
    assert await publish_requests(database_url, mandate["id"]) == 1

    other = await add_person(client, clerk, code, "陈亮")
    url = f"{api(code)}/mandates"
    before = await row_counts(database_url, code)
    for body, status, error in (
        ({"starts_on": "2021-09-30"}, 400, "date_outside_term"),
        ({"starts_on": "2026-10-01"}, 400, "date_outside_term"),
        ({"organised_in": "999999"}, 400, "unknown_office"),
        ({"organised_in": hierarchy["b"]}, 400, "organised_outside"),  # a neighbouring county
        ({"organised_in": hierarchy["city"]}, 400, "organised_outside"),  # above, not beneath
        ({"term_id": str(uuid.uuid4())}, 404, "term_not_found"),
        ({"person_id": str(uuid.uuid4())}, 404, "person_not_found"),
        ({"person_id": person["id"]}, 409, "mandate_exists"),  # a second live mandate in the same term
        ({"starts_on": "2021-13-01"}, 400, "validation_error"),
        ({"by_election": "yes"}, 400, "validation_error"),
        ({"level": "national"}, 400, "validation_error"),  # the level is the congress's, not the caller's
    ):
        payload = {"person_id": other["id"], "term_id": term_id, **body}
        response = await client.post(url, json=payload, headers=clerk.headers)
        assert (response.status_code, response.json()["code"]) == (status, error), (body, response.text)
    assert await row_counts(database_url, code) == before
    broken = await client.post(url, content=b"{", headers={**clerk.headers, "Content-Type": "application/json"})
    assert broken.status_code == 400 and broken.json()["code"] == "malformed_json"


async def test_end_suspend_resume_are_recorded_with_the_actor(client, database, database_url, hierarchy) -> None:
    code = hierarchy["a"]
    clerk = await make_caller(database, "变动登记员", {code: ["staff"]})
    _, term_id = await township_term(client, clerk, code)
    person = await add_person(client, clerk, code, "杨帆")
    mandate = await add_mandate(client, clerk, code, person["id"], term_id, starts_on="2022-03-01")
    url = f"{api(code)}/mandates/{mandate['id']}"

    before = await row_counts(database_url, code)
    for action, body, status, error in (
        ("end", {"ended_on": "2023-01-01", "reason": "resigned"}, 400, "resignation_kind_required"),
        ("end", {"ended_on": "2023-01-01", "reason": "moved_out", "resignation_kind": "advised"}, 400, None),
        ("end", {"ended_on": "2023-01-01", "reason": "term_ended"}, 400, "use_term_change"),
        ("end", {"ended_on": "2023-01-01", "reason": "fired"}, 400, "invalid_end_reason"),
        ("end", {"ended_on": "2022-02-01", "reason": "deceased"}, 400, "invalid_dates"),  # before its start
        ("end", {"ended_on": "2027-01-01", "reason": "deceased"}, 400, "date_outside_term"),
        ("end", {"reason": "deceased"}, 400, "validation_error"),
        ("suspend", {"suspended_on": "2023-01-01", "reason": "drunk"}, 400, "invalid_suspension_reason"),
        ("resume", {"resumed_on": "2023-01-01"}, 409, "mandate_not_suspended"),
    ):
        response = await client.post(f"{url}/{action}", json=body, headers=clerk.headers)
        assert response.status_code == status and (error is None or response.json()["code"] == error), response.text
    assert await row_counts(database_url, code) == before

    suspended = await client.post(
        f"{url}/suspend",
        json={"suspended_on": "2023-02-01", "reason": "custody", "note": "刑拘"},
        headers=clerk.headers,
    )
    assert suspended.status_code == 200 and suspended.json()["status_label"] == "暂停执行职务"
    again = await client.post(
        f"{url}/suspend", json={"suspended_on": "2023-02-02", "reason": "custody"}, headers=clerk.headers
    )
    assert again.status_code == 409 and again.json()["code"] == "mandate_not_active"
    early = await client.post(f"{url}/resume", json={"resumed_on": "2023-01-31"}, headers=clerk.headers)
    assert early.status_code == 400 and early.json()["code"] == "invalid_dates"
    resumed = await client.post(f"{url}/resume", json={"resumed_on": "2023-06-01"}, headers=clerk.headers)
    assert (
        resumed.status_code == 200 and resumed.json()["status"] == "active" and resumed.json()["suspended_on"] is None
    )

    ended = await client.post(
        f"{url}/end",
        json={
            "ended_on": "2024-04-30",
            "reason": "resigned",
            "resignation_kind": "advised",
            "note": "常委会第九次会议",
        },
        headers=clerk.headers,
    )
    assert ended.status_code == 200, ended.text
    body = ended.json()
    assert (body["status"], body["ended_on"], body["end_reason_label"], body["resignation_kind_label"]) == (
        "ended",
        "2024-04-30",
        "辞职被接受",
        "劝辞",
    )
    assert [(e["kind"], e["on"]) for e in body["events"]] == [
        ("ended", "2024-04-30"),
        ("resumed", "2023-06-01"),
        ("suspended", "2023-02-01"),
        ("elected", "2022-03-01"),
    ]
    assert body["events"][0]["detail"] == {"resignation_kind": "advised", "note": "常委会第九次会议"}
    assert {e["recorded_by"] for e in body["events"]} == {"变动登记员"}
    twice = await client.post(
        f"{url}/end", json={"ended_on": "2024-05-01", "reason": "deceased"}, headers=clerk.headers
    )
    assert twice.status_code == 409 and twice.json()["code"] == "mandate_ended"
    assert await publish_requests(database_url, mandate["id"]) == 4  # elected, suspended, resumed, ended

    # The ended mandate frees the term for the person again (e.g. elected anew in a by-election).
    await add_mandate(client, clerk, code, person["id"], term_id, starts_on="2025-01-01")


async def test_by_election_fills_an_ended_seat_of_the_same_term_once(client, database, database_url, hierarchy):
    code = hierarchy["a"]
    clerk = await make_caller(database, "补选登记员", {code: ["staff"]})
    _, term_id = await township_term(client, clerk, code)
    _, other_term = await township_term(client, clerk, code)
    leaving = await add_person(client, clerk, code, "吴刚")
    seat = await add_mandate(client, clerk, code, leaving["id"], term_id, constituency="第五选区")
    newcomer = await add_person(client, clerk, code, "郑新")
    url = f"{api(code)}/mandates"
    by_election = {"person_id": newcomer["id"], "term_id": term_id, "replaces_mandate_id": seat["id"]}

    live = await client.post(url, json=by_election, headers=clerk.headers)
    assert live.status_code == 409 and live.json()["code"] == "replaced_mandate_live"
    await client.post(
        f"{url}/{seat['id']}/end", json={"ended_on": "2023-03-01", "reason": "moved_out"}, headers=clerk.headers
    )
    before = await count(database_url, code, "mandates")
    for body, status, error in (
        ({"term_id": other_term}, 400, "invalid_replacement"),
        ({"starts_on": "2023-02-01"}, 400, "invalid_dates"),  # before the seat was vacated
        ({"replaces_mandate_id": str(uuid.uuid4())}, 400, "invalid_replacement"),
    ):
        response = await client.post(url, json={**by_election, **body}, headers=clerk.headers)
        assert (response.status_code, response.json()["code"]) == (status, error), (body, response.text)
    assert await count(database_url, code, "mandates") == before

    filled = await add_mandate(
        client, clerk, code, **{**by_election, "starts_on": "2023-06-15", "constituency": "第五选区"}
    )
    assert filled["by_election"] and filled["replaces_mandate_id"] == seat["id"]
    assert [e["kind"] for e in filled["events"]] == ["by_elected"]
    third = await add_person(client, clerk, code, "冯三")
    again = await client.post(url, json={**by_election, "person_id": third["id"]}, headers=clerk.headers)
    assert again.status_code == 409 and again.json()["code"] == "seat_already_filled"


async def test_corrections_are_recorded_as_updates(client, database, database_url, hierarchy) -> None:
    code = hierarchy["a"]
    clerk = await make_caller(database, "更正员", {code: ["staff"]})
    _, term_id = await township_term(client, clerk, code)
    person = await add_person(client, clerk, code, "褚良")
    mandate = await add_mandate(client, clerk, code, person["id"], term_id, constituency="第一选区")
    url = f"{api(code)}/mandates/{mandate['id']}"
    bad = await client.patch(url, json={"starts_on": "2020-01-01"}, headers=clerk.headers)
    assert bad.status_code == 400 and bad.json()["code"] == "date_outside_term"
    assert (await client.patch(url, json={"status": "ended"}, headers=clerk.headers)).json()["code"] == (
        "validation_error"
    )
    fixed = await client.patch(url, json={"constituency": "第二选区", "delegation": None}, headers=clerk.headers)
    assert fixed.status_code == 200 and fixed.json()["constituency"] == "第二选区"
    assert fixed.json()["events"][0]["kind"] == "updated"
    assert fixed.json()["events"][0]["detail"] == {"constituency": ["第一选区", "第二选区"]}
    same = await client.patch(url, json={"constituency": "第二选区"}, headers=clerk.headers)
    assert len(same.json()["events"]) == 2  # nothing changed, nothing recorded
