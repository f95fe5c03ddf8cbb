"""Demo data of the suggestion loop for 石泉县 (610922), through the loop's own steps, so that each role's
workbench has work on it: suggestions awaiting intake review (staff), handled by the demo handling unit
(石泉县交通运输局, one due within days) and by another unit past its deadline, and a reply awaiting the
demo deputy 王建国's rating. Runs after the register and the opinions' demo data (the units are theirs).

Seeds once: does nothing when the office already has the first of these suggestions. The year of answered
suggestions before them is `demo_history`'s.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy import func, select, update

from renda.core.timezone import local_today
from renda.modules.deputies.models import Mandate, Person
from renda.modules.suggestions import assignment, filing, handling, intake
from renda.modules.suggestions.common import SYSTEM_CALLER
from renda.modules.suggestions.demo_history import seed_history
from renda.modules.suggestions.models import Suggestion
from renda.modules.units.service import HandlingUnit
from renda.tenants.scoping import load_tenant, tenant_session

OFFICE = "610922"
ACTOR = "system:demo:演示数据"
DEMO_DEPUTY = "王建国"
TRANSPORT, HOUSING = "石泉县交通运输局", "石泉县住房和城乡建设局"
# (lead: the demo deputy or another, category, title, content, how far it gets, unit, deadline in days)
SUGGESTIONS = [
    (
        True,
        "transport",
        "关于增开饶峰镇至县城客运班次的建议",
        "饶峰镇至县城每天仅两班客车,群众就医、赶集往返不便,建议增开早晚班次并优化发车时间。",
        "submitted",
        None,
        None,
    ),
    (
        False,
        "education",
        "关于增加城关镇幼儿园学位的建议",
        "城关镇近年新增住宅小区较多,公办幼儿园学位紧张,建议新建或扩建一所公办幼儿园。",
        "submitted",
        None,
        None,
    ),
    (
        False,
        "urban_construction",
        "关于改造城关镇老旧小区供水管网的建议",
        "城关镇部分老旧小区供水管网锈蚀,水压不足、水质浑浊,建议纳入老旧小区改造计划统一更换。",
        "assigned",
        HOUSING,
        -5,
    ),
    (
        True,
        "transport",
        "关于完善县城公交站台遮阳设施的建议",
        "县城多个公交站台没有遮阳棚和座椅,夏季候车群众暴晒,建议分批加装遮阳棚和座椅。",
        "assigned",
        TRANSPORT,
        6,
    ),
    (
        False,
        "transport",
        "关于加快农村公路安全防护设施建设的建议",
        "部分通村公路临崖临水路段缺少护栏,存在安全隐患,建议加快安全生命防护工程建设。",
        "assigned",
        TRANSPORT,
        None,
    ),
    (
        True,
        "transport",
        "关于加强中小学校园周边交通秩序管理的建议",
        "上下学高峰时段校园周边车辆乱停乱放,学生过马路不安全,建议设置临时停车区并安排交通疏导。",
        "replied",
        TRANSPORT,
        None,
    ),
]
REPLY = "已在城关一小、城关中学周边施划临时停车位 60 个,上下学高峰安排交警和志愿者疏导,并增设人行横道警示标志。"


async def seed_demo() -> None:
    await seed_year()
    await seed_current()


async def seed_year() -> None:
    """The year of answered and rated suggestions (`demo_history`), first: only into an office that has
    no suggestion yet."""
    tenant = await load_tenant(OFFICE)
    async with tenant_session(tenant, actor=ACTOR) as session:
        if await session.scalar(select(func.count()).select_from(Suggestion)):
            return
        await seed_history(session, tenant)
        await session.commit()


async def seed_current() -> None:
    tenant = await load_tenant(OFFICE)
    async with tenant_session(tenant, actor=ACTOR) as session:
        if await session.scalar(select(Suggestion.id).where(Suggestion.title == SUGGESTIONS[0][2]).limit(1)):
            return
        units = dict((await session.execute(select(HandlingUnit.name, HandlingUnit.id))).all())
        deputies = (
            await session.execute(
                select(Person.id, Person.name)
                .where(select(Mandate.id).where(Mandate.person_id == Person.id, Mandate.status == "active").exists())
                .order_by(Person.name_pinyin)
                .limit(6)
            )
        ).all()
        demo = next((p.id for p in deputies if p.name == DEMO_DEPUTY), None) or await session.scalar(
            select(Person.id).where(Person.name == DEMO_DEPUTY).limit(1)
        )
        others = [p.id for p in deputies if p.id != demo]
        if demo is None or not others or TRANSPORT not in units or HOUSING not in units:
            return  # the register's or the opinions' demo data is not there
        today = local_today()
        for n, (mine, category, title, content, stage, unit, days) in enumerate(SUGGESTIONS):
            lead: uuid.UUID = demo if mine else others[n % len(others)]
            suggestion = await filing.file_suggestion(
                session,
                SYSTEM_CALLER,
                tenant,
                filing.FilingIn(category=category, title=title, content=content, lead_person_id=lead),
            )
            await filing.submit(session, SYSTEM_CALLER, suggestion)
            if stage == "submitted":
                continue
            await intake.accept(session, SYSTEM_CALLER, suggestion)
            await assignment.assign(session, SYSTEM_CALLER, tenant, suggestion, lead_unit_id=units[unit])
            if days is not None:  # as if the time had passed: due in a few days, or overdue
                await session.execute(
                    update(Suggestion).where(Suggestion.id == suggestion.id).values(deadline=today + timedelta(days))
                )
            if stage == "replied":
                await handling.reply(
                    session,
                    SYSTEM_CALLER,
                    tenant,
                    suggestion,
                    reply_class="A",
                    reply_text=REPLY,
                    reply_commitments=None,
                )
        await session.commit()
