"""Reception calendar rules and exceptions, daily rosters and reception records of an office's stations.

Deputies are either persons of this office's register (`person_id`) or mandates another office records
(`directory_mandate_id`, platform.mandate_directory; no foreign key across schemas) — exactly one of the two.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import (
    ARRAY,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from renda.core.db import TenantBase, Timestamps, UUIDPrimaryKey

RULE_KINDS = {
    "month_days": "每月固定日",  # days of the month, e.g. 逢十: 10, 20, 30
    "weekdays": "每周固定日",  # ISO weekdays 1 (Monday) … 7 (Sunday)
    # duty_rhythm: a roster obligation per deputy, N days a month at the station and M a quarter at a home
    "duty_rhythm": "月进站、季进家",
}
EXCEPTION_KINDS = {"cancelled": "停止接待", "extra": "增加接待"}
ROSTER_SOURCES = {"generated": "自动排班", "manual": "人工调整"}
CANCELLED = "cancelled"
# `cancelled`: the day stopped being a reception day after rostering; nobody is reminded unless it is restored.
REMINDER_STATES = {"sent": "已提醒", "unreachable": "无法提醒(未关联账号)", "cancelled": "已停止接待,不提醒"}


class ReceptionRule(UUIDPrimaryKey, Timestamps, TenantBase):
    """One rule of a station's reception calendar, valid from one date to another (open-ended if no end)."""

    __tablename__ = "reception_rules"
    __table_args__ = (
        CheckConstraint("kind in ('month_days','weekdays','duty_rhythm')", name="kind"),
        CheckConstraint("valid_to is null or valid_to >= valid_from", name="dates"),
        CheckConstraint("per_month >= 0 and per_quarter_home >= 0", name="counts"),
    )

    station_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("stations.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    # month_days: 1–31 (a day past the month's end means its last day); weekdays: 1–7. Empty for duty_rhythm.
    days: Mapped[list[int]] = mapped_column(ARRAY(Integer), default=list)
    # duty_rhythm: rostered days per deputy per month at the station, and per quarter at a 代表之家.
    per_month: Mapped[int] = mapped_column(Integer, default=0)
    per_quarter_home: Mapped[int] = mapped_column(Integer, default=0)
    # duty_rhythm: the 代表之家 for the quarterly turn; none = the station itself if it is a home, else
    # a home in the same township, else any active home of the office.
    home_station_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("stations.id", ondelete="SET NULL"))
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(String(200))


class ReceptionException(UUIDPrimaryKey, Timestamps, TenantBase):
    """A cancelled reception day (a holiday) or an extra one, for one station or (no station) all of them."""

    __tablename__ = "reception_exceptions"
    __table_args__ = (
        CheckConstraint("kind in ('cancelled','extra')", name="kind"),
        Index(
            "uq_reception_exceptions_station_day",
            "station_id",
            "day",
            unique=True,
            postgresql_where=text("station_id is not null"),
        ),
        Index(
            "uq_reception_exceptions_office_day",
            "day",
            unique=True,
            postgresql_where=text("station_id is null"),
        ),
    )

    station_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("stations.id", ondelete="CASCADE"), index=True)
    day: Mapped[date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(10))
    reason: Mapped[str | None] = mapped_column(String(200))


class RosterEntry(UUIDPrimaryKey, Timestamps, TenantBase):
    """轮值代表: one deputy on duty at one station on one reception day."""

    __tablename__ = "roster_entries"
    __table_args__ = (
        CheckConstraint("(person_id is null) <> (directory_mandate_id is null)", name="one_deputy"),
        CheckConstraint("source in ('generated','manual')", name="source"),
        CheckConstraint(
            "reminder_status is null or reminder_status in ('sent','unreachable','cancelled')", name="reminder"
        ),
        UniqueConstraint("station_id", "day", "person_id", name="uq_roster_entries_station_day_person"),
        UniqueConstraint("station_id", "day", "directory_mandate_id", name="uq_roster_entries_station_day_external"),
        Index("ix_roster_entries_day", "day"),
    )

    station_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("stations.id", ondelete="CASCADE"), index=True)
    day: Mapped[date] = mapped_column(Date)
    person_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("persons.id", ondelete="CASCADE"), index=True)
    directory_mandate_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    source: Mapped[str] = mapped_column(String(10), default="manual")
    reminder_status: Mapped[str | None] = mapped_column(String(12))
    reminded_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Reception(UUIDPrimaryKey, Timestamps, TenantBase):
    """接待记录: one visit (a person or a group) received at a station on a day."""

    __tablename__ = "receptions"
    __table_args__ = (
        CheckConstraint("visitor_count >= 1", name="visitor_count"),
        Index("ix_receptions_station_held_on", "station_id", "held_on"),
        Index("ix_receptions_held_on", "held_on"),
    )
    __audit_redact__ = ("visitor_phone_encrypted", "visitor_phone_hash")

    station_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("stations.id", ondelete="RESTRICT"), index=True)
    held_on: Mapped[date] = mapped_column(Date)
    off_schedule: Mapped[bool] = mapped_column(Boolean, default=False)  # 非接待日
    visitor_name: Mapped[str] = mapped_column(String(50))
    visitor_count: Mapped[int] = mapped_column(Integer, default=1)
    # Personal data: encrypted, a keyed hash to find a visitor's earlier visits, a masked form to show.
    visitor_phone_encrypted: Mapped[str | None] = mapped_column(Text)
    visitor_phone_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    visitor_phone_masked: Mapped[str | None] = mapped_column(String(20))
    issue: Mapped[str] = mapped_column(Text)
    category: Mapped[str] = mapped_column(String(20), index=True)
    place: Mapped[str | None] = mapped_column(String(200))
    handling: Mapped[str | None] = mapped_column(Text)  # 现场答复 / 处理情况
    opinion_id: Mapped[uuid.UUID | None] = mapped_column()  # the 群众意见 it became (opinions module)
    opinion_ticket: Mapped[str | None] = mapped_column(String(40))
    recorded_by: Mapped[uuid.UUID | None] = mapped_column()  # platform user


class ReceptionDeputy(UUIDPrimaryKey, TenantBase):
    """A deputy present at a reception."""

    __tablename__ = "reception_deputies"
    __table_args__ = (
        CheckConstraint("(person_id is null) <> (directory_mandate_id is null)", name="one_deputy"),
        UniqueConstraint("reception_id", "person_id", name="uq_reception_deputies_reception_person"),
        UniqueConstraint("reception_id", "directory_mandate_id", name="uq_reception_deputies_reception_external"),
    )

    reception_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("receptions.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)  # order as entered: the first is the lead
    person_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("persons.id", ondelete="RESTRICT"), index=True)
    directory_mandate_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
