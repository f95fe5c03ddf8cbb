"""Audit tables: one in each tenant schema, one in the platform schema for the registry."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, Index, String
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from renda.core.db import PlatformBase, TenantBase, UUIDPrimaryKey, utcnow


class _AuditColumns(UUIDPrimaryKey):
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(200))
    tenant_code: Mapped[str | None] = mapped_column(String(9))
    action: Mapped[str] = mapped_column(String(20))
    entity: Mapped[str] = mapped_column(String(60))
    entity_id: Mapped[str | None] = mapped_column(String(64))
    changes: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)


class AuditLog(_AuditColumns, TenantBase):
    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_entity", "entity", "entity_id"),)


class PlatformAuditEvent(_AuditColumns, PlatformBase):
    __tablename__ = "audit_events"


AUDIT_MODELS = (AuditLog, PlatformAuditEvent)
