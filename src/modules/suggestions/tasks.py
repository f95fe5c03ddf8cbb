"""The suggestions' background jobs: the repeated-suggestion copies, and the daily deadline check."""

from __future__ import annotations

import uuid
from datetime import datetime

from renda.core.timezone import LOCAL_TZ
from renda.modules.suggestions.common import WORKER_ACTOR
from renda.modules.suggestions.deadlines import check_deadlines
from renda.tenants.scoping import load_tenant, tenant_session
from renda.workers.broker import actor
from renda.workers.scheduler import Daily, per_office


# A platform job (its first parameter is not `tenant_code`): it reads the source office and writes
# the copies in each neighbour office, each through its own `tenant_session`.
@actor(queue_name="suggestions")
async def share_similar(source_code: str, suggestion_ids: list[str]) -> None:
    """Copy these suggestions of `source_code` to the offices above and below for the repeated-
    suggestion check (or delete the copies). Idempotent: the state as it is now."""
    from renda.modules.suggestions.similar import share

    await share(await load_tenant(source_code), [uuid.UUID(i) for i in suggestion_ids])


@actor(queue_name="suggestions")
async def resync_similar(office_code_changed: str) -> None:
    """After an office turned `share_similar` on or off: all its copies both ways."""
    from renda.modules.suggestions.similar import resync

    await resync(await load_tenant(office_code_changed))


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
