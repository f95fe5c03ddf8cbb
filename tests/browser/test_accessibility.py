"""Every page of the app, as each demo role and as a visitor of the public portal reaches it, passes axe-core
with no serious or critical violation, at a desk and on a phone (each role's home page also with its menu
open).

The pages are found by following links from each role's home page, one address for each page of the route
table (and each tab of it), so the path parameters are the seeded data's; what the demo data lacks is added
through the API first, the pages no link leads to are opened directly, and a page of the route table that is
neither reached nor listed (with why) fails the test, so a new page cannot go unchecked. axe-core is vendored
(tests/browser/vendor/axe-core) and injected as an init script, which the pages' policy does not govern."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, get_args
from urllib.parse import parse_qsl, urlencode, urlsplit

from litestar import Litestar
from litestar.response import Template
from playwright.async_api import Browser, BrowserContext, Page
from sqlalchemy import select

from renda.core.timezone import local_today
from renda.demo import DEMO_USERS
from renda.modules.duty.models import Activity
from renda.modules.duty.signin import sign_in_path
from renda.tenants.scoping import load_tenant, tenant_session
from tests.browser.test_shell import DESKTOP, PHONE, sign_in

AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
OFFICE = "610922"
DEPUTY = "石泉县 人大代表 王建国(演示)"
SERIOUS = ("serious", "critical")
TABS = ("tab", "view")  # query parameters that show another part of a page

# Every demo user, from the most reach in an office to the least, then the other offices and the platform.
PEOPLE = [
    "石泉县 代表工委 李强(演示)",
    "石泉县 工作人员 张敏(演示)",
    "石泉县 常委会组成人员 陈明(演示)",
    DEPUTY,
    "石泉县 承办单位 赵静(演示)",
    "石泉县 只读用户 孙丽(演示)",
    "城关镇 人大主席团 周杰(演示)",
    "安康市 代表工委 王芳(演示)",
    "汉阴县 代表工委 吴刚(演示)",
    "平台管理员(演示)",
]
# Lists whose rows become cards on a phone.
PHONE_LISTS = {PEOPLE[1]: [f"/t/{OFFICE}/opinions", f"/t/{OFFICE}/deputies", f"/t/{OFFICE}/receptions?tab=calendar"]}
# Pages no link leads to, with why they are not opened here (the activity's sign-in page, behind its QR
# code, is opened by the deputy with the address the code holds).
NOT_OPENED = {
    "/invitations/{token:str}": "the link is sent to the invitee and shown once to its maker",
    "/p/{office:str}/opinions/rate/{token:str}": "the link is sent to the person who gave the opinion",
    # Shown once the year's ratings are decided and published, which would close the year the other browser
    # tests rate in; its table is the overview's, checked there.
    "/p/{office:str}/duty/ratings": "the office publishes no ratings in the demo",
    "/demo/mailbox": "only `renda demo` has it; the tests' live server is not in demo mode",
}
# Addresses opened directly, before following links: the sign-in page and the public portal's home.
PUBLIC_START = ["/login", f"/p/{OFFICE}/"]
# The error pages, which no route of the table names: the staff UI's (404, and 403 for the read-only user
# asking for a form) and the portal's.
ERROR_PAGES = {
    PEOPLE[0]: [f"/t/{OFFICE}/no-such-page"],
    "石泉县 只读用户 孙丽(演示)": [f"/t/{OFFICE}/deputies/new"],
    "访客": [f"/p/{OFFICE}/no-such-page"],
}


def html_pages(app: Litestar) -> dict[str, re.Pattern[str]]:
    """The route table's pages: each GET route whose handler answers with a template, as a pattern of paths;
    the routes with fewer parameters first, so /deputies/statistics is not taken for a deputy's page."""
    pages = {}
    for route in sorted(app.routes, key=lambda route: (route.path.count("{"), route.path)):
        for handler in getattr(route, "route_handlers", []):
            returns = get_args(handler.parsed_fn_signature.return_type.annotation) or (
                handler.parsed_fn_signature.return_type.annotation,
            )
            if "GET" in (handler.http_methods or ()) and Template in returns:
                pattern = re.sub(r"\\\{[^}]*\\\}", _parameter, re.escape(route.path))
                pages[route.path] = re.compile(f"^{pattern}/?$")
    return pages


def _parameter(match: re.Match[str]) -> str:
    return "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}" if ":uuid" in match[0] else "[^/]+"


@dataclass
class Crawl:
    pages: dict[str, re.Pattern[str]]
    visited: dict[str, str] = field(default_factory=dict)  # route path -> the address that showed it
    seen: set[tuple[str, str]] = field(default_factory=set)  # route path and tab shown
    public_links: list[str] = field(default_factory=list)  # the public portal's pages the staff UI links to
    problems: list[str] = field(default_factory=list)

    def route_of(self, path: str) -> str | None:
        return next((route for route, pattern in self.pages.items() if pattern.match(path)), None)


async def axe_violations(page: Page) -> list[dict[str, Any]]:
    """axe-core's serious and critical findings on the page as it is, with every <details> opened so the
    forms folded in them are checked too."""
    return await page.evaluate(
        """async (serious) => {
            for (const details of document.querySelectorAll('details')) details.open = true;
            const result = await axe.run(document, {resultTypes: ['violations']});
            return result.violations.filter(v => serious.includes(v.impact)).map(v => ({
                id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.slice(0, 5).map(n => {
                    const data = (n.any[0] || {}).data || {};  // colour-contrast's colours and ratio
                    const colours = data.fgColor ? ` [${data.fgColor} on ${data.bgColor}: ${data.contrastRatio}]` : '';
                    return n.target.join(' ') + ' ' + n.html.slice(0, 120) + colours;
                }),
                count: v.nodes.length,
            }));
        }""",
        list(SERIOUS),
    )


def describe(who: str, address: str, violations: list[dict[str, Any]]) -> list[str]:
    lines = []
    for v in violations:
        lines.append(f"{who} {address}: {v['id']} ({v['impact']}, {v['count']} nodes) {v['help']}")
        lines.extend(f"    {node}" for node in v["nodes"])
    return lines


async def check(page: Page, crawl: Crawl, who: str, address: str) -> list[str]:
    """Open the address, record axe's findings on it, and return the links it shows."""
    response = await page.goto(address)
    if response is None or response.status >= 500:
        crawl.problems.append(f"{who} {address}: answered {response and response.status}")
        return []
    crawl.problems.extend(describe(who, address, await axe_violations(page)))
    links = await page.eval_on_selector_all("a[href]", "links => links.map(a => a.href)")
    # The same page on a phone (phone.css: the menu, tables as cards), without loading it again.
    await page.set_viewport_size(PHONE)
    crawl.problems.extend(describe(who, f"{address} (390 px)", await axe_violations(page)))
    await page.set_viewport_size(DESKTOP)
    return links


async def crawl_from(page: Page, crawl: Crawl, who: str, start: list[str], *, public: bool) -> None:
    """Breadth first from the start addresses (the first always checked), each page of the route table and
    each of its tabs once in the whole test: the people go from the most to the least reach, so a shared page
    is checked with the most it shows (the office's administrator sees every form of it)."""
    queue, first = list(start), True
    while queue:
        address = queue.pop(0)
        parts = urlsplit(address)
        route = crawl.route_of(parts.path)
        if route is None:
            continue
        key = (route, parts.query)
        if key in crawl.seen and not first:
            continue
        # The public portal is crawled once, signed out; a signed-in person's crawl keeps to the staff UI.
        if not public and (parts.path.startswith("/p/") or parts.path == "/login"):
            continue
        crawl.seen.add(key)
        first = False
        crawl.visited.setdefault(route, address)
        for link in await check(page, crawl, who, address):
            link_parts = urlsplit(link)
            if link_parts.netloc != urlsplit(page.url).netloc:
                continue
            # Only the tab of a link counts: a filtered list is the same page, and may show no rows to follow.
            tabs = urlencode([(name, value) for name, value in parse_qsl(link_parts.query) if name in TABS])
            if not public and link_parts.path.startswith("/p/"):
                crawl.public_links.append(link_parts.path + (f"?{tabs}" if tabs else ""))
            else:
                queue.append(link_parts.path + (f"?{tabs}" if tabs else ""))


async def sign_in_address() -> str:
    """Where an activity's QR code leads: the page a deputy signs in at."""
    async with tenant_session(await load_tenant(OFFICE), actor="system:test", read_only=True) as session:
        activity = (await session.execute(select(Activity).order_by(Activity.starts_at).limit(1))).scalar_one()
        return sign_in_path(OFFICE, activity)


async def add_what_the_demo_lacks(page: Page) -> list[str]:
    """As the office's administrator, through the API: a committee body, a proposal of who contacts whom,
    a group's archives as a batch, this year's ratings started (open all year, as the rating test does) and
    the suggestion board made public; returns the addresses of the pages no link may lead to."""
    api, today = f"/api/v1/t/{OFFICE}", local_today()
    csrf = {"X-CSRF-Token": await page.locator("input[name=_csrf]").first.input_value()}

    async def send(method: str, path: str, data: dict[str, Any]) -> Any:
        response = await page.request.fetch(api + path, method=method, data=data, headers=csrf)
        assert response.ok, f"{method} {path}: {response.status} {await response.text()}"
        return await response.json()

    body = await send("POST", "/organisation/bodies", {"kind": "special_committee", "name": "华侨民族宗教委员会"})
    proposal = await send("POST", "/contacts/proposals", {})
    groups = await (await page.request.get(f"{api}/organisation/groups")).json()
    batch = await send("POST", "/duty/archives/batches", {"year": today.year, "group_id": groups["items"][0]["id"]})
    window = {"year": today.year, "opens_on": f"{today.year}-01-01", "closes_on": f"{today.year}-12-31"}
    await send("PUT", "/duty/ratings/window", window)
    await send("POST", "/duty/ratings/start", {"year": today.year})
    board = await (await page.request.get(f"{api}/suggestions/settings/public-board")).json()
    await send("PUT", "/suggestions/settings/public-board", {"enabled": True, "fields": board["fields"]})
    return [
        f"/t/{OFFICE}/organisation/bodies/{body['id']}",
        f"/t/{OFFICE}/contacts/proposals/{proposal['id']}",
        f"/t/{OFFICE}/duty/archives/batches/{batch['id']}",
    ]


async def context_with_axe(chromium: Browser, live_server: str, viewport: dict[str, int]) -> BrowserContext:
    # An init script runs in every page before its own scripts and outside its Content-Security-Policy,
    # which allows no script but the app's.
    context = await chromium.new_context(base_url=live_server, locale="zh-CN", viewport=viewport)
    await context.add_init_script(path=AXE)
    return context


async def test_every_page_has_no_serious_accessibility_violation(
    chromium: Browser, live_server: str, live_app: Litestar
) -> None:
    assert sorted(PEOPLE) == sorted(name for name, _, _ in DEMO_USERS)
    crawl = Crawl(html_pages(live_app))
    context = await context_with_axe(chromium, live_server, DESKTOP)
    try:
        page = await context.new_page()
        for name in PEOPLE:
            await context.clear_cookies()
            await sign_in(page, name)
            extra = await add_what_the_demo_lacks(page) if name == PEOPLE[0] else []
            await crawl_from(page, crawl, name, [page.url, *extra], public=False)
            for address in ERROR_PAGES.get(name, []):
                await check(page, crawl, name, address)
            if name == DEPUTY:
                await crawl_from(
                    page, crawl, name, [await sign_in_address(), f"/t/{OFFICE}/duty/ratings/group"], public=False
                )
        await context.clear_cookies()
        await crawl_from(page, crawl, "访客", PUBLIC_START + crawl.public_links, public=True)
        for address in ERROR_PAGES["访客"]:
            await check(page, crawl, "访客", address)
    finally:
        await context.close()
    assert set(NOT_OPENED) <= set(crawl.pages), "a page listed as not opened is no longer in the route table"
    missing = set(crawl.pages) - set(crawl.visited) - set(NOT_OPENED)
    assert not crawl.problems, "\n".join(crawl.problems)
    assert not missing, f"pages no crawl reached: {sorted(missing)}"


async def test_each_roles_home_page_on_a_phone_has_no_serious_violation(chromium: Browser, live_server: str) -> None:
    """On a 390-pixel phone the header and the tables change shape (phone.css): each person's home page, with
    the menu closed and open, and a list of cards."""
    problems: list[str] = []
    context = await context_with_axe(chromium, live_server, PHONE)
    try:
        page = await context.new_page()
        for name in PEOPLE:
            await context.clear_cookies()
            await sign_in(page, name)
            problems.extend(describe(name, page.url, await axe_violations(page)))
            menu = page.get_by_role("button", name="菜单")
            if await menu.is_visible():
                await menu.click()
                problems.extend(describe(name, f"{page.url} (菜单)", await axe_violations(page)))
            for address in PHONE_LISTS.get(name, []):
                await page.goto(address)
                problems.extend(describe(name, address, await axe_violations(page)))
        await context.clear_cookies()
        for address in PUBLIC_START + ERROR_PAGES["访客"]:
            await page.goto(address)
            problems.extend(describe("访客", address, await axe_violations(page)))
    finally:
        await context.close()
    assert not problems, "\n".join(problems)
