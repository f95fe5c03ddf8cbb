"""The main flows by keyboard alone (Tab, Shift+Tab, Enter, Space, Escape): the link past the header to
the page's content, a visible outline on whatever has the focus, the phone's menu opened and closed, a form
filled and sent, and a confirmation answered with the focus back where it was."""

from __future__ import annotations

import re

import pytest
from playwright.async_api import Browser, Locator, Page, expect

from tests.browser.test_shell import DESKTOP, PHONE, sign_in

OFFICE = "610922"
STAFF = "石泉县 工作人员 张敏(演示)"
ADMIN = "石泉县 代表工委 李强(演示)"


async def has_focus(target: Locator) -> bool:
    return await target.evaluate("element => element === document.activeElement")


async def tab_to(page: Page, target: Locator, *, backwards: bool = False, limit: int = 150) -> None:
    """Press Tab (or Shift+Tab) until the target has the focus (none if it has it); fails if it never gets it."""
    if await has_focus(target):
        return
    for _ in range(limit):
        await page.keyboard.press("Shift+Tab" if backwards else "Tab")
        if await has_focus(target):
            return
    focused = await page.evaluate("document.activeElement && document.activeElement.outerHTML.slice(0, 120)")
    pytest.fail(f"{limit} presses of Tab never reached {target}; the focus is on {focused}")


async def assert_outlined(target: Locator) -> None:
    """The focused element shows the focus: a solid outline at least 2 px wide (renda.css :focus-visible)."""
    style, width = await target.evaluate("e => [getComputedStyle(e).outlineStyle, getComputedStyle(e).outlineWidth]")
    assert style == "solid" and float(width.removesuffix("px")) >= 2, (style, width)


async def desktop_page(chromium: Browser, live_server: str, who: str) -> Page:
    context = await chromium.new_context(base_url=live_server, locale="zh-CN", viewport=DESKTOP)
    page = await context.new_page()
    await sign_in(page, who)
    return page


async def test_skip_link_leads_past_the_header_and_the_focus_shows(chromium: Browser, live_server: str) -> None:
    page = await desktop_page(chromium, live_server, STAFF)
    try:
        await page.goto(f"/t/{OFFICE}/audit")
        skip = page.get_by_role("link", name="跳到主要内容")
        await expect(skip).not_to_be_in_viewport()  # out of sight until the keyboard reaches it
        await page.keyboard.press("Tab")
        assert await has_focus(skip)
        await expect(skip).to_be_in_viewport()
        await assert_outlined(skip)
        await page.keyboard.press("Enter")
        main = page.get_by_role("main")
        assert await has_focus(main)
        # The next Tab lands inside the page's content, not back in the header or the navigation.
        await page.keyboard.press("Tab")
        assert await page.evaluate("document.querySelector('main').contains(document.activeElement)")
        actor = page.get_by_role("textbox", name="操作人")
        await tab_to(page, actor)
        await assert_outlined(actor)
        # Shift+Tab goes back through the navigation, each link outlined in turn.
        link = page.get_by_role("navigation", name="功能导航").get_by_role("link", name="操作日志")
        await tab_to(page, link, backwards=True)
        await assert_outlined(link)
        await page.keyboard.press("Enter")
        await expect(page).to_have_url(re.compile(rf"/t/{OFFICE}/audit$"))
    finally:
        await page.context.close()


async def test_the_phone_menu_opens_and_closes_by_keyboard(chromium: Browser, live_server: str) -> None:
    context = await chromium.new_context(base_url=live_server, locale="zh-CN", viewport=PHONE)
    try:
        page = await context.new_page()
        await sign_in(page, STAFF)
        menu = page.get_by_role("button", name="菜单")
        nav = page.get_by_role("navigation", name="功能导航")
        await tab_to(page, menu)
        await assert_outlined(menu)
        await page.keyboard.press("Enter")
        await expect(menu).to_have_attribute("aria-expanded", "true")
        await expect(nav).to_be_visible()
        opinions = nav.get_by_role("link", name="群众意见", exact=True)
        await tab_to(page, opinions)
        # Escape from inside the menu closes it, and the focus returns to the button.
        await page.keyboard.press("Escape")
        await expect(menu).to_have_attribute("aria-expanded", "false")
        await expect(nav).to_be_hidden()
        assert await has_focus(menu)
        # Space opens it too; Escape on the button closes it; Enter follows a link.
        await page.keyboard.press("Space")
        await expect(nav).to_be_visible()
        await page.keyboard.press("Escape")
        await expect(nav).to_be_hidden()
        await page.keyboard.press("Space")
        await tab_to(page, opinions)
        await page.keyboard.press("Enter")
        await expect(page).to_have_url(re.compile(rf"/t/{OFFICE}/opinions$"))
        await expect(page.get_by_role("main")).to_be_visible()
    finally:
        await context.close()


async def where_the_focus_is(page: Page) -> str:
    """Which part of the page has the focus: the skip link, the header, the navigation or the main content."""
    return await page.evaluate(
        """() => {
            const focused = document.activeElement;
            if (focused.matches('.skip-link')) return 'skip';
            for (const [part, selector] of [['header', 'header'], ['nav', 'nav.sidebar'], ['main', 'main']]) {
                if (focused.closest(selector)) return part;
            }
            return focused.tagName;
        }"""
    )


async def tab_through_the_shell(page: Page, limit: int = 80) -> list[str]:
    """Tab from the top of the page until the main content has the focus: the parts passed, in order."""
    parts = [await where_the_focus_is(page)]
    for _ in range(limit):
        await page.keyboard.press("Tab")
        parts.append(await where_the_focus_is(page))
        if parts[-1] == "main":
            return parts
    pytest.fail(f"{limit} presses of Tab never reached the main content: {parts}")


async def test_tab_goes_from_the_opened_phone_menu_button_into_the_menu(chromium: Browser, live_server: str) -> None:
    context = await chromium.new_context(base_url=live_server, locale="zh-CN", viewport=PHONE)
    try:
        page = await context.new_page()
        await sign_in(page, STAFF)
        await page.goto(f"/t/{OFFICE}/audit")
        menu = page.get_by_role("button", name="菜单")
        nav = page.get_by_role("navigation", name="功能导航")
        links = nav.get_by_role("link")
        # Closed, the menu is no stop: from the button the next Tab goes into the page's content.
        await tab_to(page, menu)
        await page.keyboard.press("Tab")
        assert await where_the_focus_is(page) == "main"
        await page.keyboard.press("Shift+Tab")
        assert await has_focus(menu)
        # Opened, the very next Tab lands on the menu's first link, past none of the header's controls.
        await page.keyboard.press("Enter")
        await expect(menu).to_have_attribute("aria-expanded", "true")
        await page.keyboard.press("Tab")
        assert await has_focus(links.first), await page.evaluate("document.activeElement.outerHTML.slice(0, 120)")
        await expect(links.first).to_have_text("机关首页")
        await page.keyboard.press("Shift+Tab")
        assert await has_focus(menu)
        # Every link in turn, in the order they show; past the last one the page's content comes next.
        names = await links.all_inner_texts()
        for name in names:
            await page.keyboard.press("Tab")
            assert await has_focus(nav.get_by_role("link", name=name, exact=True)), name
        await page.keyboard.press("Tab")
        assert await where_the_focus_is(page) == "main"
        # The button shows after the header's other controls, as the focus reaches it, and above the menu.
        button, sign_out, first = (
            await menu.bounding_box(),
            await page.get_by_role("button", name="退出登录").bounding_box(),
            await links.first.bounding_box(),
        )
        assert button and sign_out and first
        assert button["y"] >= sign_out["y"] - 1 and button["x"] > sign_out["x"], (button, sign_out)
        assert button["y"] + button["height"] <= first["y"], (button, first)
    finally:
        await context.close()


async def test_at_a_desk_tab_reaches_the_navigation_before_the_main_content(
    chromium: Browser, live_server: str
) -> None:
    page = await desktop_page(chromium, live_server, STAFF)
    try:
        await page.goto(f"/t/{OFFICE}/audit")
        await expect(page.get_by_role("button", name="菜单")).to_be_hidden()
        parts = await tab_through_the_shell(page)
        # The skip link, the header's controls, every link of the sidebar, then the content: each part once.
        assert [part for i, part in enumerate(parts) if i == 0 or parts[i - 1] != part] == [
            "BODY",
            "skip",
            "header",
            "nav",
            "main",
        ], parts
        links = page.get_by_role("navigation", name="功能导航").get_by_role("link")
        assert parts.count("nav") == await links.count()
        # The first Tab into the navigation lands on its first link.
        await page.goto(f"/t/{OFFICE}/audit")
        await tab_to(page, links.first)
        await page.keyboard.press("Shift+Tab")
        assert await where_the_focus_is(page) == "header"
    finally:
        await page.context.close()


async def test_a_form_is_filled_and_sent_by_keyboard(chromium: Browser, live_server: str) -> None:
    page = await desktop_page(chromium, live_server, STAFF)
    try:
        await page.goto(f"/t/{OFFICE}/audit")
        await tab_to(page, page.get_by_role("textbox", name="操作人"))
        await page.keyboard.type("张敏")
        action = page.get_by_role("combobox", name="操作")
        await page.keyboard.press("Tab")
        assert await has_focus(action)
        while await action.input_value() != "delete":  # a closed list steps through its choices by arrow key
            before = await action.input_value()
            await page.keyboard.press("ArrowDown")
            assert await action.input_value() != before, "the arrow key did not change the choice"
        system = page.get_by_role("checkbox", name="显示系统操作")
        await page.keyboard.press("Tab")
        assert await has_focus(system)
        await page.keyboard.press("Space")
        await expect(system).to_be_checked()
        await tab_to(page, page.get_by_role("button", name="查询"))
        await page.keyboard.press("Enter")
        await expect(page).to_have_url(re.compile(r"action=delete"))
        assert "system=true" in page.url and "actor=%E5%BC%A0%E6%95%8F" in page.url
        await expect(page.get_by_role("textbox", name="操作人")).to_have_value("张敏")
    finally:
        await page.context.close()


async def test_a_confirmation_is_answered_by_keyboard_and_the_focus_comes_back(
    chromium: Browser, live_server: str
) -> None:
    page = await desktop_page(chromium, live_server, ADMIN)
    try:
        await page.goto(f"/t/{OFFICE}/opinions/units")
        unit = page.locator("details").filter(has=page.locator("form[data-confirm]")).first
        summary = unit.locator("summary")
        await tab_to(page, summary)
        await page.keyboard.press("Enter")  # a <details> opens from the keyboard
        await expect(unit).to_have_attribute("open", "")
        delete = unit.get_by_role("button", name="删除")
        await tab_to(page, delete)
        questions: list[str] = []

        async def decline(dialog) -> None:  # type: ignore[no-untyped-def]
            questions.append(dialog.message)
            await dialog.dismiss()

        page.on("dialog", decline)
        await page.keyboard.press("Enter")  # returns once the handler has answered the question
        assert questions == ["确定删除该承办单位吗?"]
        # Declined: nothing sent, and the focus is where it was, on the button, for the next key.
        await expect(page).to_have_url(re.compile(rf"/t/{OFFICE}/opinions/units$"))
        assert await has_focus(delete)
        await page.keyboard.press("Shift+Tab")
        assert not await has_focus(delete)
    finally:
        await page.context.close()
