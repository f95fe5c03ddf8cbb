"""Composition statistics on a handful of directory rows: the edge cases the scenario does not reach."""

from __future__ import annotations

import re
import uuid
from datetime import date
from typing import Any

import pytest

from renda.modules.deputies.models import DirectoryEntry
from tests.charts import chart_specs
from tests.conftest import ensure_tenant, make_caller

OFFICE, TOWNSHIP = "610929", "610929100"
URL = f"/api/v1/t/{OFFICE}/register/statistics"


def entry(person: str, level: str, **values: Any) -> dict[str, Any]:
    return {
        "mandate_id": uuid.uuid4(),
        "recorded_by": OFFICE,
        "recorded_path": f"610900/{OFFICE}",
        "organised_in": OFFICE,
        "organised_path": f"610900/{OFFICE}",
        "person_key": person,
        "person_id": uuid.uuid4(),
        "person_name": person,
        "name_pinyin": "",
        "name_initials": "",
        "gender": "female",
        "ethnicity": "汉族",
        "party": "中共党员",
        "birth_year": 1980,
        "level": level,
        "congress_name": "某人民代表大会",
        "term_number": 1,
        "status": "active",
        "starts_on": date(2021, 10, 1),
        "by_election": False,
        **values,
    }


@pytest.fixture(scope="module")
async def office(database, hierarchy) -> str:
    await ensure_tenant(database, OFFICE, "白河县人大常委会", "county", hierarchy["city"])
    await ensure_tenant(database, TOWNSHIP, "白河县城关镇人大主席团", "township", OFFICE)
    rows = [
        entry("甲", "county", party=None, birth_year=None, ethnicity=None),
        entry("甲", "township", party=None, birth_year=None, ethnicity=None),
        entry("乙", "county", gender="male", ethnicity="苗族", party="群众", birth_year=1950, status="suspended"),
        # Recorded by the township office beneath: in the county's territory too.
        entry("丙", "township", recorded_by=TOWNSHIP, recorded_path=f"610900/{OFFICE}/{TOWNSHIP}", birth_year=2000),
        # Ended in 2022 (ordered to resign), so active on 2022-01-01 but not on 2023-01-01.
        entry(
            "丁",
            "county",
            status="ended",
            ended_on=date(2022, 6, 1),
            end_reason="resigned",
            resignation_kind="ordered",
        ),
        # Starts in 2023: not yet active on 2022-12-31.
        entry("戊", "county", starts_on=date(2023, 3, 1), by_election=True),
    ]
    async with database.platform_session() as session:
        session.add_all(DirectoryEntry(**row) for row in rows)
        await session.commit()
    return OFFICE


async def test_counts_on_a_date(client, database, office) -> None:
    staff = await make_caller(database, "白河县工作人员", {office: ["staff"]})
    response = await client.get(
        URL, params={"on": "2022-01-01", "from": "2022-01-01", "to": "2022-12-31"}, headers=staff.headers
    )
    assert response.status_code == 200, response.text
    body = response.json()
    levels = {f["level"]: (f["mandates"], f["persons"], f["suspended"]) for f in body["levels"]}
    assert levels["county"] == (3, 3, 1) and levels["township"] == (2, 2, 0)
    assert (body["total_mandates"], body["total_persons"]) == (5, 4)
    tables = {b["key"]: {r["value"]: r for r in b["rows"]} for b in body["breakdowns"]}
    assert tables["party"]["未填写"]["mandates"] == 2 and tables["party"]["未填写"]["persons"] == 1
    assert tables["ethnic_group"]["未填写"]["persons"] == 1 and tables["ethnicity"]["苗族"]["persons"] == 1
    assert set(tables["ethnicity"]) == {"苗族"}
    assert tables["age_band"]["出生年份不详"]["persons"] == 1
    assert tables["age_band"]["66岁及以上"]["persons"] == 1  # born 1950, 72 in 2022
    assert tables["age_band"]["35岁及以下"]["persons"] == 1  # born 2000
    assert [r["value"] for r in body["breakdowns"][0]["rows"]] == ["男", "女"]
    changes = {r["kind"]: r["total"] for r in body["changes"]["ended"]}
    assert changes == {"ended:resigned:ordered": 1}
    assert body["changes"]["ended"][0]["label"] == "辞职被接受(责令辞职)"
    assert body["changes"]["by_elected"]["total"] == 0

    later = (await client.get(URL, params={"on": "2023-06-30"}, headers=staff.headers)).json()
    assert {f["level"]: f["mandates"] for f in later["levels"]}["county"] == 3  # 丁 ended, 戊 started
    assert later["changes"]["by_elected"]["total"] == 1 and later["changes"]["period_from"] == "2023-01-01"


async def test_the_township_sees_only_its_own_territory(client, database, office) -> None:
    township = await make_caller(database, "城关镇工作人员", {TOWNSHIP: ["staff"]})
    body = (await client.get(f"/api/v1/t/{TOWNSHIP}/register/statistics", headers=township.headers)).json()
    assert (body["total_mandates"], body["total_persons"]) == (1, 1)


async def test_bad_period_and_rights(client, database, office) -> None:
    staff = await make_caller(database, "白河县工作人员乙", {office: ["staff"]})
    bad = await client.get(URL, params={"from": "2023-01-01", "to": "2022-01-01"}, headers=staff.headers)
    assert bad.status_code == 400 and bad.json()["code"] == "invalid_period"
    page = await client.get(
        f"/t/{office}/deputies/statistics",
        params={"from": "2023-01-01", "to": "2022-01-01"},
        headers={**staff.headers, "Accept": "text/html"},
    )
    assert page.status_code == 400 and "开始日期不能晚于结束日期" in page.text
    deputy = await make_caller(database, "白河县代表", {office: ["deputy"]})
    assert (await client.get(URL, headers=deputy.headers)).status_code == 403
    city = await make_caller(database, "安康市代表工委", {"610900": ["viewer"]})
    assert (await client.get(URL, headers=city.headers)).status_code == 200  # an ancestor reads
    refused = await client.post(f"/t/{office}/deputies/statistics/export", data={}, headers=city.headers)
    assert refused.status_code == 403


async def test_the_page_charts_the_figures_of_its_tables(client, database, office) -> None:
    staff = await make_caller(database, "白河县工作人员丙", {office: ["staff"]})
    api = (await client.get(URL, params={"on": "2023-01-01"}, headers=staff.headers)).json()
    html = {**staff.headers, "Accept": "text/html"}
    page = await client.get(f"/t/{office}/deputies/statistics", params={"on": "2023-01-01"}, headers=html)
    assert page.status_code == 200
    assert '<script src="/static/vendor/echarts/echarts.min.js" defer>' in page.text
    charts = chart_specs(page.text)
    levels = charts["chart-levels"]
    assert levels["kind"] == "bar" and levels["labels"] == [f["label"] for f in api["levels"]]
    assert levels["series"] == [
        {"name": "在任代表资格", "values": [f["mandates"] for f in api["levels"]]},
        {"name": "人数", "values": [f["persons"] for f in api["levels"]]},
    ]
    assert sum(levels["series"][0]["values"]) == api["total_mandates"] > 0
    for breakdown in api["breakdowns"]:
        chart = charts[f"chart-{breakdown['key']}"]
        assert chart["labels"] == [r["label"] for r in breakdown["rows"]]
        assert chart["series"] == [{"name": "人数", "values": [r["persons"] for r in breakdown["rows"]]}]
    assert charts["chart-gender"]["kind"] == "pie"
    # The numbers stay on the page: each chart's table follows it, and the chart starts hidden (no script, no chart).
    at = page.text.index('id="chart-gender"')
    assert page.text.index("<table", at) < page.text.index('class="echart"', at + 1)
    assert re.search(r'id="chart-gender"[^>]*\shidden\s', page.text)
