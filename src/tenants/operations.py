"""What the platform's operators watch: the outbox's lag, the dead jobs, and each office's schema
revision against the head of the tenant history (`renda ops status`, `/platform/operations`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from renda.core.db import utcnow
from renda.tenants.migrations import TENANT_SCRIPTS, script_directory
from renda.tenants.models import Tenant
from renda.workers.models import DeadJob, OutboxMessage


@dataclass(frozen=True)
class OutboxLag:
    waiting: int  # messages not yet handed to the broker (due now, or later)
    due: int  # of those, due now: the relay should have sent them already
    oldest_due_at: datetime | None
    retrying: int  # due messages the broker refused at least once

    @property
    def lag_seconds(self) -> float:
        return max((utcnow() - self.oldest_due_at).total_seconds(), 0.0) if self.oldest_due_at else 0.0


@dataclass(frozen=True)
class DeadJobCount:
    actor: str
    count: int
    last_failed_at: datetime


@dataclass(frozen=True)
class OfficeRevision:
    code: str
    name: str
    status: str
    revision: str | None  # None: the schema has no revision table (never migrated)

    def behind(self, head: str) -> bool:
        return self.revision != head


@dataclass(frozen=True)
class PlatformStatus:
    outbox: OutboxLag
    dead_jobs: list[DeadJobCount]
    head: str
    offices: list[OfficeRevision]

    @property
    def dead_total(self) -> int:
        return sum(d.count for d in self.dead_jobs)

    @property
    def offices_behind(self) -> list[OfficeRevision]:
        return [office for office in self.offices if office.behind(self.head)]


def tenant_head() -> str:
    head = script_directory(TENANT_SCRIPTS).get_current_head()
    assert head is not None
    return head


async def outbox_lag(session: AsyncSession) -> OutboxLag:
    now = utcnow()
    due = func.coalesce(OutboxMessage.not_before, OutboxMessage.created_at) <= now
    row = (
        await session.execute(
            select(
                func.count(),
                func.count().filter(due),
                func.min(func.coalesce(OutboxMessage.not_before, OutboxMessage.created_at)).filter(due),
                func.count().filter(due, OutboxMessage.attempts > 0),
            ).where(OutboxMessage.sent_at.is_(None))
        )
    ).one()
    return OutboxLag(*row)


async def dead_job_counts(session: AsyncSession) -> list[DeadJobCount]:
    query = (
        select(DeadJob.actor_name, func.count(), func.max(DeadJob.failed_at))
        .where(DeadJob.retried_at.is_(None))
        .group_by(DeadJob.actor_name)
        .order_by(func.count().desc(), DeadJob.actor_name)
    )
    return [DeadJobCount(*row) for row in (await session.execute(query)).all()]


async def office_revisions(session: AsyncSession) -> list[OfficeRevision]:
    """Every office's revision, read from its schema's `alembic_version` in one statement (a function
    of the platform schema loops over them: see revision p0010)."""
    versions = dict((await session.execute(text("SELECT * FROM platform.office_revisions()"))).all())
    tenants = (
        await session.execute(select(Tenant.code, Tenant.name, Tenant.status, Tenant.schema_name).order_by(Tenant.code))
    ).all()
    return [OfficeRevision(t.code, t.name, t.status, versions.get(t.schema_name)) for t in tenants]


async def platform_status(session: AsyncSession) -> PlatformStatus:
    return PlatformStatus(
        await outbox_lag(session), await dead_job_counts(session), tenant_head(), await office_revisions(session)
    )
