"""The points store in a browser: staff put an item on the shelf (desktop), the demo deputy redeems it on a
390-pixel phone (balance, items, redeem, my redemptions, nothing wider than the screen), and staff
confirm the handover from the waiting list, which the deputy then sees."""

from __future__ import annotations

import re
import uuid

from playwright.async_api import Browser, Page, expect
from sqlalchemy import select

from renda.core.timezone import local_today
from renda.modules.deputies.models import Person
from renda.tenants.scoping import load_tenant, tenant_session
from tests.browser.test_shell import follow_menu, sign_in
from tests.browser.test_suggestions_phone import PHONE_VIEWPORT, fits_the_screen, tappable
from tests.modules.duty.support_store import give_points

OFFICE = "610922"
DEPUTY = "石泉县 人大代表 王建国(演示)"
STAFF = "石泉县 工作人员 张敏(演示)"


async def demo_deputy() -> uuid.UUID:
    async with tenant_session(await load_tenant(OFFICE), actor="system:test", read_only=True) as session:
        query = select(Person.id).where(Person.name == "王建国", Person.user_id.is_not(None))
        return (await session.execute(query)).scalar_one()


async def balance_shown(page: Page) -> int:
    return int(await page.locator("[data-balance]").inner_text())


async def test_a_deputy_redeems_on_a_phone_and_staff_hand_over(chromium: Browser, live_server: str, tab: Page) -> None:
    await give_points(OFFICE, await demo_deputy(), local_today().year - 1, 60)
    item = f"代表履职笔记本{uuid.uuid4().hex[:4]}"

    # Staff put the item on the shelf.
    await sign_in(tab, STAFF)
    await tab.get_by_role("navigation", name="功能导航").get_by_role("link", name="积分兑换管理").click()
    await expect(tab.get_by_role("heading", name=re.compile("积分超市"))).to_be_visible()
    await tab.get_by_role("link", name="兑换物品").click()
    new = tab.locator("section", has=tab.get_by_role("heading", name="新增物品"))
    await new.get_by_label("物品名称").fill(item)
    await new.get_by_label("兑换所需积分").fill("7")
    await new.get_by_label("库存数量").fill("3")
    await new.get_by_label("物品说明").fill("A5 大小,记录履职活动")
    await new.get_by_role("button", name="新增物品").click()
    await expect(tab.get_by_text("已保存。")).to_be_visible()
    await expect(tab.locator(f'tr[data-item="{item}"]')).to_contain_text("上架")

    phone = await chromium.new_context(base_url=live_server, locale="zh-CN", viewport=PHONE_VIEWPORT)
    try:
        page = await phone.new_page()
        await sign_in(page, DEPUTY)
        await follow_menu(page, "积分超市")
        await expect(page.get_by_role("heading", name="积分超市", exact=True)).to_be_visible()
        await fits_the_screen(page)
        before = await balance_shown(page)
        assert before >= 14, before

        card = page.locator("li.card", has_text=item)
        await expect(card).to_contain_text("7 积分")
        await card.get_by_label("数量").select_option("2")
        await tappable(card, "兑换")
        page.once("dialog", lambda dialog: dialog.accept())
        await card.get_by_role("button", name="兑换", exact=True).click()
        await expect(page.get_by_text(re.compile("兑换成功"))).to_be_visible()
        assert await balance_shown(page) == before - 14
        mine = page.locator("section", has=page.get_by_role("heading", name="我的兑换")).locator("li.card").first
        await expect(mine).to_contain_text(f"{item} × 2")
        await expect(mine).to_contain_text("待领取")
        await fits_the_screen(page)

        # Staff hand it over from the waiting list (the one who waited longest is first).
        await tab.get_by_role("link", name="待领取").click()
        waiting = tab.locator("li.card", has_text=item)
        await expect(waiting).to_contain_text("王建国")
        await waiting.get_by_role("button", name="确认已领取").click()
        await expect(tab.get_by_text("已确认领取。")).to_be_visible()
        await expect(tab.locator("li.card", has_text=item)).to_have_count(0)
        await tab.get_by_role("link", name="兑换记录").click()
        await expect(tab.locator("tr", has_text=item)).to_contain_text("已领取")

        await page.reload()
        await expect(mine).to_contain_text("已领取")
        await expect(page.locator("li.card", has_text=item).first).to_contain_text("库存 1 件")
        await fits_the_screen(page)
    finally:
        await phone.close()
