"""The reports dashboard and API: what a city and a county see, who may see it, bad input, the
Excel export, a worker touching only its offices' figures, and a metric added by registering it."""

from __future__ import annotations

import asyncio
import io
import random
import re

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from renda.core.timezone import local_today
from renda.modules.audit.models import AuditLog
from renda.modules.deputies.models import Person
from renda.modules.rollups import service
from renda.modules.rollups.models import Scope
from renda.modules.rollups.periods import containing, current
from renda.modules.rollups.registry import Figure, RatioMetric, TenantMetric, register_metric, unregister_metric
from tests.conftest import make_caller
from tests.modules.rollups.support import CITY, add_deputy, build_city, settled, snapshot

REPORTS = "/api/v1/t/{}/reports"


async def ready_city(client, database, broker):
    caller, offices = await build_city(client, database)
    if not offices["610523100"].mandates:
        rng = random.Random(3)
        for office in offices.values():
            await add_deputy(client, caller, office, rng)
    await settled(database)
    return caller, offices


@pytest.mark.smoke
async def test_city_dashboard_drills_down_to_townships(client, database, last_broker_worker) -> None:
    await ready_city(client, database, last_broker_worker)
    viewer = await make_caller(database, "渭南市领导", {CITY: ["viewer"]})
    response = await client.get(REPORTS.format(CITY), headers=viewer.headers)
    assert response.status_code == 200, response.text
    report = response.json()
    assert report["period"] == containing("year", local_today()).key and report["computed_at"]
    deputies = next(m for m in report["metrics"] if m["key"] == "register.deputies")
    assert deputies["value"] == report["levels"]["total"] == sum(b["value"] for b in report["levels"]["rows"])
    counties = {o["code"]: o for o in report["offices"]}
    assert set(counties) == {"610522", "610523"} and all(o["has_children"] for o in counties.values())
    # The city's total is its own figure plus its counties'.
    assert deputies["value"] == deputies["own"] + sum(o["values"]["register.deputies"] for o in counties.values())
    assert len(report["trend"]) == 12 and report["trend"][-1]["value"] == deputies["value"]

    county = (await client.get(REPORTS.format("610522"), headers=viewer.headers)).json()
    assert county["office_name"] == "潼关县人大常委会"
    assert {o["code"] for o in county["offices"]} == {"610522100", "610522101"}
    assert not any(o["has_children"] for o in county["offices"])
    assert county["metrics"][0]["value"] == counties["610522"]["values"]["register.deputies"]

    page = await client.get(f"/t/{CITY}/reports", headers=viewer.headers)
    assert page.status_code == 200
    for text in (
        "统计汇总",
        "下级机关对比",
        "潼关县人大常委会",
        "数据计算于",
        "data-chart=",  # the charts' figures, drawn by ECharts over the tables of the same numbers
        'href="/t/610522/reports?period=',
    ):
        assert text in page.text
    drilled = await client.get("/t/610522100/reports?period=" + current(local_today())[2].key, headers=viewer.headers)
    assert drilled.status_code == 200 and "潼关县城关街道人大工委" in drilled.text


async def test_reach_is_only_downward(client, database, hierarchy, last_broker_worker) -> None:
    await ready_city(client, database, last_broker_worker)
    township = await make_caller(database, "城关街道干部", {"610522100": ["staff"]})
    other_city = await make_caller(database, "安康市干部", {hierarchy["city"]: ["office_admin"]})
    assert (await client.get(REPORTS.format("610522100"), headers=township.headers)).status_code == 200
    assert (await client.get(REPORTS.format("610522"), headers=township.headers)).status_code == 403
    assert (await client.get(REPORTS.format(CITY), headers=other_city.headers)).status_code == 403
    assert (await client.get(f"/t/{CITY}/reports", headers=other_city.headers)).status_code == 403
    deputy = await make_caller(database, "代表本人", {"610522": ["deputy"]})
    assert (await client.get(REPORTS.format("610522"), headers=deputy.headers)).status_code == 403


async def test_bad_parameters_are_refused(client, database) -> None:
    from tests.conftest import ensure_tenant

    await ensure_tenant(database, CITY, "渭南市人大常委会", "city", None)  # also when run alone
    viewer = await make_caller(database, "渭南市查询员", {CITY: ["viewer"]})
    cases = [
        ("/", {"period": "2026-13"}, "invalid_period"),
        ("/", {"period": "去年"}, "invalid_period"),
        ("/", {"trend_kind": "week"}, "invalid_period_kind"),
        ("/", {"trend_metric": "nothing.here"}, "unknown_metric"),
        ("/trend", {"metric": "nothing.here"}, "unknown_metric"),
        ("/figures", {"scope": "everything"}, "invalid_scope"),
    ]
    for path, params, code in cases:
        response = await client.get(REPORTS.format(CITY) + path, params=params, headers=viewer.headers)
        assert response.status_code == 400, (path, params, response.text)
        assert response.json()["code"] == code
    page = await client.get(f"/t/{CITY}/reports", params={"period": "2026-13"}, headers=viewer.headers)
    assert page.status_code == 400 and "格式不正确" in page.text


@pytest.mark.smoke
async def test_excel_export_of_the_period(client, database, last_broker_worker) -> None:
    caller, _ = await ready_city(client, database, last_broker_worker)
    requested = await client.post(
        "/api/v1/t/610522/exports", json={"kind": "rollup_report", "params": {}}, headers=caller.headers
    )
    assert requested.status_code == 202, requested.text
    export_id = requested.json()["id"]
    for _ in range(600):
        state = (await client.get(f"/api/v1/t/610522/exports/{export_id}", headers=caller.headers)).json()
        if state["status"] != "pending":
            break
        await asyncio.sleep(0.1)
    assert state["status"] == "done", state
    content = (await client.get(f"/api/v1/t/610522/exports/{export_id}/file", headers=caller.headers)).content
    rows = list(load_workbook(io.BytesIO(content)).active.iter_rows(values_only=True))
    assert rows[0][:4] == ("机关", "行政区划代码", "统计期间", "指标")
    offices = {r[1] for r in rows[1:]}
    assert offices == {"610522", "610522100", "610522101"}  # the county and its townships, nobody else
    total = next(r for r in rows[1:] if r[1] == "610522" and r[3] == "在任代表" and r[5] == "合计")
    assert total[7] > 0


async def test_a_refresh_touches_only_its_offices(client, database, hierarchy, last_broker_worker) -> None:
    await ready_city(client, database, last_broker_worker)
    elsewhere = ["610523", "610523100", hierarchy["city"], hierarchy["a"], hierarchy["b"]]
    before = await snapshot(database, elsewhere)
    assert await service.refresh_office("610522100")
    assert await snapshot(database, elsewhere) == before


async def count_audit_entries(session, period, today) -> list[Figure]:
    count = (await session.execute(select(func.count()).select_from(AuditLog))).scalar_one()
    return [Figure(count)]


async def test_a_module_adds_a_metric_by_registering_it(client, database, last_broker_worker) -> None:
    """A tenant metric, declared in one call with the tables it watches, is computed per office,
    refreshed after a write to a watched table, and rolled up; the engine knows nothing of it."""
    caller, _ = await ready_city(client, database, last_broker_worker)
    metric = TenantMetric(
        key="test.audit_entries", label="操作记录", unit="条", compute=count_audit_entries, watches=("persons",)
    )
    register_metric(metric)
    try:
        await service.recompute_all()
        year = containing("year", local_today()).key
        key = ("610523100", "test.audit_entries", year, Scope.OWN, "", "")
        before = (await snapshot(database, ["610523100"]))[key]
        city_before = (await snapshot(database, [CITY]))[(CITY, "test.audit_entries", year, Scope.TOTAL, "", "")]
        response = await client.post(
            "/api/v1/t/610523100/persons", json={"name": "新代表", "gender": "male"}, headers=caller.headers
        )
        assert response.status_code == 201, response.text
        await settled(database)
        after = await snapshot(database, ["610523100", CITY])
        assert after[key] > before
        assert after[(CITY, "test.audit_entries", year, Scope.TOTAL, "", "")] == city_before + after[key] - before
        listed = (await client.get(REPORTS.format(CITY) + "/metrics", headers=caller.headers)).json()
        assert "test.audit_entries" in {m["key"] for m in listed}
    finally:
        unregister_metric(metric.key)
        await service.recompute_all()


async def count_women(session, period, today) -> list[Figure]:
    count = (await session.execute(select(func.count()).select_from(Person).where(Person.gender == "female"))).scalar()
    return [Figure(count or 0)]


async def count_persons(session, period, today) -> list[Figure]:
    return [Figure((await session.execute(select(func.count()).select_from(Person))).scalar() or 0)]


async def test_a_ratio_is_derived_at_every_level_from_its_two_metrics(client, database, last_broker_worker) -> None:
    """A share does not add up the hierarchy: the city's ratio is its summed numerator over its summed
    denominator, not a sum or mean of its counties' ratios; nothing of it is stored."""
    caller, _ = await ready_city(client, database, last_broker_worker)
    parts = [
        TenantMetric(key="test.women", label="女性", compute=count_women, watches=("persons",)),
        TenantMetric(key="test.persons", label="人员", compute=count_persons, watches=("persons",)),
    ]
    ratio = RatioMetric(key="test.women_share", label="女性占比", numerator="test.women", denominator="test.persons")
    for metric in (*parts, ratio):
        register_metric(metric)
    try:
        await service.recompute_all()
        report = (await client.get(REPORTS.format(CITY), headers=caller.headers)).json()
        figures = {m["key"]: m for m in report["metrics"]}
        women, persons = figures["test.women"]["value"], figures["test.persons"]["value"]
        assert persons > 0
        assert figures["test.women_share"]["value"] == round(100 * women / persons, 1)
        assert figures["test.women_share"]["unit"] == "%"
        for office in report["offices"]:
            values = office["values"]
            expected = round(100 * values["test.women"] / values["test.persons"], 1) if values["test.persons"] else None
            assert values["test.women_share"] == expected
        trend = (
            await client.get(
                REPORTS.format(CITY) + "/trend", params={"metric": ratio.key, "kind": "month"}, headers=caller.headers
            )
        ).json()
        assert trend[-1]["value"] == figures["test.women_share"]["value"]
        raw = await client.get(REPORTS.format(CITY) + "/figures", params={"metric": ratio.key}, headers=caller.headers)
        assert raw.status_code == 400 and raw.json()["code"] == "derived_metric"
        stored = await snapshot(database, [CITY])
        assert not any(key[1] == ratio.key for key in stored)
        own = await client.get(
            REPORTS.format(CITY) + "/figures", params={"metric": "test.women", "scope": "own"}, headers=caller.headers
        )
        assert own.status_code == 200 and {r["scope"] for r in own.json()} == {"own"}
        assert own.json()[0]["value"] == figures["test.women"]["own"]
        page = await client.get(f"/t/{CITY}/reports", headers=caller.headers)
        assert page.status_code == 200 and "女性占比" in page.text
    finally:
        for metric in (ratio, *parts):
            unregister_metric(metric.key)
        await service.recompute_all()


async def always_42(session, period, today) -> list[Figure]:
    return [Figure(42)]


async def test_a_metric_over_empty_tables_is_zero_without_computing(client, database, last_broker_worker) -> None:
    """A full recompute skips a tenant metric in an office where every table it watches is empty
    (the figure is zero), and computes it once one of them holds a row."""
    from renda.modules.suggestions import service as suggestions
    from renda.tenants.scoping import load_tenant, tenant_session

    await ready_city(client, database, last_broker_worker)
    metric = TenantMetric(key="test.drafts", label="草稿", compute=always_42, watches=("suggestion_drafts",))
    register_metric(metric)
    try:
        await service.recompute_all()
        year = containing("year", local_today()).key
        key = ("610523100", "test.drafts", year, Scope.OWN, "", "")
        assert (await snapshot(database, ["610523100"]))[key] == 0
        tenant = await load_tenant("610523100")
        async with tenant_session(tenant, actor="system:test") as session:
            await suggestions.create_draft(
                session, tenant, deputy_person_id=None, title="建议", content="内容", source="staff", source_id=None
            )
            await session.commit()
        await service.recompute_all()
        assert (await snapshot(database, ["610523100"]))[key] == 42
    finally:
        unregister_metric(metric.key)
        await service.recompute_all()


async def test_recompute_command_backfills_past_periods(client, database, database_url, last_broker_worker) -> None:
    from tests.conftest import real_local_today
    from tests.test_cli import renda

    await ready_city(client, database, last_broker_worker)
    status, out, err = await renda(database_url, "rollups", "recompute", "--months", "3")
    assert status == 0, err
    last_month = containing("month", real_local_today()).previous()  # the command runs on the real clock
    assert last_month.key in out and last_month.previous().key in out
    stored = await snapshot(database, [CITY])
    assert stored[(CITY, "register.deputies", last_month.key, Scope.TOTAL, "", "")] > 0
    status, _, err = await renda(database_url, "rollups", "recompute", "--months", "0")
    assert status != 0 and "--months" in err


async def test_a_lost_refresh_is_sent_again(client, database, last_broker_worker) -> None:
    """An office marked stale whose message the broker lost would stay stale: the sweep resends."""
    from datetime import timedelta

    from renda.core.db import utcnow
    from renda.modules.rollups.models import RollupPending

    await ready_city(client, database, last_broker_worker)
    async with database.platform_session() as session:
        session.add(RollupPending(office_code="610523100", requested_at=utcnow() - timedelta(hours=1)))
        await session.commit()
    assert await service.resend_stale(timedelta(minutes=10)) == ["610523100"]
    await settled(database)
    assert await service.resend_stale(timedelta(0)) == []


def test_the_comparison_shows_the_chosen_columns_sorted() -> None:
    from renda.modules.rollups.dashboard import DEFAULT_COLUMNS, comparison
    from renda.modules.rollups.schemas import OfficeRow

    def office(code: str, deputies: float | None, coverage: float | None, county: int) -> OfficeRow:
        values = {"register.deputies": deputies, "contacts.coverage": coverage}
        return OfficeRow(code, f"机关{code}", "county", False, values, {"county": county}, None)

    rows = [office("610522", 30, None, 5), office("610521", 10, 80.0, 7), office("610523", 30, 50.0, 6)]
    shown = comparison(rows, ["contacts.coverage", "no.such.metric", "level.county", "contacts.coverage"], None, None)
    assert [c.key for c in shown.columns] == ["contacts.coverage", "level.county"]  # unknown and repeated dropped
    assert [c.label for c in shown.columns] == ["联系代表覆盖率", "县代表"]
    assert (shown.sort, shown.order) == ("office", "asc")
    assert [r.code for r in shown.rows] == ["610521", "610522", "610523"]
    assert [r.values for r in shown.rows] == [[80.0, 7], [None, 5], [50.0, 6]]

    by_coverage = comparison(rows, ["contacts.coverage"], "contacts.coverage", "desc")
    assert [r.code for r in by_coverage.rows] == ["610521", "610523", "610522"]  # no figure: last
    ascending = comparison(rows, ["contacts.coverage"], "contacts.coverage", "asc")
    assert [r.code for r in ascending.rows] == ["610523", "610521", "610522"]  # no figure: last either way
    ties = comparison(rows, ["register.deputies"], "register.deputies", "desc")
    assert [r.code for r in ties.rows] == ["610522", "610523", "610521"]  # equal figures in code order
    assert [r.code for r in comparison(rows, None, "office", "desc").rows] == ["610523", "610522", "610521"]

    defaults = comparison(rows, [], "contacts.coverage", "sideways")  # nothing chosen: the defaults
    assert [c.key for c in defaults.columns] == [k for k in DEFAULT_COLUMNS if k in {c.key for c in defaults.available}]
    assert 5 <= len(defaults.columns) <= 8 and defaults.order == "desc"
    hidden = comparison(rows, ["level.county"], "contacts.coverage", "asc")  # a column not shown sorts nothing
    assert hidden.sort == "office" and [r.code for r in hidden.rows] == ["610521", "610522", "610523"]


async def test_the_comparison_page_keeps_the_choice_and_sorts(client, database, last_broker_worker) -> None:
    await ready_city(client, database, last_broker_worker)
    viewer = await make_caller(database, "渭南市领导乙", {CITY: ["viewer"]})
    report = (await client.get(REPORTS.format(CITY), headers=viewer.headers)).json()
    # Sort by a level whose deputies differ between the two counties.
    level = next(
        key for key in ("township", "county", "city") if len({o["by_level"][key] for o in report["offices"]}) == 2
    )
    figures = {o["code"]: o["by_level"][level] for o in report["offices"]}
    label = {"township": "乡镇代表", "county": "县代表", "city": "市代表"}[level]
    names = {"610522": "潼关县人大常委会", "610523": "大荔县人大常委会"}

    def table(html: str) -> str:
        start = html.index('<table class="comparison stays-table">')
        return html[start : html.index("</table>", start)]

    for order, reverse in (("asc", False), ("desc", True)):
        chosen = [("metrics", "register.deputies"), ("metrics", f"level.{level}")]
        page = await client.get(
            f"/t/{CITY}/reports", params=[*chosen, ("sort", f"level.{level}"), ("order", order)], headers=viewer.headers
        )
        assert page.status_code == 200
        shown = table(page.text)
        headers = re.findall(r'<th scope="col"[^>]*>(.*?)</th>', shown, re.S)
        assert len(headers) == 4 and "机关" in headers[0] and "在任代表" in headers[1] and label in headers[2]
        assert "受理群众意见" not in shown  # a default column, not chosen
        expected = sorted(figures, key=lambda code: figures[code], reverse=reverse)
        at = [shown.index(names[code]) for code in expected]
        assert at == sorted(at)
        sorted_by = re.search(r'<th scope="col" aria-sort="(\w+)"><a [^>]*>' + label, shown)
        assert sorted_by and sorted_by.group(1) == ("ascending" if order == "asc" else "descending")
        # The header link sorts the other way; drilling down and the other forms keep the chosen columns.
        other = "desc" if order == "asc" else "asc"
        link = f"metrics=register.deputies&amp;metrics=level.{level}&amp;sort=level.{level}&amp;order={other}"
        assert link in shown
        assert "/t/610522/reports?period=" in shown and f"metrics=level.{level}" in shown
        assert f'name="metrics" value="level.{level}" checked' in page.text
        assert '<input type="hidden" name="metrics" value="register.deputies">' in page.text

    default = table((await client.get(f"/t/{CITY}/reports", headers=viewer.headers)).text)
    assert "受理群众意见" in default and "联系代表覆盖率" in default and label not in default
