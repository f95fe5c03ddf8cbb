"""Demo data of receptions for 石泉县 (610922): the 逢十 rule of the register's liaison station, this and
next month's roster, an extra reception day, and a few reception records of the past weeks (one on a day
that is not a reception day, one turned into a 群众意见). Runs after the register seed.

Seeds once: does nothing when the station already has reception rules.
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import func, select

from renda.core.errors import InvalidInput
from renda.core.timezone import local_today
from renda.modules.organisation.models import Station
from renda.modules.receptions import repository as repo
from renda.modules.receptions import schedule, service
from renda.modules.receptions.demo_history import seed_history
from renda.modules.receptions.models import Reception
from renda.modules.receptions.schemas import DeputyIn, ExceptionIn, ReceptionIn, RuleIn
from renda.tenants.scoping import load_tenant, tenant_session

OFFICE = "610922"
STATION = "城关镇人大代表联络站"
ACTOR = "system:demo:演示数据"
SYSTEM = service.Caller(None, manages=True, reads_all=True, person_id=None)
# (visitor, people, category, issue, handling, becomes an opinion)
VISITS = [
    (
        "王大爷",
        1,
        "transport",
        "城关镇南环路路面坑洼,雨天积水,老人出行不便,希望尽快修复。",
        "已记录,转交县交通运输局。",
        True,
    ),
    (
        "李女士",
        2,
        "education",
        "希望城关小学延长课后服务时间,方便双职工家庭接送孩子。",
        "现场解释了课后服务政策。",
        False,
    ),
    (
        "张师傅",
        1,
        "social_security",
        "咨询灵活就业人员养老保险缴费标准和补贴政策。",
        "已当场答复并提供办理指南。",
        False,
    ),
    ("村民代表", 5, "agriculture", "饶峰镇茶园产业路需要硬化,方便茶叶运输。", "代表将在调研后提出建议。", False),
]


def _past_days(station_days: list[date], today: date, count: int) -> list[date]:
    return [d for d in station_days if d <= today][-count:]


async def seed_demo() -> None:
    await seed_current()
    await seed_year()


async def seed_year() -> None:
    """The year before last month (`demo_history`), once."""
    tenant = await load_tenant(OFFICE)
    today = local_today()
    async with tenant_session(tenant, actor=ACTOR) as session:
        station = (await session.execute(select(Station).where(Station.name == STATION))).scalar_one_or_none()
        if station is None or await session.scalar(select(func.count()).select_from(Reception)) > len(VISITS):
            return
        deputies = [p for p, _ in await service.live_station_deputies(session, station) if p is not None]
        first = max(date(today.year - 1, 1, 1), today - timedelta(days=365))
        recent = await session.scalar(select(func.min(Reception.held_on)))  # the visits of `seed_current`
        await seed_history(session, station.id, deputies, first, (recent or today) - timedelta(days=1))
        await session.commit()


async def seed_current() -> None:
    tenant = await load_tenant(OFFICE)
    today = local_today()
    async with tenant_session(tenant, actor=ACTOR) as session:
        station = (await session.execute(select(Station).where(Station.name == STATION))).scalar_one_or_none()
        if station is None:
            return  # the register's demo data is not there
        if (await repo.rules_of(session, [station.id])).get(station.id):
            return
        await service.create_rule(
            session,
            station,
            # From the demo's term start (1 January of last year, as demo_register begins it).
            RuleIn(
                kind="month_days",
                days=[10, 20, 30],
                valid_from=date(today.year - 1, 1, 1),
                note="逢十接待日 9:00-12:00",
            ),
        )
        next_month = schedule.month_bounds(today.year, today.month)[1] + timedelta(days=1)
        await service.create_exception(
            session,
            ExceptionIn(day=next_month.replace(day=15), kind="extra", station_id=station.id, reason="集中接待日"),
        )
        for month in (today, next_month):
            try:
                await service.generate_roster(session, station, month.year, month.month, today)
            except InvalidInput:
                pass  # no reception day left this month
        deputies = await service.live_station_deputies(session, station)
        last_month = date(today.year, today.month, 1) - timedelta(days=1)
        start = date(last_month.year, last_month.month, 1)
        calendar = (await repo.calendars(session, [station], start, today))[station.id]
        days = _past_days(schedule.reception_days(calendar, start, today), today, len(VISITS) - 1)
        # One reception on a day that is not a reception day (非接待日): the latest such day up to today.
        days.append(
            next(d for d in (today - timedelta(days=n) for n in range(5)) if not schedule.is_reception_day(calendar, d))
        )
        if not deputies:
            await session.commit()
            return
        for index, (visit, held_on) in enumerate(zip(VISITS, days, strict=False)):
            name, people, category, issue, handling, to_opinion = visit
            present = [deputies[index % len(deputies)]]
            await service.create_reception(
                session,
                tenant,
                SYSTEM,
                ReceptionIn(
                    station_id=station.id,
                    held_on=held_on,
                    visitor_name=name,
                    visitor_count=people,
                    category=category,
                    issue=issue,
                    handling=handling,
                    visitor_phone="13800000123" if to_opinion else None,
                    deputies=[DeputyIn(person_id=p, mandate_id=m) for p, m in present],
                    to_opinion=to_opinion,
                ),
                today,
            )
        await session.commit()
