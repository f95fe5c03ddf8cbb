"""Live rankings of a year's duty points: the office's, a deputy group's, a township's (its groups'
township code), with ties sharing a rank (1, 1, 3), pagination and search by name.

The points are computed in SQL with the caps of `totals.points_of` (the tested twin): per deputy and
kind of event the ledger's sum (kept by every reconcile in `duty_point_sums`), capped by the rule;
per category the sum of those, capped by the category and never below zero; base = the five base
categories, bonus = the bonus category. The caps are the year's rows, or the defaults while the year
has none. Who is ranked: every person of the register with a mandate during the year, at zero if they
have no entries.

One statement per shape (scope, search) is built once with bound parameters and reused, so every
request sends the same SQL and PostgreSQL keeps one plan per office.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, Literal

from sqlalchemy import (
    Boolean,
    ColumnElement,
    Date,
    Integer,
    Numeric,
    Select,
    String,
    bindparam,
    column,
    exists,
    false,
    func,
    literal,
    or_,
    select,
    text,
)
from sqlalchemy.ext.asyncio import AsyncSession

from renda.core.db import read_rows
from renda.core.errors import InvalidInput, NotFound
from renda.core.pagination import Page, paginate_rows
from renda.modules.deputies import service as deputies
from renda.modules.deputies.models import Mandate, Person
from renda.modules.duty import defaults
from renda.modules.duty.models import PointCategory, PointEntry, PointRule, PointSum
from renda.modules.organisation.models import DeputyGroup, GroupMembership

SCOPES = {"office": "全机关", "group": "代表小组", "township": "乡镇(街道)"}
Scope = Literal["office", "group", "township"]
Search = Literal["", "name", "pinyin"]


# --- capped points per person ---------------------------------------------------------------------
def _sql(value: object) -> str:
    """A constant of the defaults as SQL (codes are our own identifiers, caps decimals or none)."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return str(value)
    assert isinstance(value, str) and value.isidentifier()
    return f"'{value}'"


def _defaults_table(name: str, columns: dict[str, Any], rows: list[tuple[object, ...]]) -> Any:
    """The defaults as a constant VALUES list: text, so the statement stays cacheable (SQLAlchemy does
    not cache a `values()` with literal binds) and sends no parameters for them."""
    names = ", ".join(columns)
    typed = [f"CAST({_sql(v)} AS {'NUMERIC' if t is Numeric else 'BOOLEAN' if t is Boolean else 'TEXT'})"
             for row in rows[:1] for v, t in zip(row, columns.values(), strict=True)]  # fmt: skip
    first = f"({', '.join(typed)})"
    rest = [f"({', '.join(_sql(v) for v in row)})" for row in rows[1:]]
    body = f"SELECT {names} FROM (VALUES {', '.join([first, *rest])}) AS {name} ({names})"
    return text(body).columns(*(column(c, t) for c, t in columns.items())).subquery(name)


DEFAULT_RULE_CAPS = _defaults_table(
    "default_rule_caps", {"event_kind": String, "cap": Numeric}, [(k, r.cap) for k, r in defaults.RULES.items()]
)
DEFAULT_CATEGORY_CAPS = _defaults_table(
    "default_category_caps",
    {"code": String, "cap": Numeric, "is_bonus": Boolean},
    [(code, c.cap, c.is_bonus) for code, c in defaults.CATEGORIES.items()],
)


def _rule_caps(year: Any) -> Any:
    """(event_kind, cap) of the year's live rules, or of the defaults while it has none."""
    live = select(PointRule.event_kind, PointRule.cap).where(PointRule.year == year, PointRule.superseded_at.is_(None))
    none_live = ~exists().where(PointRule.year == year, PointRule.superseded_at.is_(None))
    fallback = select(DEFAULT_RULE_CAPS.c.event_kind, DEFAULT_RULE_CAPS.c.cap).where(none_live)
    return live.union_all(fallback).cte("rule_caps")


def _category_caps(year: Any) -> Any:
    """(code, cap, is_bonus) of the year's categories, or of the defaults while it has none."""
    rows = select(PointCategory.code, PointCategory.cap, PointCategory.is_bonus).where(PointCategory.year == year)
    none_saved = ~exists().where(PointCategory.year == year)
    c = DEFAULT_CATEGORY_CAPS.c
    return rows.union_all(select(c.code, c.cap, c.is_bonus).where(none_saved)).cte("category_caps")


def capped_points(year: Any, as_of: Any = None, among: Any = None) -> Any:
    """A CTE of (person_id, base, bonus) for every person with entries in the year (or those of the
    selectable `among`): from the sums the reconciles keep, or, up to `as_of` (an event date), from the
    entries themselves."""
    if as_of is None:
        per_kind = select(
            PointSum.person_id, PointSum.category, PointSum.event_kind, PointSum.points.label("earned")
        ).where(PointSum.year == year)
        if among is not None:
            per_kind = per_kind.where(PointSum.person_id.in_(among))
        per_kind = per_kind.cte("per_kind")
    else:
        per_kind = (
            select(
                PointEntry.person_id,
                PointEntry.category,
                PointEntry.event_kind,
                func.sum(PointEntry.points).label("earned"),
            )
            .where(PointEntry.year == year, PointEntry.occurred_on <= as_of)
            .group_by(PointEntry.person_id, PointEntry.category, PointEntry.event_kind)
            .cte("per_kind")
        )
    rule_caps = _rule_caps(year)
    per_category = (
        select(
            per_kind.c.person_id,
            per_kind.c.category,
            func.sum(func.least(per_kind.c.earned, func.coalesce(rule_caps.c.cap, per_kind.c.earned))).label("within"),
        )
        .select_from(per_kind.outerjoin(rule_caps, rule_caps.c.event_kind == per_kind.c.event_kind))
        .group_by(per_kind.c.person_id, per_kind.c.category)
        .cte("per_category")
    )
    category_caps = _category_caps(year)
    within = per_category.c.within
    counted = func.greatest(func.least(within, func.coalesce(category_caps.c.cap, within)), 0)
    is_bonus = func.coalesce(category_caps.c.is_bonus, false())
    return (
        select(
            per_category.c.person_id,
            func.coalesce(func.sum(counted).filter(~is_bonus), 0).label("base"),
            func.coalesce(func.sum(counted).filter(is_bonus), 0).label("bonus"),
        )
        .select_from(per_category.outerjoin(category_caps, category_caps.c.code == per_category.c.category))
        .group_by(per_category.c.person_id)
        .cte("capped")
    )


def held_a_mandate() -> ColumnElement[bool]:
    """The person held a mandate of this office's register between `first_day` and `last_day`."""
    return exists().where(
        Mandate.person_id == Person.id,
        Mandate.starts_on <= bindparam("last_day", type_=Date),
        or_(Mandate.ended_on.is_(None), Mandate.ended_on >= bindparam("first_day", type_=Date)),
    )


# --- the ranking statement ------------------------------------------------------------------------
@functools.cache
def ranking_statement(scope: Scope, search: Search = "", one_person: bool = False) -> Select[Any]:
    """The ranking of one shape, with bound parameters: year, first_day, last_day, and group_id
    (scope group), township (scope township), pattern (search), person_id (one_person)."""
    population = select(Person.id, Person.name, Person.name_pinyin, Person.name_initials).where(held_a_mandate())
    if scope == "group":
        population = population.where(
            Person.id.in_(select(GroupMembership.person_id).where(GroupMembership.group_id == bindparam("group_id")))
        )
    elif scope == "township":
        in_township = (
            select(GroupMembership.person_id)
            .join(DeputyGroup, DeputyGroup.id == GroupMembership.group_id)
            .where(DeputyGroup.township_code == bindparam("township"))
        )
        population = population.where(Person.id.in_(in_township))
    population_cte = population.cte("population")
    # A group's or a township's ranking computes its own deputies' points only.
    among = None if scope == "office" else select(population_cte.c.id)
    capped = capped_points(bindparam("year", type_=Integer), among=among)
    home = (
        select(GroupMembership.person_id, DeputyGroup.name.label("group_name"))
        .join(DeputyGroup, DeputyGroup.id == GroupMembership.group_id)
        .where(GroupMembership.group_kind == "geographic", GroupMembership.person_id.is_not(None))
        .cte("home_group")
    )
    base = func.coalesce(capped.c.base, 0)
    bonus = func.coalesce(capped.c.bonus, 0)
    total = base + bonus
    ranked = (
        select(
            population_cte.c.id.label("person_id"),
            population_cte.c.name,
            population_cte.c.name_pinyin,
            population_cte.c.name_initials,
            home.c.group_name,
            base.label("base"),
            bonus.label("bonus"),
            total.label("total"),
            func.rank().over(order_by=total.desc()).label("rank"),
            func.count().over().label("ranked"),
        )
        .select_from(
            population_cte.outerjoin(capped, capped.c.person_id == population_cte.c.id).outerjoin(
                home, home.c.person_id == population_cte.c.id
            )
        )
        .subquery("ranked")
    )
    query = select(
        ranked.c.ranked,
        ranked.c.rank,
        ranked.c.person_id,
        ranked.c.name,
        ranked.c.group_name,
        ranked.c.base,
        ranked.c.bonus,
        ranked.c.total,
    )
    if search == "name":
        query = query.where(ranked.c.name.like(bindparam("pattern"), escape="\\"))
    elif search == "pinyin":
        query = query.where(
            or_(
                ranked.c.name_initials.like(bindparam("pattern") + literal("%"), escape="\\"),
                ranked.c.name_pinyin.like(literal("%") + bindparam("pattern") + literal("%"), escape="\\"),
            )
        )
    if one_person:
        query = query.where(ranked.c.person_id == bindparam("person_id"))
    return query.order_by(ranked.c.rank, ranked.c.name_pinyin, ranked.c.person_id)


def _escaped(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _has_cjk(text: str) -> bool:
    return any("\u3400" <= ch <= "\u9fff" for ch in text)


@dataclass(frozen=True)
class RankingFilter:
    year: int
    scope: Scope = "office"
    group_id: uuid.UUID | None = None
    township: str | None = None
    query: str = ""

    def shape(self) -> tuple[Scope, Search, dict[str, Any]]:
        params: dict[str, Any] = {
            "year": self.year,
            "first_day": date(self.year, 1, 1),
            "last_day": date(self.year, 12, 31),
        }
        if self.scope == "group":
            if self.group_id is None:
                raise InvalidInput("请选择代表小组", code="group_required")
            params["group_id"] = self.group_id
        elif self.scope == "township":
            if not self.township:
                raise InvalidInput("请选择乡镇(街道)", code="township_required")
            params["township"] = self.township
        elif self.scope != "office":
            raise InvalidInput("排名范围应为全机关、代表小组或乡镇(街道)", code="invalid_scope")
        text = self.query.strip()
        search: Search = ""
        if text:
            key = deputies.search_key(text)
            if _has_cjk(text) or not key:
                search, params["pattern"] = "name", f"%{_escaped(text)}%"
            else:
                search, params["pattern"] = "pinyin", _escaped(key)
        return self.scope, search, params


@dataclass(frozen=True)
class RankRow:
    ranked: int  # how many the ranking holds (before a search)
    rank: int
    person_id: uuid.UUID
    name: str
    group_name: str | None
    base: Decimal
    bonus: Decimal
    total: Decimal


def _row(r: Any) -> RankRow:
    return RankRow(
        int(r.ranked),
        int(r.rank),
        r.person_id,
        r.name,
        r.group_name,
        Decimal(r.base),
        Decimal(r.bonus),
        Decimal(r.total),
    )


async def ranking(session: AsyncSession, filter: RankingFilter, page: int = 1, page_size: int = 20) -> Page[RankRow]:
    """A page of the ranking, best first; ties share a rank, then by name."""
    if filter.scope == "group" and filter.group_id is not None:
        await _check_group(session, filter.group_id)
    scope, search, params = filter.shape()
    found = await paginate_rows(session, ranking_statement(scope, search), page, page_size, params)
    return Page([_row(r) for r in found.items], found.total, found.page, found.page_size)


async def all_ranked(session: AsyncSession, filter: RankingFilter) -> list[RankRow]:
    scope, search, params = filter.shape()
    return [_row(r) for r in await read_rows(session, ranking_statement(scope, search), params)]


async def rank_of(session: AsyncSession, year: int, person_id: uuid.UUID) -> RankRow | None:
    """A person's place in the office's ranking of the year (None if not ranked that year)."""
    _, _, params = RankingFilter(year).shape()
    rows = await read_rows(session, ranking_statement("office", "", True), {**params, "person_id": person_id})
    return _row(rows[0]) if rows else None


async def _check_group(session: AsyncSession, group_id: uuid.UUID) -> None:
    found = (await session.execute(select(DeputyGroup.id).where(DeputyGroup.id == group_id))).first()
    if found is None:
        raise NotFound("代表小组不存在", code="group_not_found")


async def scope_choices(session: AsyncSession) -> tuple[list[tuple[uuid.UUID, str]], dict[str, str]]:
    """The office's deputy groups (id, name) and the townships its groups are in (code → name)."""
    groups = (await session.execute(select(DeputyGroup.id, DeputyGroup.name).order_by(DeputyGroup.name))).all()
    codes = (
        await session.execute(
            select(DeputyGroup.township_code).where(DeputyGroup.township_code.is_not(None)).distinct()
        )
    ).scalars()
    townships = await deputies.township_names(session, sorted(codes))
    return [(g.id, g.name) for g in groups], dict(sorted(townships.items(), key=lambda item: item[1]))


# --- the Excel export -----------------------------------------------------------------------------
EXPORT_KIND = "duty_points_ranking"
EXPORT_HEADERS = ["名次", "代表姓名", "代表小组", "基本分", "附加分", "总积分"]


def filter_from_params(params: dict[str, Any], default_year: int) -> RankingFilter:
    """The ranking filter a page, the API and an export share (the export keeps it as its params)."""
    try:
        year = int(params.get("year") or default_year)
        group = params.get("group_id")
        group_id = uuid.UUID(str(group)) if group else None
    except ValueError:
        raise InvalidInput("年度或代表小组无效", code="invalid_filter") from None
    if not 2000 <= year <= 2100:
        raise InvalidInput("年度无效", code="invalid_year")
    scope = params.get("scope") or "office"
    if scope not in SCOPES:
        raise InvalidInput("排名范围应为全机关、代表小组或乡镇(街道)", code="invalid_scope")
    return RankingFilter(year, scope, group_id, params.get("township") or None, str(params.get("q") or "")[:50])


async def export_rows(session: AsyncSession, params: dict[str, Any]) -> AsyncIterator[list[Any]]:
    from renda.core.timezone import local_today

    for row in await all_ranked(session, filter_from_params(params, local_today().year)):
        yield [row.rank, row.name, row.group_name or "", float(row.base), float(row.bonus), float(row.total)]
