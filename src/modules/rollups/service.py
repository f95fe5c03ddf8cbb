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
import functools
from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from datetime import date, datetime, timedelta

from sqlalchemy import (
    BigInteger,
    DateTime,
    case,
    cast,
    delete,
    event,
    func,
    literal,
    or_,
    select,
    text,
)
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import TextClause

from renda.core.db import copy_records, get_database, utcnow
from renda.core.timezone import local_today
from renda.modules.rollups.beneath import Beneath, OfficeFigures, offices_beneath  # noqa: F401
from renda.modules.rollups.counting import Office, Periods, TenantRows, figures_statement, local_start  # noqa: F401
from renda.modules.rollups.models import RollupFigure, RollupPending, Scope
from renda.modules.rollups.periods import Period, containing, current, parse  # noqa: F401
from renda.modules.rollups.registry import (  # noqa: F401
    Dimension,
    Figure,
    Metric,
    PlatformMetric,
    RatioMetric,
    TenantMetric,
    computed_metrics,
    register_metric,
    watched_tables,
)
from renda.tenants.models import Tenant
from renda.tenants.scoping import TenantRef, tenant_session
from renda.workers.outbox import enqueue, enqueue_later

DEBOUNCE = timedelta(seconds=2)
LOCK_CLASS = 7301  # advisory lock keys (class, office code); (class, 0) is the full recompute's
WORKER_ACTOR = "system:worker:统计汇总"
TENANT_METRIC_CONCURRENCY = 8

Computed = dict[tuple[str, str, str], list[Figure]]  # (office, metric, period) → figures
Record = tuple[str, str, str, str, str, str, int]  # a row of rollup_figures but its computed_at
COLUMNS = ["office_code", "metric", "period", "scope", "dimension", "member", "value", "computed_at"]


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


async def resend_stale(older_than: timedelta) -> list[str]:
    """Send the refresh again for offices stale for longer than `older_than`: their message was
    lost (a broker that lost its queue), and the pending row would otherwise keep any new one from
    being sent. A spare refresh is harmless."""
    from renda.modules.rollups.tasks import refresh_office

    async with get_database().platform_session() as session:
        codes = list(
            (
                await session.execute(
                    select(RollupPending.office_code).where(RollupPending.requested_at < utcnow() - older_than)
                )
            ).scalars()
        )
        for code in codes:
            enqueue(session, refresh_office, code).tenant_code = code
        await session.commit()
    return codes


# --- tenant metrics' watched tables --------------------------------------------------------------
def _note_watched_writes(session: Session, _context: object) -> None:
    watched = watched_tables()
    if watched and session.info.get("tenant_code") and not session.info.get("rollups_stale"):
        written = {getattr(o, "__tablename__", None) for o in (*session.new, *session.dirty, *session.deleted)}
        if not watched.isdisjoint(written):
            session.info["rollups_stale"] = True


def _mark_stale_on_commit(session: Session) -> None:
    """The synchronous twin of `mark_stale`, for a tenant session that wrote a watched table."""
    from renda.modules.rollups.tasks import refresh_office

    if not session.info.pop("rollups_stale", False):
        return
    code = session.info["tenant_code"]
    inserted = session.connection().execute(
        insert(RollupPending)
        .values(office_code=code, requested_at=utcnow())
        .on_conflict_do_nothing()
        .returning(RollupPending.office_code)
    )
    if inserted.first() is not None:
        enqueue_later(session, DEBOUNCE, refresh_office, code)


def install_rollup_watch() -> None:
    """Writes to a table a `TenantMetric` watches make the office's figures stale.

    The metric modules are imported here, not at the first flush: importing them then would import
    models that add their own Session listeners while SQLAlchemy iterates the flush's listeners."""
    watched_tables()
    if not event.contains(Session, "after_flush", _note_watched_writes):
        event.listen(Session, "after_flush", _note_watched_writes)
        # First, so the outbox's own before-commit hook sees the message and wakes the relays.
        event.listen(Session, "before_commit", _mark_stale_on_commit, insert=True)


async def _lock(session: AsyncSession, key: int, *, shared: bool = False) -> None:
    function = "pg_advisory_xact_lock_shared" if shared else "pg_advisory_xact_lock"
    await session.execute(text(f"SELECT {function}(:cls, :key)"), {"cls": LOCK_CLASS, "key": key})


# --- computing own figures ---------------------------------------------------------------------
async def _tenant_figures(
    offices: Sequence[TenantRef],
    periods: Sequence[Period],
    today: date,
    tenant_metrics: list[TenantMetric],
    on_office: Callable[[str, Computed], None] | None = None,
) -> Computed:
    """The offices' own figures of these metrics, each office's handed to `on_office` as soon as it is
    complete (its zero overall figures included)."""
    found: Computed = {}
    gate = asyncio.Semaphore(TENANT_METRIC_CONCURRENCY)
    watched = sorted({table for metric in tenant_metrics for table in metric.watches})
    parameters = Periods.parameters(periods, today)

    async def one(office: TenantRef) -> None:
        mine: Computed = {}
        async with gate, tenant_session(office, actor=WORKER_ACTOR, read_only=True) as session:
            written = await _written_tables(session, tuple(watched))
            # Over tables without rows a metric is zero: not computed (the engine adds the zero overall figure).
            due = [m for m in tenant_metrics if not m.watches or not written.isdisjoint(m.watches)]
            counted = [m for m in due if m.rows is not None]
            if counted:  # every period of every such metric in one statement
                statement = figures_statement(counted, office.level)
                rows = await session.execute(statement.statement, {**parameters, "office_code": office.code})
                for metric, period, dimension, member, value in statement.figures(rows):
                    mine.setdefault((office.code, metric, period), []).append(Figure(value, dimension, member))
            for metric in due:
                if metric.compute is None:
                    continue
                on_day: dict[date, list[Figure]] = {}  # a stock is the same for periods read on one day
                for period in periods:
                    day = period.as_of(today)
                    if not metric.stock or day not in on_day:
                        on_day[day] = await metric.compute(session, period, today)
                    mine[office.code, metric.key, period.key] = list(on_day[day])
        _with_zero_overall(mine, [office.code], tenant_metrics, periods)
        found.update(mine)
        if on_office is not None:
            on_office(office.code, mine)

    await asyncio.gather(*(one(office) for office in offices))
    return found


async def _written_tables(session: AsyncSession, names: tuple[str, ...]) -> set[str]:
    """Which of these tenant tables may hold rows, in one query: those that ever held one (a table's
    file stays empty until a row is written, and vacuum empties it again once every row is gone).
    Most offices have nothing yet in most modules' tables, and a metric over tables without rows is
    zero, so the metrics over the others are not computed (a metric's watched tables are the
    tables it counts: see the registry). It asks the catalog, not the tables: planning a scan of
    each table, with its indexes, costs far more."""
    if not names:
        return set()
    return set((await session.execute(_written_query(session.info["tenant_schema"]), {"names": list(names)})).scalars())


@functools.lru_cache(maxsize=4096)
def _written_query(schema: str) -> TextClause:
    # The schema is in the text (not a parameter), where the guard of an office's job sees it.
    return text(
        "SELECT name FROM unnest(CAST(:names AS text[])) AS name"
        f" WHERE pg_relation_size(CAST('{schema}.' || quote_ident(name) AS regclass)) > 0"
    )


def _with_zero_overall(
    found: Computed, codes: Sequence[str], metrics: Sequence[Metric], periods: Sequence[Period]
) -> None:
    """Every office gets each metric's overall figure, zero included: it dates the computation."""
    overall = {key for key, figures in found.items() for f in figures if not f.dimension}
    for code in codes:
        for metric in metrics:
            for period in periods:
                key = (code, metric.key, period.key)
                if key not in overall:
                    found.setdefault(key, []).append(Figure(0))


async def own_figures(
    session: AsyncSession,
    offices: Sequence[TenantRef],
    periods: Sequence[Period],
    today: date,
    on_office: Callable[[str, Computed], None] | None = None,
) -> Computed:
    """Every registered metric for these offices and periods; `on_office` gets each office's figures
    of the metrics counted in its schema as soon as they are complete."""
    codes = [office.code for office in offices]
    registered = computed_metrics()

    async def platform_figures() -> Computed:
        found: Computed = {}
        for metric in registered:
            if isinstance(metric, PlatformMetric):
                by_day: dict[date, dict[str, list[Figure]]] = {}  # a stock is the same for periods read on one day
                for period in periods:
                    day = period.as_of(today)
                    if not metric.stock or day not in by_day:
                        by_day[day] = await metric.compute(session, codes, period, today)
                    for code, figures in by_day[day].items():
                        found[code, metric.key, period.key] = figures
        return found

    async def no_figures() -> Computed:
        return {}

    tenant_metrics = [m for m in registered if isinstance(m, TenantMetric)]
    # The platform's metrics run on this session's connection while the offices' run on others.
    found, of_offices = await asyncio.gather(
        platform_figures(),
        _tenant_figures(offices, periods, today, tenant_metrics, on_office) if tenant_metrics else no_figures(),
    )
    _with_zero_overall(found, codes, [m for m in registered if isinstance(m, PlatformMetric)], periods)
    return found | of_offices


def _rows(computed: Computed, scope: str = Scope.OWN) -> list[dict[str, object]]:
    return [
        {
            "office_code": office,
            "metric": metric,
            "period": period,
            "scope": scope,
            "dimension": figure.dimension,
            "member": figure.member,
            "value": figure.value,
        }
        for (office, metric, period), figures in computed.items()
        for figure in figures
        if figure.value or not figure.dimension  # a missing breakdown row reads as 0
    ]


async def _write_own(session: AsyncSession, codes: Sequence[str], keys: Sequence[str], computed: Computed) -> None:
    await session.execute(
        delete(RollupFigure).where(
            RollupFigure.office_code.in_(codes), RollupFigure.period.in_(keys), RollupFigure.scope == Scope.OWN
        )
    )
    rows = _rows(computed)
    if rows:
        now = utcnow()
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
    # The office's own figures and its children's totals, found by the figures' key (its first column
    # is the office): the office and its children are a handful of the figures' offices.
    offices = select(Tenant.code).where(or_(Tenant.id == office.id, Tenant.parent_id == office.id))
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
            literal(utcnow(), DateTime(timezone=True)),
        )
        .where(
            figure.office_code.in_(offices),
            figure.period.in_(keys),
            figure.scope == case((figure.office_code == office.code, Scope.OWN), else_=Scope.TOTAL),
        )
        .group_by(figure.metric, figure.period, figure.dimension, figure.member)
    )
    await session.execute(insert(RollupFigure).from_select(COLUMNS, source))


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
def _own_records(computed: Computed) -> list[Record]:
    """The offices' own figures as rows; a breakdown figure of 0 is left out (a missing one reads as 0)."""
    return [
        (office, metric, period, Scope.OWN, f.dimension, f.member, f.value)
        for (office, metric, period), figures in computed.items()
        for f in figures
        if f.value or not f.dimension
    ]


def _records(computed: Computed, paths: dict[str, str]) -> list[Record]:
    """Every office's own figures, and its total: the sum of the own figures of its subtree (itself
    and every office beneath it), which is what the incremental path's own + children's totals add
    up to."""
    found = _own_records(computed)
    totals: dict[tuple[str, str, str, str, str], int] = {}
    above = {office: path.split("/") for office, path in paths.items()}
    for (office, metric, period), figures in computed.items():
        ancestors = above[office]
        for figure in figures:
            dimension, member, value = figure.dimension, figure.member, figure.value
            for ancestor in ancestors:
                key = (ancestor, metric, period, dimension, member)
                totals[key] = totals.get(key, 0) + value
    found += [(o, m, p, Scope.TOTAL, d, mm, v) for (o, m, p, d, mm), v in totals.items() if v or not d]
    return found


class _RowsAsTheyCome:
    """The rows of a full recompute, handed to its COPY as soon as they are known: an office's own
    figures once its schema has been counted, and its totals once every office of its subtree has
    been. Little is then left to copy after the last office: the COPY is the work's largest single
    statement, and run at the end it would keep one processor busy alone."""

    def __init__(self, paths: dict[str, str], now: datetime) -> None:
        self.now, self.count = now, 0
        self.above = {office: path.split("/") for office, path in paths.items()}
        self.waiting = Counter(ancestor for chain in self.above.values() for ancestor in chain)
        self.sums: dict[str, dict[tuple[str, str, str, str], int]] = {}
        self.written: set[tuple[str, str, str]] = set()
        self._batches = asyncio.Queue[list[Record] | None]()

    def office_counted(self, code: str, figures: Computed) -> None:
        rows = _own_records(figures)
        self.written.update(figures)
        for (office, metric, period), found in figures.items():
            for figure in found:
                key = (metric, period, figure.dimension, figure.member)
                for ancestor in self.above[office]:
                    sums = self.sums.setdefault(ancestor, {})
                    sums[key] = sums.get(key, 0) + figure.value
        for ancestor in self.above[code]:
            self.waiting[ancestor] -= 1
            if not self.waiting[ancestor]:
                sums = self.sums.pop(ancestor, {})
                rows += [(ancestor, m, p, Scope.TOTAL, d, mm, v) for (m, p, d, mm), v in sums.items() if v or not d]
        self.put(rows)

    def put(self, rows: list[Record]) -> None:
        self.count += len(rows)
        self._batches.put_nowait(rows)

    def close(self) -> None:
        self._batches.put_nowait(None)

    async def __aiter__(self) -> AsyncIterator[tuple[object, ...]]:
        while (batch := await self._batches.get()) is not None:
            for row in batch:
                yield (*row, self.now)


async def recompute_all(periods: Sequence[Period] | None = None, today: date | None = None) -> int:
    """Every office's figures for `periods` (default: the running ones), from scratch, in one
    transaction. Returns the number of figures written."""
    today = today or local_today()
    periods = list(periods or current(today))
    database = get_database()
    async with database.platform_session() as session, database.platform_session() as reader:
        await _lock(session, 0)
        # Offices marked stale before this point are covered by it; later marks are refreshed after.
        await session.execute(delete(RollupPending).where(RollupPending.requested_at < utcnow()))
        offices = [TenantRef.of(t) for t in (await session.execute(select(Tenant))).scalars().all()]
        await session.execute(delete(RollupFigure).where(RollupFigure.period.in_([p.key for p in periods])))
        paths = {office.code: office.path for office in offices}
        rows = _RowsAsTheyCome(paths, utcnow())
        copying = asyncio.create_task(copy_records(session, "platform.rollup_figures", COLUMNS, rows))
        try:
            own = await own_figures(reader, offices, periods, today, rows.office_counted)
            # What is left: the platform's metrics (the offices' were copied as they were counted).
            rows.put(_records({key: f for key, f in own.items() if key not in rows.written}, paths))
            rows.close()
            await copying
        finally:
            if not copying.done():  # a failure computing: the COPY is abandoned with the transaction
                copying.cancel()
                await asyncio.gather(copying, return_exceptions=True)
        await session.commit()
    return rows.count
