"""The receptions' metrics in the rollups: receptions held, people received, receptions on a day that
is not a reception day, and reception days rostered — all flows counted by the day they fall on, so
they add up over offices and periods. People per reception is derived (never stored)."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from renda.modules.receptions.models import Reception, RosterEntry
from renda.modules.receptions.schemas import CATEGORIES
from renda.modules.rollups.service import Dimension, Figure, Period, RatioMetric, TenantMetric, register_metric

CATEGORY = Dimension("category", "问题类别", dict(CATEGORIES))
WATCHES = ("receptions", "roster_entries")


def _in(period: Period) -> ColumnElement[bool]:
    return Reception.held_on.between(period.start, period.end)


async def _by_category(session: AsyncSession, value: Any, period: Period) -> list[Figure]:
    total = (await session.execute(select(func.coalesce(value, 0)).where(_in(period)))).scalar_one()
    rows = await session.execute(
        select(Reception.category, func.coalesce(value, 0)).where(_in(period)).group_by(Reception.category)
    )
    return [Figure(int(total)), *(Figure(int(n), "category", c) for c, n in rows.all() if n)]


async def receptions_held(session: AsyncSession, period: Period, today: date) -> list[Figure]:
    return await _by_category(session, func.count(), period)


async def people_received(session: AsyncSession, period: Period, today: date) -> list[Figure]:
    return await _by_category(session, func.sum(Reception.visitor_count), period)


async def off_schedule(session: AsyncSession, period: Period, today: date) -> list[Figure]:
    query = select(func.count()).where(_in(period), Reception.off_schedule.is_(True))
    return [Figure(int((await session.execute(query)).scalar_one()))]


async def days_rostered(session: AsyncSession, period: Period, today: date) -> list[Figure]:
    """Station reception days with at least one deputy on the roster."""
    days = (
        select(RosterEntry.station_id, RosterEntry.day)
        .where(RosterEntry.day.between(period.start, period.end))
        .distinct()
        .subquery()
    )
    return [Figure(int((await session.execute(select(func.count()).select_from(days))).scalar_one()))]


register_metric(
    TenantMetric(
        key="receptions.held",
        label="接待选民次数",
        unit="次",
        description="在家站室登记的接待记录数(含非接待日)",
        dimensions=(CATEGORY,),
        order=400,
        compute=receptions_held,
        watches=WATCHES,
    )
)
register_metric(
    TenantMetric(
        key="receptions.people",
        label="接待群众人次",
        unit="人次",
        description="接待记录中来访群众人数之和",
        dimensions=(CATEGORY,),
        order=401,
        compute=people_received,
        watches=WATCHES,
    )
)
register_metric(
    TenantMetric(
        key="receptions.off_schedule",
        label="非接待日接待次数",
        unit="次",
        description="在非固定接待日登记的接待记录数",
        order=402,
        compute=off_schedule,
        watches=WATCHES,
    )
)
register_metric(
    TenantMetric(
        key="receptions.days_rostered",
        label="已排班接待日",
        unit="天",
        description="各家站室已安排轮值代表的接待日数(站点×日)",
        order=403,
        compute=days_rostered,
        watches=WATCHES,
    )
)
register_metric(
    RatioMetric(
        key="receptions.people_per_reception",
        label="每次接待群众人数",
        numerator="receptions.people",
        denominator="receptions.held",
        unit="人",
        scale=1,
        order=404,
    )
)
