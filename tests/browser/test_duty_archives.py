"""我的履职档案 on a 390-pixel-wide phone: the demo deputy reads this year's archive made from the records,
section by section, with the PDF and Excel at hand and nothing wider than the screen; on a desktop,
staff open the office's archives, open his, and export his group's archives as a batch whose page
follows its progress until the zip is ready."""

from __future__ import annotations

import re
import uuid

from playwright.async_api import Browser, Page, expect
from sqlalchemy import select

from renda.core.timezone import local_today
from renda.modules.deputies.models import Person
from renda.modules.organisation.models import GroupMembership, StationAssignment
from renda.tenants.scoping import load_tenant, tenant_session
from tests.browser.test_shell import follow_menu, sign_in
from tests.browser.test_suggestions_phone import PHONE_VIEWPORT, fits_the_screen
from tests.modules.duty.support_archives import fill_year

OFFICE = "610922"


async def demo_deputy() -> tuple[str, str]:
    """王建国's person id, and the batch scope of his group (or station) as the form names it."""
    async with tenant_session(await load_tenant(OFFICE), actor="system:test") as session:
        person = (await session.execute(select(Person).where(Person.name == "王建国"))).scalars().first()
        assert person is not None, "the demo has 王建国"
        group = await session.scalar(select(GroupMembership.group_id).where(GroupMembership.person_id == person.id))
        station = await session.scalar(
            select(StationAssignment.station_id).where(StationAssignment.person_id == person.id)
        )
        return str(person.id), f"group:{group}" if group else f"station:{station}"


async def test_a_deputy_reads_the_archive_on_a_phone(chromium: Browser, live_server: str, tab: Page) -> None:
    person_id, scope = await demo_deputy()
    year = local_today().year
    await fill_year(OFFICE, uuid.UUID(person_id), year, rating=False)  # the rating is the rating part's to make
    phone = await chromium.new_context(base_url=live_server, locale="zh-CN", viewport=PHONE_VIEWPORT)
    try:
        page = await phone.new_page()
        await sign_in(page, "石泉县 人大代表 王建国(演示)")
        await follow_menu(page, "我的履职档案")
        await expect(page.get_by_role("heading", name=re.compile("我的履职档案"))).to_be_visible()
        await expect(page.get_by_text("本年度", exact=True)).to_be_visible()
        for section in ("履职概况", "学习培训", "履职活动", "建议议案", "进站接待选民", "履职积分", "年度评价"):
            await expect(page.get_by_role("heading", name=re.compile(f"^{section}"))).to_be_visible()
        await expect(page.get_by_text("关于硬化宝丰镇至溢水镇公路的建议").first).to_be_visible()
        await expect(page.get_by_text("列为重点建议", exact=True)).to_be_visible()
        # The demo's own trainings add to the filled year's 5 hours: the filled training is listed with its hours.
        await expect(page.get_by_text("代表履职能力专题培训").first).to_be_visible()
        await expect(page.get_by_text(re.compile(r"^\d+(\.\d+)? 学时$")).first).to_be_visible()
        await fits_the_screen(page)
        pdf = page.get_by_role("link", name="下载 PDF")
        box = await pdf.bounding_box()
        assert box is not None and box["height"] >= 44, box  # a thumb hits it
        assert await pdf.get_attribute("href") == f"/t/{OFFICE}/duty/archives/{person_id}/archive.pdf?year={year}"
        pdf_file = await page.request.get(await pdf.get_attribute("href") or "")
        assert pdf_file.status == 200 and (await pdf_file.body()).startswith(b"%PDF-")
        # Earlier years are a tap away; the deputy cannot correct anything.
        await expect(page.get_by_role("navigation", name="档案年度")).to_be_visible()
        await expect(page.get_by_role("button", name="添加更正记录")).to_have_count(0)
    finally:
        await phone.close()

    await sign_in(tab, "石泉县 工作人员 张敏(演示)")
    await tab.get_by_role("navigation", name="功能导航").get_by_role("link", name="履职档案").click()
    await expect(tab.get_by_role("heading", name=re.compile("代表履职档案"))).to_be_visible()
    await tab.get_by_role("textbox", name="姓名").fill("王建国")
    await tab.get_by_role("button", name="查询").click()
    await tab.get_by_role("link", name="王建国", exact=True).click()
    await expect(tab.get_by_role("heading", name=re.compile("王建国的履职档案"))).to_be_visible()

    await tab.go_back()
    await tab.get_by_role("combobox", name="范围").select_option(value=scope)
    await tab.get_by_role("button", name=re.compile("^导出")).click()
    await expect(tab.get_by_role("heading", name=re.compile("批量导出履职档案"))).to_be_visible()
    # The page loads itself again while the job runs, until the file is ready.
    await expect(tab.get_by_text("已完成")).to_be_visible(timeout=120_000)
    await expect(tab.get_by_role("link", name=re.compile(r"^下载 .*\.zip$"))).to_be_visible()
