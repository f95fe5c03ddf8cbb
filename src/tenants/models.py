"""The tenant registry, in the platform schema."""

from __future__ import annotations

import uuid
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from renda.core.db import PlatformBase, Timestamps, UUIDPrimaryKey


class TenantStatus(StrEnum):
    ACTIVE = "active"
    SUSPENDED = "suspended"
    ARCHIVED = "archived"


STATUS_LABELS = {TenantStatus.ACTIVE: "正常", TenantStatus.SUSPENDED: "已停用", TenantStatus.ARCHIVED: "已归档"}


class Tenant(UUIDPrimaryKey, Timestamps, PlatformBase):
    __tablename__ = "tenants"
    __table_args__ = (
        CheckConstraint("level in ('city','county','township')", name="level"),
        CheckConstraint("status in ('active','suspended','archived')", name="status"),
    )

    code: Mapped[str] = mapped_column(String(9), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    level: Mapped[str] = mapped_column(String(10))
    parent_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("tenants.id"), index=True)
    # Codes from the root city down to this office, e.g. "610900/610922/610922100"; used for
    # "this office and everything beneath it" without recursive queries.
    path: Mapped[str] = mapped_column(String(40), index=True)
    status: Mapped[str] = mapped_column(String(10), default=TenantStatus.ACTIVE)
    schema_name: Mapped[str] = mapped_column(String(20), unique=True)
    status_reason: Mapped[str | None] = mapped_column(String(200))

    @property
    def ancestor_codes(self) -> list[str]:
        return self.path.split("/")[:-1]
