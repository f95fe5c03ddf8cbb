"""Who may read and write the register: staff write, viewers and committee members read, a parent
office reads (never writes) a county's register, other roles and other offices see nothing."""

from __future__ import annotations

from tests.conftest import make_caller
from tests.modules.deputies.helpers import add_mandate, add_person, api, row_counts, township_term


async def test_roles_and_offices(client, database, database_url, hierarchy) -> None:
    county, city = hierarchy["a"], hierarchy["city"]
    staff = await make_caller(database, "权限工作人员", {county: ["staff"]})
    _, term_id = await township_term(client, staff, county)
    person = await add_person(client, staff, county, "权限测试")
    mandate = await add_mandate(client, staff, county, person["id"], term_id)

    readers = {
        "viewer": await make_caller(database, "只读", {county: ["viewer"]}),
        "committee": await make_caller(database, "组成人员", {county: ["committee_member"]}),
        "city": await make_caller(database, "市代表工委", {city: ["office_admin"]}),
    }
    outsiders = {
        "deputy": (await make_caller(database, "代表本人", {county: ["deputy"]}), "permission_denied"),
        "township": (
            await make_caller(database, "镇主席团", {hierarchy["a_township"]: ["office_admin"]}),
            "not_a_member",
        ),
        "neighbour": (await make_caller(database, "汉阴县", {hierarchy["b"]: ["office_admin"]}), "not_a_member"),
    }
    reads = [
        f"{api(county)}/deputies",
        f"{api(county)}/persons/{person['id']}",
        f"{api(county)}/mandates/{mandate['id']}",
        f"{api(county)}/congresses",
        f"{api(county)}/terms/{term_id}",
        f"/t/{county}/deputies",
        f"/t/{county}/deputies/{person['id']}",
        f"/t/{county}/deputies/congresses",
    ]
    for url in reads:
        for name, caller in readers.items():
            response = await client.get(url, headers=caller.headers)
            assert response.status_code == 200, (name, url, response.text[:200])
        for name, (caller, code) in outsiders.items():
            response = await client.get(url, headers={**caller.headers, "Accept": "application/json"})
            assert response.status_code == 403, (name, url)
            if url.startswith("/api/"):
                assert response.json()["code"] == code
        assert (await client.get(url)).status_code in (401, 302, 303)

    writes = [
        ("POST", f"{api(county)}/persons", {"name": "越权", "gender": "male"}),
        ("PATCH", f"{api(county)}/persons/{person['id']}", {"position": "越权"}),
        ("DELETE", f"{api(county)}/persons/{person['id']}", None),
        ("POST", f"{api(county)}/mandates/{mandate['id']}/end", {"ended_on": "2022-01-01", "reason": "deceased"}),
        ("POST", f"{api(county)}/terms/{term_id}/change", {"next_starts_on": "2026-10-01"}),
        ("POST", f"{api(county)}/congresses", {"level": "county"}),
    ]
    before = await row_counts(database_url, county)
    for method, url, body in writes:
        for name, caller in readers.items():
            response = await client.request(method, url, json=body, headers=caller.headers)
            expected = "read_only_access" if name == "city" else "permission_denied"
            assert (response.status_code, response.json()["code"]) == (403, expected), (name, method, url)
    assert await row_counts(database_url, county) == before
    # The register page offers no write actions to readers.
    page = await client.get(f"/t/{county}/deputies/{person['id']}", headers=readers["city"].headers)
    assert "终止代表资格" not in page.text and "修改信息" not in page.text and "只能查看" not in page.text
    listing = await client.get(f"/t/{county}/deputies", headers=readers["city"].headers)
    assert "只能查看" in listing.text and "新增代表" not in listing.text
