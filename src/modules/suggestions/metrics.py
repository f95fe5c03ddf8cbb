"""The suggestions in the rollups: the counts the rates are made of, stored and summed up the hierarchy,
and the rates themselves as ratio metrics, so a county or a city sees the rates of the offices beneath
it as its own summed numerator over its summed denominator (never an average of percentages).

The counts are those of `rates` (see its docstring for each definition), over the suggestions assigned
in the period (交办 on a local day of it), as they stand when computed: 办结率 = answered / assigned,
按时办复率 = on_time / answered, 满意率 = satisfied / rated, 解决率 = resolved / answered; the A/B/C/D
shares are the `answered` metric's breakdown by reply class.

The metrics share one scan (see `rollups.counting`): the population's suggestions assigned on a
local day of the period, each counting 1 in every count whose condition of `rates` it meets.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, and_, case, select

from renda.modules.rollups.service import (
    Dimension,
    Office,
    Periods,
    RatioMetric,
    TenantMetric,
    register_metric,
)
from renda.modules.suggestions.common import CATEGORIES
from renda.modules.suggestions.models import REPLY_CLASSES, Suggestion
from renda.modules.suggestions.rates import CLASSES, count_conditions, population

WATCHES = ("suggestions",)
CLASS_LABELS = {c: f"{c}类" for c in CLASSES}
assert set(CLASS_LABELS) == set(REPLY_CLASSES)


def suggestions(periods: Periods, office: Office) -> Select[Any]:
    """The suggestions assigned in each period, by category and reply class, with a column per count."""
    return select(
        periods.period,
        case(CATEGORIES, value=Suggestion.category, else_=Suggestion.category).label("category"),
        case(CLASS_LABELS, value=Suggestion.reply_class).label("class"),
        *(case((condition, 1), else_=0).label(name) for name, condition in count_conditions().items()),
    ).join_from(periods.table, Suggestion, and_(periods.during(Suggestion.assigned_at), population()))


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
            rows=suggestions,
            value=name,
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
