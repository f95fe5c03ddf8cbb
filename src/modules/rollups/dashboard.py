"""The reports dashboard of an office: its figures, its offices beneath, and trends."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from renda.core.errors import InvalidInput
from renda.core.timezone import local_today, to_local
from renda.modules.rollups import repository
from renda.modules.rollups.periods import KINDS, Period, containing, parse, series
from renda.modules.rollups.registry import Dimension, Metric, RatioMetric, metrics
from renda.modules.rollups.schemas import (
    Bar,
    Breakdown,
    Comparison,
    ComparisonColumn,
    ComparisonRow,
    Dashboard,
    MetricInfo,
    MetricSummary,
    OfficeRow,
    TrendPoint,
)
from renda.tenants.scoping import TenantRef

DEPUTIES = "register.deputies"
CHANGE_METRICS = ("register.ended", "register.by_elected")
TREND_POINTS = {"month": 12, "quarter": 8, "year": 5}


def period_of(key: str | None, today: date | None = None) -> Period:
    """The period asked for, by default the running year."""
    return parse(key) if key else containing("year", today or local_today())


def metric_of(key: str) -> Metric:
    found = metrics().get(key)
    if found is None:
        raise InvalidInput(f"没有名为“{key}”的统计指标", code="unknown_metric")
    return found


def catalogue() -> list[MetricInfo]:
    return [
        MetricInfo(m.key, m.label, m.unit, m.description, {d.key: d.label for d in m.dimensions})
        for m in metrics().values()
    ]


def overall(values: repository.Values, code: str, key: str, metric: Metric) -> int | float | None:
    """A metric's overall figure for one office and period: stored, or derived for a ratio."""
    if isinstance(metric, RatioMetric):
        return metric.of(
            values.get((code, key, metric.numerator, "", "")), values.get((code, key, metric.denominator, "", ""))
        )
    return values.get((code, key, metric.key, "", ""), 0)


def own_overall(own: dict[str, int], metric: Metric) -> int | float | None:
    if isinstance(metric, RatioMetric):
        return metric.of(own.get(metric.numerator), own.get(metric.denominator))
    return own.get(metric.key, 0)


def breakdown(values: repository.Values, code: str, key: str, metric: Metric, dimension: Dimension) -> Breakdown:
    found = {
        member: value
        for (office, period, name, dim, member), value in values.items()
        if (office, period, name, dim) == (code, key, metric.key, dimension.key)
    }
    # Known members in their order, zeros included; others after, the largest first.
    order = list(dimension.member_labels) + sorted(set(found) - set(dimension.member_labels), key=lambda m: -found[m])
    total = values.get((code, key, metric.key, "", ""), 0)
    rows = [
        Bar(
            member,
            dimension.member_labels.get(member, member),
            found.get(member, 0),
            _percent(found.get(member, 0), total),
        )
        for member in order
    ]
    return Breakdown(metric.key, dimension.key, dimension.label, total, rows)


def _percent(part: int, whole: int) -> float:
    return round(100 * part / whole, 1) if whole else 0.0


async def trend(
    session: AsyncSession,
    office: TenantRef,
    metric: Metric,
    kind: str,
    until: Period,
    dimension: str = "",
    member: str = "",
) -> list[TrendPoint]:
    if kind not in KINDS:
        raise InvalidInput(f"不支持的趋势期间类型“{kind}”,应为 month、quarter 或 year", code="invalid_period_kind")
    periods = series(containing(kind, min(until.end, local_today())), TREND_POINTS[kind])
    keys = [p.key for p in periods]
    if isinstance(metric, RatioMetric):  # a ratio's trend is derived period by period, overall only
        values = await repository.values(session, [office.code], keys, metric=[metric.numerator, metric.denominator])
        return [TrendPoint(p.key, p.label, overall(values, office.code, p.key, metric)) for p in periods]
    values = await repository.values(session, [office.code], keys, metric=[metric.key])
    return [
        TrendPoint(p.key, p.label, values.get((office.code, p.key, metric.key, dimension, member))) for p in periods
    ]


def level_labels() -> dict[str, str]:
    """The five levels of deputies (key → short label), as the register's deputies metric breaks them down."""
    level = metric_of(DEPUTIES).dimension("level")
    return dict(level.member_labels) if level else {}


async def dashboard(
    session: AsyncSession, office: TenantRef, period: Period, trend_metric: str = DEPUTIES, trend_kind: str = "month"
) -> Dashboard:
    registered = metrics()
    children = await repository.children(session, office.id)
    codes = [office.code, *(child.code for child, _ in children)]
    values = await repository.values(session, codes, [period.key])
    own = await repository.own_overall(session, office.code, period.key)
    stamps = await repository.computed_at(session, codes, period.key)
    deputies = registered[DEPUTIES]
    level = deputies.dimension("level")
    assert level is not None
    levels_of = {
        code: {m: values.get((code, period.key, DEPUTIES, "level", m), 0) for m in level.member_labels}
        for code in codes
    }
    return Dashboard(
        office_code=office.code,
        office_name=office.name,
        office_level=office.level,
        period=period.key,
        period_label=period.label,
        computed_at=stamps.get(office.code),
        metrics=[
            MetricSummary(
                m.key,
                m.label,
                m.unit,
                m.description,
                overall(values, office.code, period.key, m),
                own_overall(own, m),
            )
            for m in registered.values()
        ],
        levels=breakdown(values, office.code, period.key, deputies, level),
        composition=[breakdown(values, office.code, period.key, deputies, d) for d in deputies.dimensions[1:]],
        changes=[
            breakdown(values, office.code, period.key, registered[key], dim)
            for key in CHANGE_METRICS
            if key in registered
            for dim in registered[key].dimensions
        ],
        offices=[
            OfficeRow(
                child.code,
                child.name,
                child.level,
                has_children,
                {key: overall(values, child.code, period.key, m) for key, m in registered.items()},
                levels_of[child.code],
                stamps.get(child.code),
            )
            for child, has_children in children
        ],
        trend_metric=trend_metric,
        trend_kind=trend_kind,
        trend=await trend(session, office, metric_of(trend_metric), trend_kind, period),
    )


# --- the offices-beneath comparison -----------------------------------------------------------------
# Key figures a clerk compares first; the rest are a tick away. Keys no longer registered are skipped.
DEFAULT_COLUMNS = (
    DEPUTIES,
    "contacts.coverage",
    "opinions.received",
    "opinions.overdue",
    "suggestions.on_time_rate",
    "receptions.held",
    "duty.participation_rate",
)
LEVEL_PREFIX = "level."
GROUPS = {
    "register": "代表名册",
    "contacts": "联系代表",
    "opinions": "群众意见",
    "suggestions": "代表建议",
    "receptions": "接待选民",
    "duty": "履职管理",
}


def comparison_columns() -> list[ComparisonColumn]:
    """Every column the comparison can show: deputies per level, then each registered metric."""
    columns = [
        ComparisonColumn(LEVEL_PREFIX + key, f"{label}代表", "人", "各级代表") for key, label in level_labels().items()
    ]
    for m in metrics().values():
        prefix = m.key.split(".", 1)[0]
        columns.append(ComparisonColumn(m.key, m.label, m.unit, GROUPS.get(prefix, "其他")))
    return columns


def _cell(row: OfficeRow, key: str) -> float | None:
    if key.startswith(LEVEL_PREFIX):
        return row.by_level.get(key.removeprefix(LEVEL_PREFIX))
    return row.values.get(key)


def comparison(rows: list[OfficeRow], chosen: list[str] | None, sort: str | None, order: str | None) -> Comparison:
    """The chosen columns (unknown keys dropped, none left: the defaults) of the offices beneath,
    sorted by a shown column or by office (division code). Offices without a figure sort last."""
    available = comparison_columns()
    by_key = {c.key: c for c in available}
    keys = list(dict.fromkeys(k for k in chosen or () if k in by_key)) or [k for k in DEFAULT_COLUMNS if k in by_key]
    columns = [by_key[k] for k in keys]
    sort = sort if sort in keys else "office"
    order = order if order in ("asc", "desc") else ("asc" if sort == "office" else "desc")
    table = [ComparisonRow(r.code, r.name, r.has_children, [_cell(r, k) for k in keys], r.computed_at) for r in rows]
    table.sort(key=lambda r: r.code, reverse=sort == "office" and order == "desc")
    if sort != "office":
        at = keys.index(sort)
        known = [r for r in table if r.values[at] is not None]
        # Python's sort is stable also when reversed: ties keep the code order.
        known.sort(key=lambda r: r.values[at] or 0, reverse=order == "desc")
        table = known + [r for r in table if r.values[at] is None]
    return Comparison(columns, available, table, sort, order)


# --- Excel export ----------------------------------------------------------------------------------
EXPORT_HEADERS = ["机关", "行政区划代码", "统计期间", "指标", "单位", "分组方式", "分组", "数值", "计算时间"]


async def export_rows(session: AsyncSession, params: dict[str, Any]) -> AsyncIterator[list[Any]]:
    """The office's figures and those of every office directly beneath it, one figure per row."""
    from renda.core.db import get_database
    from renda.tenants.scoping import load_tenant

    office = await load_tenant(session.info["tenant_code"])
    period = period_of(params.get("period"))
    registered = metrics()
    async with get_database().platform_session() as platform:
        children = await repository.children(platform, office.id)
        offices = [(office.code, office.name), *((c.code, c.name) for c, _ in children)]
        rows = await repository.figure_rows(platform, [code for code, _ in offices], [period.key], None, "total")
    names = dict(offices)
    ratios = [m for m in registered.values() if isinstance(m, RatioMetric)]
    for row in sorted(rows, key=lambda r: ([c for c, _ in offices].index(r.office_code), r.metric, r.dimension)):
        metric = registered.get(row.metric)
        dimension = metric.dimension(row.dimension) if metric else None
        yield [
            names[row.office_code],
            row.office_code,
            period.label,
            metric.label if metric else row.metric,
            metric.unit if metric else "",
            dimension.label if dimension else ("合计" if not row.dimension else row.dimension),
            dimension.member_labels.get(row.member, row.member) if dimension else row.member,
            row.value,
            to_local(row.computed_at).strftime("%Y-%m-%d %H:%M"),
        ]
    if ratios:  # derived, so after the stored figures, one row per office and ratio
        values = {(r.office_code, r.period, r.metric, r.dimension, r.member): r.value for r in rows}
        for code, name in offices:
            for ratio in ratios:
                value = overall(values, code, period.key, ratio)
                yield [name, code, period.label, ratio.label, ratio.unit, "合计", "", value, ""]


def register_exports() -> None:
    from renda.modules.exports.service import ExportKind, register_export

    register_export(ExportKind("rollup_report", "统计汇总报表", EXPORT_HEADERS, export_rows, "reports.read"))
