from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import msgspec

from renda.modules.audit.labels import ACTION_LABELS, entity
from renda.modules.audit.models import AuditLog


class AuditEntryOut(msgspec.Struct):
    id: uuid.UUID
    at: datetime
    actor: str
    tenant_code: str | None
    action: str
    action_label: str
    entity: str
    entity_label: str
    entity_id: str | None
    changes: dict[str, Any]

    @classmethod
    def of(cls, row: AuditLog) -> AuditEntryOut:
        return cls(
            row.id,
            row.at,
            row.actor,
            row.tenant_code,
            row.action,
            ACTION_LABELS.get(row.action, row.action),
            row.entity,
            entity(row.entity).name,
            row.entity_id,
            row.changes,
        )


class AuditPage(msgspec.Struct):
    items: list[AuditEntryOut]
    total: int
    page: int
    page_size: int


class AuditFilter(msgspec.Struct, kw_only=True):
    actor: str | None = None
    action: str | None = None
    entity: str | None = None
    entity_id: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    # Leave out the system's own work (workers, the scheduler, the command line, the demo data).
    people_only: bool = False
