"""Housekeeping jobs of the platform itself."""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import delete

from renda.core.db import get_database, utcnow
from renda.modules.accounts.models import WebSession
from renda.workers.broker import DEFAULT_ACTOR_OPTIONS, actor, recoverable_actors
from renda.workers.models import OutboxMessage, ProcessedMessage
from renda.workers.outbox import resend_unclaimed
from renda.workers.scheduler import Daily, Every, periodic

log = logging.getLogger("renda.worker")
OUTBOX_KEEP = timedelta(days=7)
PROCESSED_KEEP = timedelta(days=30)
# A claimed message still without its claim this long after it was sent is sent again; the job runs
# every RESEND_EVERY_MINUTES, so lost work is found again within about seven minutes of its send.
RESEND_EVERY_MINUTES = 2
RESEND_AFTER = timedelta(minutes=5)
RESEND_WITHIN = timedelta(milliseconds=DEFAULT_ACTOR_OPTIONS["max_age"])  # older ones would be dropped unrun


@periodic("maintenance.purge_outbox", Daily(hour=3))
@actor(queue_name="maintenance")
async def purge_outbox(period: str) -> None:
    """Forget sent outbox rows and old idempotency markers (long after any redelivery)."""
    now = utcnow()
    async with get_database().platform_session() as session:
        await session.execute(delete(OutboxMessage).where(OutboxMessage.sent_at < now - OUTBOX_KEEP))
        await session.execute(delete(ProcessedMessage).where(ProcessedMessage.processed_at < now - PROCESSED_KEEP))
        await session.commit()


@periodic("maintenance.purge_sessions", Every(minutes=60))
@actor(queue_name="maintenance")
async def purge_sessions(period: str) -> None:
    async with get_database().platform_session() as session:
        await session.execute(delete(WebSession).where(WebSession.expires_at < utcnow()))
        await session.commit()


@periodic("maintenance.resend_lost", Every(minutes=RESEND_EVERY_MINUTES))
@actor(queue_name="maintenance", max_retries=3, time_limit=60_000)
async def resend_lost(period: str) -> None:
    """Messages of claiming actors (exports, the per-office fan-out, …) that the broker lost."""
    ids = await resend_unclaimed(get_database(), recoverable_actors(), after=RESEND_AFTER, within=RESEND_WITHIN)
    if ids:
        log.warning("messages without a claim sent again", extra={"count": len(ids), "first_message_id": ids[0]})
