"""Inbox items, their deliveries by channel, preferences, template overrides and digests (tenant schema).

The user ids are platform users; there is no foreign key across schemas.
"""

from __future__ import annotations

import uuid
from datetime import datetime, time

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, Integer, String, Text, Time, UniqueConstraint, func
from sqlalchemy.orm import Mapped, mapped_column

from renda.core.db import TenantBase, Timestamps, UUIDPrimaryKey, utcnow

CHANNELS = ("email", "sms", "wechat")
CHANNEL_LABELS = {"email": "电子邮件", "sms": "短信", "wechat": "微信"}
MODES = ("now", "daily", "weekly", "off")
MODE_LABELS = {"now": "立即发送", "daily": "每日汇总", "weekly": "每周汇总", "off": "不发送"}
FREQUENCIES = ("daily", "weekly")


class Status:
    PENDING = "pending"  # waiting for its deliver message
    DEFERRED = "deferred"  # held by quiet hours until not_before
    DIGEST = "digest"  # waits for the user's daily or weekly digest
    SENDING = "sending"  # handed to the transport under a lease
    SENT = "sent"
    FAILED = "failed"  # gave up after the last attempt: staff may resend
    SKIPPED = "skipped"  # nothing to send to (no address, channel not configured)


STATUSES = ("pending", "deferred", "digest", "sending", "sent", "failed", "skipped")
STATUS_LABELS = {
    "pending": "待发送",
    "deferred": "免打扰暂缓",
    "digest": "等待汇总",
    "sending": "发送中",
    "sent": "已发送",
    "failed": "发送失败",
    "skipped": "未发送",
}
_STATUS_CHECK = "status in ('pending','deferred','digest','sending','sent','failed','skipped')"
_CHANNEL_CHECK = "channel in ('email','sms','wechat')"


class Notification(UUIDPrimaryKey, TenantBase):
    """One inbox item: what one event tells one user."""

    __tablename__ = "notifications"
    __table_args__ = (UniqueConstraint("event_key", "user_id", name="uq_notifications_event_user"),)

    user_id: Mapped[uuid.UUID] = mapped_column(index=True)
    kind: Mapped[str] = mapped_column(String(60))
    event_key: Mapped[str] = mapped_column(String(200))
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    link: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, server_default=func.now())
    read_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Sendable:
    """Columns of what goes to a transport: a delivery or a digest."""

    status: Mapped[str] = mapped_column(String(10), index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    last_error: Mapped[str | None] = mapped_column(Text)
    not_before: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    lease_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # The broker message that holds the lease: when the broker hands that message out again, its
    # worker is gone, and the new one takes the lease over at once.
    lease_holder: Mapped[str | None] = mapped_column(String(36))
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Masked, for the staff page: never a full phone number.
    address_masked: Mapped[str | None] = mapped_column(String(100))


class NotificationDelivery(UUIDPrimaryKey, Timestamps, Sendable, TenantBase):
    """One notification on one external channel (the inbox itself needs no delivery)."""

    __tablename__ = "notification_deliveries"
    __table_args__ = (
        UniqueConstraint("notification_id", "channel", name="uq_notification_deliveries_notification_channel"),
        CheckConstraint(_STATUS_CHECK, name="status"),
        CheckConstraint(_CHANNEL_CHECK, name="channel"),
        CheckConstraint("frequency is null or frequency in ('daily','weekly')", name="frequency"),
    )

    notification_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("notifications.id", ondelete="CASCADE"))
    user_id: Mapped[uuid.UUID] = mapped_column(index=True)
    channel: Mapped[str] = mapped_column(String(10))
    frequency: Mapped[str | None] = mapped_column(String(10))  # set for digest deliveries
    digest_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("notification_digests.id", ondelete="SET NULL"), index=True
    )


class NotificationDigest(UUIDPrimaryKey, Timestamps, Sendable, TenantBase):
    """One user's daily or weekly summary on one channel; unique per period, so it goes once."""

    __tablename__ = "notification_digests"
    __table_args__ = (
        UniqueConstraint("user_id", "channel", "frequency", "period", name="uq_notification_digests_period"),
        CheckConstraint(_STATUS_CHECK, name="status"),
        CheckConstraint(_CHANNEL_CHECK, name="channel"),
        CheckConstraint("frequency in ('daily','weekly')", name="frequency"),
    )

    user_id: Mapped[uuid.UUID] = mapped_column()
    channel: Mapped[str] = mapped_column(String(10))
    frequency: Mapped[str] = mapped_column(String(10))
    period: Mapped[str] = mapped_column(String(40))


class NotificationPreference(UUIDPrimaryKey, Timestamps, TenantBase):
    """A user's choice for one kind on one channel; without a row the kind's default applies."""

    __tablename__ = "notification_preferences"
    __table_args__ = (
        UniqueConstraint("user_id", "kind", "channel", name="uq_notification_preferences_user_kind_channel"),
        CheckConstraint(_CHANNEL_CHECK, name="channel"),
        CheckConstraint("mode in ('now','daily','weekly','off')", name="mode"),
    )

    user_id: Mapped[uuid.UUID] = mapped_column(index=True)
    kind: Mapped[str] = mapped_column(String(60))
    channel: Mapped[str] = mapped_column(String(10))
    mode: Mapped[str] = mapped_column(String(10))


class NotificationSettings(Timestamps, TenantBase):
    """A user's quiet hours, in local (Asia/Shanghai) time; start > end spans midnight."""

    __tablename__ = "notification_settings"
    __table_args__ = (CheckConstraint("(quiet_start is null) = (quiet_end is null)", name="quiet_hours"),)

    user_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    quiet_start: Mapped[time | None] = mapped_column(Time)
    quiet_end: Mapped[time | None] = mapped_column(Time)


class NotificationTemplate(UUIDPrimaryKey, Timestamps, TenantBase):
    """An office's own wording of a kind's title and body."""

    __tablename__ = "notification_templates"

    kind: Mapped[str] = mapped_column(String(60), unique=True)
    title_template: Mapped[str] = mapped_column(String(200))
    body_template: Mapped[str] = mapped_column(Text)
    updated_by: Mapped[str] = mapped_column(String(200))
