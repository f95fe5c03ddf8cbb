"""Stored in UTC, shown in Asia/Shanghai; dates of duty are local dates."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

LOCAL_TZ = ZoneInfo("Asia/Shanghai")


def to_local(value: datetime) -> datetime:
    return value.astimezone(LOCAL_TZ)


def local_today() -> date:
    return datetime.now(LOCAL_TZ).date()
