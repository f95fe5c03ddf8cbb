"""Background work of the suggestion loop (registered where workers import it)."""

from __future__ import annotations

from datetime import datetime

from renda.core.timezone import LOCAL_TZ
from renda.modules.suggestions.common import WORKER_ACTOR
from renda.modules.suggestions.deadlines import check_deadlines
from renda.tenants.scoping import load_tenant, tenant_session
from renda.workers.broker import actor
from renda.workers.scheduler import Daily, per_office


# --- handling: the deadlines ---------------------------------------------------------------------
@per_office("suggestions.deadlines", Daily(hour=8, minute=30))
@actor(queue_name="suggestions", max_retries=3, time_limit=10 * 60_000, max_age=24 * 3_600_000, max_backoff=5 * 60_000)
async def suggestion_deadlines(tenant_code: str, period: str) -> None:
    """Every morning: the week's deadlines reminded, the overdue escalated, late co-handlers reminded."""
    day = datetime.fromisoformat(period).astimezone(LOCAL_TZ).date()
    tenant = await load_tenant(tenant_code)
    async with tenant_session(tenant, actor=WORKER_ACTOR) as session:
        await check_deadlines(session, tenant, day)
        await session.commit()
