"""The standing committee per term, the council of chairpersons, and the special committees and
working commissions with their members."""

from __future__ import annotations

import uuid

from tests.conftest import make_caller
from tests.modules.organisation.support import add_persons, fresh_term, organisation_state, unique


async def test_committee_of_a_term_with_positions_council_and_links(client, database, hierarchy) -> None:
    a = hierarchy["a"]
    term = await fresh_term(a)
    staff = await make_caller(database, "代表工委干部", {a: ["staff"]})
    signer = await make_caller(database, "常委会主任本人", {a: ["committee_member"]})
    (chair_person,) = await add_persons(a, "王建国", level="county", term_id=term)
    url = f"/api/v1/t/{a}/organisation/committee"

    chair = await client.post(
        url,
        json={
            "term_id": str(term),
            "position": "chair",
            "person_id": str(chair_person),
            "user_id": str(signer.user_id),
        },
        headers=staff.headers,
    )
    assert chair.status_code == 201, chair.text
    body = chair.json()
    # The name comes from the deputy; the chair sits on the council; service starts with the term.
    assert (body["name"], body["position_label"], body["on_council"]) == ("王建国", "主任", True)
    assert body["started_on"] == "2021-10-01" and body["is_serving"] and body["user_id"] == str(signer.user_id)
    for position, name in (("member", "赵委员"), ("secretary_general", "钱秘书长"), ("vice_chair", "孙副主任")):
        created = await client.post(
            url, json={"term_id": str(term), "position": position, "name": name}, headers=staff.headers
        )
        assert created.status_code == 201, created.text
    quiet = await client.post(
        url,
        json={"term_id": str(term), "position": "vice_chair", "name": "李副主任", "on_council": False},
        headers=staff.headers,
    )
    assert quiet.json()["on_council"] is False

    listed = await client.get(url, params={"term_id": str(term)}, headers=staff.headers)
    assert listed.status_code == 200
    members = listed.json()["members"]
    # The protocol order: chair, vice-chairs, secretary-general, members.
    assert [m["position"] for m in members] == ["chair", "vice_chair", "vice_chair", "secretary_general", "member"]
    assert {m["name"] for m in members if m["on_council"]} == {"王建国", "孙副主任", "钱秘书长"}
    assert listed.json()["term"]["id"] == str(term)


async def test_one_chair_per_term_and_no_double_seats(client, database, database_url, hierarchy) -> None:
    a = hierarchy["a"]
    term = await fresh_term(a)
    staff = await make_caller(database, "代表工委干部乙", {a: ["staff"]})
    linked = await make_caller(database, "联系代表的委员", {a: ["committee_member"]})
    (deputy,) = await add_persons(a, "陈主任")
    url = f"/api/v1/t/{a}/organisation/committee"
    first = await client.post(
        url, json={"term_id": str(term), "position": "chair", "person_id": str(deputy)}, headers=staff.headers
    )
    assert first.status_code == 201
    member = await client.post(
        url,
        json={"term_id": str(term), "position": "member", "name": "周委员", "user_id": str(linked.user_id)},
        headers=staff.headers,
    )
    assert member.status_code == 201
    before = await organisation_state(database_url, a)

    second = await client.post(
        url, json={"term_id": str(term), "position": "chair", "name": "另一位主任"}, headers=staff.headers
    )
    assert second.status_code == 409 and second.json()["code"] == "second_chair"
    assert "陈主任" in second.json()["message"]
    promoted = await client.patch(f"{url}/{member.json()['id']}", json={"position": "chair"}, headers=staff.headers)
    assert promoted.status_code == 409 and promoted.json()["code"] == "second_chair"
    again = await client.post(
        url, json={"term_id": str(term), "position": "member", "person_id": str(deputy)}, headers=staff.headers
    )
    assert again.status_code == 409 and again.json()["code"] == "already_on_committee"
    same_user = await client.post(
        url,
        json={"term_id": str(term), "position": "member", "name": "吴委员", "user_id": str(linked.user_id)},
        headers=staff.headers,
    )
    assert same_user.status_code == 409 and same_user.json()["code"] == "user_already_linked"
    assert await organisation_state(database_url, a) == before

    # The chair leaves; then the term can have a new one.
    ended = await client.patch(f"{url}/{first.json()['id']}", json={"ended_on": "2023-06-30"}, headers=staff.headers)
    assert ended.status_code == 200 and ended.json()["is_serving"] is False
    successor = await client.patch(f"{url}/{member.json()['id']}", json={"position": "chair"}, headers=staff.headers)
    assert successor.status_code == 200 and successor.json()["position_label"] == "主任"
    # And the former chair cannot come back while the successor serves.
    back = await client.patch(f"{url}/{first.json()['id']}", json={"ended_on": None}, headers=staff.headers)
    assert back.status_code == 409 and back.json()["code"] == "second_chair"


async def test_committee_references_are_checked(client, database, database_url, hierarchy) -> None:
    a, b = hierarchy["a"], hierarchy["b"]
    term = await fresh_term(a)
    staff = await make_caller(database, "代表工委干部丙", {a: ["staff"]})
    outsider = await make_caller(database, "汉阴县的用户", {b: ["staff"]})
    (b_person,) = await add_persons(b, "汉阴代表")
    b_term = await fresh_term(b)
    url = f"/api/v1/t/{a}/organisation/committee"
    before = await organisation_state(database_url, a)
    cases = [
        ({"term_id": str(term), "position": "member", "name": "某", "user_id": str(outsider.user_id)}, "invalid_user"),
        ({"term_id": str(term), "position": "member", "name": "某", "user_id": str(uuid.uuid4())}, None),
        ({"term_id": str(term), "position": "member", "person_id": str(b_person)}, "unknown_person"),
        ({"term_id": str(b_term), "position": "member", "name": "某"}, "invalid_term"),
        ({"term_id": str(term), "position": "member", "name": "某", "started_on": "2020-01-01"}, "invalid_dates"),
        (
            {
                "term_id": str(term),
                "position": "member",
                "name": "某",
                "started_on": "2022-01-01",
                "ended_on": "2021-12-31",
            },
            "invalid_dates",
        ),
        ({"term_id": str(term), "position": "member", "name": "   "}, "name_required"),
        ({"term_id": str(term), "position": "member"}, "name_required"),
        ({"term_id": str(term), "position": "president", "name": "某"}, "validation_error"),
    ]
    for payload, code in cases:
        response = await client.post(url, json=payload, headers=staff.headers)
        assert response.status_code == 400, (payload, response.text)
        if code:
            assert response.json()["code"] == code, (payload, response.json())
        else:  # a user id nobody has: refused the same way as a non-member
            assert response.json()["code"] == "invalid_user"
    assert await organisation_state(database_url, a) == before
    assert (await client.get(f"{url}/{b_person}", headers=staff.headers)).status_code == 404


async def test_bodies_with_committee_members(client, database, database_url, hierarchy) -> None:
    a = hierarchy["a"]
    term = await fresh_term(a)
    staff = await make_caller(database, "代表工委干部丁", {a: ["staff"]})
    committee = f"/api/v1/t/{a}/organisation/committee"
    ids = {}
    for name, position in (("郑副主任", "vice_chair"), ("冯委员", "member"), ("褚委员", "member")):
        created = await client.post(
            committee, json={"term_id": str(term), "position": position, "name": name}, headers=staff.headers
        )
        ids[name] = created.json()["id"]
    ended = await client.post(
        committee,
        json={"term_id": str(term), "position": "member", "name": "卫委员", "ended_on": "2022-01-01"},
        headers=staff.headers,
    )
    url = f"/api/v1/t/{a}/organisation/bodies"
    name = unique("代表工作委员会")
    created = await client.post(
        url, json={"kind": "working_commission", "name": name, "description": "联系服务代表"}, headers=staff.headers
    )
    assert created.status_code == 201, created.text
    body_url = f"{url}/{created.json()['id']}"
    chair = await client.post(
        f"{body_url}/members", json={"committee_member_id": ids["郑副主任"], "role": "chair"}, headers=staff.headers
    )
    assert chair.status_code == 201 and chair.json()["members"][0]["role_label"] == "主任"
    assert (
        await client.post(f"{body_url}/members", json={"committee_member_id": ids["冯委员"]}, headers=staff.headers)
    ).status_code == 201

    before = await organisation_state(database_url, a)
    refusals = [
        ({"committee_member_id": ids["褚委员"], "role": "chair"}, 409, "body_chair_taken"),
        ({"committee_member_id": ids["冯委员"]}, 409, "already_member"),
        ({"committee_member_id": ended.json()["id"]}, 400, "committee_member_ended"),
        ({"committee_member_id": str(term)}, 400, "unknown_committee_member"),
        ({"committee_member_id": ids["褚委员"], "role": "boss"}, 400, "validation_error"),
    ]
    for payload, status, code in refusals:
        response = await client.post(f"{body_url}/members", json=payload, headers=staff.headers)
        assert (response.status_code, response.json()["code"]) == (status, code), payload
    duplicate = await client.post(url, json={"kind": "special_committee", "name": name}, headers=staff.headers)
    assert duplicate.status_code == 409 and duplicate.json()["code"] == "duplicate_name"
    assert await organisation_state(database_url, a) == before

    # The committee member shows where they sit; roles change; members leave.
    shown = await client.get(f"{committee}/{ids['郑副主任']}", headers=staff.headers)
    assert shown.json()["bodies"] == [
        {"body_id": created.json()["id"], "body_name": name, "role": "chair", "role_label": "主任"}
    ]
    changed = await client.patch(
        f"{body_url}/members/{ids['冯委员']}", json={"role": "vice_chair"}, headers=staff.headers
    )
    assert changed.status_code == 200
    assert [(m["name"], m["role_label"]) for m in changed.json()["members"]] == [
        ("郑副主任", "主任"),
        ("冯委员", "副主任"),
    ]
    removed = await client.delete(f"{body_url}/members/{ids['冯委员']}", headers=staff.headers)
    assert removed.status_code == 204
    assert (await client.delete(f"{body_url}/members/{ids['冯委员']}", headers=staff.headers)).status_code == 404
    listed = await client.get(url, params={"kind": "working_commission"}, headers=staff.headers)
    assert {"name": name, "member_count": 1}.items() <= next(b for b in listed.json() if b["name"] == name).items()
    special = await client.patch(body_url, json={"kind": "special_committee"}, headers=staff.headers)
    assert special.json()["members"][0]["role_label"] == "主任委员"  # the special committee's title
    assert (await client.delete(body_url, headers=staff.headers)).status_code == 204
    assert (await client.get(body_url, headers=staff.headers)).status_code == 404


async def test_bodies_with_deputies_and_staff(client, database, database_url, hierarchy) -> None:
    a, b = hierarchy["a"], hierarchy["b"]
    term = await fresh_term(a)
    staff = await make_caller(database, "代表工委干部戊", {a: ["staff"]})
    deputy, other = await add_persons(a, "钱代表", "孙代表")
    (b_person,) = await add_persons(b, "外机关代表")
    seat = await client.post(
        f"/api/v1/t/{a}/organisation/committee",
        json={"term_id": str(term), "position": "member", "name": "蒋委员"},
        headers=staff.headers,
    )
    url = f"/api/v1/t/{a}/organisation/bodies"
    created = await client.post(
        url, json={"kind": "working_commission", "name": unique("代表工作委员会")}, headers=staff.headers
    )
    body_url = f"{url}/{created.json()['id']}"
    for payload in (
        {"committee_member_id": seat.json()["id"], "role": "chair"},
        {"person_id": str(deputy)},
        {"name": "韩干事"},
    ):
        added = await client.post(f"{body_url}/members", json=payload, headers=staff.headers)
        assert added.status_code == 201, added.text
    members = added.json()["members"]
    assert [(m["name"], m["kind"], m["kind_label"], m["role_label"]) for m in members] == [
        ("蒋委员", "committee_member", "常委会组成人员", "主任"),
        ("钱代表", "deputy", "代表", "委员"),
        ("韩干事", "staff", "工作人员", "委员"),
    ]
    assert members[1]["person_id"] == str(deputy) and members[1]["position_label"] is None
    assert added.json()["member_count"] == 3

    before = await organisation_state(database_url, a)
    refusals = [
        ({}, 400, "invalid_member"),
        ({"role": "member"}, 400, "invalid_member"),
        ({"person_id": str(other), "name": "韩干事"}, 400, "invalid_member"),
        ({"committee_member_id": seat.json()["id"], "person_id": str(other)}, 400, "invalid_member"),
        ({"person_id": str(term)}, 400, "unknown_person"),
        ({"person_id": str(b_person)}, 400, "unknown_person"),  # a deputy of another office
        ({"person_id": str(deputy)}, 409, "already_member"),
        ({"name": "韩干事", "role": "chair"}, 409, "body_chair_taken"),
        ({"name": "   "}, 400, "name_required"),
    ]
    for payload, status, code in refusals:
        response = await client.post(f"{body_url}/members", json=payload, headers=staff.headers)
        assert (response.status_code, response.json()["code"]) == (status, code), payload
    assert await organisation_state(database_url, a) == before

    # Roles change and members leave by body-member id; committee members still by their seat.
    staff_member = members[2]["id"]
    changed = await client.patch(
        f"{body_url}/body-members/{staff_member}", json={"role": "vice_chair"}, headers=staff.headers
    )
    assert changed.status_code == 200
    assert [(m["name"], m["role_label"]) for m in changed.json()["members"]][1] == ("韩干事", "副主任")
    chair = await client.patch(
        f"{body_url}/body-members/{members[1]['id']}", json={"role": "chair"}, headers=staff.headers
    )
    assert (chair.status_code, chair.json()["code"]) == (409, "body_chair_taken")
    assert (
        await client.delete(f"{body_url}/body-members/{members[1]['id']}", headers=staff.headers)
    ).status_code == 204
    assert (
        await client.delete(f"{body_url}/body-members/{members[1]['id']}", headers=staff.headers)
    ).status_code == 404
    assert (await client.delete(f"{body_url}/members/{seat.json()['id']}", headers=staff.headers)).status_code == 204
    shown = await client.get(body_url, headers=staff.headers)
    assert [m["name"] for m in shown.json()["members"]] == ["韩干事"]
