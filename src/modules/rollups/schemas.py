"""What the dashboard and the reports API return."""

from __future__ import annotations

from datetime import datetime

import msgspec


class Bar(msgspec.Struct):
    key: str
    label: str
    value: int
    percent: float  # of the breakdown's total, for tables and bar widths


class Breakdown(msgspec.Struct):
    metric: str
    dimension: str
    label: str
    total: int
    rows: list[Bar]


class MetricSummary(msgspec.Struct):
    key: str
    label: str
    unit: str
    description: str
    # The office's total in the period, and of it what the office's own data gives (the rest comes
    # from the offices beneath). A ratio is a float, None where its denominator is zero. Typed `float`
    # (a count is sent as the int it is): `int | float` documents an integer as matching both.
    value: float | None
    own: float | None


class OfficeRow(msgspec.Struct):
    code: str
    name: str
    level: str
    has_children: bool
    values: dict[str, float | None]  # metric → total (a count or a ratio)
    by_level: dict[str, int]  # deputies in office per level
    computed_at: datetime | None


class TrendPoint(msgspec.Struct):
    period: str
    label: str
    value: float | None  # None: never computed for that period (or a ratio of nothing)


class Dashboard(msgspec.Struct):
    office_code: str
    office_name: str
    office_level: str
    period: str
    period_label: str
    computed_at: datetime | None  # when the figures shown were computed
    metrics: list[MetricSummary]
    levels: Breakdown
    composition: list[Breakdown]
    changes: list[Breakdown]
    offices: list[OfficeRow]
    trend_metric: str
    trend_kind: str
    trend: list[TrendPoint]


class MetricInfo(msgspec.Struct):
    key: str
    label: str
    unit: str
    description: str
    dimensions: dict[str, str]


class FigureRow(msgspec.Struct):
    office_code: str
    period: str
    scope: str
    metric: str
    dimension: str
    member: str
    value: int
    computed_at: datetime


class ComparisonColumn(msgspec.Struct):
    key: str  # a metric key, or "level.<level>" for the deputies of one level
    label: str
    unit: str
    group: str  # the heading the column is chosen under


class ComparisonRow(msgspec.Struct):
    code: str
    name: str
    has_children: bool
    values: list[float | None]  # in the order of the columns
    computed_at: datetime | None


class Comparison(msgspec.Struct):
    """The offices beneath side by side: the chosen columns, sorted by one of them (or by office)."""

    columns: list[ComparisonColumn]
    available: list[ComparisonColumn]
    rows: list[ComparisonRow]
    sort: str  # "office" or a column key
    order: str  # "asc" | "desc"
