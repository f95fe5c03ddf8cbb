"""The staff UI's shell as a person sees it: sign-in, the office, the switcher, the audit log, sign-out."""

from __future__ import annotations

import re

import pytest
from playwright.async_api import Page, expect

from renda.core.db import Database
from renda.core.permissions import Role
from renda.demo import DEMO_USERS

STAFF = "石泉县 工作人员 张敏(演示)"
TWO_OFFICE_USER = "石泉县、汉阴县 联络员 郑华(演示)"
SHIQUAN, HANYIN = "石泉县人大常委会", "汉阴县人大常委会"


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
    await expect(tab).to_have_title("出错了 - 人大代表工作平台")
    await expect(tab.get_by_role("heading", name="403")).to_be_visible()
    await expect(tab.get_by_text(f"您不是{HANYIN}的成员,无权访问")).to_be_visible()
    await expect(tab.get_by_role("heading", name=HANYIN)).to_have_count(0)
    await tab.get_by_role("link", name="返回首页").click()
    await expect(tab.get_by_role("heading", name=SHIQUAN, level=1)).to_be_visible()
