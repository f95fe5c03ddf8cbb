"""The demo data of duty performance (`renda demo`): each part of the module seeds its own, once; then the
points ledger is brought in line with what was seeded (the demo seeds before the points watch that
would otherwise mark the deputies' points stale), so the deputies' points show from the start."""

from __future__ import annotations

from renda.core.timezone import local_today
from renda.modules.duty import ledger
from renda.modules.duty.activity_demo import OFFICE, seed_activities
from renda.tenants.scoping import load_tenant, tenant_session

ACTOR = "system:demo:演示数据"


async def seed_demo() -> None:
    await seed_activities()
    await reconcile_points()


async def reconcile_points() -> None:
    """Idempotent: a reconcile adds only what the ledger lacks."""
    async with tenant_session(await load_tenant(OFFICE), actor=ACTOR) as session:
        await ledger.reconcile(session, local_today().year)
        await session.commit()
