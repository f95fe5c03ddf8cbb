"""The offices directly beneath an office with a few of their figures for one period, in one statement:
what the workbench of a viewer or of a city office compares (下级机关), the ones falling behind first."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import and_, select
from sqlalchemy.ext.asyncio import AsyncSession

from renda.core.db import read_rows
from renda.modules.rollups.models import RollupFigure, Scope
from renda.modules.rollups.periods import Period
from renda.modules.rollups.registry import RatioMetric, metrics
from renda.tenants.models import Tenant
from renda.tenants.scoping import TenantRef


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    unit: str


@dataclass(frozen=True)
class OfficeFigures:
    code: str
    name: str
    values: dict[str, int | float | None]  # metric → the office's total of the period (None: no figure)


@dataclass(frozen=True)
class Beneath:
    period: Period
    columns: list[Column]
    offices: list[OfficeFigures]


async def offices_beneath(session: AsyncSession, office: TenantRef, period: Period, keys: Sequence[str]) -> Beneath:
    """`keys`: the metrics to show, ratios included (derived from their two stored figures). The
    offices come in code order; the caller decides which fall behind."""
    registered = metrics()
    chosen = [registered[key] for key in keys]
    stored = sorted(
        {m.numerator for m in chosen if isinstance(m, RatioMetric)}
        | {m.denominator for m in chosen if isinstance(m, RatioMetric)}
        | {m.key for m in chosen if not isinstance(m, RatioMetric)}
    )
    query = (
        select(Tenant.code, Tenant.name, RollupFigure.metric, RollupFigure.value)
        .outerjoin(
            RollupFigure,
            and_(
                RollupFigure.office_code == Tenant.code,
                RollupFigure.period == period.key,
                RollupFigure.scope == Scope.TOTAL,
                RollupFigure.dimension == "",
                RollupFigure.metric.in_(stored),
            ),
        )
        .where(Tenant.parent_id == office.id)
        .order_by(Tenant.code)
    )
    names: dict[str, str] = {}
    found: dict[str, dict[str, int]] = {}
    for row in await read_rows(session, query):
        names[row.code] = row.name
        if row.metric is not None:
            found.setdefault(row.code, {})[row.metric] = row.value
    offices = []
    for code, name in names.items():
        own = found.get(code, {})
        values: dict[str, int | float | None] = {
            m.key: m.of(own.get(m.numerator), own.get(m.denominator)) if isinstance(m, RatioMetric) else own.get(m.key)
            for m in chosen
        }
        offices.append(OfficeFigures(code, name, values))
    return Beneath(period, [Column(m.key, m.label, m.unit) for m in chosen], offices)
