"""A deputy files a suggestion from a 390-pixel-wide phone: 我的建议 → a new suggestion → co-signers and
a photo → submitted, with no page wider than the screen; staff then find it in the intake queue."""

from __future__ import annotations

import re

from playwright.async_api import Browser, Page, expect

from tests.browser.test_shell import follow_menu, sign_in

OFFICE = "610922"
PHONE_VIEWPORT = {"width": 390, "height": 844}
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d4944415478da63f8cfc0f01f0005"
    "0001ff5d1c3a0a0000000049454e44ae426082"
)


async def fits_the_screen(page: Page) -> None:
    """Nothing is wider than the phone (no sideways scrolling), and the page's content has the screen's
    width (the navigation goes above it, not beside it)."""
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE_VIEWPORT["width"], f"{page.url} is {width}px wide"
    content = await page.evaluate("document.querySelector('main').getBoundingClientRect().width")
    assert content >= PHONE_VIEWPORT["width"] - 10, f"{page.url}: the content is {content}px wide"


async def tappable(page: Page, name: str) -> None:
    """A button a thumb hits: at least 44 px high."""
    box = await page.get_by_role("button", name=name, exact=True).bounding_box()
    assert box is not None and box["height"] >= 44, (name, box)


async def test_a_deputy_files_a_suggestion_on_a_phone(chromium: Browser, live_server: str, tab: Page) -> None:
    phone = await chromium.new_context(base_url=live_server, locale="zh-CN", viewport=PHONE_VIEWPORT)
    title = "关于在城关镇江南大道增设公交候车亭的建议"
    try:
        page = await phone.new_page()
        await sign_in(page, "石泉县 人大代表 王建国(演示)")
        await follow_menu(page, "我的建议")
        await expect(page.get_by_role("heading", name="我的建议")).to_be_visible()
        await fits_the_screen(page)

        await page.get_by_role("link", name="提出建议").click()
        await expect(page.get_by_role("heading", name="提出建议或议案")).to_be_visible()
        await fits_the_screen(page)
        await page.get_by_label("分类").select_option(label="交通运输")
        await page.get_by_label("标题").fill(title)
        await page.get_by_label("内容").fill("江南大道沿线公交站点没有候车亭,雨天群众候车不便,建议增设候车亭。")
        await page.get_by_role("button", name="保存草稿").click()
        await expect(page.get_by_role("heading", name=title)).to_be_visible()
        await expect(page.get_by_text("草稿", exact=True)).to_be_visible()
        await fits_the_screen(page)

        await page.get_by_label("邀请联名代表(可多选)").select_option(index=0)
        await page.get_by_role("button", name="发送联名邀请").click()
        await expect(page.get_by_text("待确认").first).to_be_visible()
        await page.locator('input[type="file"]').set_input_files(
            {"name": "站点照片.png", "mimeType": "image/png", "buffer": PNG}
        )
        await page.get_by_role("button", name="上传附件").click()
        await expect(page.get_by_role("link", name="站点照片.png")).to_be_visible()

        await tappable(page, "提交")
        page.once("dialog", lambda dialog: dialog.accept())
        await page.get_by_role("button", name="提交", exact=True).click()
        await expect(page.get_by_text("待审查", exact=True)).to_be_visible()
        await expect(page.get_by_text(re.compile(r"^\d{4}-\d{4}$"))).to_be_visible()
        await fits_the_screen(page)
    finally:
        await phone.close()

    await sign_in(tab, "石泉县 工作人员 张敏(演示)")
    await tab.get_by_role("navigation", name="功能导航").get_by_role("link", name="建议审查").click()
    await tab.get_by_role("link", name=re.compile(title)).click()
    await tab.get_by_role("button", name="审查立案").click()
    await expect(tab.get_by_text("已立案", exact=True)).to_be_visible()
