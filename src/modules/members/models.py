"""Invitations to an office (platform schema)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ARRAY, DateTime, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from renda.core.db import PlatformBase, Timestamps, UUIDPrimaryKey


class Invitation(UUIDPrimaryKey, Timestamps, PlatformBase):
    """An office admin's invitation, bound to whoever first signs in with this email or phone.

    Only keyed hashes of the contact are stored, with a masked form for the list.
    """

    __tablename__ = "invitations"

    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    contact_kind: Mapped[str] = mapped_column(String(10))  # email | phone
    contact_hash: Mapped[str] = mapped_column(String(64), index=True)
    contact_masked: Mapped[str] = mapped_column(String(100))
    display_name: Mapped[str] = mapped_column(String(100))
    roles: Mapped[list[str]] = mapped_column(ARRAY(String(30)))
    invited_by: Mapped[str] = mapped_column(String(200))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    accepted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    accepted_user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # A sign-in link (its hash): how an office's first administrator gets in before any identity
    # provider knows them (`renda tenants create --admin-email`). One use; it expires with the invitation.
    link_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
