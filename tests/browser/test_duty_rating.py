"""The star rating in a browser: a deputy assesses themselves on a 390-pixel-wide phone (the page fits
the screen, the buttons take a thumb), then staff take the group check from the overview on a desktop."""

from __future__ import annotations

from datetime import date

from playwright.async_api import Browser, Page, expect
from sqlalchemy import select

from renda.core.timezone import local_today
from renda.modules.duty.models import RatingWindow
from renda.tenants.scoping import load_tenant, tenant_session
from tests.browser.test_shell import follow_menu, sign_in
from tests.browser.test_suggestions_phone import PHONE_VIEWPORT, fits_the_screen, tappable

OFFICE = "610922"


async def open_all_year() -> int:
    """This year's window open from 1 January to 31 December: the test runs on any date (the browser
    and the server share the real clock)."""
    year = local_today().year
    async with tenant_session(await load_tenant(OFFICE), actor="system:test") as session:
        window = (await session.execute(select(RatingWindow).where(RatingWindow.year == year))).scalar_one_or_none()
        if window is None:
            window = RatingWindow(year=year, public_list=False)
            session.add(window)
        window.opens_on, window.closes_on = date(year, 1, 1), date(year, 12, 31)
        await session.commit()
    return year


async def test_a_deputy_assesses_themselves_on_a_phone(chromium: Browser, live_server: str, tab: Page) -> None:
    year = await open_all_year()
    phone = await chromium.new_context(base_url=live_server, locale="zh-CN", viewport=PHONE_VIEWPORT)
    try:
        page = await phone.new_page()
        await sign_in(page, "石泉县 人大代表 王建国(演示)")
        await follow_menu(page, "我的星级评价")
        await expect(page.get_by_role("heading", name="我的星级评价")).to_be_visible()
        await expect(page.get_by_role("heading", name=f"{year}年度")).to_be_visible()
        await fits_the_screen(page)
        await page.get_by_label("年度履职总结").fill("全年出席县人代会,参加视察两次,每月进站接待选民。")
        await page.get_by_role("radio", name="良好").check()
        await tappable(page, "提交自评")
        await page.get_by_role("button", name="提交自评").click()
        await expect(page.get_by_role("status")).to_have_text("自评已保存。代表小组评议前,您还可以修改。")
        await expect(page.get_by_role("radio", name="良好")).to_be_checked()
        await expect(page.get_by_role("list", name="评价进度").get_by_text("代表自评 ✓")).to_be_visible()
        await fits_the_screen(page)
    finally:
        await phone.close()

    # On a desktop, staff find the deputy at the self-assessment and take the group check in bulk.
    await sign_in(tab, "石泉县 工作人员 张敏(演示)")
    await tab.get_by_role("navigation", name="功能导航").get_by_role("link", name="星级评价").click()
    await expect(tab.get_by_role("heading", name=f"{year}年度代表履职星级评价")).to_be_visible()
    await tab.get_by_label("姓名").fill("王建国")
    await tab.get_by_role("button", name="查询").click()
    row = tab.get_by_role("row").filter(has=tab.get_by_role("link", name="王建国"))
    await expect(row.get_by_text("代表自评", exact=True)).to_be_visible()
    await row.get_by_role("checkbox", name="选择王建国").check()
    await tab.get_by_label("环节").last.select_option(label="代表小组评议")
    await tab.get_by_label("等次").last.select_option(label="良好")
    await tab.get_by_role("button", name="批量评议").click()
    await expect(row.get_by_text("代表小组评议", exact=True)).to_be_visible()
