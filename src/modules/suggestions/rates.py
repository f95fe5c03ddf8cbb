"""The rates an office is judged by (办结率、按时办复率、满意率、解决率 and the A/B/C/D shares), by lead
unit, category, year or term, from one grouped statement of counts.

Who counts (the population, "assigned" 交办): suggestions and motions assigned to a lead unit, i.e. in
status 已交办/办理中 (`assigned`), 已答复 (`replied`) or 已办结 (`closed`). Drafts, those awaiting intake,
returned, merged, converted to a people's opinion or withdrawn are not assigned and never count. A
suggestion counts once, in its own filing year (`year`) and term (`term_id`), under its lead unit (the
co-handling units answer the lead unit, not the deputy) and its category; being carried into a later
year (`carried_to_year`) does not count it again there.

Which round counts: the current one. The reply, its class and timeliness and the rating on the row are
those of the latest round: a suggestion rated 不满意 goes back to work in round 2 (status `assigned`
again, not answered) and counts with its second reply and second rating once given; the first round's
are kept in its steps.

- 办结率 closure rate = answered / assigned, where answered = status `replied` or `closed` (the lead
  unit has replied in the current round, whether or not the deputy has rated it yet).
- 按时办复率 on-time rate = on_time / answered, where on_time = answered and `replied_on_time` (the
  reply was given on or before the deadline in force, extensions included).
- 满意率 satisfaction rate = satisfied / rated, where rated = answered with a rating, satisfied = rated
  满意 or 基本满意. Replies whose rating window passed without a rating are not in the denominator.
- 解决率 resolution rate = resolved / answered, where resolved = class A (解决或采纳), or class B or C
  whose follow-up (回头看) found it resolved (`follow_up = 'resolved'`).
- A/B/C/D shares = answered with that reply class / answered.

Every rate is a percentage rounded to one decimal (as the rollups' ratio metrics are), or None where
its denominator is 0. The counts themselves are returned beside the rates, so a report shows both.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, func, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from renda.core.errors import InvalidInput
from renda.modules.deputies.models import Congress, Term
from renda.modules.suggestions.common import CATEGORIES
from renda.modules.suggestions.models import Suggestion
from renda.modules.units.service import HandlingUnit

ASSIGNED_STATUSES = ("assigned", "replied", "closed")
ANSWERED_STATUSES = ("replied", "closed")
SATISFIED_RATINGS = ("satisfied", "basic")
CLASSES = ("A", "B", "C", "D")
GROUPINGS = {"unit": "承办单位", "category": "分类", "year": "年度", "term": "届次"}
RATE_LABELS = {
    "closure_rate": "办结率",
    "on_time_rate": "按时办复率",
    "satisfaction_rate": "满意率",
    "resolution_rate": "解决率",
    "class_a_share": "A类占比",
    "class_b_share": "B类占比",
    "class_c_share": "C类占比",
    "class_d_share": "D类占比",
}
COUNT_NAMES = (
    "assigned",
    "answered",
    "on_time",
    "rated",
    "satisfied",
    "resolved",
    "class_a",
    "class_b",
    "class_c",
    "class_d",
)


def percent(numerator: int, denominator: int) -> float | None:
    """The share in percent, one decimal; None where there is nothing to divide by."""
    if not denominator:
        return None
    return round(100 * numerator / denominator, 1)


@dataclass(frozen=True)
class Counts:
    assigned: int = 0
    answered: int = 0
    on_time: int = 0
    rated: int = 0
    satisfied: int = 0
    resolved: int = 0
    class_a: int = 0
    class_b: int = 0
    class_c: int = 0
    class_d: int = 0

    @property
    def closure_rate(self) -> float | None:
        return percent(self.answered, self.assigned)

    @property
    def on_time_rate(self) -> float | None:
        return percent(self.on_time, self.answered)

    @property
    def satisfaction_rate(self) -> float | None:
        return percent(self.satisfied, self.rated)

    @property
    def resolution_rate(self) -> float | None:
        return percent(self.resolved, self.answered)

    @property
    def class_a_share(self) -> float | None:
        return percent(self.class_a, self.answered)

    @property
    def class_b_share(self) -> float | None:
        return percent(self.class_b, self.answered)

    @property
    def class_c_share(self) -> float | None:
        return percent(self.class_c, self.answered)

    @property
    def class_d_share(self) -> float | None:
        return percent(self.class_d, self.answered)

    def rates(self) -> dict[str, float | None]:
        return {name: getattr(self, name) for name in RATE_LABELS}


def answered_clause() -> ColumnElement[bool]:
    return Suggestion.status.in_(ANSWERED_STATUSES)


def count_conditions() -> dict[str, ColumnElement[bool]]:
    """The counts of the docstring, each as the condition a suggestion of the population meets to count."""
    answered = answered_clause()
    rated = and_(answered, Suggestion.rating.is_not(None))
    resolved = and_(
        answered,
        (Suggestion.reply_class == "A")
        | (Suggestion.reply_class.in_(("B", "C")) & (Suggestion.follow_up == "resolved")),
    )
    return {
        "assigned": true(),
        "answered": answered,
        "on_time": and_(answered, Suggestion.replied_on_time.is_(True)),
        "rated": rated,
        "satisfied": and_(rated, Suggestion.rating.in_(SATISFIED_RATINGS)),
        "resolved": resolved,
        **{f"class_{c.lower()}": and_(answered, Suggestion.reply_class == c) for c in CLASSES},
    }


def count_columns() -> list[Any]:
    """The counts as FILTER aggregates over `suggestions`."""
    count = func.count()
    return [
        count.label(name) if name == "assigned" else count.filter(condition).label(name)
        for name, condition in count_conditions().items()
    ]


def population() -> ColumnElement[bool]:
    return and_(Suggestion.status.in_(ASSIGNED_STATUSES), Suggestion.lead_unit_id.is_not(None))


@dataclass(frozen=True)
class RateFilter:
    year: int | None = None
    term_id: uuid.UUID | None = None
    unit_id: uuid.UUID | None = None
    category: str | None = None


def parse_rate_filter(params: dict[str, Any]) -> tuple[str, RateFilter]:
    """`by` (unit, category, year, term) and the filters of a report page, its API or its export."""
    by = str(params.get("by") or "unit")
    if by not in GROUPINGS:
        raise InvalidInput("统计维度无效", code="invalid_filter")
    raw_year = str(params.get("year") or "").strip()
    if raw_year and not (raw_year.isdigit() and 1980 <= int(raw_year) <= 2100):
        raise InvalidInput("年度筛选无效", code="invalid_filter")
    category = str(params.get("category") or "").strip() or None
    if category is not None and category not in CATEGORIES:
        raise InvalidInput("分类筛选无效", code="invalid_filter")

    def ident(key: str, what: str) -> uuid.UUID | None:
        value = str(params.get(key) or "").strip()
        try:
            return uuid.UUID(value) if value else None
        except ValueError:
            raise InvalidInput(f"{what}筛选无效", code="invalid_filter") from None

    return by, RateFilter(
        int(raw_year) if raw_year else None, ident("term_id", "届次"), ident("unit_id", "承办单位"), category
    )


def _filtered(query: Select[Any], filters: RateFilter) -> Select[Any]:
    query = query.where(population())
    if filters.year is not None:
        query = query.where(Suggestion.year == filters.year)
    if filters.term_id is not None:
        query = query.where(Suggestion.term_id == filters.term_id)
    if filters.unit_id is not None:
        query = query.where(Suggestion.lead_unit_id == filters.unit_id)
    if filters.category is not None:
        query = query.where(Suggestion.category == filters.category)
    return query


def _counts(row: Any) -> Counts:
    return Counts(**{name: getattr(row, name) for name in COUNT_NAMES})


@dataclass(frozen=True)
class RateRow:
    key: str
    label: str
    counts: Counts


@dataclass(frozen=True)
class RateReport:
    by: str
    total: Counts
    groups: list[RateRow]


async def _groups(session: AsyncSession, by: str, filters: RateFilter) -> list[RateRow]:
    columns = count_columns()
    if by == "unit":
        query = (
            select(Suggestion.lead_unit_id.label("key"), HandlingUnit.name.label("label"), *columns)
            .join(HandlingUnit, HandlingUnit.id == Suggestion.lead_unit_id)
            .group_by(Suggestion.lead_unit_id, HandlingUnit.name)
            .order_by(HandlingUnit.name)
        )
    elif by == "term":
        query = (
            select(Suggestion.term_id.label("key"), Congress.name.label("congress"), Term.number, *columns)
            .join(Term, Term.id == Suggestion.term_id)
            .join(Congress, Congress.id == Term.congress_id)
            .group_by(Suggestion.term_id, Congress.name, Term.number, Term.starts_on)
            .order_by(Term.starts_on.desc())
        )
    elif by == "year":
        query = (
            select(Suggestion.year.label("key"), *columns).group_by(Suggestion.year).order_by(Suggestion.year.desc())
        )
    else:
        query = (
            select(Suggestion.category.label("key"), *columns)
            .group_by(Suggestion.category)
            .order_by(Suggestion.category)
        )
    rows = (await session.execute(_filtered(query, filters))).all()
    found = [RateRow(str(row.key), _label(by, row), _counts(row)) for row in rows]
    if by == "category":  # in the order of the office's headings, not the codes'
        order = list(CATEGORIES)
        found.sort(key=lambda r: order.index(r.key) if r.key in order else len(order))
    return found


def _label(by: str, row: Any) -> str:
    if by == "year":
        return f"{row.key}年"
    if by == "category":
        return CATEGORIES.get(row.key, row.key)
    if by == "term":
        return f"{row.congress} 第{row.number}届"
    return str(row.label)


async def rate_report(session: AsyncSession, by: str, filters: RateFilter | None = None) -> RateReport:
    """The office's rates by `by`, and the whole office's (as filtered) in `total`."""
    filters = filters or RateFilter()
    total_row = (await session.execute(_filtered(select(*count_columns()), filters))).one()
    return RateReport(by, _counts(total_row), await _groups(session, by, filters))


async def office_counts(session: AsyncSession, filters: RateFilter | None = None) -> Counts:
    return (await rate_report(session, "year", filters)).total


def rate_rows(report: RateReport) -> Sequence[RateRow]:
    return [*report.groups, RateRow("total", "合计", report.total)]
