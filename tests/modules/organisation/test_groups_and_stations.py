"""Deputy groups (one geographic group per deputy, any number of professional ones), stations with
their reception days and assigned deputies, a deputy's place in the organisation, and the exports."""

from __future__ import annotations

import io
import uuid

from openpyxl import load_workbook

from renda.modules.exports import service as exports
from renda.modules.exports.models import Export
from renda.tenants.scoping import load_tenant, tenant_session
from tests.conftest import make_caller
from tests.modules.organisation.support import add_persons, fresh_term, organisation_state, township, unique


async def test_a_deputy_is_in_one_geographic_group_and_any_professional_groups(
    client, database, database_url, hierarchy
) -> None:
    a = hierarchy["a"]
    staff = await make_caller(database, "小组管理员", {a: ["staff"]})
    term = await fresh_term(a)
    zhang, li, wang = await add_persons(a, "张三", "李四", "王五", level="county", term_id=term)
    url = f"/api/v1/t/{a}/organisation/groups"
    names = {key: unique(label) for key, label in (("g1", "城关第一代表小组"), ("g2", "城关第二代表小组"))}
    names |= {key: unique(label) for key, label in (("p1", "营商环境专业小组"), ("p2", "乡村振兴专业小组"))}
    groups = {}
    for key, name in names.items():
        kind = "geographic" if key.startswith("g") else "professional"
        created = await client.post(
            url, json={"kind": kind, "name": name, "township_code": "610922100"}, headers=staff.headers
        )
        assert created.status_code == 201, created.text
        groups[key] = f"{url}/{created.json()['id']}"

    assert (
        await client.post(f"{groups['g1']}/members", json={"person_id": str(zhang)}, headers=staff.headers)
    ).status_code == 201
    for key in ("p1", "p2"):
        joined = await client.post(f"{groups[key]}/members", json={"person_id": str(zhang)}, headers=staff.headers)
        assert joined.status_code == 201 and joined.json()["member_count"] == 1

    before = await organisation_state(database_url, a)
    second = await client.post(f"{groups['g2']}/members", json={"person_id": str(zhang)}, headers=staff.headers)
    assert second.status_code == 409 and second.json()["code"] == "already_in_geographic_group"
    assert "张三" in second.json()["message"] and names["g1"] in second.json()["message"]
    twice = await client.post(f"{groups['p1']}/members", json={"person_id": str(zhang)}, headers=staff.headers)
    assert twice.status_code == 409 and twice.json()["code"] == "already_member"
    unknown = await client.post(f"{groups['g2']}/members", json={"person_id": str(uuid.uuid4())}, headers=staff.headers)
    assert unknown.status_code == 400 and unknown.json()["code"] == "unknown_person"
    # A leader from another geographic group would become a second geographic membership.
    leader = await client.patch(groups["g2"], json={"leader_person_id": str(zhang)}, headers=staff.headers)
    assert leader.status_code == 409 and leader.json()["code"] == "already_in_geographic_group"
    # A professional group holding a geographic group's member cannot turn geographic.
    turned = await client.patch(groups["p1"], json={"kind": "geographic"}, headers=staff.headers)
    assert turned.status_code == 409 and turned.json()["code"] == "already_in_geographic_group"
    outside = await client.patch(groups["g2"], json={"township_code": "610921100"}, headers=staff.headers)
    assert outside.status_code == 400 and outside.json()["code"] == "invalid_township"
    assert await organisation_state(database_url, a) == before

    # A leader who is not yet a member joins the group; removing them clears the leadership.
    led = await client.patch(groups["g2"], json={"leader_person_id": str(li)}, headers=staff.headers)
    assert led.status_code == 200
    assert led.json()["leader"]["name"] == "李四" and [m["name"] for m in led.json()["members"]] == ["李四"]
    assert led.json()["members"][0]["levels_label"] == "县人大代表"
    assert (await client.delete(f"{groups['g2']}/members/{li}", headers=staff.headers)).status_code == 204
    left = await client.get(groups["g2"], headers=staff.headers)
    assert left.json()["leader"] is None and left.json()["member_count"] == 0
    assert (await client.delete(f"{groups['g2']}/members/{li}", headers=staff.headers)).status_code == 404
    # Out of the first geographic group, 张三 may join the second.
    assert (await client.delete(f"{groups['g1']}/members/{zhang}", headers=staff.headers)).status_code == 204
    assert (
        await client.post(f"{groups['g2']}/members", json={"person_id": str(zhang)}, headers=staff.headers)
    ).status_code == 201

    # Lists: filter by kind, search by name, page through.
    professional = await client.get(url, params={"kind": "professional", "q": names["p2"][-6:]}, headers=staff.headers)
    assert [(g["name"], g["member_count"]) for g in professional.json()["items"]] == [(names["p2"], 1)]
    page = await client.get(url, params={"page_size": 1, "page": 2}, headers=staff.headers)
    assert page.status_code == 200 and len(page.json()["items"]) == 1 and page.json()["total"] >= 4
    assert (await client.get(url, params={"kind": "street"}, headers=staff.headers)).status_code == 400
    assert (await client.get(url, params={"page_size": 1000}, headers=staff.headers)).status_code == 400

    # Where a deputy belongs, for the register's profile page.
    place = await client.get(f"/api/v1/t/{a}/organisation/persons/{zhang}", headers=staff.headers)
    assert place.json()["geographic_group"]["name"] == names["g2"]
    assert sorted(g["name"] for g in place.json()["professional_groups"]) == sorted([names["p1"], names["p2"]])
    assert (await client.get(f"/api/v1/t/{a}/organisation/persons/{wang}", headers=staff.headers)).json()[
        "geographic_group"
    ] is None

    # Turning a group professional frees its members for another geographic group.
    assert (await client.patch(groups["g2"], json={"kind": "professional"}, headers=staff.headers)).status_code == 200
    assert (
        await client.post(f"{groups['g1']}/members", json={"person_id": str(zhang)}, headers=staff.headers)
    ).status_code == 201
    assert (await client.delete(groups["g1"], headers=staff.headers)).status_code == 204
    assert (await client.get(groups["g1"], headers=staff.headers)).status_code == 404


async def test_renaming_a_group_to_a_taken_name_is_a_conflict(client, database, database_url, hierarchy) -> None:
    """Also when the same change makes it geographic (whose checks read the group's members first)."""
    a = hierarchy["a"]
    staff = await make_caller(database, "小组改名员", {a: ["staff"]})
    url = f"/api/v1/t/{a}/organisation/groups"
    names = [unique("教育专业小组"), unique("卫生专业小组")]
    ids = []
    for name in names:
        created = await client.post(url, json={"kind": "professional", "name": name}, headers=staff.headers)
        assert created.status_code == 201, created.text
        ids.append(created.json()["id"])
    before = await organisation_state(database_url, a)
    for change in ({"name": names[0]}, {"name": names[0], "kind": "geographic"}):
        renamed = await client.patch(f"{url}/{ids[1]}", json=change, headers=staff.headers)
        assert renamed.status_code == 409 and renamed.json()["code"] == "duplicate_name", (change, renamed.text)
    assert await organisation_state(database_url, a) == before


async def test_stations_reception_days_and_assigned_deputies(client, database, database_url, hierarchy) -> None:
    a = hierarchy["a"]
    staff = await make_caller(database, "家站室管理员", {a: ["staff"]})
    zhao, qian = await add_persons(a, "赵六", "钱七")
    url = f"/api/v1/t/{a}/organisation/stations"
    name = unique("城关镇人大代表之家")
    created = await client.post(
        url,
        json={
            "kind": "deputy_home",
            "name": name,
            "address": "石泉县城关镇江南路 1 号",
            "township_code": "610922100",
            "reception_days": [30, 10, 20, 10],
            "opening_rules": "接待日上午 9:00–12:00",
        },
        headers=staff.headers,
    )
    assert created.status_code == 201, created.text
    station = created.json()
    assert station["reception_days"] == [10, 20, 30] and "逢十" in station["reception_label"]
    station_url = f"{url}/{station['id']}"

    before = await organisation_state(database_url, a)
    for payload in (
        {"kind": "workroom", "name": unique("工作室"), "reception_days": [10, 32]},
        {"kind": "workroom", "name": unique("工作室"), "reception_days": [0]},
        {"kind": "workroom", "name": unique("工作室"), "reception_days": "逢十"},
        {"kind": "office", "name": unique("工作室")},
        {"kind": "workroom", "name": ""},
        {"kind": "workroom", "name": unique("工作室"), "township_code": "610922"},
    ):
        response = await client.post(url, json=payload, headers=staff.headers)
        assert response.status_code == 400 and response.json()["code"] == "validation_error", (payload, response.text)
    for payload, code in (
        ({"kind": "workroom", "name": unique("工作室"), "township_code": "610921100"}, "invalid_township"),
        ({"kind": "workroom", "name": name}, "duplicate_name"),
    ):
        response = await client.post(url, json=payload, headers=staff.headers)
        assert response.json()["code"] == code, response.text
    assert (
        await client.patch(station_url, json={"reception_days": [31, 32]}, headers=staff.headers)
    ).status_code == 400
    assert await organisation_state(database_url, a) == before

    for person in (zhao, qian):
        assigned = await client.post(f"{station_url}/deputies", json={"person_id": str(person)}, headers=staff.headers)
        assert assigned.status_code == 201
    assert [d["name"] for d in assigned.json()["deputies"]] == ["钱七", "赵六"] and assigned.json()["deputy_count"] == 2
    again = await client.post(f"{station_url}/deputies", json={"person_id": str(zhao)}, headers=staff.headers)
    assert again.status_code == 409 and again.json()["code"] == "already_assigned"
    nobody = await client.post(f"{station_url}/deputies", json={"person_id": str(uuid.uuid4())}, headers=staff.headers)
    assert nobody.status_code == 400 and nobody.json()["code"] == "unknown_person"
    assert (await client.delete(f"{station_url}/deputies/{qian}", headers=staff.headers)).status_code == 204
    assert (await client.delete(f"{station_url}/deputies/{qian}", headers=staff.headers)).status_code == 404

    # Closed stations take no new deputies and drop out of the "active" list.
    closed = await client.patch(station_url, json={"is_active": False, "reception_days": []}, headers=staff.headers)
    assert closed.json()["is_active"] is False and closed.json()["reception_label"] == "未设固定接待日"
    refused = await client.post(f"{station_url}/deputies", json={"person_id": str(qian)}, headers=staff.headers)
    assert refused.status_code == 400 and refused.json()["code"] == "station_inactive"
    active = await client.get(url, params={"active": "true", "q": name}, headers=staff.headers)
    inactive = await client.get(url, params={"active": "false", "q": name}, headers=staff.headers)
    assert active.json()["total"] == 0 and [s["name"] for s in inactive.json()["items"]] == [name]
    by_address = await client.get(url, params={"q": "江南路", "township_code": "610922100"}, headers=staff.headers)
    assert name in [s["name"] for s in by_address.json()["items"]]

    place = await client.get(f"/api/v1/t/{a}/organisation/persons/{zhao}", headers=staff.headers)
    assert [s["name"] for s in place.json()["stations"]] == [name]
    assert (await client.delete(station_url, headers=staff.headers)).status_code == 204
    assert (await client.get(f"/api/v1/t/{a}/organisation/persons/{zhao}", headers=staff.headers)).json()[
        "stations"
    ] == []


async def test_groups_and_stations_export_to_excel(client, database, hierarchy) -> None:
    a = hierarchy["a"]
    staff = await make_caller(database, "导出名单的干部", {a: ["staff"]})
    await township(a, "610922101", "后柳镇")
    (member,) = await add_persons(a, "孙八")
    group_name, station_name = unique("后柳镇代表小组"), unique("后柳镇代表联络站")
    group = await client.post(
        f"/api/v1/t/{a}/organisation/groups",
        json={"kind": "geographic", "name": group_name, "township_code": "610922101", "leader_person_id": str(member)},
        headers=staff.headers,
    )
    assert group.status_code == 201
    station = await client.post(
        f"/api/v1/t/{a}/organisation/stations",
        json={"kind": "liaison_station", "name": station_name, "reception_days": [10, 20, 30]},
        headers=staff.headers,
    )
    await client.post(
        f"/api/v1/t/{a}/organisation/stations/{station.json()['id']}/deputies",
        json={"person_id": str(member)},
        headers=staff.headers,
    )
    requested = await client.post(
        f"/api/v1/t/{a}/exports", json={"kind": "organisation_groups", "params": {}}, headers=staff.headers
    )
    assert requested.status_code == 202, requested.text

    async def build(kind: str, params: dict) -> list[tuple]:
        async with tenant_session(await load_tenant(a), actor="system:test") as session:
            export = Export(kind=kind, params=params, requested_by="system:test")
            session.add(export)
            await session.flush()
            await exports.build(session, export)
            sheet = load_workbook(io.BytesIO(export.content)).active
            await session.rollback()
        return [tuple(row) for row in sheet.iter_rows(values_only=True)]

    groups = await build("organisation_groups", {"township_code": "610922101", "kind": "geographic"})
    assert groups[0][:5] == ("小组名称", "类型", "乡镇(街道)", "组长", "成员人数")
    assert (group_name, "代表小组", "后柳镇", "孙八", 1, "孙八") in groups[1:]
    stations = await build("organisation_stations", {"q": station_name})
    assert stations[1:] == [
        (station_name, "代表联络站", None, None, "每月10日、20日、30日(逢十接待日)", None, "启用", 1, "孙八")
    ]
