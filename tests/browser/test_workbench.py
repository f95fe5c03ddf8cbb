"""The workbench (工作台) of the demo's first page after sign-in, at a desk and on a 390-pixel phone: staff
and the demo deputy see their work in cards (side by side at a desk, stacked on a phone, never wider than
the screen), overdue items first and marked, and a count leads to its list filtered."""

from __future__ import annotations

import itertools
import re

from playwright.async_api import Browser, Page, expect

from tests.browser.test_shell import sign_in

OFFICE = "610922"
STAFF, DEPUTY = "石泉县 工作人员 张敏(演示)", "石泉县 人大代表 王建国(演示)"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
OVERDUE_OPINION = "县城老旧小区屋顶漏水"  # the demo's opinion past its deadline


async def signed_in(chromium: Browser, live_server: str, viewport: dict[str, int], name: str) -> Page:
    context = await chromium.new_context(base_url=live_server, locale="zh-CN", viewport=viewport)
    page = await context.new_page()
    await sign_in(page, name)
    await expect(page).to_have_url(re.compile(rf"/t/{OFFICE}/$"))
    await expect(page.get_by_role("heading", name=re.compile("^工作台"), level=2)).to_be_visible()
    return page


async def no_sideways_scrolling(page: Page) -> None:
    width = await page.evaluate("document.scrollingElement.scrollWidth")
    viewport = page.viewport_size
    assert viewport is not None and width <= viewport["width"], f"{page.url} is {width}px wide"


async def boxes(page: Page, names: list[str]) -> list[dict[str, float]]:
    found = []
    for name in names:
        box = await page.get_by_role("region", name=name, exact=True).bounding_box()
        assert box is not None, name
        found.append(box)
    return found


async def test_staff_at_a_desk(chromium: Browser, live_server: str) -> None:
    page = await signed_in(chromium, live_server, DESKTOP, STAFF)
    try:
        for name in ("逾期事项", "群众意见", "代表建议", "联系代表", "履职佐证", "小组和家站室", "导入导出"):
            await expect(page.get_by_role("region", name=name, exact=True)).to_be_visible()
        opinions = page.get_by_role("region", name="群众意见", exact=True)
        first = opinions.get_by_role("listitem").filter(has_text=OVERDUE_OPINION).first
        await expect(first).to_contain_text("已逾期")
        await expect(opinions.locator("ol > li").first).to_contain_text(OVERDUE_OPINION)  # overdue first
        # Cards sit side by side at a desk.
        left, right = await boxes(page, ["群众意见", "代表建议"])
        assert abs(left["y"] - right["y"]) < 2 and right["x"] > left["x"] + left["width"]
        await no_sideways_scrolling(page)
        # A count leads to its list, filtered the way it counts.
        await opinions.get_by_role("link", name=re.compile("已逾期待督办")).click()
        await expect(page).to_have_url(re.compile(rf"/t/{OFFICE}/opinions\?overdue=1$"))
        await expect(page.get_by_role("checkbox", name="只看已逾期")).to_be_checked()
        await expect(page.get_by_role("row").filter(has_text=OVERDUE_OPINION)).to_be_visible()
    finally:
        await page.context.close()


async def test_staff_on_a_phone(chromium: Browser, live_server: str) -> None:
    page = await signed_in(chromium, live_server, PHONE, STAFF)
    try:
        await no_sideways_scrolling(page)
        names = ["逾期事项", "群众意见", "代表建议", "联系代表"]
        found = await boxes(page, names)
        main = await page.locator("main").bounding_box()
        assert main is not None
        for above, below in itertools.pairwise(found):  # stacked, each the width of the screen
            assert below["y"] >= above["y"] + above["height"] and abs(below["x"] - above["x"]) < 2
        assert all(box["width"] >= main["width"] - 40 for box in found)
        # The offices beneath become cards too: each figure with its label.
        beneath = page.get_by_role("region", name="下级机关", exact=True)
        await beneath.scroll_into_view_if_needed()
        await expect(beneath.get_by_role("link", name=re.compile("城关镇人大主席团"))).to_be_visible()
        await no_sideways_scrolling(page)
        suggestions = page.get_by_role("region", name="代表建议", exact=True)
        await suggestions.get_by_role("link", name=re.compile("待审查")).click()
        await expect(page).to_have_url(re.compile(rf"/t/{OFFICE}/suggestions/items/intake$"))
    finally:
        await page.context.close()


async def test_the_deputy_at_a_desk(chromium: Browser, live_server: str) -> None:
    page = await signed_in(chromium, live_server, DESKTOP, DEPUTY)
    try:
        cards = page.locator(".wb-card h3")
        await expect(cards).to_have_text(["我的接待日", "群众向我反映的意见", "待我评价的建议答复", "我的履职积分"])
        receptions = page.get_by_role("region", name="我的接待日", exact=True)
        await expect(receptions.get_by_text(re.compile(r"^接待日 \d{4}-\d{2}-\d{2}")).first).to_be_visible()
        left, right = await boxes(page, ["我的接待日", "群众向我反映的意见"])
        assert abs(left["y"] - right["y"]) < 2
        await no_sideways_scrolling(page)
    finally:
        await page.context.close()


async def test_the_deputy_on_a_phone(chromium: Browser, live_server: str) -> None:
    page = await signed_in(chromium, live_server, PHONE, DEPUTY)
    try:
        await no_sideways_scrolling(page)
        found = await boxes(page, ["我的接待日", "群众向我反映的意见", "待我评价的建议答复", "我的履职积分"])
        for above, below in itertools.pairwise(found):
            assert below["y"] >= above["y"] + above["height"]
        ratings = page.get_by_role("region", name="待我评价的建议答复", exact=True)
        await expect(ratings).to_contain_text("评价截止")
        await ratings.get_by_role("link", name=re.compile("待评价")).click()
        await expect(page).to_have_url(re.compile(rf"/t/{OFFICE}/suggestions/items\?to_rate=1$"))
        await expect(page.get_by_role("checkbox", name="只看待我评价")).to_be_checked()
        await expect(page.get_by_text("关于加强中小学校园周边交通秩序管理的建议")).to_be_visible()
        await no_sideways_scrolling(page)
    finally:
        await page.context.close()
