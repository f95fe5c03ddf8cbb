"""Duty points in the browser: the demo deputy reads 我的积分 on a 390-pixel phone (total, categories with
their caps, every entry and why) and finds himself in the ranking; staff see the ranking on a desktop
and have a bad rules change refused with nothing saved."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from playwright.async_api import Browser, Page, expect
from sqlalchemy import select

from renda.core.timezone import LOCAL_TZ, local_today
from renda.modules.deputies.models import Person
from renda.modules.duty import ledger
from renda.modules.duty.models import Activity, Attendance
from renda.tenants.scoping import load_tenant, tenant_session
from tests.browser.test_shell import follow_menu, sign_in
from tests.browser.test_suggestions_phone import PHONE_VIEWPORT, fits_the_screen

OFFICE = "610922"
DEPUTY, STAFF = "石泉县 人大代表 王建国(演示)", "石泉县 工作人员 张敏(演示)"
TITLE = "视察城关镇饮水安全工程"


async def the_demo_deputy_inspected() -> None:
    """王建国 attended an inspection on 1 January, and the ledger was reconciled."""
    year = local_today().year
    async with tenant_session(await load_tenant(OFFICE), actor="system:test") as session:
        person_id = await session.scalar(select(Person.id).where(Person.name == "王建国").limit(1))
        begins = datetime.combine(date(year, 1, 1), time(9), LOCAL_TZ)
        if await session.scalar(select(Activity.id).where(Activity.title == TITLE)) is None:
            activity = Activity(
                kind="inspection",
                title=TITLE,
                starts_at=begins,
                ends_at=begins + timedelta(hours=3),
                year=year,
                status="finished",
                sign_in_secret="browser-test",
                created_by="system:test",
            )
            session.add(activity)
            await session.flush()
            session.add(
                Attendance(
                    activity_id=activity.id, person_id=person_id, status="present", source="list", recorded_by="x"
                )
            )
        await ledger.reconcile(session, year, [person_id])
        await session.commit()


async def test_a_deputy_reads_his_points_on_a_phone(chromium: Browser, live_server: str) -> None:
    await the_demo_deputy_inspected()
    phone = await chromium.new_context(base_url=live_server, locale="zh-CN", viewport=PHONE_VIEWPORT)
    try:
        page = await phone.new_page()
        await sign_in(page, DEPUTY)
        await follow_menu(page, "我的积分")
        await expect(page.get_by_role("heading", name="我的积分")).to_be_visible()
        await expect(page.get_by_text(f"参加视察:{TITLE}")).to_be_visible()
        await expect(page.get_by_text("按规则计分:参加视察 每次 5 分(第 1 版)").first).to_be_visible()
        categories = page.locator(".points-categories")
        await expect(categories.get_by_text("履职活动")).to_be_visible()
        await expect(categories.get_by_text("/ 25 分").first).to_be_visible()
        await expect(page.get_by_text("全机关第")).to_be_visible()
        await fits_the_screen(page)

        await page.get_by_role("navigation", name="履职积分").get_by_role("link", name="积分排名").click()
        await expect(page.get_by_role("heading", name="履职积分排名")).to_be_visible()
        await expect(page.get_by_role("link", name="王建国")).to_be_visible()
        await fits_the_screen(page)
    finally:
        await phone.close()


async def test_staff_see_the_ranking_and_a_bad_rule_is_refused(tab: Page) -> None:
    await the_demo_deputy_inspected()
    await sign_in(tab, STAFF)
    await tab.get_by_role("navigation", name="功能导航").get_by_role("link", name="履职积分").click()
    await expect(tab.get_by_role("heading", name="履职积分排名")).to_be_visible()
    await expect(tab.get_by_role("link", name="王建国")).to_be_visible()
    await expect(tab.get_by_role("button", name="导出 Excel")).to_be_visible()

    await tab.get_by_role("navigation", name="履职积分").get_by_role("link", name="积分规则").click()
    await expect(tab.get_by_role("heading", name="履职积分规则")).to_be_visible()
    before = await tab.get_by_label("会议出席上限(基本分)").input_value()
    await tab.get_by_label("会议出席上限(基本分)").fill("60")
    await tab.get_by_role("button", name="保存积分规则").click()
    await expect(tab.get_by_role("alert")).to_contain_text("超过了基本分 100 分")
    await tab.goto(f"/t/{OFFICE}/duty/points/rules")
    await expect(tab.get_by_label("会议出席上限(基本分)")).to_have_value(before)
