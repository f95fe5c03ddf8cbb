"""A handling unit's user on a 390-pixel phone: 我的承办 lists the suggestion assigned to the unit, the
item opens with its reply form, the reply with its class is given, and no page is wider than the screen."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

from playwright.async_api import Browser, Page, expect
from sqlalchemy import select

from renda.core.db import utcnow
from renda.core.timezone import local_today
from renda.modules.deputies.models import Mandate, Person
from renda.modules.suggestions.models import Suggestion, SuggestionUnit
from renda.modules.units.service import HandlingUnit
from renda.tenants.scoping import load_tenant, tenant_session
from tests.browser.test_shell import follow_menu, sign_in

OFFICE = "610922"
PHONE_VIEWPORT = {"width": 390, "height": 844}
UNIT_USER = "石泉县 承办单位 赵静(演示)"


async def assigned_to_the_demo_unit(title: str) -> uuid.UUID:
    from renda.modules.opinions.demo import UNITS

    async with tenant_session(await load_tenant(OFFICE), actor="system:test") as session:
        unit_id = await session.scalar(select(HandlingUnit.id).where(HandlingUnit.name == UNITS[0]))
        person_id, mandate_id, term_id = (
            await session.execute(
                select(Person.id, Mandate.id, Mandate.term_id)
                .join(Mandate, Mandate.person_id == Person.id)
                .where(Person.name == "王建国")
                .limit(1)
            )
        ).one()
        now = utcnow()
        suggestion = Suggestion(
            year=now.year,
            seq=8_000 + int(uuid.uuid4().int % 1000),
            term_id=term_id,
            lead_person_id=person_id,
            lead_mandate_id=mandate_id,
            category="transport",
            title=title,
            content="城关镇至后柳镇的公交班次太少,早晚高峰群众出行不便。",
            status="assigned",
            lead_unit_id=unit_id,
            assigned_at=now,
            deadline=local_today() + timedelta(days=5),
        )
        session.add(suggestion)
        await session.flush()
        session.add(SuggestionUnit(suggestion_id=suggestion.id, unit_id=unit_id, role="lead", assigned_at=now))
        await session.commit()
        return suggestion.id


async def no_wider_than_the_screen(page: Page) -> None:
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE_VIEWPORT["width"], f"{page.url} is {width}px wide"


async def test_a_unit_replies_from_its_phone(chromium: Browser, live_server: str) -> None:
    title = f"关于增开城关镇至后柳镇公交班次的建议{uuid.uuid4().hex[:4]}"
    suggestion_id = await assigned_to_the_demo_unit(title)
    phone = await chromium.new_context(base_url=live_server, locale="zh-CN", viewport=PHONE_VIEWPORT)
    try:
        page = await phone.new_page()
        await sign_in(page, UNIT_USER)
        await follow_menu(page, "我的承办")
        await expect(page).to_have_url(re.compile(rf"/t/{OFFICE}/suggestions/units/items"))
        await expect(page.get_by_text(title)).to_be_visible()
        await expect(page.get_by_text("还有5天").first).to_be_visible()
        await no_wider_than_the_screen(page)

        await page.get_by_text(title).click()
        await expect(page).to_have_url(re.compile(rf"/suggestions/items/{suggestion_id}/handling"))
        await expect(page.get_by_role("heading", name="答复代表")).to_be_visible()
        await no_wider_than_the_screen(page)
        await page.get_by_label("答复内容").fill("已调整线路运力,早晚高峰各增开两班。")
        await page.get_by_role("button", name="提交答复").click()
        await expect(page.get_by_role("alert")).to_contain_text("请选择答复类别")  # nothing sent without a class
        await page.get_by_label("A类(已解决或采纳)").check()
        await page.get_by_role("button", name="提交答复").click()
        await expect(page.get_by_text("A类(已解决或采纳)")).to_be_visible()
        await expect(page.get_by_role("link", name="下载答复函(PDF)")).to_be_visible()
        await no_wider_than_the_screen(page)
    finally:
        await phone.close()
