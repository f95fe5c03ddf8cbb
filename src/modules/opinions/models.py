"""Opinions of the people, their timeline of steps, handling units and the SMS sent back to the person.

The closed loop (受理→分析→交办→督办→反馈→评价) is one `Opinion` row whose status moves forward, and one
`OpinionStep` row per thing that happened to it (who, when, what). Phone numbers are stored encrypted,
with a keyed hash and a masked form, like `Person.mobile_*`.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Identity,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column

from renda.core.db import PlatformBase, TenantBase, Timestamps, UUIDPrimaryKey, utcnow

SOURCES = {
    "reception": "接待选民",
    "contact": "联系走访",
    "portal": "网上提交",
    "staff": "工作人员录入",
    "suggestion": "代表建议转来",  # intake review of a deputy's suggestion turned it into an opinion (t0015)
}
STATUSES = {
    "received": "已受理",
    "assigned": "已交办",
    "answered": "已答复",
    "closed": "已办结",
    "duplicate": "重复已合并",
    "escalated": "已转代表建议",
}
# Statuses in which the loop has ended (closed_at is set).
FINAL_STATUSES = ("closed", "duplicate", "escalated")
RATINGS = {"solved": "已解决", "partly": "部分解决", "unsolved": "未解决"}
RATING_SCORES = {"solved": 100, "partly": 50, "unsolved": 0}
STEP_KINDS = {
    "intake": "受理",
    "analysis": "分析",
    "duplicate": "重复合并",
    "assignment": "交办",
    "escalation": "转为代表建议",
    "reminder": "督办提醒",
    "answer": "承办单位答复",
    "feedback": "反馈群众",
    "rating": "群众评价",
    "close": "办结",
}
SMS_STATUSES = ("pending", "sending", "sent", "failed", "skipped")

_SOURCE_CHECK = "source in ('reception','contact','portal','staff','suggestion')"
_STATUS_CHECK = "status in ('received','assigned','answered','closed','duplicate','escalated')"
_RATING_CHECK = "rating is null or rating in ('solved','partly','unsolved')"
_STEP_CHECK = (
    "kind in ('intake','analysis','duplicate','assignment','escalation','reminder','answer','feedback',"
    "'rating','close')"
)
_SMS_STATUS_CHECK = "status in ('pending','sending','sent','failed','skipped')"


class Opinion(UUIDPrimaryKey, Timestamps, TenantBase):
    """社情民意: one issue raised by a person, followed to its end."""

    __tablename__ = "opinions"
    __table_args__ = (
        CheckConstraint(_SOURCE_CHECK, name="source"),
        CheckConstraint(_STATUS_CHECK, name="status"),
        CheckConstraint(_RATING_CHECK, name="rating"),
        CheckConstraint("char_length(content) between 1 and 1000", name="content_length"),
        CheckConstraint("(status in ('closed','duplicate','escalated')) = (closed_at is not null)", name="closed"),
        UniqueConstraint("ticket"),
        UniqueConstraint("rating_token_hash"),
        Index("ix_opinions_status_deadline", "status", "deadline"),
        Index("ix_opinions_created_at", "created_at"),
    )
    __audit_redact__ = ("submitter_phone_encrypted", "submitter_phone_hash", "rating_token_hash")

    # The number the person reads out or types to look the opinion up: 12 characters, no 0/O/1/I.
    ticket: Mapped[str] = mapped_column(String(12))
    source: Mapped[str] = mapped_column(String(10))
    # The reception record or contact record it was raised in (another module's row; no foreign key).
    source_id: Mapped[uuid.UUID | None] = mapped_column()
    content: Mapped[str] = mapped_column(Text)
    category: Mapped[str | None] = mapped_column(String(20))
    submitter_name: Mapped[str | None] = mapped_column(String(50))
    submitter_phone_encrypted: Mapped[str | None] = mapped_column(Text)
    submitter_phone_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    submitter_phone_masked: Mapped[str | None] = mapped_column(String(20))
    deputy_person_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("persons.id", ondelete="SET NULL"), index=True
    )
    station_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("stations.id", ondelete="SET NULL"), index=True)
    status: Mapped[str] = mapped_column(String(12), default="received")
    unit_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("handling_units.id", ondelete="RESTRICT"), index=True)
    assigned_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    deadline: Mapped[date | None] = mapped_column(Date)  # local date the unit must answer by
    answer: Mapped[str | None] = mapped_column(Text)
    answered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    rating: Mapped[str | None] = mapped_column(String(10))
    rated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # sha256 of the token in the rating link sent to the person; the token itself is only in the SMS.
    rating_token_hash: Mapped[str | None] = mapped_column(String(64))
    duplicate_of_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("opinions.id", ondelete="SET NULL"))
    # The suggestion draft it was escalated to (suggestions module; no foreign key across modules).
    suggestion_draft_id: Mapped[uuid.UUID | None] = mapped_column()
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class OpinionStep(UUIDPrimaryKey, TenantBase):
    """One timestamped step of an opinion's loop: who did what, when."""

    __tablename__ = "opinion_steps"
    __table_args__ = (
        CheckConstraint(_STEP_CHECK, name="kind"),
        Index("ix_opinion_steps_opinion_id_created_at", "opinion_id", "created_at"),
    )

    opinion_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("opinions.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(12))
    actor: Mapped[str] = mapped_column(String(200))
    # Shown to staff; `public_note` is what the status page shows the public (no personal data).
    note: Mapped[str | None] = mapped_column(Text)
    public_note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, server_default=func.now())


class OpinionSms(UUIDPrimaryKey, Timestamps, TenantBase):
    """A text message to the person who raised an opinion (the feedback with its rating link).

    One row per opinion and purpose: the row's id is the gateway's idempotency key, and its status
    makes a second delivery of the send message do nothing.
    """

    __tablename__ = "opinion_sms"
    __table_args__ = (
        CheckConstraint(_SMS_STATUS_CHECK, name="status"),
        UniqueConstraint("opinion_id", "purpose"),
    )
    __audit_redact__ = ("text_encrypted",)

    opinion_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("opinions.id", ondelete="CASCADE"))
    purpose: Mapped[str] = mapped_column(String(20))  # feedback
    # The text carries the rating link's token: stored encrypted, decrypted only to send.
    text_encrypted: Mapped[str] = mapped_column(Text)
    address_masked: Mapped[str | None] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(10), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    last_error: Mapped[str | None] = mapped_column(Text)
    lease_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class PortalRateHit(PlatformBase):
    """One accepted public submission (or failed ticket lookup), by keyed hash of the IP address or
    phone number: the per-IP and per-phone limits count these across every process and office.

    Platform-wide on purpose: one address flooding many offices' portals is one flood. Rows older
    than the longest window are purged daily (`opinions.purge_rate_hits`).
    """

    __tablename__ = "portal_rate_hits"
    __table_args__ = (Index("ix_portal_rate_hits_scope_key_at", "scope", "key_hash", "at"),)
    __audit__ = False  # hashes and times only, written on every public submission

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    scope: Mapped[str] = mapped_column(String(20))  # submit_ip | submit_phone | lookup_ip
    key_hash: Mapped[str] = mapped_column(String(64))
    office_code: Mapped[str] = mapped_column(String(12))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, server_default=func.now())
