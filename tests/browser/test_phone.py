"""Every role's pages on a 390-pixel phone: the navigation folds into a menu, a table's rows become cards
whose values are labelled by their columns, nothing is wider than the screen; and at a desk (1280 px)
the same pages keep their sidebar and tables; every demo role's first page has work on it at both sizes.
Screenshots go to RENDA_SCREENSHOTS when it names a folder."""

from __future__ import annotations

import re

import pytest
from playwright.async_api import Browser, BrowserContext, Page, expect

from tests.browser.test_shell import DESKTOP, PHONE, follow_menu, screenshot, sign_in

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
    column's name (a table marked stays-table, such as the offices-beneath comparison, stays a table); returns how many
    labelled values the page shows."""
    found = await page.evaluate(
        """() => [...document.querySelectorAll('main table:not(.stays-table)')].filter(t => t.tHead).flatMap(table => {
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


async def phone_page(chromium: Browser, live_server: str, who: str) -> tuple[BrowserContext, Page]:
    context = await chromium.new_context(base_url=live_server, locale="zh-CN", viewport=PHONE)
    page = await context.new_page()
    await sign_in(page, who)
    return context, page


async def label_of(page: Page, cell: str) -> str:
    """What the phone shows before a card's value: its column's name."""
    return await page.locator(cell).first.evaluate("c => getComputedStyle(c, '::before').content")


async def test_a_deputy_reads_his_reception_days_on_a_phone(chromium: Browser, live_server: str) -> None:
    context, page = await phone_page(chromium, live_server, DEPUTY)
    try:
        await follow_menu(page, "接待群众")
        await page.get_by_role("link", name="我的接待").click()
        await expect(page.get_by_role("heading", name="我的轮值安排")).to_be_visible()
        day = page.locator('main td[data-label="接待日"]').first
        await expect(day).to_have_text(re.compile(r"\d{4}-\d{2}-\d{2}"))
        assert await label_of(page, 'main td[data-label="接待日"]') == '"接待日"'
        await expect(page.locator('main td[data-label="家站室"]').first).to_have_text("城关镇人大代表联络站")
        await fits_the_phone(page)
        await screenshot(page, "phone-flow-deputy-receptions")
        # Filing a suggestion: the form's fields take the screen's width, no wider.
        await follow_menu(page, "我的建议")
        await page.get_by_role("link", name="提出建议").click()
        title = page.get_by_label("标题")
        box = await title.bounding_box()
        assert box is not None and box["width"] >= 300 and box["x"] + box["width"] <= PHONE["width"], box
        await fits_the_phone(page)
        await screenshot(page, "phone-flow-deputy-new-suggestion")
    finally:
        await context.close()


async def test_a_committee_member_opens_a_contact_on_a_phone(chromium: Browser, live_server: str) -> None:
    context, page = await phone_page(chromium, live_server, COMMITTEE_MEMBER)
    try:
        await follow_menu(page, "联系代表")
        await page.get_by_role("link", name="联系记录", exact=True).click()
        assert await label_of(page, 'main td[data-label="联系的代表"]') == '"联系的代表"'
        await expect(page.locator('main td[data-label="组成人员"]').first).to_have_text("陈明")
        await fits_the_phone(page)
        await page.locator('main td[data-label="日期"] a').first.click()
        await expect(page).to_have_url(re.compile(rf"/t/{OFFICE}/contacts/records/"))
        await expect(page.get_by_role("heading", level=1)).to_be_visible()
        await fits_the_phone(page)
        await cards_are_labelled(page)
        await screenshot(page, "phone-flow-committee-member-contact")
    finally:
        await context.close()


async def test_a_handling_unit_opens_an_opinion_on_a_phone(chromium: Browser, live_server: str) -> None:
    context, page = await phone_page(chromium, live_server, HANDLING_UNIT)
    try:
        await follow_menu(page, "我的承办")
        await expect(page.get_by_role("heading", name="我的承办")).to_be_visible()
        await fits_the_phone(page)
        # The opinions given to the unit to answer: a card a row, opened by its content.
        await follow_menu(page, "群众意见")
        assert await cards_are_labelled(page) > 0
        await page.locator("main table tbody a").first.click()
        await expect(page).to_have_url(re.compile(rf"/t/{OFFICE}/opinions/[0-9a-f-]{{36}}"))
        await fits_the_phone(page)
        for field in await page.locator("main form :is(textarea, select, input:not([type=hidden]))").all():
            box = await field.bounding_box()
            assert box is None or box["x"] + box["width"] <= PHONE["width"], box
        await screenshot(page, "phone-flow-handling-unit-opinion")
    finally:
        await context.close()


async def test_staff_pages_keep_sidebar_and_tables_at_a_desk(chromium: Browser, live_server: str) -> None:
    context = await chromium.new_context(base_url=live_server, locale="zh-CN", viewport=DESKTOP)
    try:
        page = await context.new_page()
        await sign_in(page, STAFF)
        await expect(page.get_by_role("button", name="菜单")).to_be_hidden()
        await expect(page.get_by_role("navigation", name="功能导航")).to_be_visible()
        await follow_menu(page, "代表名册")
        header = page.locator("main table thead").first
        await expect(header).to_be_visible()
        assert await header.evaluate("h => getComputedStyle(h).display") == "table-header-group"
        assert await label_of(page, "main table td[data-label]") in ("none", "normal")
        width = await page.evaluate("document.scrollingElement.scrollWidth")
        assert width <= DESKTOP["width"], width
        await screenshot(page, "desktop-staff-register")
    finally:
        await context.close()


@pytest.mark.parametrize("who", list(MAIN_PAGES), ids=ROLE_IDS)
async def test_each_roles_main_pages_at_a_desk(chromium: Browser, live_server: str, who: str) -> None:
    """The same pages at 1280 px: the sidebar leads to each, and none is wider than the window."""
    context = await chromium.new_context(base_url=live_server, locale="zh-CN", viewport=DESKTOP)
    try:
        page = await context.new_page()
        await sign_in(page, who)
        await expect(page.get_by_role("navigation", name="功能导航")).to_be_visible()
        for name in MAIN_PAGES[who]:
            await follow_menu(page, name)
            await expect(page.get_by_role("main")).to_be_visible()
            width = await page.evaluate("document.scrollingElement.scrollWidth")
            assert width <= DESKTOP["width"], f"{page.url} is {width}px wide"
            await screenshot(page, f"desktop-{ROLE_IDS[list(MAIN_PAGES).index(who)]}-{name}")
    finally:
        await context.close()


# Every demo role's first page after sign-in, and what shows it has work on it.
FIRST_PAGES = {
    "staff": (STAFF, "逾期事项"),
    "committee-member": (COMMITTEE_MEMBER, "我联系的代表"),
    "deputy": (DEPUTY, "我的接待日"),
    "handling-unit": (HANDLING_UNIT, "交办我单位的群众意见"),
    "viewer": ("石泉县 只读用户 孙丽(演示)", "下级机关"),
    "city": ("安康市 代表工委 王芳(演示)", "下级机关"),
    "platform-admin": ("平台管理员(演示)", "机关"),
}


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
@pytest.mark.parametrize("role", list(FIRST_PAGES))
async def test_each_roles_first_page_has_work_on_it(
    chromium: Browser, live_server: str, role: str, viewport: dict[str, int]
) -> None:
    who, region = FIRST_PAGES[role]
    context = await chromium.new_context(base_url=live_server, locale="zh-CN", viewport=viewport)
    try:
        page = await context.new_page()
        await sign_in(page, who)
        work = page.get_by_role("region", name=region, exact=True)
        await expect(work).to_be_visible()
        assert await work.get_by_role("link").count() > 0, f"{role}: {region} links to nothing"
        width = await page.evaluate("document.scrollingElement.scrollWidth")
        assert width <= viewport["width"], f"{page.url} is {width}px wide"
        await screenshot(page, f"{'phone' if viewport is PHONE else 'desktop'}-first-page-{role}")
    finally:
        await context.close()
