"""Identity providers, the identities they vouch for, and sign-ins in progress (platform schema)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ARRAY, Boolean, DateTime, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from renda.core.db import PlatformBase, Timestamps, UUIDPrimaryKey, utcnow

DEFAULT_SCOPES = "openid profile email phone"


class IdentityProvider(UUIDPrimaryKey, Timestamps, PlatformBase):
    """An OpenID Connect provider and this platform's client registration there.

    `office_codes` are the offices it serves, each with every office beneath it (a province-wide
    provider lists the cities); a provider with none serves every office. It can grant memberships
    only in the offices it serves.
    """

    __tablename__ = "identity_providers"
    __table_args__ = (UniqueConstraint("issuer", "client_id", name="uq_identity_providers_issuer_client"),)
    __audit_redact__ = ("client_secret_encrypted",)

    name: Mapped[str] = mapped_column(String(100))
    issuer: Mapped[str] = mapped_column(String(300))
    client_id: Mapped[str] = mapped_column(String(200))
    client_secret_encrypted: Mapped[str] = mapped_column(Text)
    scopes: Mapped[str] = mapped_column(String(300), default=DEFAULT_SCOPES)
    office_claim: Mapped[str] = mapped_column(String(100), default="division_codes")
    roles_claim: Mapped[str] = mapped_column(String(100), default="renda_roles")
    # Roles granted in a claimed office when the roles claim names none there.
    default_roles: Mapped[list[str]] = mapped_column(ARRAY(String(30)), default=lambda: ["viewer"])
    office_codes: Mapped[list[str]] = mapped_column(ARRAY(String(9)), default=list)
    is_default: Mapped[bool] = mapped_column(Boolean, default=False)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)


class UserIdentity(UUIDPrimaryKey, PlatformBase):
    """A platform user as known to one provider: (issuer, subject) never changes for a person."""

    __tablename__ = "user_identities"
    __table_args__ = (UniqueConstraint("issuer", "subject", name="uq_user_identities_issuer_subject"),)

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    issuer: Mapped[str] = mapped_column(String(300))
    subject: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_sign_in_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class PendingSignIn(PlatformBase):
    """One authorization request between /auth/login and /auth/callback; used once.

    Keyed by the hash of `state`; `browser_hash` binds it to the browser that started it (a cookie),
    so a callback URL replayed in another browser is refused.
    """

    __tablename__ = "pending_sign_ins"
    __audit__ = False

    state_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    browser_hash: Mapped[str] = mapped_column(String(64))
    provider_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("identity_providers.id", ondelete="CASCADE"))
    nonce: Mapped[str] = mapped_column(String(100))
    code_verifier: Mapped[str] = mapped_column(String(128))
    return_to: Mapped[str] = mapped_column(String(500), default="/")
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
