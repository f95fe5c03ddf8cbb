"""Notification actors: deliver a batch of messages, send one digest, and the per-office digest jobs."""

from __future__ import annotations

import uuid
from typing import Any

from dramatiq.middleware import CurrentMessage

from renda.tenants.scoping import load_tenant, tenant_session
from renda.workers.broker import actor
from renda.workers.scheduler import Daily, Weekly, per_office

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
    """Build the office's digests of `period` (and, daily, re-send what lost its message). A repeated
    job message finds the period's digests made and sends nothing twice."""
    from renda.modules.notifications import service
    from renda.modules.notifications.sending import WORKER_ACTOR

    async with tenant_session(await load_tenant(tenant_code), actor=WORKER_ACTOR) as session:
        created = await service.build_digests(session, frequency, period)
        if frequency == "daily":
            await service.sweep(session)
        await session.commit()
        return created


@per_office("notifications.daily_digest", Daily(hour=8))
@actor(queue_name="notifications", max_retries=3)
async def daily_digest(tenant_code: str, period: str) -> None:
    await run_digests(tenant_code, "daily", period)


@per_office("notifications.weekly_digest", Weekly(0, 8))
@actor(queue_name="notifications", max_retries=3)
async def weekly_digest(tenant_code: str, period: str) -> None:
    await run_digests(tenant_code, "weekly", period)
