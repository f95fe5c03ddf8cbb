"""Demo data for the opinions of 石泉县 (610922): two handling units (the demo handling-unit user answers
for the first) and opinions at every step of the loop, so each page has something to show. Runs after
the register seed (it addresses some opinions to the demo deputy 王建国 and to a station when they
exist). 城关镇 (610922100) and 汉阴县 (610921) get the same loop with units of their own, so that their
administrators' workbench has work on it too, and 石泉县's figures of its townships differ."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select, update

from renda.core.db import get_database
from renda.core.errors import InvalidInput
from renda.core.timezone import local_today
from renda.modules.accounts import service as accounts
from renda.modules.deputies.models import Person
from renda.modules.opinions.common import SYSTEM_VIEWER
from renda.modules.opinions.demo_history import seed_history
from renda.modules.opinions.handling import analyse, answer, assign, escalate, rate_on_behalf
from renda.modules.opinions.intake import intake, mark_duplicate
from renda.modules.opinions.models import Opinion
from renda.modules.opinions.schemas import UnitIn
from renda.modules.opinions.units import add_unit_user, create_unit
from renda.modules.organisation.models import Station
from renda.modules.units.service import HandlingUnit
from renda.tenants.scoping import load_tenant, tenant_session

OFFICE = "610922"
ACTOR = "system:demo:演示数据"
UNITS = ("石泉县交通运输局", "石泉县住房和城乡建设局")
UNIT_USER = "石泉县 承办单位 赵静(演示)"
DEMO_DEPUTY = "王建国"
HISTORY_MARK = 20  # more opinions than `seed_office` makes: the year of history is there
OTHER_OFFICES = {
    "610922100": ("城关镇人民政府", "城关镇村镇建设办公室"),
    "610921": ("汉阴县交通运输局", "汉阴县住房和城乡建设局"),
}


async def _unit_user_id() -> object | None:
    async with get_database().platform_session() as platform:
        return next((u.id for u in await accounts.demo_users(platform) if u.display_name == UNIT_USER), None)


async def seed_demo() -> None:
    """Seeds once: does nothing in an office that already has the demo's first handling unit."""
    await seed_office(OFFICE)
    for code, units in OTHER_OFFICES.items():
        await seed_office(code, units)
    await seed_year()


async def seed_year() -> None:
    """石泉县's year of opinions (`demo_history`), once."""
    async with tenant_session(await load_tenant(OFFICE), actor=ACTOR) as session:
        if await session.scalar(select(func.count()).select_from(Opinion)) > HISTORY_MARK:
            return
        station = (
            await session.execute(select(Station.id).where(Station.is_active).order_by(Station.created_at).limit(1))
        ).scalar_one_or_none()
        await seed_history(session, station)
        await session.commit()


async def seed_office(code: str, unit_names: tuple[str, str] = UNITS) -> None:
    tenant = await load_tenant(code)
    user_id = await _unit_user_id() if code == OFFICE else None
    async with tenant_session(tenant, actor=ACTOR) as session:
        if await session.scalar(select(HandlingUnit.id).where(HandlingUnit.name == unit_names[0])) is not None:
            return
        system = SYSTEM_VIEWER
        units = [await create_unit(session, system, UnitIn(name=name, contact_name="办公室")) for name in unit_names]
        if user_id is not None:
            try:
                await add_unit_user(session, system, tenant, units[0], user_id)  # type: ignore[arg-type]
            except InvalidInput:  # the demo user no longer holds the handling-unit role here
                pass
        first = (await session.execute(select(Person.id).order_by(Person.name).limit(1))).scalar_one_or_none()
        # The demo deputy hears from the people (the received and the assigned one); the escalated one
        # becomes a draft of another deputy's, so 王建国's 我的建议 starts with his own suggestions only.
        deputy = (await session.scalar(select(Person.id).where(Person.name == DEMO_DEPUTY).limit(1))) or first
        station = (
            await session.execute(select(Station.id).where(Station.is_active).order_by(Station.created_at).limit(1))
        ).scalar_one_or_none()

        async def take(content: str, **fields: object) -> Opinion:
            return await intake(session, tenant, content=content, **fields)  # type: ignore[arg-type]

        # Received, addressed to a deputy through the portal.
        await take(
            "城关镇南环路路灯已经坏了半个多月,晚上散步看不清路,请尽快维修。",
            source="portal",
            submitter_name="王女士",
            submitter_phone="13800000001",
            deputy_person_id=deputy,
        )
        # Analysed and assigned, within its deadline.
        bus = await take(
            "饶峰镇到县城的客运班车每天只有两班,群众进城看病很不方便,希望增加班次。",
            source="reception",
            submitter_phone="13800000002",
            station_id=station,
            deputy_person_id=deputy,
        )
        await analyse(session, system, bus, category="transport")
        await assign(session, system, tenant, bus, unit_id=units[0].id, note="请调研客流后答复")
        # Assigned and overdue (its deadline moved back, as if the days had passed).
        roof = await take("县城老旧小区屋顶漏水,多次反映物业未处理。", source="staff", category="urban_construction")
        await assign(session, system, tenant, roof, unit_id=units[1].id)
        await session.execute(
            update(Opinion).where(Opinion.id == roof.id).values(deadline=local_today() - timedelta(days=4))
        )
        # Answered: the person's SMS (development transport: logged) carries the rating link.
        road = await take(
            "城关镇东坝村通村公路有多处坑洼,雨天积水严重。", source="contact", submitter_phone="13800000003"
        )
        await analyse(session, system, road, category="transport")
        await assign(session, system, tenant, road, unit_id=units[0].id)
        await answer(session, system, tenant, road, text="已安排养护队伍于本月内完成坑洼修补,并疏通排水沟。")
        # Closed with the person's rating.
        water = await take(
            "后柳镇部分村组自来水水压不足,高处住户用水困难。", source="reception", category="agriculture"
        )
        await assign(session, system, tenant, water, unit_id=units[1].id)
        await answer(session, system, tenant, water, text="已加装增压设备,高处住户用水已恢复正常。")
        await rate_on_behalf(session, system, water, rating="solved", note="电话回访")
        # A duplicate of the road, and one escalated to a suggestion draft.
        again = await take("东坝村的通村公路坑坑洼洼,下雨就积水,希望修一修。", source="portal")
        await mark_duplicate(session, system, again, duplicate_of_id=road.id)
        clinic = await take(
            "全县多个村卫生室缺少常用药品,村医待遇偏低,希望统筹解决。",
            source="reception",
            category="health",
            deputy_person_id=first,
        )
        await escalate(session, system, tenant, clinic, note="涉及全县,转为代表建议推动解决")
        await session.commit()
