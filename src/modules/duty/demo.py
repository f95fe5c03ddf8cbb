"""The demo data of duty performance (`renda demo`): each part of the module seeds its own, once; then the
points ledger is brought in line with what was seeded (the demo seeds before the points watch that
would otherwise mark the deputies' points stale), so the deputies' points show from the start."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select

from renda.core.timezone import local_today
from renda.modules.duty import ledger
from renda.modules.duty.activity_demo import OFFICE, SEEDED_ACTIVITIES, seed_activities
from renda.modules.duty.demo_history import seed_history
from renda.modules.duty.models import Activity
from renda.tenants.scoping import load_tenant, tenant_session

ACTOR = "system:demo:演示数据"


async def seed_demo() -> None:
    await seed_activities()
    await seed_year()
    await reconcile_points()


async def seed_year() -> None:
    """The year of activities (`demo_history`), once: when only `activity_demo`'s three are there."""
    async with tenant_session(await load_tenant(OFFICE), actor=ACTOR) as session:
        if await session.scalar(select(func.count()).select_from(Activity)) != SEEDED_ACTIVITIES:
            return
        today = local_today()
        await seed_history(session, today, date(today.year - 1, 1, 1))
        await session.commit()


async def reconcile_points() -> None:
    """Idempotent: a reconcile adds only what the ledger lacks. Last year's too: the history reaches it."""
    year = local_today().year
    async with tenant_session(await load_tenant(OFFICE), actor=ACTOR) as session:
        for each in (year - 1, year):
            await ledger.reconcile(session, each)
        await session.commit()
