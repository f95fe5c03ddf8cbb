"""The points API and pages: who may read and change what, bad rules refused with their code and nothing
saved, a deputy's own points with every entry and why, the ranking and its Excel export."""

from __future__ import annotations

import io
import uuid
from datetime import date

import pytest
from openpyxl import load_workbook

from renda.core.timezone import local_today
from renda.modules.exports import service as exports
from renda.tenants.scoping import load_tenant, tenant_session
from tests.modules.duty.support import ACTOR, person_name
from tests.modules.duty.support_points import activity, attend, own_office, points_office
from tests.test_member_pages import signed_in

pytestmark = pytest.mark.date_sensitive


async def test_rules_api_reads_for_all_and_saves_for_staff(client, database, offices) -> None:
    code = await own_office(database, offices, "routes")
    office = await points_office(database, code, "当阳", deputies=1)
    api, year = f"/api/v1/t/{code}/duty/points", local_today().year

    shown = await client.get(f"{api}/rules", headers=office.viewer.headers)
    assert shown.status_code == 200, shown.text
    body = shown.json()
    assert body["year"] == year and len(body["rules"]) == 21 and body["base"] == 100
    session_rule = next(r for r in body["rules"] if r["event_kind"] == "session")
    assert session_rule["label"] == "出席人民代表大会会议" and session_rule["category_label"] == "会议出席"

    change = {"year": year, "rules": [{"event_kind": "session", "category": "meetings", "points": 22}]}
    assert (await client.put(f"{api}/rules", json=change, headers=office.viewer.headers)).status_code == 403
    refused = await client.put(f"{api}/rules", json=change, headers=office.deputy.headers)
    assert refused.status_code == 403 and refused.json()["code"] == "duty_staff_only"
    before = (await client.get(f"{api}/rules/versions", headers=office.staff.headers)).json()

    for bad, code_ in (
        ({"year": year, "categories": [{"code": "people", "cap": -1}]}, "cap_negative"),
        ({"year": year, "categories": [{"code": "meetings", "cap": 60}]}, "caps_exceed_base"),
        ({"year": year, "rules": [change["rules"][0], change["rules"][0]]}, "rule_overlap"),
        (
            {"year": year, "rules": [{"event_kind": "reception", "category": "people", "points": -1}]},
            "deduction_not_allowed",
        ),
    ):
        answer = await client.put(f"{api}/rules", json=bad, headers=office.staff.headers)
        assert (answer.status_code, answer.json()["code"]) == (400, code_), answer.text
    assert (await client.get(f"{api}/rules/versions", headers=office.staff.headers)).json() == before

    saved = await client.put(f"{api}/rules", json=change, headers=office.staff.headers)
    assert saved.status_code == 200, saved.text
    now = next(r for r in saved.json()["rules"] if r["event_kind"] == "session")
    assert now["points"] == 22 and saved.json()["saved"] is True
    versions = (await client.get(f"{api}/rules/versions", headers=office.viewer.headers)).json()
    sessions = [v for v in versions if v["event_kind"] == "session"]
    assert [v["superseded_at"] is None for v in sessions][-2:] == [False, True]


async def test_points_of_a_deputy_and_the_ranking(client, database, offices) -> None:
    code = await own_office(database, offices, "routes")
    office = await points_office(database, code, "当阳", deputies=2)
    me, colleague = office.persons
    api, year = f"/api/v1/t/{code}/duty/points", local_today().year
    inspection = await activity(code, "inspection", on=date(year, 1, 1), title="视察城区道路建设")
    await attend(code, inspection, me)
    await attend(code, inspection, colleague, "absent")

    assert (await client.post(f"{api}/reconcile", headers=office.deputy.headers)).status_code == 403
    done = await client.post(f"{api}/reconcile", headers=office.staff.headers)
    assert done.status_code == 200, done.text

    mine = await client.get(f"{api}/mine", headers=office.deputy.headers)
    assert mine.status_code == 200, mine.text
    points = mine.json()
    assert points["person_id"] == str(me) and points["total"] == 5 and points["rank"] is not None
    [entry] = points["entries"]
    assert entry["label"] == "参加视察:视察城区道路建设" and entry["points"] == 5
    assert entry["why"] == "按规则计分:参加视察 每次 5 分(第 1 版)" and entry["reason_label"] == "计分"
    activities = next(c for c in points["categories"] if c["code"] == "activities")
    assert (activities["counted"], activities["cap"]) == (5, 25)

    assert (await client.get(f"{api}/mine", headers=office.staff.headers)).json()["code"] == "duty_deputy_only"
    other = await client.get(f"{api}/persons/{colleague}", headers=office.deputy.headers)
    assert other.status_code == 403 and other.json()["code"] == "duty_not_own"
    seen = await client.get(f"{api}/persons/{colleague}", headers=office.committee.headers)
    assert seen.status_code == 200 and seen.json()["entries"][0]["event_kind"] == "absence"
    assert (await client.get(f"{api}/persons/{uuid.uuid4()}", headers=office.staff.headers)).status_code == 404

    ranked = await client.get(
        f"{api}/ranking", params={"scope": "group", "group_id": str(office.group_id)}, headers=office.deputy.headers
    )
    assert ranked.status_code == 200, ranked.text
    assert [(i["name"], i["rank"], i["total"]) for i in ranked.json()["items"]] == [
        (await person_name(code, me), 1, 5),
        (await person_name(code, colleague), 2, 0),
    ]
    for params, problem in (({"scope": "group"}, "group_required"), ({"scope": "moon"}, "invalid_scope")):
        bad = await client.get(f"{api}/ranking", params=params, headers=office.viewer.headers)
        assert (bad.status_code, bad.json()["code"]) == (400, problem)


async def test_the_pages(client, database, offices) -> None:
    code = await own_office(database, offices, "routes")
    office = await points_office(database, code, "当阳", deputies=1)
    year = local_today().year
    inspection = await activity(code, "research", on=date(year, 1, 1), title="调研乡村公路养护")
    await attend(code, inspection, office.person)
    name = await person_name(code, office.person)

    csrf = await signed_in(database, client, office.staff.user_id)
    done = await client.post(
        f"/t/{code}/duty/points/reconcile", data={"_csrf": csrf, "year": str(year)}, follow_redirects=False
    )
    assert done.status_code in (302, 303), done.text
    page = await client.get(
        f"/t/{code}/duty/points/ranking", params={"scope": "group", "group_id": str(office.group_id)}
    )
    assert page.status_code == 200 and name in page.text and "履职积分排名" in page.text

    rules_page = await client.get(f"/t/{code}/duty/points/rules")
    assert rules_page.status_code == 200 and "保存积分规则" in rules_page.text
    bad = await client.post(
        f"/t/{code}/duty/points/rules",
        data={"_csrf": csrf, "year": str(year), "category_cap_people": "-2"},
        follow_redirects=False,
    )
    assert bad.status_code == 400 and "不能为负数" in bad.text and 'role="alert"' in bad.text
    good = await client.post(
        f"/t/{code}/duty/points/rules",
        data={"_csrf": csrf, "year": str(year), "points_research": "6", "category_research": "activities"},
        follow_redirects=False,
    )
    assert good.status_code in (302, 303) and "saved=1" in good.headers["location"]

    exported = await client.post(
        f"/t/{code}/duty/points/ranking/export",
        data={"_csrf": csrf, "year": str(year), "scope": "group", "group_id": str(office.group_id)},
        follow_redirects=False,
    )
    assert exported.status_code in (302, 303), exported.text
    export_id = uuid.UUID(exported.headers["location"].rsplit("export=", 1)[1])
    async with tenant_session(await load_tenant(code), actor=ACTOR) as session:
        export = await exports.get_export(session, export_id, with_content=True)
        if export.content is None:  # not built by the worker yet
            await exports.build(session, export)
        sheet = load_workbook(io.BytesIO(export.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == ("名次", "代表姓名", "代表小组", "基本分", "附加分", "总积分")
    assert rows[1][:2] == (1, name)

    client.cookies.clear()
    await signed_in(database, client, office.deputy.user_id)
    mine = await client.get(f"/t/{code}/duty/points/mine")
    assert mine.status_code == 200 and "我的积分" in mine.text and "参加调研:调研乡村公路养护" in mine.text
    assert "按规则计分" in mine.text


async def test_the_rules_form_as_shown_saves_nothing_new(client, database, offices) -> None:
    """Every field of the page sent back unchanged: the category caps and the rules' caps do not mix
    (a category and a kind of event are both called `people`)."""
    code = await own_office(database, offices, "routes")
    office = await points_office(database, code, "当阳", deputies=1)
    year = local_today().year
    shown = (await client.get(f"/api/v1/t/{code}/duty/points/rules", headers=office.staff.headers)).json()
    form = {"year": str(year)}
    for c in shown["categories"]:
        form[f"category_cap_{c['code']}"] = "" if c["cap"] is None else f"{c['cap']:g}"
    for r in shown["rules"]:
        kind = r["event_kind"]
        form |= {f"category_{kind}": r["category"], f"points_{kind}": f"{r['points']:g}", f"unit_{kind}": r["unit"]}
        form[f"cap_{kind}"] = "" if r["cap"] is None else f"{r['cap']:g}"
    csrf = await signed_in(database, client, office.staff.user_id)
    sent = await client.post(f"/t/{code}/duty/points/rules", data={"_csrf": csrf, **form}, follow_redirects=False)
    assert sent.status_code in (302, 303), sent.text
    assert sent.headers["location"].endswith("saved=0")
