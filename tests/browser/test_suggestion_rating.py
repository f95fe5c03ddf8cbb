"""The lead deputy rates a reply on a 390-pixel-wide phone: the notice's link, one tap, done; the page
fits the screen."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from playwright.async_api import Browser, expect
from sqlalchemy import func, select

from renda.core.timezone import local_today
from renda.modules.deputies.models import Mandate, Person, Term
from renda.modules.suggestions.models import Suggestion, SuggestionUnit
from renda.modules.units import service as units
from renda.tenants.scoping import load_tenant, tenant_session
from tests.browser.test_shell import sign_in

OFFICE = "610922"
PHONE_VIEWPORT = {"width": 390, "height": 844}


async def replied_suggestion(deputy: str) -> uuid.UUID:
    """A suggestion the deputy leads, replied by a unit (what the handling part leaves behind)."""
    async with tenant_session(await load_tenant(OFFICE), actor="system:test") as session:
        person = (await session.execute(select(Person.id).where(Person.name == deputy))).scalars().first()
        mandate, term = (
            await session.execute(
                select(Mandate.id, Mandate.term_id)
                .join(Term, Term.id == Mandate.term_id)
                .where(Mandate.person_id == person, Term.is_current.is_(True))
            )
        ).first()
        unit = await units.create_unit(session, True, units.UnitIn(name=f"石泉县交通运输局{uuid.uuid4().hex[:4]}"))
        now = datetime.now(UTC)
        suggestion = Suggestion(
            year=now.year,
            seq=(await session.scalar(select(func.max(Suggestion.seq)).where(Suggestion.year == now.year)) or 0) + 1,
            term_id=term,
            lead_person_id=person,
            lead_mandate_id=mandate,
            category="transport",
            title="关于改造江南大道人行道的建议",
            content="人行道地砖松动。",
            status="replied",
            lead_unit_id=unit.id,
            assigned_at=now - timedelta(days=40),
            deadline=local_today() + timedelta(days=30),
            reply_class="A",
            reply_text="已完成江南大道人行道改造,共更换地砖两千平方米。",
            replied_at=now,
            rating_due=local_today() + timedelta(days=30),
        )
        session.add(suggestion)
        await session.flush()
        session.add(SuggestionUnit(suggestion_id=suggestion.id, unit_id=unit.id, role="lead"))
        await session.commit()
        return suggestion.id


async def test_the_deputy_rates_a_reply_on_a_phone(chromium: Browser, live_server: str) -> None:
    made = await replied_suggestion("王建国")
    phone = await chromium.new_context(base_url=live_server, locale="zh-CN", viewport=PHONE_VIEWPORT)
    try:
        page = await phone.new_page()
        await sign_in(page, "石泉县 人大代表 王建国(演示)")
        await page.goto(f"/t/{OFFICE}/suggestions/items/{made}/rate")
        await expect(page.get_by_role("heading", name="评价办理结果")).to_be_visible()
        await expect(page.get_by_text("已完成江南大道人行道改造")).to_be_visible()
        width = await page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"the rating page is {width}px wide on a 390px phone"
        await page.get_by_label("评价意见(可不填)").fill("路面平整了")
        await page.get_by_role("button", name="满意", exact=True).click()
        await expect(page.get_by_text("评价已提交,感谢您!")).to_be_visible()
        await expect(page.get_by_text("领衔代表评价:满意")).to_be_visible()
        await expect(page.get_by_role("button", name="满意", exact=True)).to_have_count(0)
    finally:
        await phone.close()
