"""Every role's pages on a 390-pixel phone: the navigation folds into a menu, a table's rows become cards
whose values are labelled by their columns, nothing is wider than the screen; and at a desk (1280 px)
the same pages keep their sidebar and tables. Screenshots go to RENDA_SCREENSHOTS when it names a folder."""

from __future__ import annotations

import re

import pytest
from playwright.async_api import Browser, Page, expect

from tests.browser.test_shell import DESKTOP, PHONE, screenshot, sign_in

OFFICE = "610922"
DEPUTY = "石泉县 人大代表 王建国(演示)"
COMMITTEE_MEMBER = "石泉县 常委会组成人员 陈明(演示)"
HANDLING_UNIT = "石泉县 承办单位 赵静(演示)"
STAFF = "石泉县 工作人员 张敏(演示)"

# Each role's main pages, by the menu entry that leads there.
MAIN_PAGES = {
    DEPUTY: ["接待群众", "群众意见", "我的建议", "我的积分", "我的履职活动", "我的佐证", "我的通知"],
    COMMITTEE_MEMBER: ["联系代表", "代表名册", "组织机构", "群众意见", "履职档案"],
    HANDLING_UNIT: ["我的承办", "群众意见", "我的通知"],
    STAFF: ["代表名册", "群众意见", "建议审查", "统计汇总", "联系代表", "接待群众", "操作日志"],
}
ROLE_IDS = ["deputy", "committee-member", "handling-unit", "staff"]


async def open_from_menu(page: Page, name: str) -> None:
    """On a phone the navigation is behind the 菜单 button: open it, then follow the entry."""
    menu = page.get_by_role("button", name="菜单")
    nav = page.get_by_role("navigation", name="功能导航")
    await expect(menu).to_have_attribute("aria-expanded", "false")
    await expect(nav).to_be_hidden()
    await menu.click()
    await expect(menu).to_have_attribute("aria-expanded", "true")
    await nav.get_by_role("link", name=name, exact=True).click()
    await expect(page.get_by_role("main")).to_be_visible()


async def fits_the_phone(page: Page) -> None:
    width = await page.evaluate("document.scrollingElement.scrollWidth")
    assert width <= PHONE["width"], f"{page.url} is {width}px wide"


async def cards_are_labelled(page: Page) -> int:
    """Each table with column headers shows its rows as cards within the screen, every value after its
    column's name; returns how many labelled values the page shows."""
    found = await page.evaluate(
        """() => [...document.querySelectorAll('main table')].filter(t => t.tHead).flatMap(table => {
            const headers = [...table.tHead.rows[table.tHead.rows.length - 1].cells].map(c => c.textContent.trim());
            return [...table.tBodies].flatMap(b => [...b.rows]).map(row => {
                const box = row.getBoundingClientRect();
                const cells = [...row.cells].filter(c => c.dataset.label && getComputedStyle(c).display !== 'none');
                return {
                    display: getComputedStyle(row).display, right: box.right, headers,
                    labels: cells.map(c => [c.dataset.label, getComputedStyle(c, '::before').content]),
                };
            });
        })"""
    )
    for row in found:
        assert row["display"] == "block" and row["right"] <= PHONE["width"], (page.url, row)
        for label, shown in row["labels"]:
            assert shown == f'"{label}"' and label in row["headers"], (page.url, row)
    return sum(len(row["labels"]) for row in found)


@pytest.mark.parametrize("who", list(MAIN_PAGES), ids=ROLE_IDS)
async def test_each_roles_main_pages_fit_a_phone(chromium: Browser, live_server: str, who: str) -> None:
    context = await chromium.new_context(base_url=live_server, locale="zh-CN", viewport=PHONE)
    try:
        page = await context.new_page()
        await sign_in(page, who)
        await fits_the_phone(page)
        for name in MAIN_PAGES[who]:
            await open_from_menu(page, name)
            await fits_the_phone(page)
            await cards_are_labelled(page)
            await screenshot(page, f"phone-{ROLE_IDS[list(MAIN_PAGES).index(who)]}-{name}")
    finally:
        await context.close()
