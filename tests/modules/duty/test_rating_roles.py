"""Who does what in the star rating: staff start every deputy's rating at once (so those who never
assess themselves are rated too), a group's leader checks their members (not themselves, and no later
step), a deputy reads only their own rating, the office's readers read all and write nothing."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import update

from renda.modules.deputies.models import Mandate
from renda.tenants.scoping import load_tenant, tenant_session
from tests.modules.duty.support import ACTOR, duty_office, person_name
from tests.modules.duty.support_rating import (
    assess,
    at,
    decide,
    make_leader,
    rating_row,
    ratings_api,
    state_of,
    step,
    steps_of,
)

pytestmark = pytest.mark.date_sensitive


async def test_staff_start_every_deputys_rating_and_rate_those_who_never_assessed(client, database, offices) -> None:
    office = await duty_office(database, offices["a"], "远安发起", deputies=3)
    code, staff = office.code, office.staff
    first, silent, gone = office.persons
    async with tenant_session(await load_tenant(code), actor=ACTOR) as session:  # a mandate ended: not rated
        await session.execute(
            update(Mandate)
            .where(Mandate.person_id == gone)
            .values(status="ended", ended_on=date(2037, 6, 1), end_reason="moved_out")
        )
        await session.commit()
    with at(date(2037, 12, 3)):
        assert (await assess(client, office.deputy, code, 2037)).status_code == 200
        started = await client.post(ratings_api(code, "/start"), json={"year": 2037}, headers=staff.headers)
        assert started.status_code == 200, started.text
        assert started.json()["started"] >= 1
        again = await client.post(ratings_api(code, "/start"), json={"year": 2037}, headers=staff.headers)
        assert again.json()["started"] == 0  # everyone has one now
        assert (await rating_row(code, 2037, first)).step == "self"  # the deputy's own is kept
        opened = await rating_row(code, 2037, silent)
        assert opened.step == "opened" and opened.self_grade is None
        assert await rating_row(code, 2037, gone) is None
        (recorded,) = await steps_of(code, opened.id)
        assert recorded.step == "opened" and recorded.actor.endswith("远安发起工作人员")

        listed = (
            await client.get(ratings_api(code, "?year=2037&step=opened&page_size=200"), headers=staff.headers)
        ).json()
        assert str(silent) in {r["person_id"] for r in listed["items"]}
        assert all(r["step_label"] == "待代表自评" for r in listed["items"])
        # The silent deputy is rated all the same.
        await decide(client, staff, code, opened.id, "basic")
        assert (await rating_row(code, 2037, silent)).grade == "basic"
        overview = (await client.get(ratings_api(code, "/overview?year=2037"), headers=office.viewer.headers)).json()
        counts = {c["key"]: c["count"] for c in overview["steps"]}
        assert counts["committee"] >= 1 and counts["self"] >= 1
        assert {g["key"]: g["count"] for g in overview["grades"]}["basic"] >= 1
        assert overview["talks_to_schedule"] >= 1
    with at(date(2037, 12, 4)):
        denied = await client.post(ratings_api(code, "/start"), json={"year": 2037}, headers=office.viewer.headers)
        assert denied.status_code == 403


async def test_a_group_leader_checks_their_members_only(client, database, offices) -> None:
    office = await duty_office(database, offices["b"], "兴山组长", deputies=3)
    code = office.code
    leader, member, other = office.deputies
    await make_leader(code, office.group_id, office.persons[0])
    with at(date(2038, 12, 8)):
        ids = [(await assess(client, deputy, code, 2038)).json()["id"] for deputy in office.deputies]
        # The leader's list: their members (not themselves); another deputy sees only their own row.
        listed = (await client.get(ratings_api(code, "?year=2038"), headers=leader.headers)).json()
        assert {r["person_id"] for r in listed["items"]} == {str(p) for p in office.persons}
        shown = (await client.get(ratings_api(code, f"/{ids[1]}"), headers=leader.headers)).json()
        assert shown["self_summary"] and shown["group_grade"] is None
        own = (await client.get(ratings_api(code, "?year=2038"), headers=other.headers)).json()
        assert [r["person_id"] for r in own["items"]] == [str(office.persons[2])]
        assert (await client.get(ratings_api(code, f"/{ids[1]}"), headers=other.headers)).status_code == 404

        before = await state_of(code, office.persons)
        themselves = await step(client, leader, code, ids[0], "group", "excellent")
        assert themselves.status_code == 403 and themselves.json()["code"] == "rating_not_your_group"
        not_leader = await step(client, other, code, ids[1], "group", "good")
        assert not_leader.status_code == 404
        assert await state_of(code, office.persons) == before

        checked = await step(client, leader, code, ids[1], "group", "good", note="组内评议")
        assert checked.status_code == 200, checked.text
        recorded = (await steps_of(code, ids[1]))[-1]
        assert (recorded.step, recorded.grade, recorded.note) == ("group", "good", "组内评议")
        assert recorded.actor.endswith("兴山组长代表0")
        later = await step(client, leader, code, ids[1], "township", "good")
        assert later.status_code == 403 and later.json()["code"] == "duty_staff_only"
        # A member rated by the leader reads their own rating, the leader's grade hidden until published.
        mine = (await client.get(ratings_api(code, "/mine"), headers=member.headers)).json()
        assert mine["rating"]["step"] == "group" and mine["rating"]["group_grade"] is None
        assert [s["grade"] for s in mine["rating"]["steps"]] == ["good", None]
        name = await person_name(code, office.persons[0])
        assert mine["rating"]["steps"][1]["actor"].endswith("兴山组长代表0") and name


async def test_readers_read_everything_and_write_nothing(client, database, offices) -> None:
    office = await duty_office(database, offices["a"], "远安只读", deputies=1)
    code = office.code
    with at(date(2038, 12, 9)):
        rating_id = (await assess(client, office.deputy, code, 2038)).json()["id"]
        for reader in (office.viewer, office.committee):
            shown = await client.get(ratings_api(code, f"/{rating_id}"), headers=reader.headers)
            assert shown.status_code == 200 and shown.json()["self_grade"] == "good"
            assert (
                await client.get(ratings_api(code, "/overview?year=2038"), headers=reader.headers)
            ).status_code == 200
            refused = await step(client, reader, code, rating_id, "group", "good")
            assert refused.status_code == 403
        assert (await client.get(ratings_api(code, "/overview"), headers=office.deputy.headers)).status_code == 403
        assert (await client.get(ratings_api(code, "/advise-resign"), headers=office.deputy.headers)).status_code == 403
        assert (await client.get(ratings_api(code, "/mine"), headers=office.staff.headers)).status_code == 403
