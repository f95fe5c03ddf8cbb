"""Composition statistics (代表构成统计) of an office's territory.

Everything is counted from `platform.mandate_directory`, so an office sees every
mandate recorded in its territory or organised in it, each once, without reading another office's
schema (see `renda.modules.deputies.directory`). A mandate counts as active on a date when it had
started and not yet ended: `starts_on <= on` and (`ended_on` empty or after `on`). Persons are
distinct `person_key`s (the keyed hash of the ID number): a deputy of the county and of a township
is one person with two mandates. Ages are by birth year (the directory holds no birth date).

Vacancies are seats in the territory whose mandate ended (other than by the end of the term) within
a term still running, and that no by-election has filled yet, i.e. no mandate names them in
`replaces_mandate_id`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, and_, case, exists, func, or_, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from renda.core.errors import InvalidInput
from renda.core.timezone import local_today
from renda.modules.deputies.models import (
    END_REASONS,
    LEVELS,
    RESIGNATION_KINDS,
    DirectoryEntry,
    MandateStatus,
)
from renda.modules.deputies.service import in_territory
from renda.modules.register_reports.schemas import (
    Breakdown,
    BreakdownRow,
    ChangeRow,
    Changes,
    LevelFigure,
    Statistics,
)
from renda.tenants.scoping import TenantRef

LEVEL_SHORT = {"national": "全国", "provincial": "省", "city": "市", "county": "县", "township": "乡镇"}
GENDER_LABELS = {"male": "男", "female": "女"}
HAN = "汉族"
UNKNOWN = "未填写"
NO_BIRTH_YEAR = "出生年份不详"
# (label, lowest age, highest age); age = reference year - birth year.
AGE_BANDS = (
    ("35岁及以下", 0, 35),
    ("36至45岁", 36, 45),
    ("46至55岁", 46, 55),
    ("56至65岁", 56, 65),
    ("66岁及以上", 66, 200),
)
DIMENSIONS = {
    "gender": "性别",
    "ethnic_group": "民族(汉族与少数民族)",
    "ethnicity": "少数民族",
    "party": "政治面貌",
    "occupation": "职业类别",
    "age_band": "年龄",
}
# Fixed row orders where the categories are known; the rest by size.
FIXED_ORDER = {
    "gender": ["男", "女", UNKNOWN],
    "ethnic_group": [HAN, "少数民族", UNKNOWN],
    "age_band": [band[0] for band in AGE_BANDS] + [NO_BIRTH_YEAR],
}


def default_period(on: date | None, period_from: date | None, period_to: date | None) -> tuple[date, date, date]:
    """The reference date (today) and the period (its calendar year up to it) when not given."""
    on = on or local_today()
    period_to = period_to or on
    period_from = period_from or date(period_to.year, 1, 1)
    if period_from > period_to:
        raise InvalidInput("统计期间的开始日期不能晚于结束日期", code="invalid_period")
    return on, period_from, period_to


def active_on(on: date) -> ColumnElement[bool]:
    return and_(DirectoryEntry.starts_on <= on, or_(DirectoryEntry.ended_on.is_(None), DirectoryEntry.ended_on > on))


def dimension_columns(on: date) -> dict[str, ColumnElement[Any]]:
    def or_unknown(column: ColumnElement[Any]) -> ColumnElement[Any]:
        return func.coalesce(func.nullif(column, ""), UNKNOWN)

    age = on.year - DirectoryEntry.birth_year
    return {
        "gender": case(*((DirectoryEntry.gender == k, v) for k, v in GENDER_LABELS.items()), else_=UNKNOWN),
        "ethnic_group": case(
            (DirectoryEntry.ethnicity.is_(None), UNKNOWN),
            (DirectoryEntry.ethnicity == "", UNKNOWN),
            (DirectoryEntry.ethnicity == HAN, HAN),
            else_="少数民族",
        ),
        # Only minorities; Han and unknown rows are left NULL and dropped below.
        "ethnicity": case(
            (and_(DirectoryEntry.ethnicity != HAN, DirectoryEntry.ethnicity != ""), DirectoryEntry.ethnicity)
        ),
        "party": or_unknown(DirectoryEntry.party),
        "occupation": or_unknown(DirectoryEntry.occupation_category),
        "age_band": case(
            (DirectoryEntry.birth_year.is_(None), NO_BIRTH_YEAR),
            *((age.between(low, high), label) for label, low, high in AGE_BANDS),
            else_=NO_BIRTH_YEAR,
        ),
    }


def _ordered(key: str, rows: list[BreakdownRow]) -> list[BreakdownRow]:
    order = FIXED_ORDER.get(key)
    if order:
        return sorted(rows, key=lambda r: order.index(r.value) if r.value in order else len(order))
    return sorted(rows, key=lambda r: (r.value == UNKNOWN, -r.persons, r.value))


async def _composition(
    session: AsyncSession, tenant: TenantRef, on: date
) -> tuple[list[LevelFigure], int, int, list[Breakdown]]:
    """One pass over the territory's active mandates, grouped by level and by every dimension."""
    active = (
        select(
            DirectoryEntry.person_key,
            DirectoryEntry.level,
            DirectoryEntry.status,
            *(column.label(name) for name, column in dimension_columns(on).items()),
        )
        .where(in_territory(tenant), active_on(on))
        .cte("active")
    )
    level = active.c.level
    dims = [active.c[name] for name in DIMENSIONS]
    sets = [tuple_(), tuple_(level)]
    for dim in dims:
        sets += [tuple_(dim), tuple_(dim, level)]
    query = select(
        level,
        *dims,
        func.count(),
        func.count(func.distinct(active.c.person_key)),
        func.count().filter(active.c.status == MandateStatus.SUSPENDED),
        func.grouping(level),
        *(func.grouping(dim) for dim in dims),
    ).group_by(func.grouping_sets(*sets))

    figures = {lv: LevelFigure(lv, LEVEL_SHORT[lv], 0, 0, 0) for lv in LEVELS}
    total_mandates = total_persons = 0
    cells: dict[str, dict[str, BreakdownRow]] = {name: {} for name in DIMENSIONS}
    for row in (await session.execute(query)).all():
        level_value, values = row[0], row[1 : 1 + len(dims)]
        mandates, persons, suspended = row[1 + len(dims) : 4 + len(dims)]
        level_grouped, dim_grouped = row[4 + len(dims)], row[5 + len(dims) :]
        dim_index = next((i for i, grouped in enumerate(dim_grouped) if not grouped), None)
        if dim_index is None:
            if level_grouped:
                total_mandates, total_persons = mandates, persons
            elif level_value in figures:
                figures[level_value] = LevelFigure(level_value, LEVEL_SHORT[level_value], mandates, persons, suspended)
            continue
        key, value = list(DIMENSIONS)[dim_index], values[dim_index]
        if value is None:  # the Han and unknown rows of the minorities breakdown
            continue
        cell = cells[key].setdefault(value, BreakdownRow(value, value, {lv: 0 for lv in LEVELS}, 0, 0))
        if level_grouped:
            cell.mandates, cell.persons = mandates, persons
        else:
            cell.by_level[level_value] = mandates
    breakdowns = [Breakdown(key, label, _ordered(key, list(cells[key].values()))) for key, label in DIMENSIONS.items()]
    return list(figures.values()), total_mandates, total_persons, breakdowns


def _change_row(kind: str, label: str, counts: dict[str, int]) -> ChangeRow:
    by_level = {lv: counts.get(lv, 0) for lv in LEVELS}
    return ChangeRow(kind, label, by_level, sum(by_level.values()))


def _ended_label(reason: str, resignation_kind: str | None) -> str:
    label = END_REASONS.get(reason, reason)
    if reason == "resigned" and resignation_kind:
        return f"{label}({RESIGNATION_KINDS.get(resignation_kind, resignation_kind)})"
    return label


async def _changes(session: AsyncSession, tenant: TenantRef, period_from: date, period_to: date) -> Changes:
    ended_rows = await session.execute(
        select(DirectoryEntry.end_reason, DirectoryEntry.resignation_kind, DirectoryEntry.level, func.count())
        .where(in_territory(tenant), DirectoryEntry.ended_on.between(period_from, period_to))
        .group_by(DirectoryEntry.end_reason, DirectoryEntry.resignation_kind, DirectoryEntry.level)
    )
    ended: dict[tuple[str, str | None], dict[str, int]] = {}
    for reason, resignation_kind, level, count in ended_rows.all():
        kind = resignation_kind if reason == "resigned" else None
        ended.setdefault((reason, kind), {})[level] = count
    reason_order = list(END_REASONS)
    kind_order = [None, *RESIGNATION_KINDS]
    ended_list = [
        _change_row(f"ended:{reason}" + (f":{kind}" if kind else ""), _ended_label(reason, kind), counts)
        for (reason, kind), counts in sorted(
            ended.items(),
            key=lambda item: (
                reason_order.index(item[0][0]) if item[0][0] in reason_order else len(reason_order),
                kind_order.index(item[0][1]) if item[0][1] in kind_order else len(kind_order),
            ),
        )
    ]
    ended_total = {lv: sum(row.by_level[lv] for row in ended_list) for lv in LEVELS}

    by_elected = await session.execute(
        select(DirectoryEntry.level, func.count())
        .where(
            in_territory(tenant), DirectoryEntry.by_election, DirectoryEntry.starts_on.between(period_from, period_to)
        )
        .group_by(DirectoryEntry.level)
    )
    return Changes(
        period_from,
        period_to,
        ended_list,
        _change_row("ended", "终止代表资格合计", ended_total),
        _change_row("by_elected", "补选", dict(by_elected.all())),
        _change_row("vacant", "期末空缺", await vacancies(session, tenant, period_to)),
    )


async def vacancies(session: AsyncSession, tenant: TenantRef, on: date) -> dict[str, int]:
    """Per level, in the territory: mandates ended before `on` within a term still running on `on`
    (not by the term's end) that no by-election started by `on` has filled."""
    successor = aliased(DirectoryEntry)
    rows = await session.execute(
        select(DirectoryEntry.level, func.count())
        .where(
            in_territory(tenant),
            DirectoryEntry.ended_on <= on,
            DirectoryEntry.end_reason != "term_ended",
            DirectoryEntry.term_starts_on <= on,
            or_(DirectoryEntry.term_ends_on.is_(None), DirectoryEntry.term_ends_on > on),
            ~exists().where(successor.replaces_mandate_id == DirectoryEntry.mandate_id, successor.starts_on <= on),
        )
        .group_by(DirectoryEntry.level)
    )
    return dict(rows.all())


async def statistics(
    session: AsyncSession,
    tenant: TenantRef,
    on: date | None = None,
    period_from: date | None = None,
    period_to: date | None = None,
) -> Statistics:
    on, period_from, period_to = default_period(on, period_from, period_to)
    levels, total_mandates, total_persons, breakdowns = await _composition(session, tenant, on)
    changes = await _changes(session, tenant, period_from, period_to)
    return Statistics(tenant.code, tenant.name, on, levels, total_mandates, total_persons, breakdowns, changes)


# --- Excel export ----------------------------------------------------------------------------------
EXPORT_HEADERS = ["统计项", "分类", *LEVEL_SHORT.values(), "代表资格合计", "人数"]


def _date_param(params: dict[str, Any], key: str) -> date | None:
    value = params.get(key)
    if not value:
        return None
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise InvalidInput(f"日期“{value}”格式不正确,应为 YYYY-MM-DD", code="invalid_date") from None


def statistics_rows(stats: Statistics) -> list[list[Any]]:
    """The statistics as one table: a section, a category, mandates per level, totals."""
    rows: list[list[Any]] = [
        [f"统计日期 {stats.on.isoformat()}", stats.office_name, *([""] * len(LEVELS)), "", ""],
        [
            "代表总数",
            "在任代表资格",
            *(f.mandates for f in stats.levels),
            stats.total_mandates,
            stats.total_persons,
        ],
        [
            "代表总数",
            "其中暂停执行职务",
            *(f.suspended for f in stats.levels),
            sum(f.suspended for f in stats.levels),
            "",
        ],
        ["代表总数", "各级人数", *(f.persons for f in stats.levels), "", stats.total_persons],
    ]
    for breakdown in stats.breakdowns:
        for row in breakdown.rows:
            rows.append([breakdown.label, row.label, *row.by_level.values(), row.mandates, row.persons])
    changes = stats.changes
    section = f"变动情况 {changes.period_from.isoformat()} 至 {changes.period_to.isoformat()}"
    for change in (*changes.ended, changes.ended_total, changes.by_elected, changes.vacant):
        rows.append([section, change.label, *change.by_level.values(), change.total, ""])
    return rows


async def export_rows(session: AsyncSession, params: dict[str, Any]) -> AsyncIterator[list[Any]]:
    """Rows of the `register_statistics` export; the worker's session is the requesting office's."""
    from renda.tenants.scoping import load_tenant

    tenant = await load_tenant(session.info["tenant_code"])
    stats = await statistics(
        session, tenant, _date_param(params, "on"), _date_param(params, "from"), _date_param(params, "to")
    )
    for row in statistics_rows(stats):
        yield row


def register_exports() -> None:
    from renda.modules.exports.service import ExportKind, register_export

    register_export(ExportKind("register_statistics", "代表构成统计", EXPORT_HEADERS, export_rows, "deputies.read"))
