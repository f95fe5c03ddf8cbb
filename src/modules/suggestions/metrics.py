"""The suggestions in the rollups: the counts the rates are made of, stored and summed up the hierarchy,
and the rates themselves as ratio metrics, so a county or a city sees the rates of the offices beneath
it as its own summed numerator over its summed denominator (never an average of percentages).

The counts are those of `rates` (see its docstring for each definition), over the suggestions assigned
in the period (交办 on a local day of it), as they stand when computed: 办结率 = answered / assigned,
按时办复率 = on_time / answered, 满意率 = satisfied / rated, 解决率 = resolved / answered; the A/B/C/D
shares are the `answered` metric's breakdown by reply class.

One statement per office: the running year's assigned suggestions grouped by local month and category;
the year's, the quarter's and the month's figures are sums of its rows (kept on the office's session).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, time
from typing import Any

from sqlalchemy import and_, extract, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from renda.core.timezone import LOCAL_TZ
from renda.modules.rollups.service import Dimension, Figure, Period, RatioMetric, TenantMetric, register_metric
from renda.modules.suggestions.common import CATEGORIES
from renda.modules.suggestions.models import REPLY_CLASSES, Suggestion
from renda.modules.suggestions.rates import CLASSES, count_columns, population

WATCHES = ("suggestions",)
CACHE = "suggestion_rollup_counts"
CLASS_LABELS = {c: f"{c}类" for c in CLASSES}
assert set(CLASS_LABELS) == set(REPLY_CLASSES)

Months = dict[tuple[int, str], dict[str, int]]  # (local month, category) → counts


def _start(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=LOCAL_TZ)


async def _year_rows(session: AsyncSession, year: int) -> Months:
    cache: dict[int, Months] = session.info.setdefault(CACHE, {})
    if year not in cache:
        month = extract("month", func.timezone(str(LOCAL_TZ), Suggestion.assigned_at)).label("month")
        query = (
            select(month, Suggestion.category, *count_columns())
            .where(
                population(),
                and_(
                    Suggestion.assigned_at >= _start(date(year, 1, 1)),
                    Suggestion.assigned_at < _start(date(year + 1, 1, 1)),
                ),
            )
            .group_by(month, Suggestion.category)
        )
        cache[year] = {(int(r.month), r.category): r._asdict() for r in (await session.execute(query)).all()}
    return cache[year]


async def _in_period(session: AsyncSession, period: Period) -> list[tuple[str, dict[str, Any]]]:
    """(category, counts) of the rows whose month lies in the period (periods are whole months)."""
    rows = await _year_rows(session, period.start.year)
    months = range(period.start.month, period.end.month + 1)
    return [(category, counts) for (month, category), counts in rows.items() if month in months]


def _counter(name: str, dimension: str = ""):  # type: ignore[no-untyped-def]
    async def compute(session: AsyncSession, period: Period, today: date) -> list[Figure]:
        found = await _in_period(session, period)
        figures = [Figure(sum(counts[name] for _, counts in found))]
        if dimension == "category":
            by: dict[str, int] = defaultdict(int)
            for category, counts in found:
                by[CATEGORIES.get(category, category)] += counts[name]
            figures += [Figure(v, "category", k) for k, v in by.items() if v]
        elif dimension == "class":
            for c in CLASSES:
                value = sum(counts[f"class_{c.lower()}"] for _, counts in found)
                if value:
                    figures.append(Figure(value, "class", CLASS_LABELS[c]))
        return figures

    return compute


def _count_metric(name: str, label: str, description: str, order: int, dimension: str = "") -> None:
    dimensions: tuple[Dimension, ...] = ()
    if dimension == "category":
        dimensions = (Dimension("category", "分类", {v: v for v in CATEGORIES.values()}),)
    elif dimension == "class":
        dimensions = (Dimension("class", "答复类别", {v: v for v in CLASS_LABELS.values()}),)
    register_metric(
        TenantMetric(
            key=f"suggestions.{name}",
            label=label,
            unit="件",
            description=description,
            dimensions=dimensions,
            compute=_counter(name, dimension),
            watches=WATCHES,
            order=order,
        )
    )


def _ratio(name: str, label: str, numerator: str, denominator: str, description: str, order: int) -> None:
    register_metric(
        RatioMetric(
            key=f"suggestions.{name}",
            label=label,
            numerator=f"suggestions.{numerator}",
            denominator=f"suggestions.{denominator}",
            description=description,
            order=order,
        )
    )


_count_metric("assigned", "交办代表建议", "期间内交办承办单位的代表建议和议案", 70, "category")
_count_metric("answered", "已答复代表建议", "期间内交办、承办单位已答复(含已办结)的件数,按答复类别分", 71, "class")
_count_metric("on_time", "按期答复代表建议", "已答复件中在办理期限(含批准延期)内答复的件数", 72)
_count_metric("rated", "代表已评价件数", "已答复件中领衔代表已评价的件数", 73)
_count_metric("satisfied", "代表满意件数", "评价为满意或基本满意的件数", 74)
_count_metric("resolved", "已解决代表建议", "A类答复,及经回头看已落实的B、C类答复", 75)
_ratio("closure_rate", "代表建议办结率", "answered", "assigned", "已答复(含已办结)件数 ÷ 交办件数", 76)
_ratio("on_time_rate", "代表建议按时办复率", "on_time", "answered", "按期答复件数 ÷ 已答复件数", 77)
_ratio("satisfaction_rate", "代表建议满意率", "satisfied", "rated", "满意和基本满意件数 ÷ 已评价件数", 78)
_ratio("resolution_rate", "代表建议解决率", "resolved", "answered", "已解决件数 ÷ 已答复件数", 79)
