"""Per-office periodic jobs: one message per active office, sent once per period."""

from __future__ import annotations

from sqlalchemy import select

from renda.core.db import get_database
from renda.tenants.models import Tenant, TenantStatus
from renda.workers.broker import actor
from renda.workers.outbox import claim_message, enqueue


@actor(queue_name="scheduler", recoverable=True)
async def fan_out(job_name: str, period: str) -> None:
    """The messages are written with the claim in one transaction, so a second delivery of this
    message (or a crash half-way) never sends an office its job twice or not at all."""
    from renda.workers.scheduler import office_job

    declared, levels = office_job(job_name)
    async with get_database().platform_session() as session:
        if not await claim_message(session):
            return
        query = select(Tenant.code).where(Tenant.status == TenantStatus.ACTIVE).order_by(Tenant.path)
        if levels:
            query = query.where(Tenant.level.in_(levels))
        for code in (await session.execute(query)).scalars():
            enqueue(session, declared, code, period)
        await session.commit()
