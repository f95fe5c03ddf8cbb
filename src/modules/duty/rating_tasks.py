"""Background work of the star rating: the daily reminders of the steps due."""

from __future__ import annotations

from datetime import datetime

from renda.core.timezone import LOCAL_TZ
from renda.modules.duty import rating_export  # noqa: F401  (the export kind, for the worker that builds it)
from renda.modules.duty.rating_reminders import remind
from renda.tenants.scoping import load_tenant, tenant_session
from renda.workers.broker import actor
from renda.workers.scheduler import Daily, per_office

WORKER_ACTOR = "system:worker:星级评价"


@per_office("duty.rating_reminders", Daily(hour=8, minute=40))
@actor(queue_name="duty", max_retries=3, time_limit=10 * 60_000, max_age=24 * 3_600_000, max_backoff=5 * 60_000)
async def duty_rating_reminders(tenant_code: str, period: str) -> None:
    """Every morning: deputies reminded to assess themselves, leaders and staff of the steps awaiting them."""
    day = datetime.fromisoformat(period).astimezone(LOCAL_TZ).date()
    tenant = await load_tenant(tenant_code)
    async with tenant_session(tenant, actor=WORKER_ACTOR) as session:
        await remind(session, tenant, day)
        await session.commit()
