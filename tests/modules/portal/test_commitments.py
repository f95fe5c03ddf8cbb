"""履职承诺 kept by staff through the API: rules, bad input that changes nothing, roles, other offices."""

from __future__ import annotations

from tests.conftest import make_caller
from tests.modules.deputies.helpers import count
from tests.modules.portal.support import A, B, add_deputy, fresh_term, offices, unique

API = f"/api/v1/t/{A}/portal"


async def test_staff_keep_commitments_in_order(client, database) -> None:
    await offices(database)
    staff = await make_caller(database, "宜君县承诺维护", {A: ["staff"]})
    term = await fresh_term(A)
    person = await add_deputy(A, term, unique("宜君"), public_fields=["name"])

    second = await client.post(
        f"{API}/commitments",
        json={"person_id": str(person), "text": "  每季度走访选区  ", "term_id": str(term), "position": 2},
        headers=staff.headers,
    )
    assert second.status_code == 201, second.text
    assert second.json()["text"] == "每季度走访选区" and second.json()["period_label"].endswith("届任期")
    first = await client.post(
        f"{API}/commitments",
        json={"person_id": str(person), "text": "每月进站一次", "year": 2026, "term_id": str(term), "position": 1},
        headers=staff.headers,
    )
    assert first.status_code == 201 and "2026年度" in first.json()["period_label"]
    listed = await client.get(f"{API}/commitments", params={"person_id": str(person)}, headers=staff.headers)
    assert [c["text"] for c in listed.json()["items"]] == ["每月进站一次", "每季度走访选区"]

    commitment = second.json()["id"]
    changed = await client.patch(
        f"{API}/commitments/{commitment}", json={"is_public": False, "position": 0}, headers=staff.headers
    )
    assert changed.status_code == 200 and changed.json()["is_public"] is False
    listed = await client.get(f"{API}/commitments", params={"person_id": str(person)}, headers=staff.headers)
    assert [c["text"] for c in listed.json()["items"]] == ["每季度走访选区", "每月进站一次"]
    page = await client.get(f"/p/{A}/deputies/{person}")
    assert "每月进站一次" in page.text and "每季度走访选区" not in page.text

    assert (await client.delete(f"{API}/commitments/{commitment}", headers=staff.headers)).status_code == 204
    assert (await client.get(f"{API}/commitments/{commitment}", headers=staff.headers)).status_code == 404


async def test_bad_commitments_change_nothing(client, database, database_url) -> None:
    await offices(database)
    staff = await make_caller(database, "宜君县承诺校验", {A: ["staff"]})
    term, other_term = await fresh_term(A), await fresh_term(A)
    person = await add_deputy(A, term, unique("宜君"), public_fields=["name"])
    elsewhere = await add_deputy(B, await fresh_term(B), unique("印台"), public_fields=["name"])
    good = {"person_id": str(person), "text": "每月进站一次", "year": 2026}
    before = await count(database_url, A, "deputy_commitments")
    cases = [
        ({**good, "year": None}, "period_required"),
        ({**good, "term_id": str(other_term)}, "invalid_term"),
        ({**good, "text": "   "}, "text_required"),
        ({**good, "text": "长" * 501}, "validation_error"),
        ({**good, "year": 1900}, "validation_error"),
        ({**good, "person_id": str(elsewhere)}, "unknown_person"),
        ({**good, "colour": "red"}, "validation_error"),
    ]
    for body, code in cases:
        response = await client.post(f"{API}/commitments", json=body, headers=staff.headers)
        assert response.status_code == 400, (body, response.text)
        assert response.json()["code"] == code, (body, response.json())
    assert await count(database_url, A, "deputy_commitments") == before

    created = (await client.post(f"{API}/commitments", json=good, headers=staff.headers)).json()
    cleared = await client.patch(f"{API}/commitments/{created['id']}", json={"year": None}, headers=staff.headers)
    assert cleared.status_code == 400 and cleared.json()["code"] == "period_required"
    assert (await client.get(f"{API}/commitments/{created['id']}", headers=staff.headers)).json()["year"] == 2026
    long = await client.patch(f"{API}/settings", json={"contact_phone": "1" * 41}, headers=staff.headers)
    assert long.status_code == 400


async def test_roles_and_other_offices(client, database) -> None:
    await offices(database)
    staff_a = await make_caller(database, "宜君县承诺权限", {A: ["staff"]})
    staff_b = await make_caller(database, "印台区承诺权限", {B: ["staff"]})
    viewer = await make_caller(database, "宜君县只读承诺", {A: ["viewer"]})
    deputy = await make_caller(database, "宜君县代表承诺", {A: ["deputy"]})
    city = await make_caller(database, "铜川市代表工委承诺", {"610200": ["staff"]})
    person = await add_deputy(A, await fresh_term(A), unique("宜君"), public_fields=["name"])
    body = {"person_id": str(person), "text": "每月进站一次", "year": 2026}
    commitment = (await client.post(f"{API}/commitments", json=body, headers=staff_a.headers)).json()["id"]

    assert (await client.get(f"{API}/commitments", headers=viewer.headers)).status_code == 200
    assert (await client.post(f"{API}/commitments", json=body, headers=viewer.headers)).status_code == 403
    assert (await client.get(f"{API}/commitments", headers=deputy.headers)).status_code == 403
    refused = await client.get(f"{API}/commitments/{commitment}", headers=staff_b.headers)
    assert refused.status_code == 403 and refused.json()["code"] == "not_a_member"
    # B's own URL with A's id: not there.
    crossed = await client.get(f"/api/v1/t/{B}/portal/commitments/{commitment}", headers=staff_b.headers)
    assert crossed.status_code == 404 and crossed.json()["code"] == "commitment_not_found"
    deleted = await client.delete(f"/api/v1/t/{B}/portal/commitments/{commitment}", headers=staff_b.headers)
    assert deleted.status_code == 404
    # The city above reads, never writes.
    assert (await client.get(f"{API}/commitments/{commitment}", headers=city.headers)).status_code == 200
    write = await client.patch(f"{API}/commitments/{commitment}", json={"text": "改"}, headers=city.headers)
    assert write.status_code == 403 and write.json()["code"] == "read_only_access"
