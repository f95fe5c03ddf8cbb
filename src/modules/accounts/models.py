"""Users, memberships, server-side sessions and API tokens (platform schema)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ARRAY, Boolean, DateTime, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from renda.core.db import PlatformBase, Timestamps, UUIDPrimaryKey, utcnow
from renda.tenants.models import Tenant


class User(UUIDPrimaryKey, Timestamps, PlatformBase):
    __tablename__ = "users"
    __audit_redact__ = (
        "email",
        "contact_email",
        "mobile_encrypted",
        "mobile_masked",
        "signin_mobile_encrypted",
        "signin_mobile_masked",
        "wechat_openid",
    )

    display_name: Mapped[str] = mapped_column(String(100))
    # The sign-in email: the verified one from the identity provider, kept in step at every sign-in.
    email: Mapped[str | None] = mapped_column(String(200), unique=True)
    is_platform_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Seeded demo accounts: only these can use the demo sign-in, and only in `renda demo`.
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)
    # Where notifications reach the user, set by the user: an email other than the sign-in one,
    # a mobile number (encrypted, with a masked copy to show) and a WeChat openid.
    contact_email: Mapped[str | None] = mapped_column(String(200))
    mobile_encrypted: Mapped[str | None] = mapped_column(Text)
    mobile_masked: Mapped[str | None] = mapped_column(String(20))
    wechat_openid: Mapped[str | None] = mapped_column(String(64))
    # The verified mobile number from the identity provider (encrypted, with a masked copy), kept in
    # step at every sign-in; the user's own `mobile_*` comes first.
    signin_mobile_encrypted: Mapped[str | None] = mapped_column(Text)
    signin_mobile_masked: Mapped[str | None] = mapped_column(String(20))

    memberships: Mapped[list[Membership]] = relationship(back_populates="user", lazy="raise")


class Membership(UUIDPrimaryKey, Timestamps, PlatformBase):
    __tablename__ = "memberships"
    __table_args__ = (UniqueConstraint("user_id", "tenant_id", name="uq_memberships_user_tenant"),)

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    roles: Mapped[list[str]] = mapped_column(ARRAY(String(30)))
    # Where it came from: "manual" (an administrator), "invitation", or "idp:<provider id>" (kept in
    # step with that provider's claims at every sign-in through it).
    source: Mapped[str] = mapped_column(String(60), default="manual", server_default="manual")

    user: Mapped[User] = relationship(back_populates="memberships", lazy="raise")
    tenant: Mapped[Tenant] = relationship(lazy="raise")


class WebSession(PlatformBase):
    """A signed-in browser. The cookie holds a random token; only its hash is stored."""

    __tablename__ = "web_sessions"
    __audit__ = False

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    current_tenant_code: Mapped[str | None] = mapped_column(String(9))
    # For RP-initiated sign-out at the provider the session came from.
    provider_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("identity_providers.id", ondelete="SET NULL"))
    id_token_encrypted: Mapped[str | None] = mapped_column(Text)


class ApiToken(UUIDPrimaryKey, PlatformBase):
    """A bearer token, shown once and stored as a hash.

    An office token (`tenant_id` set) is for an integration: it works in that office only and only
    for its `scopes`. A personal token (no office) acts as its user; only `renda admin create` makes
    one, to bootstrap the platform administrator.
    """

    __tablename__ = "api_tokens"
    __audit_redact__ = ("token_hash",)

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    tenant_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    scopes: Mapped[list[str]] = mapped_column(ARRAY(String(60)), default=list, server_default="{}")
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
