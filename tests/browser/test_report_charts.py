"""Reports a clerk looks at, on a desktop and on a 390-pixel phone: ECharts draws the composition and
contact charts over their tables, and the offices-beneath comparison scrolls inside its own frame with
the office names kept on the left while the page itself stays as wide as the screen."""

from __future__ import annotations

import pytest
from playwright.async_api import Browser, Page, expect

from tests.browser.test_shell import CITY_ADMIN, DESKTOP, PHONE, STAFF, screenshot, sign_in

EVERY_LEVEL = "&".join(f"metrics=level.{k}" for k in ("national", "provincial", "city", "county", "township"))
METRICS = (
    "register.deputies",
    "contacts.coverage",
    "opinions.received",
    "suggestions.on_time_rate",
    "receptions.held",
    "duty.participation_rate",
    "duty.average_points",
)
WIDE = f"/t/610900/reports?{EVERY_LEVEL}&" + "&".join(f"metrics={m}" for m in METRICS) + "&sort=register.deputies"


async def page_width(page: Page) -> int:
    return await page.evaluate("document.documentElement.scrollWidth")


async def drawn(page: Page, chart_id: str) -> None:
    """ECharts draws into a <canvas> inside the container, which charts.js has shown."""
    chart = page.locator(f"#{chart_id}")
    await expect(chart).to_be_visible()
    await expect(chart.locator("canvas").first).to_be_visible()
    box = await chart.bounding_box()
    assert box is not None and box["width"] > 200 and box["height"] > 150, box


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
async def test_charts_are_drawn_over_their_tables(
    chromium: Browser, live_server: str, viewport: dict[str, int]
) -> None:
    context = await chromium.new_context(base_url=live_server, locale="zh-CN", viewport=viewport)
    try:
        page = await context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
        await sign_in(page, STAFF)
        await page.goto("/t/610922/deputies/statistics")
        await drawn(page, "chart-levels")
        await drawn(page, "chart-gender")
        # The numbers stay below each chart.
        await expect(page.locator("#chart-levels + table")).to_contain_text("合计")
        await expect(page.locator("#chart-gender + table")).to_be_visible()
        assert await page_width(page) <= viewport["width"]
        await screenshot(page, f"composition-charts-{viewport['width']}")

        await page.goto("/t/610922/contacts?tab=coverage")
        for chart_id in ("chart-members", "chart-quarters"):
            if await page.locator(f"#{chart_id}").count():
                await drawn(page, chart_id)
        assert await page_width(page) <= viewport["width"]
        await screenshot(page, f"contacts-charts-{viewport['width']}")
        assert not errors, errors
    finally:
        await context.close()


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
async def test_the_comparison_scrolls_inside_its_frame(
    chromium: Browser, live_server: str, viewport: dict[str, int]
) -> None:
    context = await chromium.new_context(base_url=live_server, locale="zh-CN", viewport=viewport)
    try:
        page = await context.new_page()
        await sign_in(page, CITY_ADMIN)
        await page.goto(WIDE)
        for chart_id in ("chart-levels", "chart-offices", "chart-trend"):  # the dashboard's own charts
            await drawn(page, chart_id)
        # The figures stay a compact table on a phone too, each explanation under its metric.
        figures = page.locator("table.figures")
        assert await figures.evaluate("t => getComputedStyle(t.tBodies[0].rows[0]).display") == "table-row"
        await expect(figures.locator("tbody th small").first).to_be_visible()
        frame = page.locator(".table-scroll:has(table.comparison)")
        await expect(frame).to_be_visible()
        sizes = await frame.evaluate("e => ({scroll: e.scrollWidth, client: e.clientWidth})")
        assert sizes["scroll"] > sizes["client"], sizes  # fourteen columns: wider than the frame
        assert await page_width(page) <= viewport["width"]  # the page itself does not scroll sideways
        first = frame.locator("tbody tr").first.locator("th")
        before = await first.bounding_box()
        # An office name stands on one line, however narrow the screen.
        height = await first.evaluate("e => e.getBoundingClientRect().height")
        line = await first.evaluate("e => parseFloat(getComputedStyle(e).lineHeight) || 20")
        assert height < 2.5 * line + 16, (height, line)
        await frame.evaluate("e => { e.scrollLeft = e.scrollWidth; }")
        await page.wait_for_timeout(100)
        after = await first.bounding_box()
        assert before is not None and after is not None and abs(after["x"] - before["x"]) < 1  # sticky
        last = frame.locator("thead th").last
        last_box = await last.bounding_box()
        frame_box = await frame.bounding_box()
        assert last_box and frame_box and last_box["x"] + last_box["width"] <= frame_box["x"] + frame_box["width"] + 1
        await screenshot(page, f"comparison-scrolled-{viewport['width']}")
        # Sorting by a column header: the link reloads the page sorted the other way.
        await frame.get_by_role("link", name="在任代表").click()
        await expect(frame.locator('thead th[aria-sort="ascending"]')).to_contain_text("在任代表")
    finally:
        await context.close()
