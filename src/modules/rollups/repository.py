"""Reading figures; an office reads its own and those of the offices beneath it."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from renda.modules.rollups.models import RollupFigure, Scope
from renda.tenants.models import Tenant

# (office, period, metric, dimension, member) → value
Values = dict[tuple[str, str, str, str, str], int]


async def values(
    session: AsyncSession, codes: Sequence[str], keys: Sequence[str], *, metric: Sequence[str] | None = None
) -> Values:
    query = select(
        RollupFigure.office_code,
        RollupFigure.period,
        RollupFigure.metric,
        RollupFigure.dimension,
        RollupFigure.member,
        RollupFigure.value,
    ).where(RollupFigure.office_code.in_(codes), RollupFigure.period.in_(keys), RollupFigure.scope == Scope.TOTAL)
    if metric:
        query = query.where(RollupFigure.metric.in_(metric))
    return {tuple(row[:5]): row[5] for row in (await session.execute(query)).all()}  # type: ignore[misc]


async def own_overall(session: AsyncSession, code: str, key: str) -> dict[str, int]:
    """metric → the office's own overall figure."""
    rows = await session.execute(
        select(RollupFigure.metric, RollupFigure.value).where(
            RollupFigure.office_code == code,
            RollupFigure.period == key,
            RollupFigure.scope == Scope.OWN,
            RollupFigure.dimension == "",
        )
    )
    return dict(rows.all())  # type: ignore[arg-type]


async def computed_at(session: AsyncSession, codes: Sequence[str], key: str) -> dict[str, datetime]:
    rows = await session.execute(
        select(RollupFigure.office_code, func.max(RollupFigure.computed_at))
        .where(RollupFigure.office_code.in_(codes), RollupFigure.period == key, RollupFigure.scope == Scope.TOTAL)
        .group_by(RollupFigure.office_code)
    )
    return dict(rows.all())  # type: ignore[arg-type]


async def children(session: AsyncSession, office_id: object) -> list[tuple[Tenant, bool]]:
    """The offices directly beneath, each with whether it has offices beneath it."""
    rows = (await session.execute(select(Tenant).where(Tenant.parent_id == office_id).order_by(Tenant.code))).scalars()
    found = list(rows)
    if not found:
        return []
    parents = set(
        (await session.execute(select(Tenant.parent_id).where(Tenant.parent_id.in_([t.id for t in found])))).scalars()
    )
    return [(t, t.id in parents) for t in found]


async def figure_rows(
    session: AsyncSession, codes: Sequence[str], keys: Sequence[str], metric: str | None, scope: str | None
) -> list[RollupFigure]:
    query = select(RollupFigure).where(RollupFigure.office_code.in_(codes), RollupFigure.period.in_(keys))
    if metric:
        query = query.where(RollupFigure.metric == metric)
    if scope:
        query = query.where(RollupFigure.scope == scope)
    query = query.order_by(
        RollupFigure.office_code,
        RollupFigure.period,
        RollupFigure.metric,
        RollupFigure.scope,
        RollupFigure.dimension,
        RollupFigure.member,
    )
    return list((await session.execute(query)).scalars())
