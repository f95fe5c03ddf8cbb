"""The scenario of the suggestion loop (issue 13) in a county (沙洋县 beneath 荆门市; the figures are 竹山县's
of seed 003), through the API as its users meet it: the lead deputy, the co-signers, the staff and the
two handling units each with their own token, and the scheduled jobs as the scheduler and a worker run them.

126 suggestions filed during the session and 32 from deputies' activities between sessions, all
assigned, all answered on time; 150 of them rated by their lead deputy in the window, 147 of those
满意 or 基本满意 (98.0 %), the other 3 不满意 twice (a second round, answered on time again, rated
不满意 again and closed); 8 not rated in the window (closed by the nightly job when it passed). Replies:
118 A, 28 B, 8 C, 4 D; 12 of the B and C found resolved at the follow-up. The rates come out exactly:

    办结率 158/158 = 100.0 %   按时办复率 158/158 = 100.0 %   满意率 147/150 = 98.0 %
    解决率 (118 + 12)/158 = 82.3 %   A 118/158 = 74.7 %   B 28/158 = 17.7 %   C 8/158 = 5.1 %   D 4/158 = 2.5 %

Eight of the 158, one of every kind of step, go through the routes one by one (co-signers invited,
confirming and taken off, a draft staff started, intake, assignment, the reply, the ratings with a
second round, follow-ups); the other 150 take the same steps through the functions those routes call,
a transaction per step and role, so the test stays short. The nightly close runs as scheduled, and the
figures are read from the rates and list APIs and from the city's rollups.

A suggestion of the term's last years stalls over the year's end (answered B; its lead deputy's mandate
then ended), is carried into the next year by the 1 January job, found resolved at the follow-up there
and rated: it counts in its own year and term, resolved. A suggestion filed again two years after an
earlier one was resolved as class A is flagged on its page by the repeated-suggestion check. The clock
is pinned on each day the story needs.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import pytest
import time_machine

from renda.core.timezone import LOCAL_TZ, local_today
from renda.modules.rollups import service as rollups
from renda.modules.suggestions import assignment, evaluation, filing, followup, handling, intake, service
from renda.modules.suggestions.common import LoopCaller, get_suggestion
from renda.tenants.scoping import TenantRef, load_tenant, tenant_session
from tests.conftest import Caller, ensure_tenant, make_caller
from tests.modules.suggestions.support import Office, office, run_office_job

DURING_SESSION, BETWEEN_SESSIONS = 126, 32
EVERY = range(DURING_SESSION + BETWEEN_SESSIONS)
# Through the routes one by one: n → what its story shows.
BY_ROUTE = {
    0: "A, 满意: two co-signers invited, one confirms, the other taken off before submitting",
    1: "A, 满意, the other unit",
    118: "B found resolved at the follow-up, 满意",
    121: "B found resolved at the follow-up, 基本满意",
    135: "between sessions, from a draft staff started; B, 基本满意, still being done at the follow-up",
    147: "C, 不满意: a second round, answered again, 不满意 again",
    150: "C, not rated: closed by the nightly job",
    155: "D, not rated: closed by the nightly job",
}
EXPECTED = {
    "assigned": 158,
    "answered": 158,
    "on_time": 158,
    "rated": 150,
    "satisfied": 147,
    "resolved": 130,
    "class_a": 118,
    "class_b": 28,
    "class_c": 8,
    "class_d": 4,
    "closure_rate": 100.0,
    "on_time_rate": 100.0,
    "satisfaction_rate": 98.0,
    "resolution_rate": 82.3,
    "class_a_share": 74.7,
    "class_b_share": 17.7,
    "class_c_share": 5.1,
    "class_d_share": 2.5,
}
RURAL_ROADS = "沙洋县部分农村公路路面窄、破损多,建议加快提档升级,解决群众出行难问题。"
HIGHWAY = ("关于修复高阳镇至县城公路的建议", "高阳镇至县城公路多处路基下沉、路面开裂,建议列入明年大中修计划。")
ROAD = ("关于硬化池河镇明星村通村公路的建议", "明星村至镇区的通村公路约4.5公里仍是砂石路面,雨天泥泞,群众出行困难。")
ROAD_AGAIN = (
    "再次建议解决明星村通村路硬化问题",
    "明星村到池河集镇这条路至今还是土石路,一下雨车辆无法通行,请铺成水泥路。",
)


def reply_class(n: int) -> str:
    return "A" if n < 118 else "B" if n < 146 else "C" if n < 154 else "D"


def rating(n: int) -> str | None:
    if n < 120:
        return "satisfied"
    if n < 147:
        return "basic"
    return "dissatisfied" if n < 150 else None  # the last 8: the window passes unrated


def resolved_at_follow_up(n: int) -> bool:
    return reply_class(n) in ("B", "C") and n < 130


def the_reply(n: int) -> dict[str, str]:
    cls = reply_class(n)
    body = {"reply_class": cls, "reply_text": "经研究,已安排资金实施。"}
    if cls in ("B", "C"):
        body["reply_commitments"] = "列入明年计划,年底前完成。"
    return body


def at(day: date, hour: int = 9, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=LOCAL_TZ)


@pytest.fixture
async def offices(database) -> dict[str, str]:
    """荆门市 and 沙洋县 beneath it: offices of their own, so no other test's deputies or suggestions count."""
    await ensure_tenant(database, "420800", "荆门市人大常委会", "city", None)
    await ensure_tenant(database, "420822", "荆门市沙洋县人大常委会", "county", "420800")
    return {"city": "420800", "a": "420822"}


@dataclass
class People:
    """The county's users, each with their own token, and the same users as the loop's functions see them."""

    place: Office
    tenant: TenantRef

    @property
    def api(self) -> str:
        return f"/api/v1/t/{self.place.code}/suggestions/items"

    def unit_of(self, n: int) -> tuple[uuid.UUID, Caller]:
        """Each suggestion goes to one of the two units in turn."""
        p = self.place
        return ((p.unit_id, p.unit_user), (p.other_unit_id, p.other_unit_user))[n % 2]

    def loop_caller(self, who: str, n: int = 0) -> tuple[LoopCaller, str]:
        """(the caller, the audit actor) of the staff, the lead deputy or the unit of suggestion n."""
        p, none = self.place, frozenset[uuid.UUID]()
        if who == "staff":
            return LoopCaller(p.staff.user_id, True, True, none, none), f"user:{p.staff.user_id}:沙洋工作人员"
        if who == "deputy":
            caller = LoopCaller(p.deputy.user_id, False, False, frozenset({p.deputy_person}), none)
            return caller, f"user:{p.deputy.user_id}:沙洋代表0"
        unit_id, user = self.unit_of(n)
        name = ("沙洋交通局经办人", "沙洋教育局经办人")[n % 2]
        return LoopCaller(user.user_id, False, False, none, frozenset({unit_id})), f"user:{user.user_id}:{name}"


# --- the 158, step by step: the eight through the routes, the others through the same functions ----------
async def through_the_functions(people: People, who: str, ns: Iterable[int], step, ids: dict[int, uuid.UUID]) -> None:
    """One step (`step(session, caller, suggestion, n)`) of the suggestions `ns` as `who`, in one transaction
    per unit when units act (each unit's user acts for their own)."""
    ns = list(ns)
    groups = [[n for n in ns if n % 2 == k] for k in (0, 1)] if who == "unit" else [ns]
    for group in groups:
        if not group:
            continue
        caller, actor = people.loop_caller(who, group[0])
        async with tenant_session(people.tenant, actor=actor) as session:
            for n in group:
                await step(session, caller, await get_suggestion(session, caller, ids[n], for_update=True), n)
            await session.commit()


async def file_all(client, people: People) -> dict[int, uuid.UUID]:
    """提: the lead deputy files and submits each one (between sessions, from a draft of a contact or a
    reception, or one staff started)."""
    p, api, lead = people.place, people.api, people.place.deputy.headers
    ids: dict[int, uuid.UUID] = {}
    for n in BY_ROUTE:
        body = {"category": "transport", "title": f"关于改善沙洋县农村公路的建议(第{n + 1}件)", "content": RURAL_ROADS}
        body["during_session"] = n < DURING_SESSION
        if n == 0:
            body["cosigner_person_ids"] = [str(p.cosigner_persons[0])]
        if n == 135:
            draft = await client.post(
                f"/api/v1/t/{p.code}/suggestions",
                json={"title": body["title"], "content": body["content"], "deputy_person_id": str(p.deputy_person)},
                headers=p.staff.headers,
            )
            assert draft.status_code == 201, draft.text
            body = {"category": "transport", "draft_id": draft.json()["id"], "during_session": False}
        made = await client.post(api, json=body, headers=lead)
        assert made.status_code == 201, made.text
        ids[n] = uuid.UUID(made.json()["item"]["id"])
    await co_signers_of_the_first(client, people, ids[0])
    for n in BY_ROUTE:
        submitted = await client.post(f"{api}/{ids[n]}/submit", headers=lead)
        assert submitted.status_code == 200, submitted.text

    deputy, actor = people.loop_caller("deputy")
    async with tenant_session(people.tenant, actor=actor) as session:
        for n in EVERY:
            if n in BY_ROUTE:
                continue
            fields = {"category": "transport", "during_session": n < DURING_SESSION}
            if n < DURING_SESSION:
                fields |= {"title": f"关于改善沙洋县农村公路的建议(第{n + 1}件)", "content": RURAL_ROADS}
            else:
                draft = await service.create_draft(
                    session,
                    people.tenant,
                    deputy_person_id=p.deputy_person,
                    title=f"关于改善沙洋县农村公路的建议(第{n + 1}件)",
                    content=RURAL_ROADS,
                    source=("contact", "reception")[n % 2],
                    source_id=None,
                )
                fields["draft_id"] = draft.id
            made = await filing.file_suggestion(session, deputy, people.tenant, filing.FilingIn(**fields))
            await filing.submit(session, deputy, made)
            ids[n] = made.id
        await session.commit()
    return ids


async def co_signers_of_the_first(client, people: People, suggestion_id: uuid.UUID) -> None:
    """Two co-signers asked; the first confirms on their own account, the lead takes the other off."""
    p, url = people.place, f"{people.api}/{suggestion_id}"
    first, second = p.cosigner_persons
    asked = await client.post(f"{url}/cosigners", json={"person_ids": [str(second)]}, headers=p.deputy.headers)
    assert asked.status_code == 200, asked.text
    confirmed = await client.post(f"{url}/cosigners/confirm", headers=p.cosigners[0].headers)
    assert confirmed.status_code == 200, confirmed.text
    removed = await client.delete(f"{url}/cosigners/{second}", headers=p.deputy.headers)
    assert removed.status_code == 200, removed.text
    assert [(c["person_id"], c["status"]) for c in removed.json()["cosigners"]] == [(str(first), "confirmed")]


async def accept_and_assign(client, people: People, ids: dict[int, uuid.UUID]) -> None:
    """审查立案 and 交办 by staff: each to one of the two units."""
    api, staff = people.api, people.place.staff.headers
    queue = await client.get(f"{api}/intake", params={"page_size": 200}, headers=staff)
    assert queue.status_code == 200 and queue.json()["total"] >= 158
    for n in BY_ROUTE:
        accepted = await client.post(f"{api}/{ids[n]}/accept", headers=staff)
        assert accepted.status_code == 200, accepted.text
        unit_id, _ = people.unit_of(n)
        assigned = await client.post(f"{api}/{ids[n]}/assignment", json={"lead_unit_id": str(unit_id)}, headers=staff)
        assert assigned.status_code == 200, assigned.text

    async def step(session, caller, suggestion, n):
        await intake.accept(session, caller, suggestion)
        await assignment.assign(session, caller, people.tenant, suggestion, lead_unit_id=people.unit_of(n)[0])

    await through_the_functions(people, "staff", (n for n in EVERY if n not in BY_ROUTE), step, ids)


async def reply_all(client, people: People, ids: dict[int, uuid.UUID], ns: Iterable[int]) -> None:
    """答复 by each suggestion's unit, on the day: on time."""
    ns = list(ns)
    for n in (n for n in ns if n in BY_ROUTE):
        replied = await client.post(
            f"{people.api}/{ids[n]}/reply", json=the_reply(n), headers=people.unit_of(n)[1].headers
        )
        assert replied.status_code == 200, replied.text

    async def step(session, caller, suggestion, n):
        await handling.reply(session, caller, people.tenant, suggestion, **{"reply_commitments": None, **the_reply(n)})

    await through_the_functions(people, "unit", (n for n in ns if n not in BY_ROUTE), step, ids)


async def rate_all(client, people: People, ids: dict[int, uuid.UUID], ns: Iterable[int]) -> None:
    """评价 by the lead deputy, in the window."""
    ns = [n for n in ns if rating(n)]
    for n in (n for n in ns if n in BY_ROUTE):
        rated = await client.post(
            f"{people.api}/{ids[n]}/rating", json={"rating": rating(n)}, headers=people.place.deputy.headers
        )
        assert rated.status_code == 200, rated.text

    async def step(session, caller, suggestion, n):
        await evaluation.rate(session, caller, suggestion, rating(n), None)

    await through_the_functions(people, "deputy", (n for n in ns if n not in BY_ROUTE), step, ids)


async def follow_up_all(client, people: People, ids: dict[int, uuid.UUID], today: date) -> None:
    """回头看 by staff: 12 of the B and C found resolved; one more looked at, still being done."""
    for n in (118, 121, 135):
        entry = {"checked_on": today.isoformat(), "progress": "已完成路基施工", "resolved": resolved_at_follow_up(n)}
        checked = await client.post(f"{people.api}/{ids[n]}/follow-ups", json=entry, headers=people.place.staff.headers)
        assert checked.status_code == 201, checked.text

    async def step(session, caller, suggestion, n):
        await followup.record_follow_up(
            session, caller, suggestion, checked_on=today, progress="道路已硬化完工", resolved=True
        )

    resolved = (n for n in EVERY if resolved_at_follow_up(n) and n not in BY_ROUTE)
    await through_the_functions(people, "staff", resolved, step, ids)


async def rates(client, place: Office, **params) -> dict:
    response = await client.get(f"/api/v1/t/{place.code}/suggestions/rates", params=params, headers=place.staff.headers)
    assert response.status_code == 200, response.text
    return response.json()


async def listed(client, place: Office, caller: Caller | None = None, **params) -> dict:
    response = await client.get(
        f"/api/v1/t/{place.code}/suggestions/items", params=params, headers=(caller or place.staff).headers
    )
    assert response.status_code == 200, response.text
    return response.json()


async def test_the_rates_of_a_county_year_come_out_exactly(client, database, offices) -> None:
    place = await office(database, offices["a"], "沙洋")
    people = People(place, await load_tenant(place.code))
    today = local_today()
    year, term = str(today.year), str(place.term_id)
    ids = await file_all(client, people)
    await accept_and_assign(client, people, ids)
    await reply_all(client, people, ids, EVERY)
    answered = await rates(client, place, by="unit", year=year, term_id=term)
    assert {k: answered["total"][k] for k in ("assigned", "answered", "on_time", "rated", "class_a")} == dict(
        assigned=158, answered=158, on_time=158, rated=0, class_a=118
    )
    assert answered["total"]["on_time_rate"] == 100.0 and answered["total"]["satisfaction_rate"] is None

    # The ratings; the three 不满意 are handled again in a second round, answered on time and rated again.
    await rate_all(client, people, ids, EVERY)
    second_round = [n for n in EVERY if rating(n) == "dissatisfied"]
    again = (await client.get(f"{people.api}/{ids[147]}/rating", headers=place.deputy.headers)).json()
    assert again["round"] == 2 and again["status"] == "assigned" and again["rating"] is None
    await reply_all(client, people, ids, second_round)
    await rate_all(client, people, ids, second_round)
    await follow_up_all(client, people, ids, today)

    # The window of the 8 passes unrated: the nightly job closes them (not counted as satisfied).
    assert (await listed(client, place, year=year, term_id=term, status="replied"))["total"] == 8
    await run_office_job("suggestions.close_unrated", place.code, at(today + timedelta(days=31)))

    report = await rates(client, place, by="unit", year=year, term_id=term)
    assert {k: report["total"][k] for k in EXPECTED} == EXPECTED
    by_unit = report["groups"]
    assert len(by_unit) == 2 and sum(g["assigned"] for g in by_unit) == 158
    assert sum(g["satisfied"] for g in by_unit) == 147 and sum(g["rated"] for g in by_unit) == 150
    by_category = await rates(client, place, by="category", year=year, term_id=term)
    assert [(g["label"], g["assigned"]) for g in by_category["groups"]] == [("交通运输", 158)]

    # The list of the year agrees: 158 closed; 3 rated 不满意, 27 基本满意, 4 answered D.
    assert (await listed(client, place, year=year, term_id=term, status="closed", page_size=1))["total"] == 158
    for params, total in (({"rating": "dissatisfied"}, 3), ({"class": "D"}, 4), ({"rating": "basic"}, 27)):
        assert (await listed(client, place, year=year, term_id=term, **params))["total"] == total, params
    # Each unit lists its own half, through its own token.
    for unit_user, half in ((place.unit_user, 79), (place.other_unit_user, 79)):
        assert (await listed(client, place, unit_user, year=year, page_size=1))["total"] == half

    # The first one's timeline: every step of the loop, the co-signer taken off included.
    first = (await client.get(f"{people.api}/{ids[0]}", headers=place.deputy.headers)).json()
    assert [s["kind"] for s in first["steps"]] == [
        "created",
        "cosign_requested",
        "cosign_requested",
        "cosigned",
        "cosigner_removed",
        "submitted",
        "accepted",
        "assigned",
        "replied",
        "rated",
        "closed",
    ]

    # The rollups: the county's counts summed into the city, its rates derived there.
    await rollups.refresh_office(place.code)
    city_viewer = await make_caller(database, "荆门市代表工委", {offices["city"]: ["viewer"]})
    dashboard = await client.get(
        f"/api/v1/t/{offices['city']}/reports", params={"period": year}, headers=city_viewer.headers
    )
    assert dashboard.status_code == 200, dashboard.text
    totals = {m["key"]: m["value"] for m in dashboard.json()["metrics"]}
    assert {k: totals[f"suggestions.{k}"] for k in ("assigned", "answered", "on_time", "rated", "satisfied")} == dict(
        assigned=158, answered=158, on_time=158, rated=150, satisfied=147
    )
    assert totals["suggestions.resolved"] == 130
    assert {k: totals[f"suggestions.{k}"] for k in ("closure_rate", "satisfaction_rate", "resolution_rate")} == dict(
        closure_rate=100.0, satisfaction_rate=98.0, resolution_rate=82.3
    )


async def test_a_suggestion_carried_across_the_year_is_resolved_and_rated(client, database, offices) -> None:
    place = await office(database, offices["a"], "沙洋")
    api, lead, staff = f"/api/v1/t/{place.code}/suggestions/items", place.deputy.headers, place.staff.headers
    filed_year = local_today().year - 2
    filed, replied = date(filed_year, 11, 20), date(filed_year, 12, 20)
    new_year, looked = date(filed_year + 1, 1, 1), date(filed_year + 1, 1, 10)

    # Filed late in its year, answered B (being resolved) before the year's end; not yet rated.
    with time_machine.travel(at(filed), tick=True):
        made = await client.post(
            api, json={"category": "transport", "title": HIGHWAY[0], "content": HIGHWAY[1]}, headers=lead
        )
        assert made.status_code == 201, made.text
        sid = made.json()["item"]["id"]
        for path, headers in (("submit", lead), ("accept", staff)):
            assert (await client.post(f"{api}/{sid}/{path}", headers=headers)).status_code == 200
        assigned = await client.post(
            f"{api}/{sid}/assignment", json={"lead_unit_id": str(place.unit_id)}, headers=staff
        )
        assert assigned.status_code == 200, assigned.text
    with time_machine.travel(at(replied), tick=True):
        reply = {"reply_class": "B", "reply_text": "已列入明年农村公路计划。", "reply_commitments": "明年一季度完工。"}
        answered = await client.post(f"{api}/{sid}/reply", json=reply, headers=place.unit_user.headers)
        assert answered.status_code == 200, answered.text
    report = await rates(client, place, by="term", term_id=str(place.term_id))
    assert report["total"]["resolved"] == 0 and report["total"]["resolution_rate"] == 0.0

    # The lead deputy's mandate ends (moved out of the county) while it is still being done.
    mandate_id = place.mandates[place.deputy_person]
    term = (await client.get(f"/api/v1/t/{place.code}/terms/{place.term_id}", headers=staff)).json()
    ended_on = min(date(filed_year, 12, 28), date.fromisoformat(term["ends_on"]))
    ended = await client.post(
        f"/api/v1/t/{place.code}/mandates/{mandate_id}/end",
        json={"ended_on": ended_on.isoformat(), "reason": "moved_out"},
        headers=staff,
    )
    assert ended.status_code == 200, ended.text

    # 1 January: the yearly job carries it into the new year (办理工作不换届).
    await run_office_job("suggestions.carry_over", place.code, at(new_year, 0, 31))
    carried = (await client.get(f"{api}/{sid}", headers=staff)).json()
    assert (
        carried["steps"][-1]["kind"] == "carried_over" and f"结转至{filed_year + 1}年度" in carried["steps"][-1]["note"]
    )

    # Found resolved at the follow-up there; the deputy, whose mandate has ended, rates it in the window.
    with time_machine.travel(at(looked), tick=True):
        entry = {"checked_on": looked.isoformat(), "progress": "路基已加固,路面已重铺", "resolved": True}
        checked = await client.post(f"{api}/{sid}/follow-ups", json=entry, headers=staff)
        assert checked.status_code == 201, checked.text
        assert checked.json()["year"] == filed_year + 1
        rated = await client.post(f"{api}/{sid}/rating", json={"rating": "satisfied"}, headers=lead)
        assert rated.status_code == 200 and rated.json()["status"] == "closed", rated.text

    by_term = await rates(client, place, by="term", term_id=str(place.term_id))
    [row] = by_term["groups"]
    assert row["key"] == str(place.term_id)
    assert {k: row[k] for k in ("assigned", "answered", "resolved", "rated", "satisfied")} == dict(
        assigned=1, answered=1, resolved=1, rated=1, satisfied=1
    )
    assert row["resolution_rate"] == 100.0 and row["satisfaction_rate"] == 100.0
    # It counts in its own year, not again in the year it was carried into.
    by_year = await rates(client, place, by="year", term_id=str(place.term_id))
    assert [(g["label"], g["assigned"]) for g in by_year["groups"]] == [(f"{filed_year}年", 1)]
    # The lead deputy still sees it, whatever became of the mandate.
    assert sid in {i["id"] for i in (await listed(client, place, place.deputy))["items"]}
    kinds = [s["kind"] for s in (await client.get(f"{api}/{sid}", headers=lead)).json()["steps"]]
    assert kinds == [
        "created",
        "submitted",
        "accepted",
        "assigned",
        "replied",
        "carried_over",
        "follow_up",
        "rated",
        "closed",
    ]


async def test_a_suggestion_filed_again_after_class_a_is_flagged(client, database, offices) -> None:
    place = await office(database, offices["a"], "沙洋")
    api, lead, staff = f"/api/v1/t/{place.code}/suggestions/items", place.deputy.headers, place.staff.headers
    this_year = local_today().year
    mark = uuid.uuid4().hex[:4]  # this run's text: another run's suggestions in the office do not match

    async def filed(title: str, content: str) -> str:
        made = await client.post(api, json={"category": "transport", "title": title, "content": content}, headers=lead)
        assert made.status_code == 201, made.text
        sid = made.json()["item"]["id"]
        assert (await client.post(f"{api}/{sid}/submit", headers=lead)).status_code == 200
        return sid

    # Three years ago: filed, answered A (resolved), rated 满意.
    with time_machine.travel(at(date(this_year - 3, 3, 5)), tick=True):
        earlier = await filed(ROAD[0], f"{ROAD[1]}(编号{mark})")
        assert (await client.post(f"{api}/{earlier}/accept", headers=staff)).status_code == 200
        body = {"lead_unit_id": str(place.unit_id)}
        assert (await client.post(f"{api}/{earlier}/assignment", json=body, headers=staff)).status_code == 200
        reply = {"reply_class": "A", "reply_text": "通村公路已硬化。"}
        assert (
            await client.post(f"{api}/{earlier}/reply", json=reply, headers=place.unit_user.headers)
        ).status_code == 200
        assert (
            await client.post(f"{api}/{earlier}/rating", json={"rating": "satisfied"}, headers=lead)
        ).status_code == 200

    # Last year the same road again, in other words: its page shows the earlier one, flagged.
    with time_machine.travel(at(date(this_year - 1, 3, 5)), tick=True):
        again = await filed(ROAD_AGAIN[0], f"{ROAD_AGAIN[1]}(编号{mark})")
        shown = await client.get(f"{api}/{again}", headers=staff)
    assert shown.status_code == 200, shown.text
    similar = shown.json()["similar"]
    match = next(s for s in similar if s["suggestion_id"] == earlier)
    assert match["flag_resolved_a"] and match["reply_class"] == "A" and match["year"] == this_year - 3
    assert match["own_office"] and again not in {s["suggestion_id"] for s in similar}
