"""The register list: each person once with all levels; search by name and pinyin; filters by level,
status, term, constituency, sector, group and station; sorting, pagination, and the Excel export."""

from __future__ import annotations

import asyncio
import io

from openpyxl import load_workbook

from renda.modules.organisation.models import DeputyGroup, GroupMembership, Station, StationAssignment
from renda.tenants.scoping import load_tenant, tenant_session
from tests.conftest import make_caller
from tests.modules.deputies.helpers import add_mandate, add_person, api, id_number, mobile, own_county, township_term


async def seed(client, clerk, code: str) -> dict:
    """Four deputies in two fresh township terms; 张三 also holds a mandate in the second one."""
    _, term = await township_term(client, clerk, code)
    _, second = await township_term(client, clerk, code)
    phone = mobile()
    people = {
        name: await add_person(client, clerk, code, name, **fields)
        for name, fields in (
            ("张三", {"sector": "农业", "mobile": phone, "id_number": id_number()}),
            ("张三丰", {"sector": "教育"}),
            ("李四", {"sector": "农业"}),
            ("王五", {}),
        )
    }
    ids = {name: p["id"] for name, p in people.items()}
    mandates = {
        name: await add_mandate(client, clerk, code, ids[name], term, constituency=district)
        for name, district in (
            ("张三", "城关第一选区"),
            ("张三丰", "城关第二选区"),
            ("李四", "饶峰选区"),
            ("王五", "城关第一选区"),
        )
    }
    await add_mandate(client, clerk, code, ids["张三"], second, constituency="县第七选区")
    await client.post(
        f"{api(code)}/mandates/{mandates['王五']['id']}/end",
        json={"ended_on": "2024-01-01", "reason": "deceased"},
        headers=clerk.headers,
    )
    await client.post(
        f"{api(code)}/mandates/{mandates['李四']['id']}/suspend",
        json={"suspended_on": "2024-01-01", "reason": "sentence"},
        headers=clerk.headers,
    )
    async with tenant_session(await load_tenant(code), actor="system:test") as session:
        group = DeputyGroup(kind="professional", name=f"农业专业小组{term[:8]}")
        station = Station(kind="liaison_station", name=f"城关联络站{term[:8]}", reception_days=[10, 20, 30])
        session.add_all([group, station])
        await session.flush()
        session.add_all(
            [
                GroupMembership(group_id=group.id, group_kind="professional", person_id=ids["张三"]),
                GroupMembership(group_id=group.id, group_kind="professional", person_id=ids["李四"]),
                StationAssignment(station_id=station.id, person_id=ids["张三丰"]),
            ]
        )
        await session.commit()
    return {
        "term": term,
        "second": second,
        "ids": ids,
        "group": str(group.id),
        "station": str(station.id),
        "phone": phone,
    }


async def names(client, clerk, code: str, **params) -> list[str]:
    response = await client.get(f"{api(code)}/deputies", params=params, headers=clerk.headers)
    assert response.status_code == 200, response.text
    return [item["name"] for item in response.json()["items"]]


async def test_search_and_filters(client, database, hierarchy) -> None:
    code = hierarchy["a"]
    clerk = await make_caller(database, "名册查询员", {code: ["viewer"]})
    writer = await make_caller(database, "名册录入员", {code: ["staff"]})
    s = await seed(client, writer, code)
    term = s["term"]

    assert await names(client, clerk, code, term_id=term) == ["李四", "王五", "张三", "张三丰"]  # by pinyin
    assert await names(client, clerk, code, term_id=term, q="zs") == ["张三", "张三丰"]
    assert await names(client, clerk, code, term_id=term, q="ZSF") == ["张三丰"]
    assert await names(client, clerk, code, term_id=term, q="zhangsan") == ["张三", "张三丰"]
    assert await names(client, clerk, code, term_id=term, q="Zhang San") == ["张三", "张三丰"]
    assert await names(client, clerk, code, term_id=term, q="三丰") == ["张三丰"]
    assert await names(client, clerk, code, term_id=term, q="%") == []
    assert await names(client, clerk, code, term_id=term, status="live") == ["李四", "张三", "张三丰"]
    assert await names(client, clerk, code, term_id=term, status="suspended") == ["李四"]
    assert await names(client, clerk, code, term_id=term, status="ended") == ["王五"]
    assert await names(client, clerk, code, term_id=term, constituency="城关第一") == ["王五", "张三"]
    assert await names(client, clerk, code, term_id=term, sector="农业") == ["李四", "张三"]
    assert await names(client, clerk, code, term_id=term, group_id=s["group"]) == ["李四", "张三"]
    assert await names(client, clerk, code, station_id=s["station"]) == ["张三丰"]
    assert await names(client, clerk, code, term_id=term, sort="-name") == ["张三丰", "张三", "王五", "李四"]
    # One mandate must match every mandate filter: 张三's second-term district is not in the first term.
    assert await names(client, clerk, code, term_id=term, constituency="县第七") == []
    assert await names(client, clerk, code, term_id=s["second"], constituency="县第七") == ["张三"]
    # Pages of two.
    first = await client.get(f"{api(code)}/deputies", params={"term_id": term, "page_size": 2}, headers=clerk.headers)
    assert (first.json()["total"], first.json()["pages"], len(first.json()["items"])) == (4, 2, 2)
    second_page = await names(client, clerk, code, term_id=term, page_size=2, page=2)
    assert second_page == ["张三", "张三丰"]

    for params, error in (
        ({"level": "village"}, "invalid_level"),
        ({"status": "retired"}, "invalid_status"),
        ({"sort": "salary"}, "invalid_sort"),
        ({"page": 0}, "invalid_page"),
        ({"page_size": 1000}, "invalid_page_size"),
    ):
        response = await client.get(f"{api(code)}/deputies", params=params, headers=clerk.headers)
        assert (response.status_code, response.json()["code"]) == (400, error)
    bad_uuid = await client.get(f"{api(code)}/deputies", params={"term_id": "x"}, headers=clerk.headers)
    assert bad_uuid.status_code == 400


async def test_a_person_is_listed_once_with_all_levels(client, database, hierarchy) -> None:
    # An office of its own, so that its county congress and current term are this test's.
    code = await own_county(database, "611023", "商南县人大常委会")
    clerk = await make_caller(database, "多级代表", {code: ["staff"]})
    s = await seed(client, clerk, code)
    response = await client.get(f"{api(code)}/deputies", params={"q": "张三", "status": "live"}, headers=clerk.headers)
    items = [i for i in response.json()["items"] if i["id"] == s["ids"]["张三"]]
    assert len(items) == 1
    item = items[0]
    assert len(item["mandates"]) == 2 and item["levels"] == ["township"]
    assert item["mobile_masked"] == s["phone"][:3] + "****" + s["phone"][-4:] and s["phone"] not in response.text

    # With a county mandate too, the person shows both levels, highest first, and sorts before township-only ones.
    created = await client.post(f"{api(code)}/congresses", json={"level": "county"}, headers=clerk.headers)
    assert created.status_code in (201, 409)
    congresses = (await client.get(f"{api(code)}/congresses", headers=clerk.headers)).json()
    county = next(c for c in congresses if c["level"] == "county")
    current = next((t for t in county["terms"] if t["is_current"]), None)
    if current is None:
        term = {"number": 18, "starts_on": "2021-10-01", "ends_on": "2026-09-30"}
        current = (
            await client.post(f"{api(code)}/congresses/{county['id']}/terms", json=term, headers=clerk.headers)
        ).json()
    await add_mandate(client, clerk, code, s["ids"]["张三"], current["id"], starts_on=current["starts_on"])
    listed = await client.get(
        f"{api(code)}/deputies", params={"term_id": s["term"], "sort": "level", "status": "live"}, headers=clerk.headers
    )
    first = listed.json()["items"][0]
    assert first["name"] == "张三" and first["levels"] == ["county", "township"]
    assert first["level_labels"] == ["县人大代表", "乡镇人大代表"]


async def test_export_of_the_filtered_list(client, database, hierarchy) -> None:
    code = hierarchy["a"]
    clerk = await make_caller(database, "导出员", {code: ["staff"]})
    s = await seed(client, clerk, code)
    requested = await client.post(
        f"{api(code)}/exports",
        json={"kind": "deputies_register", "params": {"term_id": s["term"], "status": "live"}},
        headers=clerk.headers,
    )
    assert requested.status_code == 202, requested.text
    export_id = requested.json()["id"]
    for _ in range(600):  # the broker and the relay share a busy database in CI
        state = (await client.get(f"{api(code)}/exports/{export_id}", headers=clerk.headers)).json()
        if state["status"] != "pending":
            break
        await asyncio.sleep(0.1)
    assert state["status"] == "done" and state["row_count"] == 3, state
    content = (await client.get(f"{api(code)}/exports/{export_id}/file", headers=clerk.headers)).content
    rows = list(load_workbook(io.BytesIO(content)).active.iter_rows(values_only=True))
    assert rows[0][0] == "姓名" and [r[0] for r in rows[1:]] == ["李四", "张三", "张三丰"]
    zhang = rows[2]
    assert zhang[10] == s["phone"][:3] + "****" + s["phone"][-4:] and "乡镇人大代表" in zhang[11]
    assert s["phone"] not in str(rows)


async def test_a_page_number_past_any_list_is_refused(client, database, hierarchy) -> None:
    clerk = await make_caller(database, "名册翻页", {hierarchy["a"]: ["staff"]})
    for page in ("4611686018427387904", "0", "-1"):
        response = await client.get(f"{api(hierarchy['a'])}/deputies", params={"page": page}, headers=clerk.headers)
        assert response.status_code == 400 and response.json()["code"] == "invalid_page", response.text
