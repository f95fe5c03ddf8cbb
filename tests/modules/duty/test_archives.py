"""履职档案: one archive per deputy per year, generated from the records while the year is open (the
duty tables, the ledger's entries for suggestions, receptions and contacts, the points and the
rating), readable by the deputy on their own and by staff for anyone, and refused otherwise."""

from __future__ import annotations

from datetime import date, datetime

import pytest
import time_machine

from renda.core.timezone import LOCAL_TZ
from renda.modules.duty.totals import points_of
from renda.tenants.scoping import load_tenant, tenant_session
from tests.conftest import make_caller
from tests.modules.duty.support import ACTOR, duty_office
from tests.modules.duty.support_archives import YEAR, fill_year

pytestmark = pytest.mark.date_sensitive

DECEMBER = datetime(YEAR, 12, 28, 10, 0, tzinfo=LOCAL_TZ)  # the year still open


def api(code: str) -> str:
    return f"/api/v1/t/{code}/duty/archives"


async def test_the_archive_says_what_the_records_say(client, database, offices) -> None:
    office = await duty_office(database, offices["a"], "远安档案", deputies=2)
    await fill_year(office.code, office.person)
    with time_machine.travel(DECEMBER, tick=True):
        got = await client.get(
            f"{api(office.code)}/{office.person}", params={"year": YEAR}, headers=office.deputy.headers
        )
    assert got.status_code == 200, got.text
    body = got.json()
    assert (body["year"], body["status"], body["status_label"], body["closed_at"]) == (YEAR, "open", "本年度", None)
    a = body["content"]
    assert a["office"] == "宜昌市远安县人大常委会" and a["person"]["id"] == str(office.person)
    assert [m["congress"] for m in a["mandates"]] and a["mandates"][0]["status_label"] == "在任"

    # Activities with their attendance status (the cancelled one left out), trainings apart with hours.
    assert [(x["kind_label"], x["status_label"]) for x in a["activities"]] == [
        ("出席人民代表大会会议", "出席"),
        ("视察", "缺席"),
        ("调研", "请假"),
    ]
    assert [(t["title"], t["hours"], t["source_label"]) for t in a["trainings"]] == [
        ("代表履职能力专题培训", "3", "扫码签到"),
        ("省人大代表学习班(线上)", "2", "佐证材料"),
    ]
    assert a["training_hours"] == "5"
    assert [e["title"] for e in a["evidence"]] == ["省人大代表学习班(线上)"]  # the pending one is not

    # Suggestions, receptions and contacts from the ledger: the 0-point co-signing is there, the undone
    # suggestion is not; a key suggestion's bonus is its own line.
    assert [(s["label"], s["role_label"], s["points"]) for s in a["suggestions"]] == [
        ("关于硬化宝丰镇至溢水镇公路的建议", "领衔", "5"),
        ("关于增设公交候车亭的建议", "联名", "0"),
        ("关于硬化宝丰镇至溢水镇公路的建议", "列为重点建议", "3"),
    ]
    assert [r["date"] for r in a["receptions"]] == [f"{YEAR}-05-10", f"{YEAR}-08-20"]
    assert [c["label"] for c in a["contacts"]] == ["列席县人大常委会第十八次会议"]

    # Points: the capped totals of totals.points_of, and every entry of the year (not the year before's).
    async with tenant_session(await load_tenant(office.code), actor=ACTOR, read_only=True) as session:
        expected = (await points_of(session, YEAR, [office.person]))[office.person]
    assert a["points"]["total"] == f"{expected.total:f}".rstrip("0").rstrip(".") == "37"
    assert len(a["points"]["entries"]) == 11 and "上一年度的会议" not in str(a["points"]["entries"])
    assert {e["reason_label"] for e in a["points"]["entries"]} == {"计分", "撤销冲正"}

    # The rating with every step and the talk.
    rating = a["rating"]
    assert (rating["grade_label"], rating["stars"], rating["step_label"]) == ("基本称职", 2, "常委会审定")
    assert [s["step_label"] for s in rating["steps"]] == ["代表自评", "代表小组评议", "乡镇(街道)审核", "常委会审定"]
    assert rating["talks"][0]["talker"] == "王主任"
    assert a["summary"] | {} == {
        "present": 1,
        "leave": 1,
        "absent": 1,
        "trainings": 2,
        "training_hours": "5",
        "evidence": 1,
        "suggestions_lead": 1,
        "suggestions_cosign": 1,
        "receptions": 2,
        "contacts": 1,
        "points": "37",
        "grade": "基本称职",
    }

    # Each reading is made again from the records while the year is open.
    async with tenant_session(await load_tenant(office.code), actor=ACTOR) as session:
        from tests.modules.duty.support_archives import entry

        session.add(
            entry(office.person, "reception", "people", "2", "新增的接待", date(YEAR, 11, 10), source="reception")
        )
        await session.commit()
    with time_machine.travel(DECEMBER, tick=True):
        again = (
            await client.get(f"{api(office.code)}/{office.person}", params={"year": YEAR}, headers=office.staff.headers)
        ).json()
    assert len(again["content"]["receptions"]) == 3 and again["content"]["points"]["total"] == "39"


async def test_who_reads_which_archive(client, database, offices) -> None:
    office = await duty_office(database, offices["a"], "远安档案权限", deputies=2)
    other = await duty_office(database, offices["b"], "兴山档案权限", deputies=1)
    url = f"{api(office.code)}/{office.person}"
    with time_machine.travel(DECEMBER, tick=True):
        for who in (office.deputy, office.staff, office.viewer, office.committee):
            assert (await client.get(url, params={"year": YEAR}, headers=who.headers)).status_code == 200
        theirs = await client.get(url, params={"year": YEAR}, headers=office.deputies[1].headers)
        assert (theirs.status_code, theirs.json()["code"]) == (403, "duty_not_own")
        elsewhere = await client.get(f"{api(office.code)}/{other.person}", headers=office.staff.headers)
        assert (elsewhere.status_code, elsewhere.json()["code"]) == (404, "person_not_found")
        stranger = await make_caller(database, "兴山工作人员看远安", {other.code: ["staff"]})
        assert (await client.get(url, headers=stranger.headers)).status_code == 403
        future = await client.get(url, params={"year": YEAR + 1}, headers=office.staff.headers)
        assert (future.status_code, future.json()["code"]) == (400, "invalid_year")
        before = await client.get(url, params={"year": 2019}, headers=office.staff.headers)
        assert (before.status_code, before.json()["code"]) == (404, "archive_not_found")  # no mandate in 2019

        # 我的履职档案: the deputy's years; the office's list is for those who see every deputy.
        mine = (await client.get(f"{api(office.code)}/mine", headers=office.deputy.headers)).json()
        assert mine["person_id"] == str(office.person)
        assert [y["year"] for y in mine["years"]][:2] == [YEAR, YEAR - 1] and mine["years"][-1]["year"] == 2021
        assert (await client.get(f"{api(office.code)}/mine", headers=office.staff.headers)).status_code == 403
        listed = await client.get(
            api(office.code), params={"year": YEAR, "group_id": str(office.group_id)}, headers=office.viewer.headers
        )
        assert {i["person_id"] for i in listed.json()["items"]} == {str(p) for p in office.persons}
        assert (await client.get(api(office.code), headers=office.deputy.headers)).status_code == 403


async def test_the_deputys_pages(client, database, offices) -> None:
    office = await duty_office(database, offices["a"], "远安档案页面", deputies=1)
    await fill_year(office.code, office.person)
    html = {"Accept": "text/html"}
    with time_machine.travel(DECEMBER, tick=True):
        index = await client.get(
            f"/t/{office.code}/duty/archives", headers={**html, **office.deputy.headers}, follow_redirects=False
        )
        assert index.status_code in (302, 303) and index.headers["location"].endswith("/duty/archives/mine")
        page = await client.get(f"/t/{office.code}/duty/archives/mine", headers={**html, **office.deputy.headers})
        assert page.status_code == 200
        for text in (
            "我的履职档案",
            "关于硬化宝丰镇至溢水镇公路的建议",
            "列为重点建议",
            "5 学时",
            "基本称职",
            "下载 PDF",
        ):
            assert text in page.text, text
        assert "添加更正记录" not in page.text
        staff = await client.get(
            f"/t/{office.code}/duty/archives", params={"year": YEAR}, headers={**html, **office.staff.headers}
        )
        assert staff.status_code == 200 and "批量导出档案" in staff.text
