"""Housekeeping jobs of the platform itself."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete

from renda.core.db import get_database, utcnow
from renda.modules.accounts.models import WebSession
from renda.workers.broker import actor
from renda.workers.models import OutboxMessage, ProcessedMessage
from renda.workers.scheduler import Daily, Every, periodic

OUTBOX_KEEP = timedelta(days=7)
PROCESSED_KEEP = timedelta(days=30)


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
