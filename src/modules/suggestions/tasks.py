"""Background work of the suggestion loop: the repeated-suggestion copies, the daily deadline check,
the nightly close of unrated replies and the yearly carry-over."""

from __future__ import annotations

import uuid
from datetime import datetime

from renda.core.timezone import LOCAL_TZ
from renda.modules.suggestions import evaluation, followup
from renda.modules.suggestions.common import WORKER_ACTOR
from renda.modules.suggestions.deadlines import check_deadlines
from renda.tenants.scoping import load_tenant, tenant_session
from renda.workers.broker import actor
from renda.workers.scheduler import Daily, Yearly, per_office


# --- evaluation and follow-up ------------------------------------------------------------------------
@per_office("suggestions.close_unrated", Daily(hour=1, minute=10))
@actor(queue_name="suggestions", max_retries=3, time_limit=10 * 60_000, max_age=24 * 3_600_000, max_backoff=5 * 60_000)
async def close_unrated_suggestions(tenant_code: str, period: str) -> None:
    """Every night: replied suggestions whose rating window passed without a rating are closed as not
    rated."""
    day = datetime.fromisoformat(period).astimezone(LOCAL_TZ).date()
    tenant = await load_tenant(tenant_code)
    async with tenant_session(tenant, actor=WORKER_ACTOR) as session:
        await evaluation.close_unrated(session, day)
        await session.commit()


@per_office("suggestions.carry_over", Yearly(month=1, day=1, hour=0, minute=30))
@actor(
    queue_name="suggestions", max_retries=3, time_limit=10 * 60_000, max_age=7 * 24 * 3_600_000, max_backoff=5 * 60_000
)
async def carry_over_suggestions(tenant_code: str, period: str) -> None:
    """1 January: unfinished suggestions and open follow-ups are carried into the new year (also by hand:
    `POST /api/v1/t/{code}/suggestions/items/carry-over`)."""
    year = datetime.fromisoformat(period).astimezone(LOCAL_TZ).year
    tenant = await load_tenant(tenant_code)
    async with tenant_session(tenant, actor=WORKER_ACTOR) as session:
        await followup.carry_over(session, year)
        await session.commit()


# --- repeated suggestions ------------------------------------------------------------------------------


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
    """After an office turned `share_similar` on or off, or joined the hierarchy (`service.office_placed`):
    all its copies both ways."""
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
