"""The rollup engine: every office's own figures, and totals up the hierarchy.

An office's *own* figures come from its own data (and, for the register, the mandates organised
in it); its *total* is its own figures plus its children's totals, so a city's total covers its
counties and their townships. Two paths write them and give the same rows:

- incremental: a change marks its offices stale (`mark_stale`, one pending row and one message
  per burst: the debounce); `refresh_office` recomputes that office's own figures for the running
  periods and then the totals of it and each ancestor, bottom-up, each under the office's lock;
- full: `recompute_all` recomputes every office's own figures and every total (as the sum over
  the office's subtree) in one transaction, every night and on demand.

Locks: the full recompute holds an exclusive lock, refreshes hold it shared; refreshes lock the
offices they write in child-before-parent order, so two refreshes never wait on each other in a
cycle, and the later one reads what the earlier committed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Sequence
from datetime import date, timedelta

from sqlalchemy import BigInteger, and_, cast, delete, func, literal, or_, select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from renda.core.db import get_database, utcnow
from renda.core.timezone import local_today
from renda.modules.rollups.models import RollupFigure, RollupPending, Scope
from renda.modules.rollups.periods import Period, current
from renda.modules.rollups.registry import Figure, PlatformMetric, TenantMetric, metrics
from renda.tenants.models import Tenant
from renda.tenants.scoping import TenantRef, tenant_session
from renda.workers.outbox import enqueue_later

DEBOUNCE = timedelta(seconds=2)
LOCK_CLASS = 7301  # advisory lock keys (class, office code); (class, 0) is the full recompute's
WORKER_ACTOR = "system:worker:统计汇总"
TENANT_METRIC_CONCURRENCY = 8

Computed = dict[tuple[str, str, str], list[Figure]]  # (office, metric, period) → figures


async def mark_stale(session: AsyncSession, codes: Iterable[str]) -> None:
    """In the writer's transaction: these offices' figures are stale. Each gets one refresh message
    (sent `DEBOUNCE` after the commit) however many changes arrive before that refresh starts."""
    from renda.modules.rollups.tasks import refresh_office

    codes = sorted({code for code in codes if code})
    if not codes:
        return
    inserted = await session.execute(
        insert(RollupPending)
        .values([{"office_code": code, "requested_at": utcnow()} for code in codes])
        .on_conflict_do_nothing()
        .returning(RollupPending.office_code)
    )
    for code in inserted.scalars().all():
        enqueue_later(session, DEBOUNCE, refresh_office, code).tenant_code = code


async def _lock(session: AsyncSession, key: int, *, shared: bool = False) -> None:
    function = "pg_advisory_xact_lock_shared" if shared else "pg_advisory_xact_lock"
    await session.execute(text(f"SELECT {function}(:cls, :key)"), {"cls": LOCK_CLASS, "key": key})


# --- computing own figures ---------------------------------------------------------------------
async def _tenant_figures(
    offices: Sequence[TenantRef], periods: Sequence[Period], today: date, tenant_metrics: list[TenantMetric]
) -> Computed:
    found: Computed = {}
    gate = asyncio.Semaphore(TENANT_METRIC_CONCURRENCY)

    async def one(office: TenantRef) -> None:
        async with gate, tenant_session(office, actor=WORKER_ACTOR, read_only=True) as session:
            for metric in tenant_metrics:
                for period in periods:
                    found[office.code, metric.key, period.key] = await metric.compute(session, period, today)

    await asyncio.gather(*(one(office) for office in offices))
    return found


async def own_figures(
    session: AsyncSession, offices: Sequence[TenantRef], periods: Sequence[Period], today: date
) -> Computed:
    """Every registered metric for these offices and periods."""
    found: Computed = {}
    codes = [office.code for office in offices]
    registered = list(metrics().values())
    for metric in registered:
        if isinstance(metric, PlatformMetric):
            for period in periods:
                for code, figures in (await metric.compute(session, codes, period, today)).items():
                    found[code, metric.key, period.key] = figures
    tenant_metrics = [m for m in registered if isinstance(m, TenantMetric)]
    if tenant_metrics:
        found |= await _tenant_figures(offices, periods, today, tenant_metrics)
    return found


def _rows(computed: Computed) -> list[dict[str, object]]:
    return [
        {
            "office_code": office,
            "metric": metric,
            "period": period,
            "scope": Scope.OWN,
            "dimension": figure.dimension,
            "member": figure.member,
            "value": figure.value,
        }
        for (office, metric, period), figures in computed.items()
        for figure in figures
        if figure.value  # a missing row reads as 0; leaving zeros out keeps both paths identical
    ]


async def _write_own(session: AsyncSession, codes: Sequence[str], keys: Sequence[str], computed: Computed) -> None:
    await session.execute(
        delete(RollupFigure).where(
            RollupFigure.office_code.in_(codes), RollupFigure.period.in_(keys), RollupFigure.scope == Scope.OWN
        )
    )
    rows = _rows(computed)
    if rows:
        now = (await session.execute(select(func.now()))).scalar_one()
        await session.execute(insert(RollupFigure), [{**row, "computed_at": now} for row in rows])


# --- the incremental path ----------------------------------------------------------------------
async def _chain(session: AsyncSession, code: str) -> list[Tenant]:
    """The office and its ancestors, the office first."""
    office = (await session.execute(select(Tenant).where(Tenant.code == code))).scalar_one_or_none()
    if office is None:
        return []
    codes = office.path.split("/")
    rows = (await session.execute(select(Tenant).where(Tenant.code.in_(codes)))).scalars().all()
    return sorted(rows, key=lambda t: -t.path.count("/"))


async def _write_total(session: AsyncSession, office: Tenant, keys: Sequence[str]) -> None:
    await session.execute(
        delete(RollupFigure).where(
            RollupFigure.office_code == office.code, RollupFigure.period.in_(keys), RollupFigure.scope == Scope.TOTAL
        )
    )
    children = select(Tenant.code).where(Tenant.parent_id == office.id)
    figure = RollupFigure
    source = (
        select(
            literal(office.code),
            figure.metric,
            figure.period,
            literal(Scope.TOTAL),
            figure.dimension,
            figure.member,
            cast(func.sum(figure.value), BigInteger),
            func.now(),
        )
        .where(
            figure.period.in_(keys),
            or_(
                and_(figure.office_code == office.code, figure.scope == Scope.OWN),
                and_(figure.office_code.in_(children), figure.scope == Scope.TOTAL),
            ),
        )
        .group_by(figure.metric, figure.period, figure.dimension, figure.member)
    )
    columns = ["office_code", "metric", "period", "scope", "dimension", "member", "value", "computed_at"]
    await session.execute(insert(RollupFigure).from_select(columns, source))


async def refresh_office(code: str, today: date | None = None) -> bool:
    """Recompute the office's own figures for the running periods and the totals above it.
    Returns False when the office no longer exists."""
    today = today or local_today()
    periods = current(today)
    keys = [p.key for p in periods]
    async with get_database().platform_session() as session:
        await _lock(session, 0, shared=True)
        # Taken first: a change committed after this reads as stale again and gets its own refresh.
        await session.execute(delete(RollupPending).where(RollupPending.office_code == code))
        chain = await _chain(session, code)
        if not chain:
            await session.commit()
            return False
        for office in chain:
            await _lock(session, int(office.code))
            if office is chain[0]:
                computed = await own_figures(session, [TenantRef.of(office)], periods, today)
                await _write_own(session, [office.code], keys, computed)
            await _write_total(session, office, keys)
        await session.commit()
    return True


# --- the full recompute --------------------------------------------------------------------------
TOTALS_BY_SUBTREE = text(
    """
    INSERT INTO platform.rollup_figures (office_code, metric, period, scope, dimension, member, value, computed_at)
    SELECT ancestor.code, f.metric, f.period, :total, f.dimension, f.member, sum(f.value)::bigint, now()
    FROM platform.rollup_figures AS f
    JOIN platform.tenants AS office ON office.code = f.office_code
    JOIN platform.tenants AS ancestor
      ON office.path = ancestor.path OR office.path LIKE ancestor.path || '/%'
    WHERE f.scope = :own AND f.period = ANY(:keys)
    GROUP BY ancestor.code, f.metric, f.period, f.dimension, f.member
    """
)


async def recompute_all(periods: Sequence[Period] | None = None, today: date | None = None) -> int:
    """Every office's figures for `periods` (default: the running ones), from scratch, in one
    transaction. Returns the number of figures written."""
    today = today or local_today()
    periods = list(periods or current(today))
    keys = [p.key for p in periods]
    async with get_database().platform_session() as session:
        await _lock(session, 0)
        offices = [TenantRef.of(t) for t in (await session.execute(select(Tenant))).scalars().all()]
        computed = await own_figures(session, offices, periods, today)
        await session.execute(delete(RollupFigure).where(RollupFigure.period.in_(keys)))
        rows = _rows(computed)
        if rows:
            now = (await session.execute(select(func.now()))).scalar_one()
            connection = await (await session.connection()).get_raw_connection()
            await connection.driver_connection.copy_records_to_table(
                "rollup_figures",
                schema_name="platform",
                columns=[*rows[0], "computed_at"],
                records=[(*row.values(), now) for row in rows],
            )
        written = await session.execute(TOTALS_BY_SUBTREE, {"total": Scope.TOTAL, "own": Scope.OWN, "keys": keys})
        await session.commit()
    return len(rows) + (written.rowcount or 0)
