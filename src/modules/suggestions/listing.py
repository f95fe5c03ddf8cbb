"""The list of suggestions (代表建议列表): filters, search, one page of plain rows with their total, and
the choices the staff page offers (units, categories, years, terms) as pickers.

One statement per page: the columns the list shows, the lead deputy's and the lead unit's names joined
in, and the total as a window count beside each row (`core.pagination.paginate_rows`).
"""

from __future__ import annotations

import functools
import re
import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, Row, Select, Uuid, and_, any_, bindparam, exists, func, or_, select, true
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession

from renda.core.errors import InvalidInput
from renda.core.pagination import Page, paginate_rows
from renda.core.timezone import local_today
from renda.modules.deputies.models import Congress, Person, Term
from renda.modules.suggestions.common import CATEGORIES, LoopCaller, is_overdue, number_label, visible_to
from renda.modules.suggestions.models import (
    KINDS,
    OPEN_STATUSES,
    RATINGS,
    REPLY_CLASSES,
    STATUSES,
    Suggestion,
    SuggestionUnit,
)
from renda.modules.suggestions.schemas import SuggestionRowOut
from renda.modules.units.service import HandlingUnit

# "open": filed and not yet ended (待审查 to 已答复); the other values are the statuses themselves.
STATUS_FILTERS = {"open": "办理中(未办结)", **{k: v for k, v in STATUSES.items() if k != "draft"}}
UNIT_ROLE_FILTERS = {"lead": "主办", "co": "协办"}
FILTER_KEYS = (
    "status",
    "kind",
    "category",
    "year",
    "term_id",
    "unit_id",
    "unit_role",
    "key",
    "overdue",
    "to_rate",
    "rating",
    "class",
    "q",
)
YEARS = range(1980, 2101)
TRUE_VALUES, FALSE_VALUES = ("1", "true", "yes", "on"), ("", "0", "false", "no", "off")
NUMBER = re.compile(r"^议?\s*(\d{4})\s*[-—－]\s*(\d{1,6})$")


@dataclass(frozen=True)
class SuggestionFilter:
    status: str | None = None
    kind: str | None = None
    category: str | None = None
    year: int | None = None
    term_id: uuid.UUID | None = None
    unit_id: uuid.UUID | None = None
    unit_role: str | None = None  # with unit_id: only as lead (主办) or only as co-handler (协办)
    key: bool | None = None
    overdue: bool = False
    # Replies awaiting the lead deputy's rating, its window open; a deputy sees those they lead.
    to_rate: bool = False
    rating: str | None = None
    reply_class: str | None = None
    q: str | None = None


def _bad(message: str) -> InvalidInput:
    return InvalidInput(message, code="invalid_filter")


def _choice(params: dict[str, Any], key: str, allowed: dict[str, str], what: str) -> str | None:
    value = str(params.get(key) or "").strip() or None
    if value is not None and value not in allowed:
        raise _bad(f"{what}筛选无效")
    return value


def _flag(params: dict[str, Any], key: str, what: str) -> bool | None:
    value = str(params.get(key) or "").strip().lower()
    if value in TRUE_VALUES:
        return True
    if value in ("0", "false", "no", "off"):
        return False
    if value:
        raise _bad(f"{what}筛选无效")
    return None


def _ident(params: dict[str, Any], key: str, what: str) -> uuid.UUID | None:
    value = str(params.get(key) or "").strip()
    if not value:
        return None
    try:
        return uuid.UUID(value)
    except ValueError:
        raise _bad(f"{what}筛选无效") from None


def parse_filter(params: dict[str, Any]) -> SuggestionFilter:
    """Query parameters (the API's, a page's or an export's) → a filter; a value outside its
    vocabulary is refused with 400 `invalid_filter`, never ignored."""
    raw_year = str(params.get("year") or "").strip()
    if raw_year and not (raw_year.isdigit() and int(raw_year) in YEARS):
        raise _bad("年度筛选无效")
    unit_id = _ident(params, "unit_id", "承办单位")
    unit_role = _choice(params, "unit_role", UNIT_ROLE_FILTERS, "主办或协办")
    if unit_role and unit_id is None:
        raise _bad("筛选主办或协办时请同时选择承办单位")
    q = str(params.get("q") or "").strip()
    if len(q) > 100:
        raise _bad("关键词不能超过 100 个字")
    return SuggestionFilter(
        status=_choice(params, "status", STATUS_FILTERS, "状态"),
        kind=_choice(params, "kind", KINDS, "类型"),
        category=_choice(params, "category", CATEGORIES, "分类"),
        year=int(raw_year) if raw_year else None,
        term_id=_ident(params, "term_id", "届次"),
        unit_id=unit_id,
        unit_role=unit_role,
        key=_flag(params, "key", "重点建议"),
        overdue=bool(_flag(params, "overdue", "逾期")),
        to_rate=bool(_flag(params, "to_rate", "待评价")),
        rating=_choice(params, "rating", RATINGS, "评价"),
        reply_class=_choice(params, "class", REPLY_CLASSES, "答复类别"),
        q=q or None,
    )


def overdue_clause(today: date) -> ColumnElement[bool]:
    """Assigned, its deadline passed, no reply yet in this round."""
    return and_(Suggestion.status == "assigned", Suggestion.deadline < today)


def to_rate_clause(today: date | Any) -> ColumnElement[bool]:
    """Replied, not yet rated, and the rating window (`rating_due`, a local date) still open."""
    return and_(
        Suggestion.status == "replied",
        Suggestion.rating.is_(None),
        or_(Suggestion.rating_due.is_(None), Suggestion.rating_due >= today),
    )


LIST_COLUMNS = (
    Suggestion.id,
    Suggestion.year,
    Suggestion.seq,
    Suggestion.kind,
    Suggestion.title,
    Suggestion.category,
    Person.name.label("lead_name"),
    HandlingUnit.name.label("unit_name"),
    Suggestion.status,
    Suggestion.deadline,
    Suggestion.reply_class,
    Suggestion.rating,
    Suggestion.is_key,
)

# Which filters a request sets (not their values): the list's statement is built once per shape, with
# bound parameters, for the callers who see the whole office, so that a request neither builds nor
# keys it again (see core.pagination._counted_page).
Shape = tuple[object, ...]


def _shape_and_params(filters: SuggestionFilter, today: date) -> tuple[Shape, dict[str, Any]]:
    params: dict[str, Any] = {}
    status = filters.status if filters.status == "open" else "exact" if filters.status else None
    for name, value in (
        ("f_status", filters.status if status == "exact" else None),
        ("f_kind", filters.kind),
        ("f_category", filters.category),
        ("f_year", filters.year),
        ("f_term", filters.term_id),
        ("f_unit", filters.unit_id),
        ("f_rating", filters.rating),
        ("f_class", filters.reply_class),
    ):
        if value is not None:
            params[name] = value
    if filters.overdue or filters.to_rate:
        params["f_today"] = today
    number = None
    if filters.q:
        escaped = filters.q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        params["f_like"] = f"%{escaped}%"
        if number := NUMBER.match(filters.q):
            params["f_q_year"], params["f_q_seq"] = int(number[1]), int(number[2])
    unit = (filters.unit_role or "any") if filters.unit_id else None
    shape = (
        status,
        unit,
        filters.key,
        filters.overdue,
        filters.to_rate,
        bool(filters.q),
        number is not None,
        *sorted(params),
    )
    return shape, params


# A handling unit's users see what their units handle in any round (`common.visible_to`): as a join
# on the units' rows, read from their index, instead of an EXISTS per suggestion of the office.
_MY_UNITS = bindparam("f_my_units", type_=ARRAY(Uuid()))
_HANDLED = (
    select(SuggestionUnit.suggestion_id)
    .where(SuggestionUnit.unit_id == any_(_MY_UNITS))
    .distinct()
    .subquery("handled_by_my_units")
)


def _build(
    shape: Shape, visible: ColumnElement[bool], person_ids: frozenset[uuid.UUID], *, my_units: bool = False
) -> Select[Any]:
    status, unit, key, overdue, to_rate, search, number, *names = shape
    query = select(*LIST_COLUMNS)
    if my_units:
        query = query.select_from(Suggestion).join(_HANDLED, _HANDLED.c.suggestion_id == Suggestion.id)
    query = (
        query.join(Person, Person.id == Suggestion.lead_person_id)
        .outerjoin(HandlingUnit, HandlingUnit.id == Suggestion.lead_unit_id)
        .where(visible)
    )
    if person_ids:
        query = query.where(or_(Suggestion.status != "draft", Suggestion.lead_person_id.in_(person_ids)))
    else:
        query = query.where(Suggestion.status != "draft")
    if status == "open":
        query = query.where(Suggestion.status.in_(OPEN_STATUSES))
    columns = {
        "f_status": Suggestion.status,
        "f_kind": Suggestion.kind,
        "f_category": Suggestion.category,
        "f_year": Suggestion.year,
        "f_term": Suggestion.term_id,
        "f_rating": Suggestion.rating,
        "f_class": Suggestion.reply_class,
    }
    for name in names:
        if name in columns:
            query = query.where(columns[name] == bindparam(name))
    if unit is not None:
        query = query.where(_unit_clause(bindparam("f_unit"), None if unit == "any" else str(unit)))
    if key is not None:
        query = query.where(Suggestion.is_key.is_(bool(key)))
    if overdue:
        query = query.where(Suggestion.status == "assigned", Suggestion.deadline < bindparam("f_today"))
    if to_rate:
        query = query.where(to_rate_clause(bindparam("f_today")))
        if person_ids:  # a deputy rates only what they lead, not what they co-signed
            query = query.where(Suggestion.lead_person_id.in_(person_ids))
    if search:
        found: list[ColumnElement[bool]] = [
            Suggestion.title.ilike(bindparam("f_like")),
            Person.name.ilike(bindparam("f_like")),
        ]
        if number:
            found.append(and_(Suggestion.year == bindparam("f_q_year"), Suggestion.seq == bindparam("f_q_seq")))
        query = query.where(or_(*found))
    return query.order_by(Suggestion.year.desc(), Suggestion.seq.desc().nulls_first(), Suggestion.id)


@functools.lru_cache(maxsize=512)
def _whole_office_query(shape: Shape) -> Select[Any]:
    return _build(shape, true(), frozenset())


@functools.lru_cache(maxsize=512)
def _my_units_query(shape: Shape) -> Select[Any]:
    return _build(shape, true(), frozenset(), my_units=True)


def list_statement(caller: LoopCaller, filters: SuggestionFilter, today: date) -> tuple[Select[Any], dict[str, Any]]:
    """The caller's suggestions as filtered, newest number first, and the values of its parameters.
    Drafts are their lead deputy's own work: nobody else lists them."""
    shape, params = _shape_and_params(filters, today)
    if caller.full and not caller.person_ids:
        return _whole_office_query(shape), params
    if caller.unit_ids and not caller.person_ids and not caller.full:
        return _my_units_query(shape), {**params, "f_my_units": sorted(caller.unit_ids)}
    return _build(shape, visible_to(caller), caller.person_ids), params


def _unit_clause(unit_id: Any, role: str | None) -> ColumnElement[bool]:
    """Led by the unit, or handled by it in any round (as co-handler only, with role "co"). The
    suggestions a unit handled are read first from its index (`= ANY(ARRAY(…))`): as an EXISTS the
    planner walks the whole office's suggestions in list order instead."""
    if role == "lead":
        return Suggestion.lead_unit_id == unit_id
    handled = select(SuggestionUnit.suggestion_id).where(SuggestionUnit.unit_id == unit_id)
    if role == "co":
        handled = handled.where(SuggestionUnit.role == "co")
    return Suggestion.id == func.any(func.array(handled.scalar_subquery()))


def row_out(row: Row[Any], today: date) -> SuggestionRowOut:
    return SuggestionRowOut(
        id=row.id,
        number=number_label(row),
        title=row.title,
        kind=row.kind,
        kind_label=KINDS.get(row.kind, row.kind),
        category=row.category,
        category_label=CATEGORIES.get(row.category, row.category),
        lead_name=row.lead_name,
        unit_name=row.unit_name,
        status=row.status,
        status_label=STATUSES.get(row.status, row.status),
        deadline=row.deadline,
        overdue=is_overdue(row, today),
        reply_class=row.reply_class,
        rating=row.rating,
        rating_label=RATINGS.get(row.rating) if row.rating else None,
        is_key=row.is_key,
    )


async def list_suggestions(
    session: AsyncSession,
    caller: LoopCaller,
    filters: SuggestionFilter,
    page: int,
    page_size: int,
    today: date | None = None,
) -> Page[Row[Any]]:
    query, params = list_statement(caller, filters, today or local_today())
    return await paginate_rows(session, query, page, page_size, params)


# --- the pickers of the staff page: names, never typed ids --------------------------------------
@dataclass(frozen=True)
class Choices:
    units: dict[str, str]  # id → name (archived ones marked)
    years: list[int]
    terms: dict[str, str]  # id → 第十九届 (congress)


async def choices(session: AsyncSession) -> Choices:
    units = (
        await session.execute(
            select(HandlingUnit.id, HandlingUnit.name, HandlingUnit.is_active).order_by(
                HandlingUnit.is_active.desc(), HandlingUnit.name
            )
        )
    ).all()
    years = (await session.execute(select(Suggestion.year).distinct().order_by(Suggestion.year.desc()))).scalars()
    terms = (
        await session.execute(
            select(Term.id, Term.number, Congress.name)
            .join(Congress, Congress.id == Term.congress_id)
            .where(exists().where(Suggestion.term_id == Term.id))
            .order_by(Term.starts_on.desc())
        )
    ).all()
    return Choices(
        units={str(u.id): u.name + ("(已停用)" if not u.is_active else "") for u in units},
        years=list(years),
        terms={str(t.id): f"{t.name} 第{t.number}届" for t in terms},
    )
