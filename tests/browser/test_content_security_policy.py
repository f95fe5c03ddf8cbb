"""The pages work under their Content-Security-Policy: no style, script or image the browser refuses,
the styles moved out of the templates apply, and what the pages did with inline handlers (confirm
before deleting, the office switcher) still happens."""

from __future__ import annotations

import re

import pytest
from playwright.async_api import ConsoleMessage, Page, expect

from tests.browser.test_shell import sign_in
from tests.browser.test_two_contacts import deputy_id

OFFICE = "610922"
ADMIN = "石泉县 代表工委 李强(演示)"
STAFF_PAGES = [
    "/",
    f"/t/{OFFICE}/",
    f"/t/{OFFICE}/deputies",
    f"/t/{OFFICE}/deputies/statistics",
    f"/t/{OFFICE}/deputies/congresses",
    f"/t/{OFFICE}/reports",
    f"/t/{OFFICE}/organisation",
    f"/t/{OFFICE}/contacts",
    f"/t/{OFFICE}/receptions",
    f"/t/{OFFICE}/opinions",
    f"/t/{OFFICE}/opinions/units",
    f"/t/{OFFICE}/suggestions",
    f"/t/{OFFICE}/portal",
    f"/t/{OFFICE}/duty/ratings",
    f"/t/{OFFICE}/duty/ratings/advise-resign",
    f"/t/{OFFICE}/members",
    f"/t/{OFFICE}/api-tokens",
    f"/t/{OFFICE}/notifications",
    f"/t/{OFFICE}/notifications/preferences",
    f"/t/{OFFICE}/audit",
    f"/t/{OFFICE}/no-such-page",
]
PUBLIC_PAGES = [
    "/login",
    f"/p/{OFFICE}/",
    f"/p/{OFFICE}/deputies",
    f"/p/{OFFICE}/stations",
    f"/p/{OFFICE}/opinions/new",
    f"/p/{OFFICE}/opinions/status",
    f"/p/{OFFICE}/no-such-page",
]


@pytest.fixture
def refusals(tab: Page) -> list[str]:
    """What the browser refused because of the policy, as it reports it on the console."""
    seen: list[str] = []

    def collect(message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text:
            seen.append(f"{tab.url}: {message.text}")

    tab.on("console", collect)
    return seen


async def visit(tab: Page, path: str) -> None:
    response = await tab.goto(path)
    assert response is not None
    assert "frame-ancestors 'none'" in (await response.header_value("content-security-policy") or "")
    await tab.wait_for_load_state("load")


async def test_public_pages_load_nothing_the_policy_refuses(tab: Page, refusals: list[str]) -> None:
    for path in [*PUBLIC_PAGES, f"/p/{OFFICE}/deputies/{await deputy_id('王建国')}"]:
        await visit(tab, path)
    assert refusals == []
    await visit(tab, f"/p/{OFFICE}/")  # portal.css, no longer inline, still lays the page out
    assert await tab.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(246, 241, 238)"


async def test_staff_pages_load_nothing_the_policy_refuses(tab: Page, refusals: list[str]) -> None:
    await sign_in(tab, ADMIN)
    for path in STAFF_PAGES:
        await visit(tab, path)
    assert refusals == []
    await visit(tab, f"/t/{OFFICE}/receptions")  # the calendar's styles, moved to renda.css
    assert await tab.locator(".cal").first.evaluate("cal => getComputedStyle(cal).display") == "grid"


async def test_confirm_before_deleting_still_asks(tab: Page, refusals: list[str]) -> None:
    await sign_in(tab, ADMIN)
    await visit(tab, f"/t/{OFFICE}/opinions/units")
    questions: list[str] = []

    async def decline(dialog) -> None:  # type: ignore[no-untyped-def]
        questions.append(dialog.message)
        await dialog.dismiss()

    tab.on("dialog", decline)
    unit = tab.locator("details").filter(has=tab.locator("form[data-confirm]")).first
    await unit.locator("summary").click()
    await unit.get_by_role("button", name="删除").click()
    await expect(tab).to_have_url(re.compile(rf"/t/{OFFICE}/opinions/units$"))
    assert questions == ["确定删除该承办单位吗?"]
    assert refusals == []
