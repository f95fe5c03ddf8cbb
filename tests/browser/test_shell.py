"""The staff UI's shell as a person sees it: sign-in, the office, the switcher, the audit log, sign-out."""

from __future__ import annotations

import os
import re
import time
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page, expect

from renda.core.db import Database
from renda.core.permissions import Role
from renda.demo import DEMO_USERS

STAFF = "石泉县 工作人员 张敏(演示)"
CITY_ADMIN = "安康市 代表工委 王芳(演示)"
TWO_OFFICE_USER = "石泉县、汉阴县 联络员 郑华(演示)"
SHIQUAN, HANYIN = "石泉县人大常委会", "汉阴县人大常委会"
CITY, CHENGGUAN, RAOFENG = "安康市人大常委会", "石泉县城关镇人大主席团", "石泉县饶峰镇人大主席团"
DESKTOP, PHONE = {"width": 1280, "height": 800}, {"width": 390, "height": 844}


@pytest.fixture(scope="module", autouse=True)
async def two_office_user(live_server: str, database: Database) -> None:
    """No seeded demo user belongs to two offices, and the switcher needs one. Made after the seeding in
    `live_server`, which adds the demo users only while there are none."""
    from renda.modules.accounts import service as accounts

    async with database.platform_session() as session:
        session.info["actor"] = "system:test"
        user = await accounts.create_user(session, TWO_OFFICE_USER, demo=True)
        for code in ("610922", "610921"):
            await accounts.grant_membership(session, user, code, [Role.STAFF])
        await session.commit()


async def sign_in(page: Page, name: str) -> None:
    await page.goto("/login")
    await page.get_by_role("combobox", name="演示账号").select_option(label=name)
    await page.get_by_role("button", name="登录", exact=True).click()
    await expect(page.get_by_role("button", name="退出登录")).to_be_visible()


async def follow_menu(page: Page, name: str) -> None:
    """Follow the navigation's entry `name`; on a phone the navigation is behind the header's 菜单 button."""
    viewport = page.viewport_size
    if viewport and viewport["width"] <= 640:
        await page.get_by_role("button", name="菜单").click()
    await page.get_by_role("navigation", name="功能导航").get_by_role("link", name=name, exact=True).click()


async def test_sign_in_page_lists_demo_users_by_role(tab: Page) -> None:
    await tab.goto("/")
    await expect(tab).to_have_url(re.compile(r"/login$"))
    await expect(tab).to_have_title("登录 - 人大代表工作平台")
    await expect(tab.get_by_role("heading", name="登录", level=1)).to_be_visible()
    await expect(tab.get_by_text("工作人员请使用所在省、市的统一身份认证账号登录。")).to_be_visible()
    await expect(tab.get_by_role("heading", name="演示账号")).to_be_visible()
    options = await tab.get_by_role("combobox", name="演示账号").locator("option").all_inner_texts()
    assert {name for name, _, _ in DEMO_USERS} | {TWO_OFFICE_USER} <= set(options)
    await expect(tab.get_by_role("button", name="退出登录")).to_have_count(0)


async def test_staff_lands_in_their_office(tab: Page) -> None:
    await sign_in(tab, STAFF)
    await expect(tab).to_have_url(re.compile(r"/t/610922/$"))
    await expect(tab).to_have_title(f"{SHIQUAN} - 人大代表工作平台")
    await expect(tab.get_by_role("heading", name=SHIQUAN, level=1)).to_be_visible()
    await expect(tab.get_by_text("行政区划代码 610922")).to_be_visible()
    header = tab.get_by_role("banner")
    await expect(header.get_by_role("link", name="人大代表工作平台")).to_be_visible()
    await expect(header.get_by_role("combobox", name="当前机关")).to_have_value("610922")
    await expect(header.get_by_text(STAFF)).to_be_visible()
    nav = tab.get_by_role("navigation", name="功能导航")
    await expect(nav.get_by_role("link")).to_contain_text(["机关首页", "操作日志"])
    await expect(tab.get_by_role("heading", name="最近操作")).to_be_visible()


async def test_audit_page_of_the_office(tab: Page) -> None:
    await sign_in(tab, STAFF)
    # An export requested with this session's cookie gives the office's log an entry by this user.
    csrf = await tab.locator("input[name=_csrf]").input_value()
    requested = await tab.request.post(
        "/api/v1/t/610922/exports", data={"kind": "audit_log", "params": {}}, headers={"X-CSRF-Token": csrf}
    )
    assert requested.status == 202, await requested.text()
    await tab.get_by_role("navigation", name="功能导航").get_by_role("link", name="操作日志").click()
    await expect(tab).to_have_url(re.compile(r"/t/610922/audit$"))
    await expect(tab).to_have_title(f"操作日志 - {SHIQUAN}")
    await expect(tab.get_by_role("heading", name="操作日志", level=1)).to_be_visible()
    await expect(tab.get_by_role("columnheader")).to_have_text(["时间", "操作人", "操作", "对象", "变更内容"])
    await expect(tab.get_by_text(re.compile(r"^共 [1-9]\d* 条$"))).to_be_visible()
    # The newest of people's entries is this request: who, what and which kind of export, no ids.
    newest = tab.get_by_role("row").nth(1)
    await expect(newest.get_by_role("cell")).to_have_text(
        [re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}$"), STAFF, "新增", "导出任务", re.compile("导出内容:操作日志")]
    )
    await expect(tab.get_by_role("main")).not_to_contain_text(re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-|None|\{'"))
    # The system's own work (the demo data, the export's worker) only when asked for.
    await expect(tab.get_by_role("cell", name=re.compile("^系统"))).to_have_count(0)
    await tab.get_by_role("checkbox", name="显示系统操作").check()
    await tab.get_by_role("button", name="查询").click()
    await expect(tab).to_have_url(re.compile(r"system=true"))
    await expect(tab.get_by_role("cell", name=re.compile("^系统")).first).to_be_visible()
    await tab.get_by_role("checkbox", name="显示系统操作").uncheck()
    await tab.get_by_role("textbox", name="操作人").fill("张敏")
    await tab.get_by_role("combobox", name="操作").select_option(label="删除")
    await tab.get_by_role("button", name="查询").click()
    await expect(tab).to_have_url(re.compile(r"action=delete"))
    await expect(tab.get_by_text("没有符合条件的记录。")).to_be_visible()


async def test_office_switcher(tab: Page) -> None:
    await sign_in(tab, TWO_OFFICE_USER)
    await expect(tab.get_by_role("heading", name=f"您好,{TWO_OFFICE_USER}")).to_be_visible()
    offices = tab.get_by_role("main").get_by_role("link")
    await expect(offices).to_have_text([HANYIN, SHIQUAN])
    await offices.filter(has_text=SHIQUAN).click()
    await expect(tab.get_by_role("heading", name=SHIQUAN, level=1)).to_be_visible()
    switcher = tab.get_by_role("combobox", name="当前机关")
    await switcher.select_option(label=HANYIN)
    await expect(tab).to_have_url(re.compile(r"/t/610921/$"))
    await expect(tab.get_by_role("heading", name=HANYIN, level=1)).to_be_visible()
    await expect(switcher).to_have_value("610921")


async def test_sign_out_returns_to_sign_in(tab: Page) -> None:
    await sign_in(tab, STAFF)
    await tab.get_by_role("button", name="退出登录").click()
    await expect(tab).to_have_url(re.compile(r"/login$"))
    await expect(tab.get_by_role("heading", name="登录", level=1)).to_be_visible()
    await expect(tab.get_by_role("banner").get_by_text(STAFF)).to_have_count(0)
    await expect(tab.get_by_role("button", name="退出登录")).to_have_count(0)
    assert not [c for c in await tab.context.cookies() if c["name"] == "renda_session"]
    # The session is gone, not just the page: the office sends the visitor back to sign in.
    await tab.goto("/t/610922/")
    await expect(tab).to_have_url(re.compile(r"/login\?next=/t/610922/?$"))


async def test_another_office_is_forbidden(tab: Page) -> None:
    await sign_in(tab, STAFF)
    response = await tab.goto("/t/610921/")
    assert response is not None and response.status == 403
    await expect(tab).to_have_title("没有访问权限 - 人大代表工作平台")
    await expect(tab.get_by_role("heading", name="没有访问权限", level=1)).to_be_visible()
    await expect(tab.get_by_text(f"您不是{HANYIN}的成员,无权访问")).to_be_visible()
    await expect(tab.get_by_text("请联系本机关的管理员")).to_be_visible()
    await expect(tab.get_by_role("heading", name=HANYIN)).to_have_count(0)
    await tab.get_by_role("link", name="返回首页").click()
    await expect(tab.get_by_role("heading", name=SHIQUAN, level=1)).to_be_visible()


async def test_signing_in_too_often_says_when_to_try_again(tab: Page) -> None:
    from renda.modules.accounts.routes import demo_login_limiter

    await tab.goto("/login")
    demo_login_limiter.hits["127.0.0.1"].extend([time.monotonic()] * demo_login_limiter.limit)
    await tab.get_by_role("combobox", name="演示账号").select_option(label=STAFF)
    await tab.get_by_role("button", name="登录", exact=True).click()
    await expect(tab).to_have_title("操作过于频繁 - 人大代表工作平台")
    await expect(tab.get_by_text("登录尝试过于频繁,请一分钟后再试")).to_be_visible()
    await expect(tab.get_by_text(re.compile(r"^请在 \d+ 秒后再试。$"))).to_be_visible()
    # The code only in the small print, for support.
    await expect(tab.locator(".error-page .support")).to_contain_text("too_many_requests")
    told = " ".join(await tab.locator(".error-page > :not(.support)").all_inner_texts())
    assert "登录尝试过于频繁" in told and not re.search(r"[a-z_]{3,}", told), told
    await tab.get_by_role("link", name="返回上一页").click()
    await expect(tab).to_have_url(re.compile(r"/login$"))


async def test_the_public_portal_lost_page_leads_to_the_portal(tab: Page) -> None:
    response = await tab.goto("/p/610922/no-such-page")
    assert response is not None and response.status == 404
    await expect(tab.get_by_role("heading", name="页面不存在", level=1)).to_be_visible()
    await tab.get_by_role("main").get_by_role("link", name="返回首页").click()
    await expect(tab).to_have_url(re.compile(r"/p/610922/$"))
    await expect(tab.get_by_role("button", name="退出登录")).to_have_count(0)
    icon = await tab.request.get("/favicon.ico")
    assert icon.status == 200 and icon.headers["content-type"] == "image/x-icon"


async def screenshot(page: Page, name: str) -> None:
    """Screenshots for people to look at, when RENDA_SCREENSHOTS names a folder (never committed)."""
    folder = os.environ.get("RENDA_SCREENSHOTS")
    if folder:
        await page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
async def test_where_am_i_after_drilling_down(chromium: Browser, live_server: str, viewport: dict[str, int]) -> None:
    context = await chromium.new_context(base_url=live_server, locale="zh-CN", viewport=viewport)
    try:
        page = await context.new_page()
        await sign_in(page, CITY_ADMIN)
        await page.goto("/t/610900/reports")
        switcher = page.get_by_role("banner").get_by_role("combobox", name="当前机关")
        await expect(switcher).to_have_value("610900")
        # Every office the city reaches, beneath it read-only, in the order of the hierarchy.
        await expect(switcher.locator("option")).to_have_text(
            [
                CITY,
                f"{HANYIN}(只读)",
                "汉阴县城关镇人大主席团(只读)",
                "汉阴县涧池镇人大主席团(只读)",
                f"{SHIQUAN}(只读)",
                f"{CHENGGUAN}(只读)",
                f"{RAOFENG}(只读)",
            ]
        )
        # Drill down from the city's figures into the county's: the header names the county now.
        await page.get_by_role("link", name=SHIQUAN, exact=True).click()
        await expect(page).to_have_url(re.compile(r"/t/610922/reports"))
        await expect(switcher).to_have_value("610922")
        await expect(switcher.locator("option:checked")).to_have_text(f"{SHIQUAN}(只读)")
        crumbs = page.get_by_role("navigation", name="当前位置")
        await expect(crumbs.get_by_role("listitem")).to_have_text([CITY, SHIQUAN])
        await expect(crumbs.get_by_role("link")).to_have_text([CITY])
        await expect(crumbs.locator('[aria-current="page"]')).to_have_text(SHIQUAN)
        for item in await crumbs.get_by_role("listitem").all():  # on the screen, however wide the page below
            box = await item.bounding_box()
            assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= viewport["width"], box
        await screenshot(page, f"county-drilled-down-{viewport['width']}")
        # On to a township through the switcher; the breadcrumbs lead back up.
        await switcher.select_option(label=f"{CHENGGUAN}(只读)")
        await expect(page).to_have_url(re.compile(r"/t/610922100/$"))
        await expect(crumbs.get_by_role("listitem")).to_have_text([CITY, SHIQUAN, CHENGGUAN])
        await crumbs.get_by_role("link", name=SHIQUAN).click()
        await expect(page).to_have_url(re.compile(r"/t/610922/$"))
        await expect(switcher).to_have_value("610922")
        await crumbs.get_by_role("link", name=CITY).click()
        await expect(page).to_have_url(re.compile(r"/t/610900/$"))
        await expect(page.get_by_role("navigation", name="当前位置")).to_have_count(0)  # the top: nothing above
    finally:
        await context.close()


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
async def test_audit_page_screens(chromium: Browser, live_server: str, viewport: dict[str, int]) -> None:
    """The operation log at both sizes: every entry readable, the phone's rows as cards that fit."""
    context = await chromium.new_context(base_url=live_server, locale="zh-CN", viewport=viewport)
    try:
        page = await context.new_page()
        await sign_in(page, STAFF)
        await page.goto("/t/610922/audit?system=true")
        await expect(page.get_by_role("heading", name="操作日志", level=1)).to_be_visible()
        main = page.get_by_role("main")
        await expect(main).not_to_contain_text(re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-|None|\{'|\+00:00"))
        await expect(main.get_by_role("row").nth(1)).to_be_visible()
        if viewport is PHONE:
            width = await page.evaluate("document.querySelector('table.audit-log').getBoundingClientRect().right")
            assert width <= viewport["width"], width
        await screenshot(page, f"audit-{viewport['width']}")
    finally:
        await context.close()
