"""The receptions pages as a clerk and a deputy use them, through a browser session."""

from __future__ import annotations

import re

import pytest

from tests.conftest import make_caller, raw_fetchval
from tests.modules.receptions.support import (
    YEAR,
    A,
    add_deputies,
    add_directory_mandate,
    add_station,
    next_day_of_month,
    receptions_state,
    unique,
)
from tests.test_member_pages import signed_in


@pytest.mark.smoke
async def test_clerk_sets_rules_rosters_and_records_from_the_pages(client, database, database_url, offices) -> None:
    clerk = await make_caller(database, unique("三原县接待页面干事"), {A: ["staff"]})
    csrf = await signed_in(database, client, clerk.user_id)
    names = [unique("三原页面代表") for _ in range(3)]
    persons = await add_deputies(A, *names)
    mandate = await add_directory_mandate(database, unique("省页面代表"), "provincial")
    station_name = unique("三原县城关街道代表联络站")
    station = await add_station(A, station_name, persons=persons, mandates=[mandate], township_code="610422100")
    base = f"/t/{A}/receptions"

    overview = await client.get(base)
    assert overview.status_code == 200
    for text in ("接待选民", "接待日历", "排班", "接待记录", "家站室接待规则", "接待日调整"):
        assert text in overview.text

    rule = {"_csrf": csrf, "kind": "month_days", "days": "10、20、30", "valid_from": "2026-01-01"}
    made = await client.post(f"{base}/stations/{station}/rules", data=rule)
    assert made.status_code == 200 and "逢十接待日" in made.text, made.text
    before = await receptions_state(database_url, A)
    bad = await client.post(f"{base}/stations/{station}/rules", data=rule | {"days": "10,三十"})
    assert bad.status_code == 400 and 'role="alert"' in bad.text and "逗号分隔" in bad.text
    assert await receptions_state(database_url, A) == before

    generated = await client.post(
        f"{base}/roster/generate", data={"_csrf": csrf, "station_id": str(station), "month": f"{YEAR}-02"}
    )
    assert generated.status_code == 200, generated.text
    assert "月进站、季进家落实情况" in generated.text and "已落实" in generated.text and names[0] in generated.text
    page = await client.get(f"{base}/stations/{station}", params={"month": f"{YEAR}-02"})
    assert f"{YEAR}年2月接待日历与排班" in page.text and page.text.count("自动排班") == 4
    roster_tab = await client.get(base, params={"tab": "roster", "month": f"{YEAR}-02", "station_id": str(station)})
    assert names[1] in roster_tab.text and "省人大代表" in roster_tab.text
    calendar = await client.get(base, params={"tab": "calendar", "month": f"{YEAR}-02"})
    assert station_name in calendar.text

    holiday = {"_csrf": csrf, "day": f"{YEAR}-02-10", "kind": "cancelled", "station_id": str(station), "reason": "春节"}
    assert (await client.post(f"{base}/exceptions", data=holiday)).status_code == 200
    calendar = await client.get(base, params={"tab": "calendar", "month": f"{YEAR}-02", "station_id": str(station)})
    assert "春节" in calendar.text and "停止接待" in calendar.text

    form = await client.get(f"{base}/records/new", params={"station_id": str(station)})
    assert form.status_code == 200 and "登记接待" in form.text and names[2] in form.text
    record = {
        "_csrf": csrf,
        "station_id": str(station),
        "held_on": "2026-11-21",
        "deputies": [f"p:{persons[0]}", f"m:{mandate}"],
        "visitor_name": "赵大姐",
        "visitor_count": "3",
        "visitor_phone": "13812345678",
        "category": "education",
        "issue": "村小学校车接送时间太早,希望调整。",
        "to_opinion": "1",
    }
    created = await client.post(f"{base}/records", data=record, follow_redirects=False)
    assert created.status_code in (302, 303), created.text
    record_id = re.search(r"/records/([0-9a-f-]{36})$", created.headers["location"]).group(1)
    detail = await client.get(f"{base}/records/{record_id}")
    assert detail.status_code == 200
    for text in ("非接待日", "138****5678", "赵大姐等 3 人", "已转为群众意见", "教育"):
        assert text in detail.text
    assert "13812345678" not in detail.text
    edited = await client.post(
        f"{base}/records/{record_id}/edit",
        data={"_csrf": csrf, "held_on": "2026-11-20", "deputies_sent": "1", "deputies": [f"p:{persons[0]}"],
              "visitor_name": "赵大姐", "visitor_count": "3", "visitor_phone": "", "category": "education",
              "issue": "村小学校车接送时间太早,希望调整。", "handling": "已转教育局"},
    )  # fmt: skip
    assert edited.status_code == 200 and "已转教育局" in edited.text and "138****5678" in edited.text
    refused = await client.post(f"{base}/records", data=record | {"visitor_phone": "123"})
    assert refused.status_code == 400 and "联系电话" in refused.text

    register = await client.get(f"{base}/stations/{station}", params={"register_month": "2026-11"})
    assert "接待台账" in register.text and "赵大姐" in register.text and "共接待 1 次、3 人次" in register.text
    exported = await client.post(
        f"{base}/stations/{station}/register/export", data={"_csrf": csrf, "month": "2026-11"}, follow_redirects=False
    )
    assert exported.status_code in (302, 303) and "export=" in exported.headers["location"]
    records = await client.get(base, params={"tab": "records", "station_id": str(station)})
    assert "赵大姐" in records.text and "tag off" not in records.text  # moved to a reception day
    stations = await client.get(base, params={"tab": "stations"})
    assert station_name in stations.text and "每月10日、20日、30日" in stations.text
    rows = await raw_fetchval(database_url, f'select count(*) from "t_{A}".receptions where station_id = $1', station)
    assert rows == 1


async def test_deputy_sees_their_schedule_and_records_a_reception(client, database, database_url, offices) -> None:
    deputy = await make_caller(database, unique("三原县页面代表账号"), {A: ["deputy"]})
    name = unique("三原值班代表")
    [person] = await add_deputies(A, name, user_ids={name: deputy.user_id})
    station = await add_station(A, unique("三原县鲁桥镇代表联络站"), days=[10, 20, 30], persons=[person])
    staff = await make_caller(database, unique("三原县排班干事"), {A: ["staff"]})
    day = next_day_of_month(10).isoformat()  # "my schedule" shows the coming 365 days
    roster = await client.post(
        f"/api/v1/t/{A}/receptions/roster",
        json={"station_id": str(station), "day": day, "deputy": {"person_id": str(person)}},
        headers=staff.headers,
    )
    assert roster.status_code == 201
    csrf = await signed_in(database, client, deputy.user_id)
    base = f"/t/{A}/receptions"
    mine = await client.get(base)
    assert mine.status_code == 200 and "我的轮值安排" in mine.text and day in mine.text
    record = {"_csrf": csrf, "station_id": str(station), "held_on": "2026-11-20", "visitor_name": "钱大爷",
              "category": "health", "issue": "村卫生室缺少常用药。"}  # fmt: skip
    created = await client.post(f"{base}/records", data=record, follow_redirects=False)
    assert created.status_code in (302, 303), created.text
    mine = await client.get(base, params={"tab": "mine"})
    assert "钱大爷" in mine.text and name in mine.text
    station_page = await client.get(f"{base}/stations/{station}")
    assert (
        station_page.status_code == 200
        and "新增规则" not in station_page.text
        and "按规则生成" not in station_page.text
    )
    refused = await client.post(
        f"{base}/stations/{station}/rules",
        data={"_csrf": csrf, "kind": "month_days", "days": "5", "valid_from": f"{YEAR}-01-01"},
    )
    assert refused.status_code == 403 and "代表工作人员" in refused.text


async def test_an_unlinked_deputy_account_sees_the_pages_without_records(client, database, offices) -> None:
    unlinked = await make_caller(database, unique("三原县未关联页面代表"), {A: ["deputy"]})
    station = await add_station(A, unique("三原县未关联联络站"), days=[10, 20, 30])
    await signed_in(database, client, unlinked.user_id)
    base = f"/t/{A}/receptions"
    records = await client.get(base, params={"tab": "records"})
    assert records.status_code == 200 and "尚未关联代表名册中的代表" in records.text
    page = await client.get(f"{base}/stations/{station}")
    assert page.status_code == 200 and "尚未关联代表名册中的代表" in page.text and "接待台账" in page.text
    calendar = await client.get(base, params={"tab": "calendar", "month": "not-a-month"})
    assert calendar.status_code == 200 and "接待日历" in calendar.text
