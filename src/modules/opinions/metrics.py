"""The opinions in the rollups: received (by category and source), closed, overdue (a stock), rated,
and the rating score, with the average rating derived from the last two (never stored)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from renda.core.timezone import LOCAL_TZ
from renda.modules.opinions.common import CATEGORIES
from renda.modules.opinions.models import RATING_SCORES, SOURCES, Opinion
from renda.modules.rollups.service import Dimension, Figure, Period, RatioMetric, TenantMetric, register_metric

UNCATEGORISED = "未分类"
WATCHES = ("opinions",)


def _start(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=LOCAL_TZ)


def _within(column: Any, period: Period) -> ColumnElement[bool]:
    """A timestamp inside the period's local days."""
    return and_(column >= _start(period.start), column < _start(period.end + timedelta(days=1)))


async def received(session: AsyncSession, period: Period, today: date) -> list[Figure]:
    where = _within(Opinion.created_at, period)
    total = await session.scalar(select(func.count()).select_from(Opinion).where(where)) or 0
    figures = [Figure(total)]
    by_category = select(Opinion.category, func.count()).where(where).group_by(Opinion.category)
    for category, count in (await session.execute(by_category)).all():
        figures.append(
            Figure(count, "category", CATEGORIES.get(category, UNCATEGORISED) if category else UNCATEGORISED)
        )
    by_source = select(Opinion.source, func.count()).where(where).group_by(Opinion.source)
    figures += [Figure(count, "source", SOURCES[source]) for source, count in (await session.execute(by_source)).all()]
    return figures


async def _count(session: AsyncSession, where: ColumnElement[bool]) -> list[Figure]:
    return [Figure(await session.scalar(select(func.count()).select_from(Opinion).where(where)) or 0)]


async def closed(session: AsyncSession, period: Period, today: date) -> list[Figure]:
    return await _count(session, _within(Opinion.closed_at, period))


async def overdue(session: AsyncSession, period: Period, today: date) -> list[Figure]:
    """Overdue at the end of the day the stock is read on: assigned by then, its deadline before that
    day, and neither answered nor closed by then."""
    on = period.as_of(today)
    end = _start(on + timedelta(days=1))
    return await _count(
        session,
        and_(
            Opinion.assigned_at < end,
            Opinion.deadline < on,
            or_(Opinion.answered_at.is_(None), Opinion.answered_at >= end),
            or_(Opinion.closed_at.is_(None), Opinion.closed_at >= end),
        ),
    )


async def rated(session: AsyncSession, period: Period, today: date) -> list[Figure]:
    return await _count(session, _within(Opinion.rated_at, period))


async def rating_score(session: AsyncSession, period: Period, today: date) -> list[Figure]:
    scores = select(Opinion.rating).where(_within(Opinion.rated_at, period), Opinion.rating.is_not(None))
    return [Figure(sum(RATING_SCORES[r] for r in (await session.execute(scores)).scalars()))]


register_metric(
    TenantMetric(
        key="opinions.received",
        label="受理群众意见",
        unit="件",
        description="期间内受理的群众意见(接待、联系走访、网上提交、工作人员录入、代表建议转来)",
        dimensions=(
            Dimension("category", "类别", {label: label for label in [*CATEGORIES.values(), UNCATEGORISED]}),
            Dimension("source", "来源", {label: label for label in SOURCES.values()}),
        ),
        compute=received,
        watches=WATCHES,
        order=60,
    )
)
register_metric(
    TenantMetric(
        key="opinions.closed",
        label="办结群众意见",
        unit="件",
        description="期间内办结(含评价后办结、重复合并、转为代表建议)的群众意见",
        compute=closed,
        watches=WATCHES,
        order=61,
    )
)
register_metric(
    TenantMetric(
        key="opinions.overdue",
        label="逾期未答复群众意见",
        unit="件",
        description="统计日已超过办理期限、承办单位尚未答复的群众意见",
        compute=overdue,
        watches=WATCHES,
        stock=True,
        order=62,
    )
)
register_metric(
    TenantMetric(
        key="opinions.rated",
        label="群众评价件数",
        unit="件",
        compute=rated,
        watches=WATCHES,
        order=63,
    )
)
register_metric(
    TenantMetric(
        key="opinions.rating_score",
        label="群众评价得分合计",
        unit="分",
        description="已解决 100 分、部分解决 50 分、未解决 0 分",
        compute=rating_score,
        watches=WATCHES,
        order=64,
    )
)
register_metric(
    RatioMetric(
        key="opinions.satisfaction",
        label="群众满意度(平均评价得分)",
        numerator="opinions.rating_score",
        denominator="opinions.rated",
        unit="分",
        scale=1,
        description="已解决 100 分、部分解决 50 分、未解决 0 分的平均分",
        order=65,
    )
)
