"""The two contacts as people meet them in a browser: a voter on a phone scans a deputy's code, sends
an opinion and looks it up by its ticket; the office's staff find it in their list; the deputy who
signs in sees the reception days he is rostered on."""

from __future__ import annotations

import re

from playwright.async_api import Browser, Page, expect
from sqlalchemy import select

from renda.core.db import Database
from renda.modules.deputies.models import Person
from renda.tenants.scoping import load_tenant, tenant_session
from tests.browser.test_shell import sign_in

OFFICE = "610922"
PHONE_VIEWPORT = {"width": 390, "height": 844}


async def deputy_id(name: str) -> str:
    async with tenant_session(await load_tenant(OFFICE), actor="system:test", read_only=True) as session:
        return str((await session.execute(select(Person.id).where(Person.name == name))).scalars().first())


async def test_a_voter_scans_a_deputy_code_sends_an_opinion_and_staff_find_it(
    chromium: Browser, live_server: str, tab: Page, database: Database
) -> None:
    phone = await chromium.new_context(base_url=live_server, locale="zh-CN", viewport=PHONE_VIEWPORT)
    try:
        page = await phone.new_page()
        await page.goto(f"/p/{OFFICE}/deputies/{await deputy_id('王建国')}")  # where the QR code points
        await expect(page.get_by_role("heading", name=re.compile("王建国"))).to_be_visible()
        await expect(page.get_by_text("城关镇人大代表联络站").first).to_be_visible()
        await page.get_by_role("link", name="向代表提意见").click()
        await expect(page.get_by_role("heading", name="向王建国代表反映意见")).to_be_visible()
        await page.get_by_label("您要反映的问题").fill("江南大道人行道地砖松动多处,雨天行走容易溅水摔倒,希望尽快修补。")
        await page.get_by_label("问题类别").select_option(label="城乡建设")
        await page.get_by_role("button", name="提交").click()
        await expect(page.get_by_text("提交成功,您的意见已受理")).to_be_visible()
        ticket = (await page.locator("p.ticket").inner_text()).strip()
        assert re.fullmatch(r"[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}", ticket), ticket

        await page.goto(f"/p/{OFFICE}/opinions/status")
        await page.get_by_label("查询编号").fill(ticket)
        await page.get_by_role("button", name="查询").click()
        await expect(page.get_by_role("heading", name=re.compile(f"编号 {ticket}"))).to_be_visible()
        await expect(page.get_by_text("江南大道人行道地砖松动多处").first).to_be_visible()
    finally:
        await phone.close()

    await sign_in(tab, "石泉县 工作人员 张敏(演示)")
    await tab.get_by_role("navigation", name="功能导航").get_by_role("link", name="群众意见").click()
    await expect(tab).to_have_url(re.compile(rf"/t/{OFFICE}/opinions"))
    await tab.get_by_text("江南大道人行道地砖松动多处").first.click()
    await expect(tab.get_by_text(ticket).first).to_be_visible()


async def test_the_deputy_sees_the_days_he_is_rostered_on(tab: Page) -> None:
    await sign_in(tab, "石泉县 人大代表 王建国(演示)")
    await tab.get_by_role("navigation", name="功能导航").get_by_role("link", name="接待群众").click()
    await expect(tab).to_have_url(re.compile(rf"/t/{OFFICE}/receptions"))
    await expect(tab.get_by_text("城关镇人大代表联络站").first).to_be_visible()
    await expect(tab.get_by_text("王建国").first).to_be_visible()
