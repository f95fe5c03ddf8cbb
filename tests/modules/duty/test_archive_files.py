"""An archive as a file: the printable PDF (Chinese text in an embedded font, the office's name at the
top of every page, page numbers at the bottom, sections as tables) and the Excel sheet."""

from __future__ import annotations

import io
import re
from datetime import datetime

import pytest
import time_machine
from openpyxl import load_workbook

from renda.core.timezone import LOCAL_TZ
from renda.modules.duty.archive_render import EXCEL_HEADERS
from tests.modules.duty.support import duty_office
from tests.modules.duty.support_archives import YEAR, fill_year, pdf_page_count, pdf_pages
from tests.modules.portal.support import _streams

pytestmark = pytest.mark.date_sensitive

DECEMBER = datetime(YEAR, 12, 28, 10, 0, tzinfo=LOCAL_TZ)
OFFICE = "宜昌市远安县人大常委会"


def squeeze(text: str) -> str:
    return "".join(text.split())


async def test_the_pdf_has_the_office_on_every_page_and_page_numbers(client, database, offices) -> None:
    office = await duty_office(database, offices["a"], "远安档案PDF", deputies=2)
    await fill_year(office.code, office.person, filler_entries=70)
    url = f"/api/v1/t/{office.code}/duty/archives/{office.person}/archive.pdf"
    with time_machine.travel(DECEMBER, tick=True):
        got = await client.get(url, params={"year": YEAR}, headers=office.deputy.headers)
        page_route = await client.get(
            f"/t/{office.code}/duty/archives/{office.person}/archive.pdf",
            params={"year": YEAR},
            headers={"Accept": "text/html", **office.staff.headers},
        )
        theirs = await client.get(url, params={"year": YEAR}, headers=office.deputies[1].headers)
    assert got.status_code == 200 and got.headers["content-type"] == "application/pdf"
    assert got.content.startswith(b"%PDF-") and page_route.content.startswith(b"%PDF-")
    assert "filename*=UTF-8''" in got.headers["content-disposition"]
    assert theirs.status_code == 403
    assert any(b"/FontName /" in s and b"WenQuanYi" in s for s in _streams(got.content))

    pages = [squeeze(p) for p in pdf_pages(got.content)]
    assert len(pages) == pdf_page_count(got.content) >= 2
    for number, page in enumerate(pages, 1):
        assert f"{OFFICE}·代表履职档案" in page, (number, page[:200])
        assert f"第{number}页,共{len(pages)}页" in page, (number, page[-200:])
    text = "".join(pages)
    for expected in (
        f"{YEAR}年度代表履职档案",
        "代表资格",
        "学习培训(合计5学时)",
        "代表履职能力专题培训",
        "视察农村公路建设",
        "缺席",
        "关于硬化宝丰镇至溢水镇公路的建议",
        "列为重点建议",
        "城关镇代表联络站接待选民",
        "列席县人大常委会第十八次会议",
        "基本称职",
        "王主任",
        "走访群众记录第69次",
    ):
        assert squeeze(expected) in text, expected
    assert "尚未核实的走访记录" not in text and "已取消的主题活动" not in text
    # Sections are tables: the header row of the activities' table.
    assert re.search("日期类别活动出席情况", text)


async def test_the_excel_has_one_row_per_item_under_fixed_columns(client, database, offices) -> None:
    office = await duty_office(database, offices["a"], "远安档案表格", deputies=1)
    await fill_year(office.code, office.person)
    with time_machine.travel(DECEMBER, tick=True):
        got = await client.get(
            f"/api/v1/t/{office.code}/duty/archives/{office.person}/archive.xlsx",
            params={"year": YEAR},
            headers=office.deputy.headers,
        )
    assert got.status_code == 200
    assert got.headers["content-type"].startswith("application/vnd.openxmlformats-officedocument.spreadsheetml")
    rows = list(load_workbook(io.BytesIO(got.content)).active.iter_rows(values_only=True))
    assert (
        list(rows[0])
        == EXCEL_HEADERS
        == ["代表", "年度", "档案状态", "档案部分", "日期", "事项", "情况", "学时", "积分"]
    )
    body = rows[1:]
    assert {r[1] for r in body} == {YEAR} and {r[2] for r in body} == {"本年度"}
    by_section: dict[str, list[tuple]] = {}
    for row in body:
        by_section.setdefault(row[3], []).append(row)
    assert [r[5] for r in by_section["学习培训"]] == ["代表履职能力专题培训", "省人大代表学习班(线上)"]
    assert [r[7] for r in by_section["学习培训"]] == ["3", "2"]
    assert [r[6] for r in by_section["履职活动"]] == ["出席(签到表录入)", "缺席(签到表录入)", "请假(签到表录入)"]
    assert [(r[5], r[6], r[8]) for r in by_section["建议议案"]][:2] == [
        ("关于硬化宝丰镇至溢水镇公路的建议", "领衔", "5"),
        ("关于增设公交候车亭的建议", "联名", "0"),
    ]
    assert len(by_section["进站接待选民"]) == 2 and len(by_section["联系代表与列席会议"]) == 1
    total = next(r for r in by_section["履职积分"] if r[5] == "年度积分合计")
    assert total[8] == "37"
    assert next(r for r in by_section["年度评价"] if r[5] == "评定等次")[6] == "基本称职(常委会审定)"
