from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

import msgspec

from renda.tenants.divisions import LEVEL_LABELS, Level
from renda.tenants.models import STATUS_LABELS, Tenant
from renda.tenants.operations import PlatformStatus

Name = Annotated[str, msgspec.Meta(min_length=2, max_length=100)]


class TenantCreate(msgspec.Struct, forbid_unknown_fields=True):
    code: str
    name: Name
    level: Level
    parent: str | None = None


class StatusChange(msgspec.Struct, forbid_unknown_fields=True):
    reason: Annotated[str, msgspec.Meta(max_length=200)] | None = None


class TenantOut(msgspec.Struct):
    id: uuid.UUID
    code: str
    name: str
    level: str
    level_label: str
    parent: str | None
    path: str
    status: str
    status_label: str
    status_reason: str | None
    schema: str
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, tenant: Tenant) -> TenantOut:
        ancestors = tenant.ancestor_codes
        return cls(
            tenant.id,
            tenant.code,
            tenant.name,
            tenant.level,
            LEVEL_LABELS[Level(tenant.level)],
            ancestors[-1] if ancestors else None,
            tenant.path,
            tenant.status,
            STATUS_LABELS.get(tenant.status, tenant.status),
            tenant.status_reason,
            tenant.schema_name,
            tenant.created_at,
            tenant.updated_at,
        )


class TenantPage(msgspec.Struct):
    items: list[TenantOut]
    total: int
    page: int
    page_size: int


class OutboxLagOut(msgspec.Struct):
    waiting: int
    due: int
    retrying: int
    lag_seconds: float
    oldest_due_at: datetime | None


class DeadJobsOut(msgspec.Struct):
    actor: str
    count: int
    last_failed_at: datetime


class OfficeRevisionOut(msgspec.Struct):
    code: str
    name: str
    status: str
    revision: str | None
    behind: bool


class OperationsOut(msgspec.Struct):
    outbox: OutboxLagOut
    dead_jobs: list[DeadJobsOut]
    dead_total: int
    head: str
    offices_behind: int
    offices: list[OfficeRevisionOut]

    @classmethod
    def of(cls, status: PlatformStatus) -> OperationsOut:
        lag = status.outbox
        return cls(
            OutboxLagOut(lag.waiting, lag.due, lag.retrying, round(lag.lag_seconds, 1), lag.oldest_due_at),
            [DeadJobsOut(d.actor, d.count, d.last_failed_at) for d in status.dead_jobs],
            status.dead_total,
            status.head,
            len(status.offices_behind),
            [OfficeRevisionOut(o.code, o.name, o.status, o.revision, o.behind(status.head)) for o in status.offices],
        )
