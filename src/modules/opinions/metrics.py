"""The opinions in the rollups: received (by category and source), closed, overdue (a stock), rated,
and the rating score, with the average rating derived from the last two (never stored)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Select, and_, case, literal, or_, select

from renda.modules.opinions.common import CATEGORIES
from renda.modules.opinions.models import RATING_SCORES, SOURCES, Opinion
from renda.modules.rollups.service import (
    Dimension,
    Office,
    Periods,
    RatioMetric,
    TenantMetric,
    register_metric,
)

UNCATEGORISED = "未分类"
WATCHES = ("opinions",)


def _overdue(periods: Periods) -> ColumnElement[bool]:
    """Overdue at the end of the day the stock is read on: assigned by then, its deadline before that
    day, and neither answered nor closed by then."""
    end = periods.day_ends_at
    return and_(
        Opinion.assigned_at < end,
        Opinion.deadline < periods.day,
        or_(Opinion.answered_at.is_(None), Opinion.answered_at >= end),
        or_(Opinion.closed_at.is_(None), Opinion.closed_at >= end),
    )


def opinions(periods: Periods, office: Office) -> Select[Any]:
    """Each opinion with something to count in a period, and what it counts for there: received (on
    a local day of it, by category and source), closed, rated (with its score), overdue."""
    received = periods.during(Opinion.created_at)
    rated = periods.during(Opinion.rated_at)
    overdue = _overdue(periods)
    counts = {
        "received": received,
        "closed": periods.during(Opinion.closed_at),
        "rated": rated,
        "overdue": overdue,
    }
    return (
        select(
            periods.period,
            case(CATEGORIES, value=Opinion.category, else_=literal(UNCATEGORISED)).label("category"),
            case(SOURCES, value=Opinion.source).label("source"),
            *(case((condition, 1), else_=0).label(name) for name, condition in counts.items()),
            case((and_(rated, Opinion.rating.is_not(None)), case(RATING_SCORES, value=Opinion.rating)), else_=0).label(
                "rating_score"
            ),
        )
        .select_from(periods.table)
        .join(Opinion, or_(*counts.values()))
    )


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
        rows=opinions,
        value="received",
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
        rows=opinions,
        value="closed",
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
        rows=opinions,
        value="overdue",
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
        rows=opinions,
        value="rated",
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
        rows=opinions,
        value="rating_score",
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
