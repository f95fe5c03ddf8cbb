"""How the audit log names notifications, their deliveries and each user's choices."""

from __future__ import annotations

from renda.modules.audit.service import register_entity
from renda.modules.notifications.models import (
    CHANNEL_LABELS,
    MODE_LABELS,
    STATUS_LABELS,
    Notification,
    NotificationDigest,
)
from renda.modules.notifications.registry import kinds

FREQUENCIES = {"daily": "每日", "weekly": "每周"}


def _kind(name: str) -> str:
    kind = kinds().get(name)
    return kind.label if kind else "其他通知"


SENDING = {"status": "发送状态", "address_masked": "发送地址(部分隐藏)"}
LEASE = {"lease_holder"}  # the broker message sending it: an id, not words

register_entity(
    "notifications",
    "通知",
    fields={"user_id": "收件人", "kind": "通知类型", "body": "正文", "read_at": "阅读时间"},
    formats={"kind": _kind},
    refs={"user_id": "users"},
    hidden={"event_key", "link"},  # what made it (its key) and the page it opens: ids, not words
    title=Notification.title,
)
register_entity(
    "notification_deliveries",
    "通知发送",
    fields={
        **SENDING,
        "notification_id": "通知",
        "user_id": "收件人",
        "channel": "发送方式",
        "frequency": "汇总频率",
        "digest_id": "汇总通知",
    },
    values={"status": STATUS_LABELS, "channel": CHANNEL_LABELS, "frequency": FREQUENCIES},
    refs={"user_id": "users"},
    hidden=LEASE,
)
register_entity(
    "notification_digests",
    "通知汇总",
    fields={**SENDING, "user_id": "收件人", "channel": "发送方式", "frequency": "汇总频率", "period": "汇总周期"},
    values={"status": STATUS_LABELS, "channel": CHANNEL_LABELS, "frequency": FREQUENCIES},
    refs={"user_id": "users"},
    hidden=LEASE,
    title=NotificationDigest.period,
)
register_entity(
    "notification_preferences",
    "通知接收方式",
    fields={"kind": "通知类型", "channel": "发送方式", "mode": "接收方式"},
    values={"channel": CHANNEL_LABELS, "mode": MODE_LABELS},
    formats={"kind": _kind},
    refs={"user_id": "users"},
)
register_entity(
    "notification_settings",
    "免打扰时段",
    fields={"quiet_start": "免打扰开始", "quiet_end": "免打扰结束"},
    refs={"user_id": "users"},
)
register_entity(
    "notification_templates",
    "通知模板",
    fields={"kind": "通知类型", "title_template": "标题模板", "body_template": "正文模板"},
    formats={"kind": _kind},
)
