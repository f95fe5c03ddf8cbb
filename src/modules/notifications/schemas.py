from __future__ import annotations

import uuid
from datetime import datetime, time
from typing import Annotated

import msgspec

from renda.modules.notifications.models import CHANNEL_LABELS, STATUS_LABELS, Notification, NotificationDelivery
from renda.modules.notifications.registry import MAX_BODY, MAX_TITLE


class NotificationOut(msgspec.Struct):
    id: uuid.UUID
    kind: str
    title: str
    body: str
    link: str | None
    created_at: datetime
    read_at: datetime | None

    @classmethod
    def of(cls, row: Notification) -> NotificationOut:
        return cls(row.id, row.kind, row.title, row.body, row.link, row.created_at, row.read_at)


class InboxPage(msgspec.Struct):
    items: list[NotificationOut]
    total: int
    unread: int
    page: int
    page_size: int


class UnreadCount(msgspec.Struct):
    unread: int


class MarkedRead(msgspec.Struct):
    marked: int


class PreferenceIn(msgspec.Struct, forbid_unknown_fields=True):
    kind: Annotated[str, msgspec.Meta(max_length=60)]
    channel: Annotated[str, msgspec.Meta(max_length=10)]
    mode: Annotated[str, msgspec.Meta(max_length=10)]


LocalTime = Annotated[str, msgspec.Meta(pattern=r"^([01]\d|2[0-3]):[0-5]\d$", description="北京时间,时:分")]


class QuietHours(msgspec.Struct, forbid_unknown_fields=True):
    start: LocalTime
    end: LocalTime

    @classmethod
    def of(cls, start: time, end: time) -> QuietHours:
        return cls(start.strftime("%H:%M"), end.strftime("%H:%M"))

    def times(self) -> tuple[time, time]:
        return time.fromisoformat(self.start), time.fromisoformat(self.end)


class PreferencesIn(msgspec.Struct, forbid_unknown_fields=True):
    """Only the listed choices change; `quiet_hours` null turns them off, absent leaves them."""

    preferences: Annotated[list[PreferenceIn], msgspec.Meta(max_length=500)] = msgspec.field(default_factory=list)
    quiet_hours: QuietHours | msgspec.UnsetType | None = msgspec.UNSET


class KindOut(msgspec.Struct):
    kind: str
    label: str
    description: str
    default_channels: list[str]


class ContactsOut(msgspec.Struct):
    email: str | None
    mobile_masked: str | None
    wechat_openid: str | None


class PreferencesOut(msgspec.Struct):
    kinds: list[KindOut]
    channels: dict[str, str]
    modes: dict[str, str]
    preferences: list[PreferenceIn]
    quiet_hours: QuietHours | None
    contacts: ContactsOut


class ContactsIn(msgspec.Struct, forbid_unknown_fields=True):
    """Empty or null clears an address; `mobile` absent keeps the stored number."""

    email: Annotated[str, msgspec.Meta(max_length=200)] | None = None
    mobile: Annotated[str, msgspec.Meta(max_length=20)] | msgspec.UnsetType | None = msgspec.UNSET
    wechat_openid: Annotated[str, msgspec.Meta(max_length=64)] | None = None


class DeliveryOut(msgspec.Struct):
    id: uuid.UUID
    notification_id: uuid.UUID
    kind: str | None
    title: str | None
    user_id: uuid.UUID
    recipient: str | None
    channel: str
    channel_label: str
    status: str
    status_label: str
    frequency: str | None
    attempts: int
    last_error: str | None
    address_masked: str | None
    not_before: datetime | None
    sent_at: datetime | None
    created_at: datetime

    @classmethod
    def of(cls, row: NotificationDelivery, item: Notification | None, recipient: str | None) -> DeliveryOut:
        return cls(
            row.id,
            row.notification_id,
            item.kind if item else None,
            item.title if item else None,
            row.user_id,
            recipient,
            row.channel,
            CHANNEL_LABELS[row.channel],
            row.status,
            STATUS_LABELS[row.status],
            row.frequency,
            row.attempts,
            row.last_error,
            row.address_masked,
            row.not_before,
            row.sent_at,
            row.created_at,
        )


class DeliveryPage(msgspec.Struct):
    items: list[DeliveryOut]
    total: int
    page: int
    page_size: int


class TemplateOut(msgspec.Struct):
    kind: str
    label: str
    variables: dict[str, str]
    title_template: str
    body_template: str
    default_title_template: str
    default_body_template: str
    customised: bool
    updated_by: str | None
    updated_at: datetime | None


class TemplateIn(msgspec.Struct, forbid_unknown_fields=True):
    kind: Annotated[str, msgspec.Meta(max_length=60)]
    # Lengths are checked by the service, for a message in Chinese.
    title_template: Annotated[str, msgspec.Meta(max_length=MAX_TITLE * 4)]
    body_template: Annotated[str, msgspec.Meta(max_length=MAX_BODY * 4)]


class TemplateReset(msgspec.Struct, forbid_unknown_fields=True):
    kind: Annotated[str, msgspec.Meta(max_length=60)]
