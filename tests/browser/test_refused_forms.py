"""A refused form in the browser, at a desk and on a 390-pixel phone: the summary of its problems takes
the focus, each link leads to its field, every refused field is marked with its message beside it,
what was typed stays, axe-core finds nothing serious, and nothing is wider than the phone. A picker's
search box narrows its list."""

from __future__ import annotations

import pytest
from playwright.async_api import Browser, expect

from tests.browser.test_accessibility import axe_violations, context_with_axe, describe
from tests.browser.test_shell import DESKTOP, PHONE, screenshot, sign_in

OFFICE = "610922"
STAFF = "石泉县 工作人员 张敏(演示)"


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
async def test_a_form_with_errors_is_usable(chromium: Browser, live_server: str, viewport: dict[str, int]) -> None:
    context = await context_with_axe(chromium, live_server, viewport)
    try:
        page = await context.new_page()
        await sign_in(page, STAFF)
        await page.goto(f"/t/{OFFICE}/deputies/new")
        await page.get_by_role("textbox", name="姓名").fill("表单浏览器测试")
        await page.get_by_role("textbox", name="身份证号码").fill("61092219800101123X")
        await page.locator('[name="birth_date"]').fill("2020-01-01")
        await page.get_by_role("textbox", name="手机号码").fill("1234")
        await page.get_by_role("textbox", name="工作单位").fill("城关镇中心小学")
        await page.get_by_role("button", name="保存").click()

        summary = page.get_by_role("alert")
        await expect(summary).to_be_focused()
        await expect(summary.get_by_role("link")).to_have_count(3)
        for name in ("id_number", "birth_date", "mobile"):
            field = page.locator(f'[name="{name}"]')
            await expect(field).to_have_attribute("aria-invalid", "true")
            message = page.locator(f"#{await field.get_attribute('aria-describedby')}")
            await expect(message).to_be_visible()
            box, beside = await field.bounding_box(), await message.bounding_box()
            assert box and beside and beside["y"] >= box["y"] and beside["y"] - (box["y"] + box["height"]) < 40
            assert beside["x"] + beside["width"] <= viewport["width"]
        await expect(page.get_by_role("textbox", name="姓名")).to_have_value("表单浏览器测试")
        await expect(page.get_by_role("textbox", name="工作单位")).to_have_value("城关镇中心小学")
        await expect(page.get_by_role("textbox", name="手机号码")).to_have_value("1234")

        violations = await axe_violations(page)  # the marks and messages are sound to assistive technology
        assert not violations, "\n".join(describe(STAFF, page.url, violations))
        await summary.get_by_role("link", name="手机号码应为 11 位中国大陆手机号").click()
        await expect(page.get_by_role("textbox", name="手机号码")).to_be_focused()
        width = await page.evaluate("document.scrollingElement.scrollWidth")
        assert width <= viewport["width"], f"the page is {width}px wide"
        await screenshot(page, f"form-errors-{viewport['width']}")

        # Corrected, it saves.
        await page.get_by_role("textbox", name="身份证号码").fill("")
        await page.locator('[name="birth_date"]').fill("1980-01-01")
        await page.get_by_role("textbox", name="手机号码").fill("")
        await page.get_by_role("combobox", name="性别").select_option(label="女")
        await page.get_by_role("button", name="保存").click()
        await expect(page.get_by_role("heading", name="表单浏览器测试")).to_be_visible()
    finally:
        await context.close()


async def test_a_picker_searches_as_one_types(chromium: Browser, live_server: str) -> None:
    context = await chromium.new_context(base_url=live_server, locale="zh-CN", viewport=DESKTOP)
    try:
        page = await context.new_page()
        await sign_in(page, STAFF)
        await page.goto(f"/t/{OFFICE}/suggestions/")
        await page.get_by_text("新建建议草稿").click()
        picker = page.locator('select[name="deputy_person_id"]')
        # The label still names the list, not the search box put before it.
        assert await page.get_by_label("代表(可不选)").get_attribute("name") == "deputy_person_id"
        listed = await picker.locator("option").count()
        assert listed > 2
        search = page.get_by_role("searchbox", name="输入代表姓名或拼音查找")
        await search.fill("王建国")
        await expect(picker.locator("option")).not_to_have_count(listed)
        found = await picker.locator("option").all_text_contents()
        assert found[0] == "暂不指定代表" and found[1:] and all("王建国" in name for name in found[1:]), found
        await search.fill("")
        await expect(picker.locator("option")).to_have_count(listed)
    finally:
        await context.close()


async def test_a_refused_edit_form_keeps_what_was_typed(chromium: Browser, live_server: str) -> None:
    """A station's edit form, refused, shows what was typed (not the stored station) with the refused field
    marked; the station is unchanged."""
    context = await chromium.new_context(base_url=live_server, locale="zh-CN", viewport=DESKTOP)
    try:
        page = await context.new_page()
        await sign_in(page, STAFF)
        await page.goto(f"/t/{OFFICE}/organisation?tab=stations")
        await page.locator('table a[href*="/organisation/stations/"]').first.click()
        station = page.url
        form = page.locator('form[action$="/edit"]')
        stored = await form.locator('[name="address"]').input_value()
        await form.locator('[name="address"]').fill("浏览器测试改过的地址")
        await form.locator('[name="reception_days"]').fill("40")
        await form.get_by_role("button", name="保存修改").click()

        form = page.locator('form[action$="/edit"]')
        days = form.locator('[name="reception_days"]')
        await expect(days).to_have_attribute("aria-invalid", "true")
        await expect(days).to_have_value("40")
        await expect(form.locator('[name="address"]')).to_have_value("浏览器测试改过的地址")
        await expect(page.get_by_role("alert")).to_be_focused()

        await page.goto(station)
        await expect(page.locator('form[action$="/edit"] [name="address"]')).to_have_value(stored)
    finally:
        await context.close()
