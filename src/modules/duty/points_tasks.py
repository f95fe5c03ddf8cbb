"""Background work of the duty points: the office's reconcile after changes (debounced, see
`points_watch`), the start of each year's points on 1 January, and the ranking's Excel export."""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import delete

from renda.core.timezone import LOCAL_TZ, local_today
from renda.modules.duty import ledger, ranking, rules
from renda.modules.duty.models import PointsPending
from renda.modules.duty.points_watch import QUIET
from renda.modules.exports.service import ExportKind, register_export
from renda.tenants.scoping import load_tenant, tenant_session
from renda.workers.broker import actor
from renda.workers.scheduler import Yearly, per_office

log = logging.getLogger("renda.duty")

register_export(
    ExportKind(ranking.EXPORT_KIND, "履职积分排名", ranking.EXPORT_HEADERS, ranking.export_rows, "duty.read")
)


async def reprice(tenant_code: str, years: list[int]) -> list[ledger.ReconcileResult]:
    """Reconcile the office's ledger of these years in one transaction. The office's lock comes first,
    then the pending row is taken, so a change committed meanwhile asks for its own run (and a writer
    holding the lock, as a reconcile does, never waits on a pending row this job holds)."""
    tenant = await load_tenant(tenant_code)
    async with tenant_session(tenant, actor=ledger.LEDGER_ACTOR) as session:
        session.info[QUIET] = True
        await rules.lock_office(session)
        await session.execute(delete(PointsPending))
        results = [await ledger.reconcile(session, year) for year in years]
        await session.commit()
    return results


@actor(queue_name="duty", max_retries=10, time_limit=10 * 60_000)
async def reprice_office(tenant_code: str) -> None:
    """Idempotent: it appends what the events and rules ask for now, so a repeat appends nothing. The
    running year and the one before (evidence of December verified in January)."""
    year = local_today().year
    for result in await reprice(tenant_code, [year - 1, year]):
        if result.entries:
            log.info("points reconciled", extra={"office": tenant_code, "year": result.year, **result.added})


async def start_year(tenant_code: str, year: int) -> None:
    """The year's rules written as its own: last year's, else the defaults (a repeat changes nothing)."""
    tenant = await load_tenant(tenant_code)
    async with tenant_session(tenant, actor=rules.CARRIED_ACTOR) as session:
        session.info[QUIET] = True
        await rules.lock_office(session)
        await rules.ensure_year_rules(session, year)
        await session.commit()


def year_of(period: str) -> int:
    """The local year of a scheduler period ("2027-01-01T00:10+08:00" → 2027)."""
    return datetime.fromisoformat(period).astimezone(LOCAL_TZ).year


@per_office("duty.points_year", Yearly(month=1, day=1, hour=0, minute=10))
@actor(queue_name="duty", max_retries=3, time_limit=10 * 60_000, max_age=7 * 24 * 3_600_000, max_backoff=5 * 60_000)
async def start_points_year(tenant_code: str, period: str) -> None:
    """1 January: the new year's rules are last year's (or the defaults), written as the year's own;
    nothing is carried over, so every deputy starts the year at zero."""
    await start_year(tenant_code, year_of(period))
