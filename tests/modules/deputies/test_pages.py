"""The register's pages, used through a browser session with the CSRF token."""

from __future__ import annotations

import re

from renda.modules.organisation.models import DeputyGroup, GroupMembership, Station, StationAssignment
from renda.tenants.scoping import load_tenant, tenant_session
from tests.conftest import make_caller
from tests.modules.deputies.helpers import add_person, api, count, id_number, mobile, row_counts, township_term
from tests.test_member_pages import signed_in


async def test_clerk_registers_a_deputy_through_the_pages(client, database, database_url, hierarchy) -> None:
    code = hierarchy["a"]
    clerk = await make_caller(database, "页面登记员", {code: ["staff"]})
    _, term_id = await township_term(client, clerk, code)
    csrf = await signed_in(database, client, clerk.user_id)

    new = await client.get(f"/t/{code}/deputies/new")
    assert new.status_code == 200 and "身份证号码" in new.text and "汉族" in new.text
    number, phone = id_number(male=False), mobile()
    form = {"_csrf": csrf, "name": "刘洋", "id_number": number, "mobile": phone, "party": "群众", "ethnicity": "汉族"}
    bad = await client.post(f"/t/{code}/deputies/new", data={**form, "id_number": number[:17] + "Y"})
    assert bad.status_code == 400 and 'role="alert"' in bad.text and "身份证号码" in bad.text
    assert "刘洋" in bad.text  # the form keeps what was typed
    before = await count(database_url, code, "persons")
    no_csrf = await client.post(f"/t/{code}/deputies/new", data={k: v for k, v in form.items() if k != "_csrf"})
    assert no_csrf.status_code == 403 and await count(database_url, code, "persons") == before

    created = await client.post(
        f"/t/{code}/deputies/new", data={**form, "public_fields": ["gender", "party"]}, follow_redirects=False
    )
    assert created.status_code in (302, 303), created.text
    profile_url = created.headers["location"]
    person_id = profile_url.rsplit("/", 1)[-1]
    profile = await client.get(profile_url)
    assert profile.status_code == 200 and "刘洋" in profile.text
    assert number[:4] + "*" * 10 + number[-4:] in profile.text and number not in profile.text
    assert phone[:3] + "****" + phone[-4:] in profile.text and phone not in profile.text
    assert "尚未登记代表资格" in profile.text and "删除此人" in profile.text

    # A mandate, then a suspension, a resumption and an end, each from the profile page.
    outside = await client.post(
        f"{profile_url}/mandates", data={"_csrf": csrf, "term_id": term_id, "starts_on": "2030-01-01"}
    )
    assert outside.status_code == 400 and "不在第十八届任期" in outside.text
    added = await client.post(
        f"{profile_url}/mandates",
        data={"_csrf": csrf, "term_id": term_id, "constituency": "城关第九选区", "replaces_mandate_id": ""},
        follow_redirects=False,
    )
    assert added.status_code in (302, 303), added.text
    page = (await client.get(profile_url)).text
    mandate_id = re.search(r"/deputies/mandates/([0-9a-f-]{36})/suspend", page).group(1)
    assert "城关第九选区" in page and "当选" in page and "删除此人" not in page
    steps = [
        ("suspend", {"suspended_on": "2023-01-01", "reason": "custody"}, "暂停执行职务"),
        ("resume", {"resumed_on": "2023-03-01"}, "恢复执行代表职务"),
        ("end", {"ended_on": "2024-01-01", "reason": "resigned", "resignation_kind": ""}, None),
        ("end", {"ended_on": "2024-01-01", "reason": "resigned", "resignation_kind": "ordered"}, "责令辞职"),
    ]
    for action, data, shown in steps:
        response = await client.post(
            f"/t/{code}/deputies/mandates/{mandate_id}/{action}", data={"_csrf": csrf, **data}, follow_redirects=False
        )
        if shown is None:
            assert response.status_code == 400 and "辞职方式" in response.text
            continue
        assert response.status_code in (302, 303), response.text
        assert shown in (await client.get(profile_url)).text
    refused = await client.post(f"{profile_url}/delete", data={"_csrf": csrf})
    assert refused.status_code == 409 and "终止其代表资格" in refused.text

    # Editing keeps the ID number when its field is left blank.
    edit = await client.get(f"{profile_url}/edit")
    assert edit.status_code == 200 and "留空表示不修改" in edit.text and number not in edit.text
    assert "<option selected>群众</option>" in edit.text and 'value="刘洋"' in edit.text
    saved = await client.post(
        f"{profile_url}/edit",
        data={"_csrf": csrf, "name": "刘洋", "workplace": "石泉县中学", "ethnicity": "汉族", "public_fields": "name"},
        follow_redirects=False,
    )
    assert saved.status_code in (302, 303), saved.text
    person = (await client.get(f"{api(code)}/persons/{person_id}")).json()
    assert person["workplace"] == "石泉县中学" and person["id_number_masked"] and person["gender"] == "female"

    listing = await client.get(f"/t/{code}/deputies", params={"q": "ly", "status": "all", "term_id": term_id})
    assert listing.status_code == 200 and "刘洋" in listing.text


async def test_profile_shows_groups_and_stations(client, database, hierarchy) -> None:
    code = hierarchy["a"]
    clerk = await make_caller(database, "小组查看", {code: ["viewer"]})
    writer = await make_caller(database, "小组录入", {code: ["staff"]})
    person = await add_person(client, writer, code, "进站代表")
    async with tenant_session(await load_tenant(code), actor="system:test") as session:
        group = DeputyGroup(kind="geographic", name=f"城关代表小组{person['id'][:6]}")
        station = Station(kind="deputy_home", name=f"城关镇代表之家{person['id'][:6]}", address="城关镇政府一楼")
        session.add_all([group, station])
        await session.flush()
        session.add_all(
            [
                GroupMembership(group_id=group.id, group_kind="geographic", person_id=person["id"]),
                StationAssignment(station_id=station.id, person_id=person["id"]),
            ]
        )
        await session.commit()
    page = await client.get(f"/t/{code}/deputies/{person['id']}", headers=clerk.headers)
    assert group.name in page.text and station.name in page.text and "城关镇政府一楼" in page.text
    api_view = (await client.get(f"{api(code)}/persons/{person['id']}", headers=clerk.headers)).json()
    assert [g["kind_label"] for g in api_view["groups"]] == ["代表小组"]
    assert [s["kind_label"] for s in api_view["stations"]] == ["代表之家"]
    filtered = await client.get(
        f"/t/{code}/deputies", params={"group_id": str(group.id), "status": "all"}, headers=clerk.headers
    )
    assert "进站代表" in filtered.text


async def test_congresses_page_and_term_change_form(client, database, database_url, hierarchy) -> None:
    code = hierarchy["a"]
    clerk = await make_caller(database, "届次页面", {code: ["staff"]})
    _, term_id = await township_term(client, clerk, code)
    csrf = await signed_in(database, client, clerk.user_id)
    page = await client.get(f"/t/{code}/deputies/congresses")
    assert page.status_code == 200 and "换届" in page.text and "第十八届" in page.text

    before = await row_counts(database_url, code)
    refused = await client.post(f"/t/{code}/deputies/congresses", data={"_csrf": csrf, "level": "city"})
    assert refused.status_code == 409 and "安康市人大常委会已在平台开通" in refused.text
    wrong = await client.post(
        f"/t/{code}/deputies/terms/{term_id}/change", data={"_csrf": csrf, "next_starts_on": "2020-01-01"}
    )
    assert wrong.status_code == 400 and "新一届的开始日期" in wrong.text
    assert await row_counts(database_url, code) == before

    changed = await client.post(
        f"/t/{code}/deputies/terms/{term_id}/change",
        data={"_csrf": csrf, "closes_on": "2026-09-30", "next_starts_on": "2026-10-01", "next_number": "19"},
        follow_redirects=True,
    )
    assert changed.status_code == 200 and "换届完成" in changed.text and "第十九届已成为本届" in changed.text
    term = (await client.get(f"{api(code)}/terms/{term_id}")).json()
    assert not term["is_current"]
