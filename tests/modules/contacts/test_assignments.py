"""Contact assignments by hand: bounds, one member per deputy, the office's own deputies only, council
members ↔ townships, special committees ↔ sectors, and the coverage they give."""

from __future__ import annotations

import io
import uuid

from openpyxl import load_workbook

from renda.modules.exports import service as exports
from renda.modules.exports.models import Export
from renda.modules.organisation.models import DeputyGroup
from renda.tenants.scoping import load_tenant, tenant_session
from tests.conftest import make_caller
from tests.modules.contacts.support import (
    ACTOR,
    CITY,
    COUNTY,
    OTHER_COUNTY,
    OTHER_TOWNSHIP,
    contacts_state,
    deputies,
    fresh_term,
    members,
    special_committee,
    township,
)

API = "/api/v1/t/{code}/contacts"


async def test_members_are_fixed_to_deputies_within_the_bounds(client, database, database_url, offices) -> None:
    office = await fresh_term(COUNTY)
    other = await fresh_term(OTHER_COUNTY)
    staff = await make_caller(database, "德城区代表工委干部", {COUNTY: ["staff"]})
    await township(office, "371402001", "新湖街道")
    first, second = await members(office, 2)
    chair_person = (await deputies(office, 1))[0]
    (chair,) = await members(office, 1, person_ids=[chair_person])
    people = await deputies(office, 7, township_code="371402001")
    (township_deputy,) = await deputies(office, 1, level="township")
    (foreign,) = await deputies(other, 1)
    api = API.format(code=COUNTY)

    for person in people[:5]:
        added = await client.post(
            f"{api}/assignments",
            json={"committee_member_id": str(first), "person_id": str(person)},
            headers=staff.headers,
        )
        assert added.status_code == 201, added.text
    board = added.json()
    row = next(r for r in board["members"] if r["member"]["id"] == str(first))
    assert len(row["deputies"]) == 5 and row["bounds_status"] == "ok"
    assert row["deputies"][0]["deputy"]["township_name"] == "新湖街道"
    assert board["settings"]["min_per_member"] == 3 and board["settings"]["max_per_member"] == 5
    # Seven deputies to cover (the chair sits on the committee and is left out): five covered.
    assert board["summary"]["to_cover"] == 7 and board["summary"]["direct"] == 5
    assert {d["id"] for d in board["uncovered"]} == {str(p) for p in people[5:]}

    before = await contacts_state(database_url, COUNTY)
    refusals = [
        ({"committee_member_id": str(first), "person_id": str(people[5])}, 409, "over_bounds"),
        ({"committee_member_id": str(second), "person_id": str(people[0])}, 409, "already_assigned"),
        ({"committee_member_id": str(second), "person_id": str(foreign)}, 400, "unknown_deputy"),
        ({"committee_member_id": str(second), "person_id": str(township_deputy)}, 400, "unknown_deputy"),
        ({"committee_member_id": str(second), "person_id": str(chair_person)}, 400, "deputy_on_committee"),
        ({"committee_member_id": str(second), "person_id": "not-an-id"}, 400, "validation_error"),
        ({"committee_member_id": str(people[6]), "person_id": str(people[6])}, 400, "unknown_committee_member"),
    ]
    for body, status, code in refusals:
        refused = await client.post(f"{api}/assignments", json=body, headers=staff.headers)
        assert (refused.status_code, refused.json()["code"]) == (status, code), refused.text
        assert refused.json()["message"]  # a Chinese message for the UI
    over = await client.post(
        f"{api}/assignments",
        json={"committee_member_id": str(first), "person_id": str(people[5])},
        headers=staff.headers,
    )
    assert "上限 5 名" in over.json()["message"]
    assert await contacts_state(database_url, COUNTY) == before

    # The uncovered are listed; the coverage view pages and searches them.
    uncovered = await client.get(f"{api}/coverage", params={"uncovered": "true"}, headers=staff.headers)
    assert {i["deputy"]["id"] for i in uncovered.json()["items"]} == {str(p) for p in people[5:]}
    assert all(i["channel_label"] == "未覆盖" for i in uncovered.json()["items"])
    page = await client.get(f"{api}/coverage", params={"page_size": 3, "page": 3}, headers=staff.headers)
    assert page.json()["total"] == 7 and len(page.json()["items"]) == 1

    # Lowering the upper bound below a member's count is refused; a lower bound is only a target.
    too_low = await client.put(
        f"{api}/settings", json={"min_per_member": 2, "max_per_member": 4}, headers=staff.headers
    )
    assert too_low.status_code == 409 and too_low.json()["code"] == "bounds_conflict"
    upside_down = await client.put(
        f"{api}/settings", json={"min_per_member": 6, "max_per_member": 5}, headers=staff.headers
    )
    assert upside_down.status_code == 400 and upside_down.json()["code"] == "invalid_bounds"
    assert await contacts_state(database_url, COUNTY) == before
    for person in people[5:]:
        await client.post(
            f"{api}/assignments",
            json={"committee_member_id": str(second), "person_id": str(person)},
            headers=staff.headers,
        )
    board = (await client.get(f"{api}/assignments", headers=staff.headers)).json()
    row = next(r for r in board["members"] if r["member"]["id"] == str(second))
    assert row["bounds_status"] == "under" and "不足下限 3 名" in row["bounds_label"]
    assert board["summary"]["uncovered"] == 0 and board["summary"]["percent"] == 100.0

    assignment_id = row["deputies"][0]["assignment_id"]
    removed = await client.delete(f"{api}/assignments/{assignment_id}", headers=staff.headers)
    assert removed.status_code == 204
    assert (await client.get(f"{api}/assignments", headers=staff.headers)).json()["summary"]["uncovered"] == 1
    assert chair  # the chair's seat exists, and is not itself a deputy to cover


async def test_council_members_oversee_townships_and_committees_cover_sectors(
    client, database, database_url, offices
) -> None:
    office = await fresh_term(COUNTY)
    staff = await make_caller(database, "德城区代表工委干部乙", {COUNTY: ["staff"]})
    await township(office, "371402002", "新华街道")
    council, plain = await members(office, 2, council=1)
    in_township = await deputies(office, 3, township_code="371402002")
    teachers = await deputies(office, 2, sector="教育")
    doctors = await deputies(office, 1, sector="卫生")
    education = await special_committee(COUNTY, "教育科学文化卫生委员会")
    api = API.format(code=COUNTY)

    before = await contacts_state(database_url, COUNTY)
    not_council = await client.post(
        f"{api}/township-assignments",
        json={"committee_member_id": str(plain), "township_code": "371402002"},
        headers=staff.headers,
    )
    assert not_council.status_code == 400 and not_council.json()["code"] == "not_on_council"
    outside = await client.post(
        f"{api}/township-assignments",
        json={"committee_member_id": str(council), "township_code": "371403002"},
        headers=staff.headers,
    )
    assert outside.status_code == 400 and outside.json()["code"] == "invalid_township"
    assert await contacts_state(database_url, COUNTY) == before

    oversee = await client.post(
        f"{api}/township-assignments",
        json={"committee_member_id": str(council), "township_code": "371402002"},
        headers=staff.headers,
    )
    assert oversee.status_code == 201, oversee.text
    row = next(r for r in oversee.json()["members"] if r["member"]["id"] == str(council))
    assert row["townships"][0]["township"]["name"] == "新华街道" and row["townships"][0]["deputy_count"] == 3
    again = await client.post(
        f"{api}/township-assignments",
        json={"committee_member_id": str(council), "township_code": "371402002"},
        headers=staff.headers,
    )
    assert again.status_code == 409 and again.json()["code"] == "township_taken"

    sectors = await client.put(
        f"{api}/sectors/{education}", json={"sectors": ["教育", " 教育 "]}, headers=staff.headers
    )
    assert sectors.status_code == 200 and sectors.json()["sectors"] == ["教育"] and sectors.json()["deputy_count"] == 2
    overview = (await client.get(f"{api}/sectors", headers=staff.headers)).json()
    assert "卫生" in overview["uncovered_sectors"] and "教育" not in overview["uncovered_sectors"]

    coverage = (await client.get(f"{api}/coverage", headers=staff.headers)).json()
    channels = {i["deputy"]["id"]: i["channel"] for i in coverage["items"]}
    assert {channels[str(p)] for p in in_township} == {"township"}
    assert {channels[str(p)] for p in teachers} == {"sector"}
    assert channels[str(doctors[0])] is None
    assert coverage["summary"]["by_township"] == 3 and coverage["summary"]["by_sector"] == 2
    assert coverage["summary"]["uncovered"] == 1
    teacher = next(i for i in coverage["items"] if i["deputy"]["id"] == str(teachers[0]))
    assert teacher["sector_bodies"][0].startswith("教育科学文化卫生委员会")


async def test_a_township_without_a_congress_is_named_after_its_office(client, database, offices) -> None:
    """新华街道 is an office on the platform and the county records no congress of it: every page and
    export names it after the office (德州市德城区新华街道人大工委 → 新华街道), never by its code."""
    office = await fresh_term(COUNTY)
    staff = await make_caller(database, "德城区代表工委干部丙", {COUNTY: ["staff"]})
    group_name = f"新华街道代表小组{uuid.uuid4().hex[:6]}"
    async with tenant_session(await load_tenant(COUNTY), actor=ACTOR) as session:
        group = DeputyGroup(kind="geographic", name=group_name, township_code=OTHER_TOWNSHIP)
        session.add(group)
        await session.commit()
    people = await deputies(office, 2, group_id=group.id)
    (council,) = await members(office, 1, council=1)
    api = API.format(code=COUNTY)

    oversee = await client.post(
        f"{api}/township-assignments",
        json={"committee_member_id": str(council), "township_code": OTHER_TOWNSHIP},
        headers=staff.headers,
    )
    assert oversee.status_code == 201, oversee.text
    row = next(r for r in oversee.json()["members"] if r["member"]["id"] == str(council))
    assert row["townships"][0]["township"]["name"] == "新华街道" and row["townships"][0]["deputy_count"] == 2
    coverage = (await client.get(f"{api}/coverage", headers=staff.headers)).json()
    named = {i["deputy"]["id"]: i["deputy"]["township_name"] for i in coverage["items"]}
    assert {named[str(p)] for p in people} == {"新华街道"}

    html = {"accept": "text/html", **staff.headers}
    contacts_page = await client.get(f"/t/{COUNTY}/contacts", params={"term_id": str(office.term_id)}, headers=html)
    assert contacts_page.status_code == 200 and "新华街道(2 名代表)" in contacts_page.text
    groups_page = await client.get(f"/t/{COUNTY}/organisation", params={"tab": "groups", "q": group_name}, headers=html)
    assert groups_page.status_code == 200 and "新华街道" in groups_page.text
    for page in (contacts_page, groups_page):
        assert f"{OTHER_TOWNSHIP}(" not in page.text and f">{OTHER_TOWNSHIP}<" not in page.text

    async with tenant_session(await load_tenant(COUNTY), actor=ACTOR) as session:
        export = Export(kind="organisation_groups", params={"q": group_name}, requested_by=ACTOR)
        session.add(export)
        await session.flush()
        await exports.build(session, export)
        rows = list(load_workbook(io.BytesIO(export.content)).active.iter_rows(values_only=True))
        await session.rollback()
    assert rows[1][:3] == (group_name, "代表小组", "新华街道")


async def test_a_city_contacts_national_provincial_and_city_deputies(client, database, offices) -> None:
    office = await fresh_term(CITY, "city")
    staff = await make_caller(database, "德州市代表工委干部", {CITY: ["staff"]})
    (member,) = await members(office, 1)
    national = await deputies(office, 1, level="national")
    provincial = await deputies(office, 1, level="provincial")
    city = await deputies(office, 1)
    county = await deputies(office, 1, level="county")
    api = API.format(code=CITY)
    for person in [*national, *provincial, *city]:
        added = await client.post(
            f"{api}/assignments",
            json={"committee_member_id": str(member), "person_id": str(person)},
            headers=staff.headers,
        )
        assert added.status_code == 201, added.text
    assert added.json()["summary"] == {
        "to_cover": 3,
        "covered": 3,
        "direct": 3,
        "by_township": 0,
        "by_sector": 0,
        "uncovered": 0,
        "percent": 100.0,
    }
    levels = {d["deputy"]["levels_label"] for d in added.json()["members"][0]["deputies"]}
    assert levels == {"全国人大代表", "省人大代表", "市人大代表"}
    refused = await client.post(
        f"{api}/assignments",
        json={"committee_member_id": str(member), "person_id": str(county[0])},
        headers=staff.headers,
    )
    assert refused.status_code == 400 and refused.json()["code"] == "unknown_deputy"


async def test_only_staff_arrange_and_roles_are_respected(client, database, database_url, offices) -> None:
    office = await fresh_term(COUNTY)
    member_user = await make_caller(database, "德城区组成人员甲", {COUNTY: ["committee_member"]})
    viewer = await make_caller(database, "德城区只读用户", {COUNTY: ["viewer"]})
    deputy = await make_caller(database, "德城区代表本人", {COUNTY: ["deputy"]})
    (member,) = await members(office, 1, user_ids=[member_user.user_id])
    (person,) = await deputies(office, 1)
    api = API.format(code=COUNTY)
    body = {"committee_member_id": str(member), "person_id": str(person)}
    before = await contacts_state(database_url, COUNTY)
    as_member = await client.post(f"{api}/assignments", json=body, headers=member_user.headers)
    assert as_member.status_code == 403 and as_member.json()["code"] == "staff_only"
    as_viewer = await client.post(f"{api}/assignments", json=body, headers=viewer.headers)
    assert as_viewer.status_code == 403
    for path in ("assignments", "records", "coverage", "meetings", "reports/members"):
        assert (await client.get(f"{api}/{path}", headers=deputy.headers)).status_code == 403
    assert (await client.get(f"{api}/assignments", headers=viewer.headers)).status_code == 200
    settings = await client.put(
        f"{api}/settings", json={"min_per_member": 1, "max_per_member": 9}, headers=member_user.headers
    )
    assert settings.status_code == 403
    assert await contacts_state(database_url, COUNTY) == before
