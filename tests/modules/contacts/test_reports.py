"""Coverage reports per member, per deputy and per quarter; members behind schedule flagged and
reminded by the weekly job; the Excel exports; the rollup metrics."""

from __future__ import annotations

import io
from datetime import timedelta

from openpyxl import load_workbook
from sqlalchemy import select

from renda.modules.contacts import service
from renda.modules.contacts.tasks import behind_schedule
from renda.modules.exports import service as exports
from renda.modules.exports.models import Export
from renda.modules.notifications.models import Notification
from renda.modules.rollups.registry import metrics
from renda.modules.rollups.service import refresh_office
from renda.tenants.scoping import load_tenant, tenant_session
from tests.charts import chart_specs
from tests.conftest import make_caller, raw_fetchval, running_worker
from tests.modules.contacts.support import (
    CITY,
    COUNTY,
    MONTH_END,
    MONTH_START,
    PREVIOUS_QUARTER_START,
    QUARTER_END,
    QUARTER_START,
    REMINDER_MONDAY,
    TODAY,
    YEAR_END,
    YEAR_START,
    deputies,
    fresh_term,
    members,
    quarter_key,
    quarter_label,
    scheduled,
    township,
)
from tests.test_member_pages import signed_in

API = "/api/v1/t/{code}/contacts"
QUARTER, MONTH, YEAR = quarter_key(TODAY), f"{TODAY:%Y-%m}", str(TODAY.year)


async def _quarter_of_contacts(client, database):
    """Three members fixed to three deputies each: 王 contacts all three this quarter, 李 one, 赵 none.
    The contacts fall on the quarter's first day and today (the same day on the quarter's first day)."""
    office = await fresh_term(COUNTY)
    staff = await make_caller(database, "德城区统计干部", {COUNTY: ["staff"]})
    users = [await make_caller(database, f"组成人员{n}", {COUNTY: ["committee_member"]}) for n in "王李赵"]
    wang, li, zhao, idle = await members(
        office, 4, user_ids=[u.user_id for u in users], names=["王委员", "李委员", "赵委员", "钱委员"]
    )
    await township(office, "371402105", "宋官屯街道")
    people = await deputies(office, 9, township_code="371402105")
    api = API.format(code=COUNTY)
    for n, seat in enumerate((wang, li, zhao)):
        for person in people[3 * n : 3 * n + 3]:
            added = await client.post(
                f"{api}/assignments",
                json={"committee_member_id": str(seat), "person_id": str(person)},
                headers=staff.headers,
            )
            assert added.status_code == 201
    contacts = [
        (users[0], QUARTER_START.isoformat(), "visit", people[0:2]),
        (users[0], TODAY.isoformat(), "call", people[2:3]),
        (users[1], TODAY.isoformat(), "meeting", [people[3], people[0]]),
    ]
    for user, day, mode, chosen in contacts:
        created = await client.post(
            f"{api}/records",
            json={"contacted_on": day, "mode": mode, "topics": "联系代表", "person_ids": [str(p) for p in chosen]},
            headers=user.headers,
        )
        assert created.status_code == 201, created.text
    return office, staff, users, (wang, li, zhao, idle), people, api


async def test_behind_schedule_is_flagged_and_reminded_once_per_run(client, database, offices) -> None:
    _, staff, users, (wang, li, zhao, idle), _people, api = await _quarter_of_contacts(client, database)
    report = (await client.get(f"{api}/reports/members", params={"quarter": QUARTER}, headers=staff.headers)).json()
    rows = {r["member"]["id"]: r for r in report["rows"]}
    assert (rows[str(wang)]["assigned"], rows[str(wang)]["contacted"], rows[str(wang)]["records"]) == (3, 3, 2)
    assert rows[str(wang)]["last_contact_on"] == TODAY.isoformat() and not rows[str(wang)]["behind"]
    assert (rows[str(li)]["contacted"], rows[str(li)]["behind"]) == (1, True)
    assert len(rows[str(li)]["not_contacted"]) == 2
    assert (rows[str(zhao)]["contacted"], rows[str(zhao)]["behind"], rows[str(zhao)]["last_contact_on"]) == (
        0,
        True,
        None,
    )
    assert not rows[str(idle)]["behind"]  # no fixed deputies, nothing to be behind on
    assert report["behind_count"] == 2 and report["quarter_label"] == quarter_label(TODAY)
    own = (await client.get(f"{api}/reports/members", headers=users[1].headers)).json()
    assert [r["member"]["id"] for r in own["rows"]] == [str(li)]

    # The weekly job reminds only in a quarter's last month, each behind member once per run.
    assert await service.remind_behind_schedule(COUNTY, QUARTER_START, scheduled(QUARTER_START)) == 0
    run = behind_schedule.fn.__wrapped__  # the actor's own coroutine function
    await run(COUNTY, scheduled(REMINDER_MONDAY))
    await run(COUNTY, scheduled(REMINDER_MONDAY))  # the same message again
    inbox = await _reminders(COUNTY)
    assert sorted(n.user_id for n in inbox) == sorted([users[1].user_id, users[2].user_id])
    zhao_item = next(n for n in inbox if n.user_id == users[2].user_id)
    assert zhao_item.title == f"{quarter_label(TODAY)}联系代表提醒" and "尚有 3 名未联系" in zhao_item.body
    assert zhao_item.link == f"/t/{COUNTY}/contacts?tab=coverage"
    await run(COUNTY, scheduled(REMINDER_MONDAY + timedelta(days=7)))  # next week: still behind, reminded again
    assert len(await _reminders(COUNTY)) == 4
    # And through a worker, as the scheduler's fan-out sends it.
    with running_worker("stub") as broker:
        behind_schedule.send(COUNTY, scheduled(REMINDER_MONDAY + timedelta(days=14)))
        broker.join(behind_schedule.queue_name)
    assert len(await _reminders(COUNTY)) == 6

    # The looser rule: one of the fixed deputies contacted is enough.
    loose = await client.put(
        f"{api}/settings", json={"min_per_member": 3, "max_per_member": 5, "behind_rule": "any"}, headers=staff.headers
    )
    assert loose.status_code == 200 and loose.json()["behind_rule_label"] == "本季度至少联系过一名固定联系代表"
    rows = {
        r["member"]["id"]: r for r in (await client.get(f"{api}/reports/members", headers=staff.headers)).json()["rows"]
    }
    assert (rows[str(li)]["behind"], rows[str(zhao)]["behind"]) == (False, True)
    # An earlier quarter had no contacts: nobody assigned then is "behind" by a quarter's figures there.
    past = await client.get(
        f"{api}/reports/members", params={"quarter": quarter_key(PREVIOUS_QUARTER_START)}, headers=staff.headers
    )
    assert past.status_code == 200 and all(r["contacted"] == 0 for r in past.json()["rows"])
    bad = await client.get(f"{api}/reports/members", params={"quarter": MONTH}, headers=staff.headers)
    assert bad.status_code == 400 and bad.json()["code"] == "invalid_quarter"


async def _reminders(code: str) -> list[Notification]:
    async with tenant_session(await load_tenant(code), actor="system:test") as session:
        query = select(Notification).where(Notification.kind == "contact_behind_schedule")
        return list((await session.execute(query)).scalars())


async def test_reports_per_deputy_and_quarter_and_the_excel_exports(client, database, offices) -> None:
    _, staff, users, _seats, people, api = await _quarter_of_contacts(client, database)
    deputies_report = (await client.get(f"{api}/reports/deputies", headers=staff.headers)).json()
    rows = {r["deputy"]["id"]: r for r in deputies_report["items"]}
    assert deputies_report["total"] == 9
    assert rows[str(people[0])]["contacts_in_quarter"] == 2 and rows[str(people[0])]["member_name"] == "王委员"
    assert rows[str(people[8])]["contacts_in_term"] == 0 and rows[str(people[8])]["last_contact_on"] is None
    searched = await client.get(f"{api}/reports/deputies", params={"q": "李委员"}, headers=staff.headers)
    assert searched.json()["total"] == 3
    mine = await client.get(f"{api}/reports/deputies", headers=users[0].headers)
    assert {r["deputy"]["id"] for r in mine.json()["items"]} == {str(p) for p in people[:3]}

    quarters = (await client.get(f"{api}/reports/quarters", headers=staff.headers)).json()["rows"]
    current = quarters[0]
    assert current["quarter"] == QUARTER and current["records"] == 3 and current["members_contacting"] == 2
    assert (current["deputies_contacted"], current["assigned_contacted"], current["assigned"]) == (4, 4, 9)
    assert current["behind"] == 2

    refused = await client.post(
        f"/api/v1/t/{COUNTY}/exports", json={"kind": "contacts_coverage", "params": {}}, headers=users[0].headers
    )
    assert refused.status_code == 403  # a member sees only their own figures
    requested = await client.post(
        f"/api/v1/t/{COUNTY}/exports",
        json={"kind": "contacts_coverage", "params": {"quarter": QUARTER}},
        headers=staff.headers,
    )
    assert requested.status_code == 202, requested.text
    member_rows = await _built(COUNTY, "contacts_coverage", {"quarter": QUARTER})
    assert member_rows[0][:4] == ("组成人员", "职务", "主任会议成员", "固定联系代表数")
    by_name = {row[0]: row for row in member_rows[1:]}
    assert by_name["赵委员"][3:8] == (3, 0, 0, None, "滞后") and by_name["王委员"][7] == "正常"
    deputy_rows = await _built(COUNTY, "contacts_deputy_coverage", {})
    assert deputy_rows[0][0] == "代表" and len(deputy_rows) == 10
    assert {row[5] for row in deputy_rows[1:]} == {"王委员", "李委员", "赵委员"}


async def test_the_coverage_tab_charts_its_figures_and_exports_them(client, database, offices) -> None:
    _, staff, _users, _seats, _people, api = await _quarter_of_contacts(client, database)
    quarters = (await client.get(f"{api}/reports/quarters", headers=staff.headers)).json()["rows"]
    members = (await client.get(f"{api}/reports/members", headers=staff.headers)).json()
    page = await client.get(f"/t/{COUNTY}/contacts", params={"tab": "coverage"}, headers=staff.headers)
    assert page.status_code == 200 and "/static/charts.js" in page.text
    charts = chart_specs(page.text)
    assert charts["chart-quarters"]["labels"] == [q["quarter_label"] for q in quarters]
    assert charts["chart-quarters"]["series"] == [
        {"name": "联系记录", "values": [q["records"] for q in quarters]},
        {"name": "被联系的代表", "values": [q["deputies_contacted"] for q in quarters]},
    ]
    assert charts["chart-quarters"]["series"][0]["values"][0] == 3
    by_member = charts["chart-members"]
    assert by_member["labels"] == [r["member"]["name"] for r in members["rows"]]
    assert by_member["series"][1] == {"name": "本季度已联系", "values": [r["contacted"] for r in members["rows"]]}
    assert 'name="list" value="quarters"' in page.text
    # The quarters' figures go to Excel as the chart and table show them.
    rows = await _built(COUNTY, "contacts_quarters", {})
    assert rows[0][:4] == ("季度", "联系记录", "开展联系的组成人员", "被联系的代表")
    assert [row[:4] for row in rows[1:]] == [
        (q["quarter_label"], q["records"], q["members_contacting"], q["deputies_contacted"]) for q in quarters
    ]
    csrf = await signed_in(database, client, staff.user_id)
    queued = await client.post(
        f"/t/{COUNTY}/contacts/export", data={"_csrf": csrf, "list": "quarters"}, follow_redirects=False
    )
    assert queued.status_code in (302, 303) and "tab=coverage&export=" in queued.headers["location"]


async def _built(code: str, kind: str, params: dict) -> list[tuple]:
    async with tenant_session(await load_tenant(code), actor="system:test") as session:
        export = Export(kind=kind, params=params, requested_by="system:test")
        session.add(export)
        await session.flush()
        await exports.build(session, export)
        sheet = load_workbook(io.BytesIO(export.content)).active
        await session.rollback()
    return [tuple(row) for row in sheet.iter_rows(values_only=True)]


async def test_metrics_reach_the_rollups(client, database, database_url, offices) -> None:
    office, staff, _users, _seats, people, api = await _quarter_of_contacts(client, database)
    uncovered = await deputies(office, 1)  # a tenth deputy nobody covers
    meeting = await client.post(
        f"{api}/meetings",
        json={"number": 1, "title": "第一次会议", "held_on": TODAY.isoformat(), "observers": 6},
        headers=staff.headers,
    )
    invited = await client.post(
        f"{api}/meetings/{meeting.json()['id']}/invitations",
        json={"person_ids": [str(people[0]), str(uncovered[0])]},
        headers=staff.headers,
    )
    assert invited.status_code == 201
    assert await refresh_office(COUNTY, TODAY)

    async def figure(metric: str, period: str, code: str = COUNTY, scope: str = "own", member: str = "") -> int:
        return await raw_fetchval(
            database_url,
            "select value from platform.rollup_figures where office_code=$1 and metric=$2 and period=$3"
            " and scope=$4 and member=$5",
            code,
            metric,
            period,
            scope,
            member,
        )

    assert await figure("contacts.deputies_to_cover", QUARTER) == 10
    assert await figure("contacts.deputies_covered", QUARTER) == 9
    assert await figure("contacts.deputies_covered", QUARTER, member="direct") == 9

    # Flows count every record and invitation of the office in the period (earlier tests' too).
    async def count(sql: str, *args) -> int:
        return await raw_fetchval(database_url, sql.format(schema=f'"t_{COUNTY}"'), *args)

    in_quarter = await count(
        "select count(*) from {schema}.contact_records where contacted_on between $1 and $2", QUARTER_START, QUARTER_END
    )
    assert in_quarter >= 3 and await figure("contacts.records", QUARTER) == in_quarter
    calls_in_month = await count(
        "select count(*) from {schema}.contact_records where mode = 'call' and contacted_on between $1 and $2",
        MONTH_START,
        MONTH_END,
    )
    assert calls_in_month >= 1 and await figure("contacts.records", MONTH, member="call") == calls_in_month
    assert await figure("contacts.members_assigned", YEAR) == 3
    invitations = await count(
        "select count(*) from {schema}.contact_meeting_invitations i join {schema}.contact_meetings m"
        " on m.id = i.meeting_id where m.held_on between $1 and $2",
        QUARTER_START,
        QUARTER_END,
    )
    assert invitations >= 2 and await figure("contacts.invited_attendances", QUARTER) == invitations
    observers = await count(
        "select sum(observers) from {schema}.contact_meetings where held_on between $1 and $2", YEAR_START, YEAR_END
    )
    assert observers >= 6 and await figure("contacts.public_observers", YEAR) == observers
    # The city's total holds the county's figures.
    assert await figure("contacts.records", QUARTER, code=CITY, scope="total") >= 3
    registered = metrics()
    assert registered["contacts.coverage"].of(9, 10) == 90.0
    assert registered["contacts.records_per_member"].of(3, 3) == 1.0
    for key in ("contacts.coverage", "contacts.records_per_member"):
        assert registered[key].numerator in registered and registered[key].denominator in registered
