"""The office home page with its workbench, as each role gets it over HTTP: the cards, their counts and
items, and every link on them leading to a page that answers, the lists filtered as the cards count."""

from __future__ import annotations

import html
import re

import pytest

from tests.conftest import Caller, make_caller
from tests.modules.workbench.support import CITY, Office, busy_office, county, township_figures

pytestmark = pytest.mark.date_sensitive

LINK = re.compile(r'href="([^"]+)"')


@pytest.fixture(scope="module")
async def office(database) -> Office:
    found = await busy_office(database, await county(database, "430104", "雨花区"), "雨花区")
    await township_figures(found.code)
    return found


async def home(client, code: str, caller: Caller) -> str:
    page = await client.get(f"/t/{code}/", headers=caller.headers)
    assert page.status_code == 200, page.text[:300]
    return page.text


def workbench_of(page: str) -> str:
    start = page.index('<section class="workbench"')
    end = page.find("<h2>最近操作", start)
    return page[start : end if end > 0 else len(page)]


def card(page: str, key: str) -> str:
    start = page.index(f'id="wb-{key}"')
    end = page.find('<section class="wb-card', start)
    return page[start : end if end > 0 else len(page)]


def figure(section: str, label: str) -> tuple[str, str]:
    """(count, link) of the figure named `label`."""
    found = re.search(
        rf'<a href="([^"]+)"><strong class="wb-count">([^<]+)</strong><span class="wb-label">{label}</span>', section
    )
    assert found, f"no figure {label}"
    return found.group(2), html.unescape(found.group(1))


def card_keys(page: str) -> list[str]:
    return re.findall(r'<section class="wb-card[^"]*" id="wb-([\w-]+)"', page)


def links(section: str) -> list[str]:
    return sorted({html.unescape(href) for href in LINK.findall(section)})


async def every_link_answers(client, caller: Caller, section: str) -> None:
    for href in links(section):
        response = await client.get(href, headers=caller.headers)
        assert response.status_code == 200, (href, response.status_code, response.text[:200])


async def test_staff_workbench(client, office: Office) -> None:
    page = workbench_of(await home(client, office.code, office.staff))
    for key in ("overdue", "opinions", "suggestions", "contacts", "evidence", "rosters", "failures", "beneath"):
        assert f'id="wb-{key}"' in page
    opinions = card(page, "opinions")
    assert figure(opinions, "待分析交办") == ("2", f"/t/{office.code}/opinions?status=received")
    assert figure(opinions, "已逾期待督办")[0] == "1"
    assert opinions.count('class="overdue"') == 1 and "已逾期 4 天" in opinions
    for label in office.shown["opinions"]:
        assert label in opinions
    await every_link_answers(client, office.staff, page)


async def test_the_staff_cards_link_to_their_lists_filtered_the_same_way(client, office: Office) -> None:
    page = workbench_of(await home(client, office.code, office.staff))
    expected = {
        ("opinions", "待分析交办"): "共 2 件",
        ("opinions", "已逾期待督办"): "共 1 件",
        ("opinions", "已答复待办结"): "共 1 件",
        ("rosters", "没有代表的家站室"): "共 1 个",
        ("rosters", "没有成员的代表小组"): "共 1 个",
        ("failures", "近 30 天导出失败"): "共 1 条",
        ("failures", "近 30 天导入有错误"): "共 1 条",
    }
    for (key, label), total in expected.items():
        count, href = figure(card(page, key), label)
        listed = await client.get(href, headers=office.staff.headers)
        assert listed.status_code == 200 and total in listed.text, (href, total)
        assert total == f"共 {count} {total[-1]}"
    # Lists that show no total: what the card counts is there, what it does not count is not.
    suggestions = card(page, "suggestions")
    overdue = await client.get(figure(suggestions, "已逾期")[1], headers=office.staff.headers)
    late, in_time = office.shown["unit-suggestions"]
    assert late in overdue.text and in_time not in overdue.text
    intake = await client.get(figure(suggestions, "待审查")[1], headers=office.staff.headers)
    assert all(title in intake.text for title in office.shown["suggestions"][:2])
    behind_link = figure(card(page, "contacts"), "本季度联系滞后的组成人员")[1]
    behind = await client.get(behind_link, headers=office.staff.headers)
    members = behind.text[behind.text.index("联系情况(按组成人员)") : behind.text.index("各季度联系情况")]
    assert office.shown["contacts"][0] in members and office.hidden[3] not in members
    evidence = await client.get(figure(card(page, "evidence"), "待核实")[1], headers=office.staff.headers)
    assert all(title in evidence.text for title in office.shown["evidence"]) and office.hidden[5] not in evidence.text


async def test_committee_member_workbench(client, office: Office) -> None:
    page = workbench_of(await home(client, office.code, office.committee))
    assert card_keys(page) == ["my-contacts"]
    assert figure(page, "本季度待联系")[0] == "1" and office.shown["my-contacts"][0] in page
    assert "季度末" in page
    await every_link_answers(client, office.committee, page)


async def test_deputy_workbench(client, office: Office) -> None:
    page = workbench_of(await home(client, office.code, office.deputy))
    assert card_keys(page) == ["my-receptions", "my-opinions", "my-ratings", "my-points"]
    assert figure(card(page, "my-receptions"), "待接待")[0] == "2" and "还有 3 天" in page
    assert figure(card(page, "my-opinions"), "已逾期")[0] == "1"
    count, href = figure(card(page, "my-ratings"), "待评价")
    assert count == "1" and href == f"/t/{office.code}/suggestions/items?to_rate=1"
    listed = await client.get(href, headers=office.deputy.headers)
    assert office.shown["my-ratings"][0] in listed.text and office.hidden[1] not in listed.text
    # The points as the deputy's own points page counts them (the ledger's worker may have added some).
    points, href = figure(card(page, "my-points"), r"\d{4}年积分")
    mine = await client.get(href, headers=office.deputy.headers)
    assert re.search(r'<span class="figure">([\d.]+)</span>', mine.text).group(1) == points
    await every_link_answers(client, office.deputy, page)


async def test_handling_unit_workbench(client, office: Office) -> None:
    page = workbench_of(await home(client, office.code, office.unit_user))
    assert card_keys(page) == ["unit-suggestions", "unit-opinions"]
    suggestions = card(page, "unit-suggestions")
    count, href = figure(suggestions, "已逾期")
    assert count == "1" and href == f"/t/{office.code}/suggestions/units/items?overdue=1"
    late, in_time = office.shown["unit-suggestions"]
    assert suggestions.index(late) < suggestions.index(in_time)
    listed = await client.get(href, headers=office.unit_user.headers)
    assert late in listed.text and in_time not in listed.text
    await every_link_answers(client, office.unit_user, page)


async def test_viewer_workbench(client, office: Office) -> None:
    page = workbench_of(await home(client, office.code, office.viewer))
    assert card_keys(page) == ["beneath"]
    rows = re.findall(r'<th scope="row"><a href="/t/(\d+)/">', page)
    assert rows == [f"{office.code}100", f"{office.code}101"]  # the one falling behind first
    assert page.count('<span class="badge overdue">需关注</span>') == 1
    await every_link_answers(client, office.viewer, page)


async def test_city_staff_see_their_counties(client, database, office: Office) -> None:
    city_staff = await make_caller(database, "长沙市工作人员甲", {CITY: ["staff"]})
    page = workbench_of(await home(client, CITY, city_staff))
    assert 'id="wb-beneath"' in page and f'href="/t/{office.code}/"' in page
    await every_link_answers(client, city_staff, page)


async def test_platform_administrator_gets_a_page(client, platform_admin) -> None:
    page = await client.get("/", headers=platform_admin.headers)
    assert page.status_code == 200
    assert "您还没有加入任何机关" not in page.text and "平台工作台" in page.text
    for key in ("offices", "health", "providers"):
        assert f'id="wb-{key}"' in page.text
    assert figure(page.text, "机关总数")[1] == "/platform/operations#offices"
    operations = await client.get("/platform/operations", headers=platform_admin.headers)
    assert operations.status_code == 200
    for anchor in ("offices", "dead-jobs", "outbox"):
        assert f'id="{anchor}"' in operations.text


async def test_a_user_without_an_office_still_reads_why(client, database) -> None:
    lonely = await make_caller(database, "未加入机关的用户", {})
    page = await client.get("/", headers=lonely.headers)
    assert page.status_code == 200 and "您还没有加入任何机关" in page.text and "平台工作台" not in page.text
