"""Who may read and change an office's organisation, and requests that must change nothing."""

from __future__ import annotations

from tests.conftest import make_caller
from tests.modules.organisation.support import add_persons, fresh_term, organisation_state, unique


async def _seed(client, staff, code: str) -> dict[str, str]:
    """A group, a station, a body and a committee member, made by the office's staff."""
    api = f"/api/v1/t/{code}/organisation"
    term = await fresh_term(code)
    group = await client.post(
        f"{api}/groups", json={"kind": "professional", "name": unique("专业小组")}, headers=staff.headers
    )
    station = await client.post(
        f"{api}/stations", json={"kind": "workroom", "name": unique("代表工作室")}, headers=staff.headers
    )
    body = await client.post(
        f"{api}/bodies", json={"kind": "special_committee", "name": unique("法制委员会")}, headers=staff.headers
    )
    member = await client.post(
        f"{api}/committee", json={"term_id": str(term), "position": "member", "name": "蒋委员"}, headers=staff.headers
    )
    assert {r.status_code for r in (group, station, body, member)} == {201}
    return {
        "term": str(term),
        "group": group.json()["id"],
        "station": station.json()["id"],
        "body": body.json()["id"],
        "member": member.json()["id"],
    }


def _writes(api: str, ids: dict[str, str], person: str) -> list[tuple[str, str, dict | None]]:
    return [
        ("POST", f"{api}/groups", {"kind": "professional", "name": unique("小组")}),
        ("PATCH", f"{api}/groups/{ids['group']}", {"name": unique("改名")}),
        ("POST", f"{api}/groups/{ids['group']}/members", {"person_id": person}),
        ("DELETE", f"{api}/groups/{ids['group']}", None),
        ("POST", f"{api}/stations", {"kind": "workroom", "name": unique("站")}),
        ("PATCH", f"{api}/stations/{ids['station']}", {"reception_days": [10]}),
        ("POST", f"{api}/stations/{ids['station']}/deputies", {"person_id": person}),
        ("DELETE", f"{api}/stations/{ids['station']}", None),
        ("POST", f"{api}/bodies", {"kind": "special_committee", "name": unique("委员会")}),
        ("POST", f"{api}/bodies/{ids['body']}/members", {"committee_member_id": ids["member"]}),
        ("DELETE", f"{api}/bodies/{ids['body']}", None),
        ("POST", f"{api}/committee", {"term_id": ids["term"], "position": "member", "name": "某"}),
        ("PATCH", f"{api}/committee/{ids['member']}", {"name": "改名"}),
        ("DELETE", f"{api}/committee/{ids['member']}", None),
    ]


def _reads(api: str, ids: dict[str, str], person: str) -> list[str]:
    return [
        f"{api}/committee?term_id={ids['term']}",
        f"{api}/committee/{ids['member']}",
        f"{api}/bodies",
        f"{api}/bodies/{ids['body']}",
        f"{api}/groups",
        f"{api}/groups/{ids['group']}",
        f"{api}/stations",
        f"{api}/stations/{ids['station']}",
        f"{api}/persons/{person}",
    ]


async def test_readers_read_and_only_staff_write(client, database, database_url, hierarchy) -> None:
    a = hierarchy["a"]
    staff = await make_caller(database, "权限测试干部", {a: ["staff"]})
    ids = await _seed(client, staff, a)
    (person,) = await add_persons(a, "沈九")
    api = f"/api/v1/t/{a}/organisation"
    readers = {
        "viewer": await make_caller(database, "只读用户", {a: ["viewer"]}),
        "committee_member": await make_caller(database, "常委会委员", {a: ["committee_member"]}),
    }
    before = await organisation_state(database_url, a)
    for role, caller in readers.items():
        for url in _reads(api, ids, str(person)):
            response = await client.get(url, headers=caller.headers)
            assert response.status_code == 200, (role, url, response.text)
        for method, url, body in _writes(api, ids, str(person)):
            response = await client.request(method, url, json=body, headers=caller.headers)
            assert response.status_code == 403 and response.json()["code"] == "permission_denied", (role, method, url)
    deputy = await make_caller(database, "普通代表", {a: ["deputy"]})
    assert (await client.get(f"{api}/groups", headers=deputy.headers)).status_code == 403
    assert (await client.get(f"/t/{a}/organisation", headers=deputy.headers)).status_code == 403
    assert await organisation_state(database_url, a) == before

    # Every write the readers were refused works for the staff (the refusals were not for bad data).
    for method, url, body in _writes(api, ids, str(person)):
        response = await client.request(method, url, json=body, headers=staff.headers)
        assert response.status_code in (200, 201, 204), (method, url, response.text)


async def test_city_office_reads_a_county_but_never_writes(client, database, database_url, hierarchy) -> None:
    a = hierarchy["a"]
    staff = await make_caller(database, "县代表工委干部", {a: ["staff"]})
    ids = await _seed(client, staff, a)
    (person,) = await add_persons(a, "韩十")
    city_admin = await make_caller(database, "市人大代表工委", {hierarchy["city"]: ["office_admin"]})
    api = f"/api/v1/t/{a}/organisation"
    before = await organisation_state(database_url, a)
    for url in _reads(api, ids, str(person)):
        assert (await client.get(url, headers=city_admin.headers)).status_code == 200, url
    page = await client.get(f"/t/{a}/organisation?tab=groups", headers=city_admin.headers)
    assert page.status_code == 200 and "只读访问" in page.text and "新建小组" not in page.text
    for method, url, body in _writes(api, ids, str(person)):
        response = await client.request(method, url, json=body, headers=city_admin.headers)
        assert response.status_code == 403 and response.json()["code"] == "read_only_access", (method, url)
    assert await organisation_state(database_url, a) == before
    # A township office never sees its county's organisation.
    township = await make_caller(database, "城关镇人大主席团", {hierarchy["a_township"]: ["office_admin"]})
    assert (await client.get(f"{api}/groups", headers=township.headers)).status_code == 403


async def test_malformed_and_unknown_input_changes_nothing(client, database, database_url, hierarchy) -> None:
    a = hierarchy["a"]
    staff = await make_caller(database, "输入检查干部", {a: ["staff"]})
    ids = await _seed(client, staff, a)
    api = f"/api/v1/t/{a}/organisation"
    json_headers = {**staff.headers, "Content-Type": "application/json"}
    before = await organisation_state(database_url, a)
    for url in (f"{api}/groups", f"{api}/stations", f"{api}/committee", f"{api}/groups/{ids['group']}/members"):
        for raw in (b'{"kind": "professional", "name": ', b"[1, 2", b"\xff\xfe"):
            response = await client.post(url, content=raw, headers=json_headers)
            assert response.status_code == 400 and response.json()["code"] == "malformed_json", (url, raw)
    unknown_fields = [
        ("POST", f"{api}/groups", {"kind": "professional", "name": unique("小组"), "members": []}),
        ("POST", f"{api}/stations", {"kind": "workroom", "name": unique("站"), "opening_hours": "9-12"}),
        ("PATCH", f"{api}/stations/{ids['station']}", {"id": ids["group"]}),
        ("PATCH", f"{api}/groups/{ids['group']}", {"group_kind": "geographic"}),
        ("POST", f"{api}/committee", {"term_id": ids["term"], "position": "member", "name": "某", "rank": 1}),
        ("PATCH", f"{api}/committee/{ids['member']}", {"term_id": ids["term"]}),
        ("POST", f"{api}/bodies/{ids['body']}/members", {"committee_member_id": ids["member"], "since": "2022"}),
        ("POST", f"{api}/groups", ["professional", "小组"]),
        ("PATCH", f"{api}/groups/{ids['group']}", {"name": None}),
        ("PATCH", f"{api}/committee/{ids['member']}", {"started_on": "昨天"}),
    ]
    for method, url, body in unknown_fields:
        response = await client.request(method, url, json=body, headers=staff.headers)
        assert response.status_code == 400 and response.json()["code"] == "validation_error", (method, url, body)
    assert (await client.get(f"{api}/groups?page=0", headers=staff.headers)).status_code == 400
    assert (await client.get(f"{api}/committee?term_id=nonsense", headers=staff.headers)).status_code == 400
    assert await organisation_state(database_url, a) == before
