"""承办单位 and the users who answer for them. The opinions and the suggestions assign to these rows;
their foreign keys restrict deletion of a unit that has ever been assigned work."""

from __future__ import annotations

import uuid

from sqlalchemy import Boolean, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from renda.core.db import TenantBase, Timestamps, UUIDPrimaryKey


class HandlingUnit(UUIDPrimaryKey, Timestamps, TenantBase):
    """承办单位: a department that answers the opinions and suggestions assigned to it."""

    __tablename__ = "handling_units"
    __table_args__ = (UniqueConstraint("name"),)

    name: Mapped[str] = mapped_column(String(100))
    contact_name: Mapped[str | None] = mapped_column(String(50))
    note: Mapped[str | None] = mapped_column(String(200))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)


class HandlingUnitUser(UUIDPrimaryKey, TenantBase):
    """A platform user (role handling_unit in this office) who answers for a unit."""

    __tablename__ = "handling_unit_users"
    __table_args__ = (UniqueConstraint("unit_id", "user_id"),)

    unit_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("handling_units.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[uuid.UUID] = mapped_column(index=True)  # platform user; no foreign key across schemas
