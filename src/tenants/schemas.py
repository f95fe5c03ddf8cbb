from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

import msgspec

from renda.tenants.divisions import LEVEL_LABELS, Level
from renda.tenants.models import STATUS_LABELS, Tenant

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
