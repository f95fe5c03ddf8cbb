"""Notification actors: deliver a batch of messages, send one digest, the per-office digest jobs, and
the recovery of deliveries whose message the broker lost."""

from __future__ import annotations

import logging
import uuid
from datetime import datetime
from typing import Any

from dramatiq.middleware import CurrentMessage
from sqlalchemy import select

from renda.core.db import get_database
from renda.tenants.models import Tenant, TenantStatus
from renda.tenants.scoping import TenantRef, load_tenant, office_job, tenant_session
from renda.workers.broker import actor
from renda.workers.scheduler import Daily, Every, Weekly, per_office, periodic

log = logging.getLogger("renda.notifications")
# The recovery pass runs this often and sends again what is service.STALE_AFTER (5 minutes) overdue,
# so a delivery whose message the broker lost goes out within about seven minutes of when it was due.
RECOVER_EVERY_MINUTES = 2

MAX_RETRIES = 5  # with MIN_BACKOFF doubling: about 15 s, 30 s, 1 min, 2 min, 4 min
MIN_BACKOFF_MS = 15_000
MAX_BACKOFF_MS = 10 * 60_000


def _last_try(declared: Any) -> bool:
    message = CurrentMessage.get_current_message()
    if message is None:
        return True
    max_retries = message.options.get("max_retries") or declared.options.get("max_retries", MAX_RETRIES)
    return message.options.get("retries", 0) >= max_retries


@actor(queue_name="notifications", max_retries=MAX_RETRIES, min_backoff=MIN_BACKOFF_MS, max_backoff=MAX_BACKOFF_MS)
async def deliver(tenant_code: str, delivery_ids: list[str] | str) -> None:
    """Send up to `sending.BATCH` deliveries of one office (a single id is accepted as well)."""
    from renda.modules.notifications.sending import send_deliveries

    ids = [delivery_ids] if isinstance(delivery_ids, str) else delivery_ids
    tenant = await load_tenant(tenant_code)
    await send_deliveries(tenant, [uuid.UUID(i) for i in ids], last_try=_last_try(deliver))


@actor(queue_name="notifications", max_retries=MAX_RETRIES, min_backoff=MIN_BACKOFF_MS, max_backoff=MAX_BACKOFF_MS)
async def deliver_digest(tenant_code: str, digest_id: str) -> None:
    from renda.modules.notifications.sending import send_digest

    await send_digest(await load_tenant(tenant_code), uuid.UUID(digest_id), last_try=_last_try(deliver_digest))


async def run_digests(tenant_code: str, frequency: str, period: str) -> list[uuid.UUID]:
    """Build the office's digests of `period`. A repeated job message finds the period's digests made
    and sends nothing twice."""
    from renda.modules.notifications import service
    from renda.modules.notifications.sending import WORKER_ACTOR

    async with tenant_session(await load_tenant(tenant_code), actor=WORKER_ACTOR) as session:
        created = await service.build_digests(session, frequency, period)
        await session.commit()
        return created


@periodic("notifications.recover", Every(minutes=RECOVER_EVERY_MINUTES))
@actor(queue_name="notifications", max_retries=3, time_limit=10 * 60_000)
async def recover_deliveries(period: str) -> None:
    """Every active office in turn, each in a session of its own schema and bound to it as a job of
    that office: deliveries and digests whose message the broker lost (`service.sweep`) are sent again."""
    async with get_database().platform_session() as platform:
        query = select(Tenant).where(Tenant.status == TenantStatus.ACTIVE).order_by(Tenant.path)
        offices = [TenantRef.of(tenant) for tenant in (await platform.execute(query)).scalars()]
    found: dict[str, int] = {}
    for office in offices:
        count = await recover_office(office)
        if count:
            found[office.code] = count
    if found:
        log.warning("deliveries that lost their message sent again", extra={"offices": found})


async def recover_office(office: TenantRef, now: datetime | None = None) -> int:
    """One office's pass of `recover_deliveries`: only its own schema, refused any other."""
    from renda.modules.notifications import service
    from renda.modules.notifications.sending import WORKER_ACTOR

    with office_job(office.code):
        async with tenant_session(office, actor=WORKER_ACTOR) as session:
            count = await service.sweep(session, now)
            await session.commit()
    return count


@per_office("notifications.daily_digest", Daily(hour=8))
@actor(queue_name="notifications", max_retries=3)
async def daily_digest(tenant_code: str, period: str) -> None:
    await run_digests(tenant_code, "daily", period)


@per_office("notifications.weekly_digest", Weekly(0, 8))
@actor(queue_name="notifications", max_retries=3)
async def weekly_digest(tenant_code: str, period: str) -> None:
    await run_digests(tenant_code, "weekly", period)
