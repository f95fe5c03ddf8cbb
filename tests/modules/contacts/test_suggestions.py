"""The suggested balanced assignment, reviewed and saved in one transaction, and carrying a term's
assignments into the next: 竹山-like, 35 committee members and 228 county deputies."""

from __future__ import annotations

from collections import Counter

from renda.modules.deputies.models import Mandate
from renda.tenants.scoping import load_tenant, tenant_session
from tests.conftest import make_caller
from tests.modules.contacts.support import (
    ACTOR,
    COUNTY,
    OTHER_COUNTY,
    TERM_START,
    contacts_state,
    deputies,
    fresh_term,
    members,
    township,
)

API = "/api/v1/t/{code}/contacts"
TOWNSHIPS = {
    f"3714021{n:02d}": name
    for n, name in enumerate(["新湖", "新华", "天衢", "广川", "运河", "宋官屯", "二屯", "黄河涯"])
}


async def test_35_members_and_228_deputies_every_member_3_to_5_every_deputy_covered(
    client, database, database_url, offices
) -> None:
    office = await fresh_term(COUNTY)
    staff = await make_caller(database, "竹山式代表工委干部", {COUNTY: ["staff"]})
    deputy_township: dict[str, str] = {}
    sizes = [33, 30, 29, 29, 28, 27, 26, 26]  # 228
    for (code, name), size in zip(TOWNSHIPS.items(), sizes, strict=True):
        await township(office, code, f"{name}街道")
        for person in await deputies(office, size, township_code=code, sector="农业" if size % 2 else "教育"):
            deputy_township[str(person)] = code
    assert len(deputy_township) == 228
    committee = await members(office, 35, council=7)
    api = API.format(code=COUNTY)

    suggested = await client.post(f"{api}/proposals", json={}, headers=staff.headers)
    assert suggested.status_code == 201, suggested.text
    proposal = suggested.json()
    counts = {row["member"]["id"]: len(row["deputies"]) for row in proposal["members"]}
    assert len(counts) == 35 and set(counts.values()) == {5}  # 35 × 5 = 175 < 228: everyone at the bound
    assert proposal["summary"]["uncovered"] == 0 and proposal["summary"]["to_cover"] == 228
    assert proposal["summary"]["direct"] == 175 and proposal["summary"]["by_township"] == 53
    council_rows = [row for row in proposal["members"] if row["member"]["on_council"]]
    # Every township the office knows is overseen, spread evenly over the seven council members.
    overseen = [len(r["townships"]) for r in council_rows]
    assert len(overseen) == 7 and max(overseen) - min(overseen) <= 1 and sum(overseen) >= len(TOWNSHIPS)
    assert set(TOWNSHIPS) <= {t["township"]["code"] for r in council_rows for t in r["townships"]}
    # Every township keeps direct contacts, in proportion to its deputies.
    direct_per_township = Counter(
        deputy_township[d["deputy"]["id"]] for r in proposal["members"] for d in r["deputies"]
    )
    assert all(20 <= n <= 26 for n in direct_per_township.values()), direct_per_township
    # A member's deputies come from one township where possible.
    spread = [len({deputy_township[d["deputy"]["id"]] for d in r["deputies"]}) for r in proposal["members"]]
    assert sum(1 for n in spread if n == 1) >= 27
    assert proposal["warnings"] == []

    # Nothing is assigned until staff save the reviewed proposal.
    board = (await client.get(f"{api}/assignments", headers=staff.headers)).json()
    assert board["summary"]["direct"] == 0 and board["open_proposal_id"] == proposal["id"]

    # Review: a move beyond the bound is refused and changes nothing; a removal is fine.
    first, second = proposal["members"][0], proposal["members"][1]
    before = await contacts_state(database_url, COUNTY)
    move = await client.post(
        f"{api}/proposals/{proposal['id']}/items",
        json={"committee_member_id": second["member"]["id"], "person_id": first["deputies"][0]["deputy"]["id"]},
        headers=staff.headers,
    )
    assert move.status_code == 409 and move.json()["code"] == "over_bounds"
    assert await contacts_state(database_url, COUNTY) == before
    removed = await client.delete(
        f"{api}/proposals/{proposal['id']}/items/{first['deputies'][0]['item_id']}", headers=staff.headers
    )
    assert removed.status_code == 204
    moved = await client.post(
        f"{api}/proposals/{proposal['id']}/items",
        json={"committee_member_id": first["member"]["id"], "person_id": second["deputies"][0]["deputy"]["id"]},
        headers=staff.headers,
    )
    assert moved.status_code == 200, moved.text
    reviewed = {row["member"]["id"]: len(row["deputies"]) for row in moved.json()["members"]}
    assert (reviewed[first["member"]["id"]], reviewed[second["member"]["id"]]) == (5, 4)
    assert moved.json()["summary"]["uncovered"] == 0  # the removed deputy's township is overseen

    applied = await client.post(f"{api}/proposals/{proposal['id']}/apply", headers=staff.headers)
    assert applied.status_code == 200, applied.text
    board = applied.json()
    assert sorted(len(r["deputies"]) for r in board["members"]).count(5) == 34
    assert all(3 <= len(r["deputies"]) <= 5 for r in board["members"])
    assert board["summary"]["uncovered"] == 0 and board["summary"]["percent"] == 100.0
    assert board["uncovered"] == [] and board["open_proposal_id"] is None
    uncovered = await client.get(f"{api}/coverage", params={"uncovered": "true"}, headers=staff.headers)
    assert uncovered.json()["total"] == 0
    assert (await client.get(f"{api}/proposals/{proposal['id']}", headers=staff.headers)).status_code == 404
    assert committee


async def test_a_small_office_suggestion_keeps_groups_together_and_existing_assignments(
    client, database, database_url, offices
) -> None:
    office = await fresh_term(COUNTY)
    staff = await make_caller(database, "德城区代表工委干部丙", {COUNTY: ["staff"]})
    groups = {}
    for code in ("371402101", "371402102", "371402103"):
        await township(office, code, TOWNSHIPS[code] + "街道")
        groups[code] = await deputies(office, 4, township_code=code)
    first, second, third, fourth = await members(office, 4)
    api = API.format(code=COUNTY)
    kept = await client.post(
        f"{api}/assignments",
        json={"committee_member_id": str(fourth), "person_id": str(groups["371402103"][0])},
        headers=staff.headers,
    )
    assert kept.status_code == 201

    proposal = (await client.post(f"{api}/proposals", json={"keep_existing": True}, headers=staff.headers)).json()
    by_member = {row["member"]["id"]: [d["deputy"]["id"] for d in row["deputies"]] for row in proposal["members"]}
    assert sorted(len(v) for v in by_member.values()) == [3, 3, 3, 3]
    # The kept deputy stays, and that member takes the rest of the same group.
    assert str(groups["371402103"][0]) in by_member[str(fourth)]
    assert set(by_member[str(fourth)]) <= {str(p) for p in groups["371402103"]}
    for member in (first, second, third):
        townships = {code for code, people in groups.items() for p in people if str(p) in by_member[str(member)]}
        assert len(townships) <= 2
    # 4 members × up to 5 places take all 12 deputies, three each; with no council member, it says so.
    assert proposal["summary"]["uncovered"] == 0
    assert any("主任会议成员" in w for w in proposal["warnings"])

    # The whole proposal can be replaced by the reviewed list; a duplicate or a foreign deputy is refused.
    other = await fresh_term(OTHER_COUNTY)
    (foreign,) = await deputies(other, 1)
    before = await contacts_state(database_url, COUNTY)
    items = [{"committee_member_id": str(first), "person_id": str(groups["371402101"][0])}] * 2
    duplicate = await client.put(
        f"{api}/proposals/{proposal['id']}/items", json={"items": items}, headers=staff.headers
    )
    assert duplicate.status_code == 400 and duplicate.json()["code"] == "duplicate_deputy"
    foreign_item = [{"committee_member_id": str(first), "person_id": str(foreign)}]
    refused = await client.put(
        f"{api}/proposals/{proposal['id']}/items", json={"items": foreign_item}, headers=staff.headers
    )
    assert refused.status_code == 400 and refused.json()["code"] == "unknown_deputy"
    assert await contacts_state(database_url, COUNTY) == before

    short = [{"committee_member_id": str(first), "person_id": str(p)} for p in groups["371402101"]]
    replaced = await client.put(f"{api}/proposals/{proposal['id']}/items", json={"items": short}, headers=staff.headers)
    assert replaced.status_code == 200
    assert replaced.json()["summary"]["uncovered"] == 8
    assert any("未被联系覆盖" in w for w in replaced.json()["warnings"])
    applied = await client.post(f"{api}/proposals/{proposal['id']}/apply", headers=staff.headers)
    board = applied.json()
    # Saving replaced the earlier hand assignment too.
    assert {r["member"]["id"]: len(r["deputies"]) for r in board["members"]}[str(fourth)] == 0
    assert board["summary"]["direct"] == 4

    discarded = await client.post(f"{api}/proposals", json={"keep_existing": False}, headers=staff.headers)
    assert (await client.delete(f"{api}/proposals/{discarded.json()['id']}", headers=staff.headers)).status_code == 204
    assert (await client.get(f"{api}/assignments", headers=staff.headers)).json()["summary"]["direct"] == 4


async def test_carry_into_the_next_term_keeps_continuing_members_and_deputies(client, database, offices) -> None:
    old = await fresh_term(COUNTY)
    staff = await make_caller(database, "德城区换届干部", {COUNTY: ["staff"]})
    await township(old, "371402104", "运河街道")
    staying_person = (await deputies(old, 1))[0]
    leaving_member_user = await make_caller(database, "不再连任的组成人员", {COUNTY: ["committee_member"]})
    staying, leaving = await members(
        old,
        2,
        council=1,
        person_ids=[staying_person],
        user_ids=[None, leaving_member_user.user_id],  # type: ignore[list-item]
    )
    continuing = await deputies(old, 3, township_code="371402104")
    retiring = await deputies(old, 2, township_code="371402104")
    api = API.format(code=COUNTY)
    for member, people in ((staying, [continuing[0], retiring[0]]), (leaving, [continuing[1], retiring[1]])):
        for person in people:
            added = await client.post(
                f"{api}/assignments",
                json={"committee_member_id": str(member), "person_id": str(person)},
                headers=staff.headers,
            )
            assert added.status_code == 201, added.text
    await client.post(
        f"{api}/township-assignments",
        json={"committee_member_id": str(staying), "township_code": "371402104"},
        headers=staff.headers,
    )

    # 换届: a new term; the continuing deputies are re-elected (new mandates of the same persons).
    new = await fresh_term(COUNTY)
    async with tenant_session(await load_tenant(COUNTY), actor=ACTOR) as session:
        session.add_all(
            Mandate(person_id=p, term_id=new.term_id, level="county", starts_on=TERM_START)
            for p in [*continuing, staying_person]
        )
        await session.commit()
    (successor,) = await members(new, 1, council=1, person_ids=[staying_person])
    (newcomer,) = await members(new, 1)

    carried = await client.post(f"{api}/proposals/carry-over", json={}, headers=staff.headers)
    assert carried.status_code == 201, carried.text
    proposal = carried.json()
    assert proposal["kind"] == "carried_over" and proposal["source_term"]["id"] == str(old.term_id)
    assert proposal["term"]["id"] == str(new.term_id)
    rows = {row["member"]["id"]: row for row in proposal["members"]}
    assert [d["deputy"]["id"] for d in rows[str(successor)]["deputies"]] == [str(continuing[0])]
    assert [t["township"]["code"] for t in rows[str(successor)]["townships"]] == ["371402104"]
    assert rows[str(newcomer)]["deputies"] == []
    # The continuing deputy of the member who left is uncovered directly, but the township is overseen.
    assert proposal["summary"]["to_cover"] == 3 and proposal["summary"]["uncovered"] == 0
    no_earlier = await client.post(
        f"{api}/proposals/carry-over", json={"from_term_id": str(new.term_id)}, headers=staff.headers
    )
    assert no_earlier.status_code == 400 and no_earlier.json()["code"] == "invalid_carry_over"
    applied = await client.post(f"{api}/proposals/{proposal['id']}/apply", headers=staff.headers)
    assert applied.status_code == 200
    assert applied.json()["term"]["id"] == str(new.term_id) and applied.json()["summary"]["direct"] == 1
