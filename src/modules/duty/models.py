"""Duty performance (履职): activities and their attendance, evidence of duty done elsewhere, the points
rules and the append-only points ledger, the yearly star rating with its reminder talks, the points
store, and one archive per deputy per year (一人一档、一年一归档).

A deputy is a `Person` of the office's register; everything here is keyed by the person, not by a
mandate, because one person's duty is rated once a year whatever mandates they hold.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Identity,
    Index,
    Integer,
    LargeBinary,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, deferred, mapped_column

from renda.core.db import TenantBase, Timestamps, UUIDPrimaryKey, utcnow


def _in(column: str, values: Iterable[str]) -> str:
    return f"{column} in ({', '.join(repr(v) for v in values)})"


# --- activities (履职活动) ---------------------------------------------------------------------------
ACTIVITY_KINDS = {
    "session": "出席人民代表大会会议",
    "inspection": "视察",
    "research": "调研",
    "law_check": "执法检查",
    "training": "学习培训",
    "themed_action": "代表主题活动",
    "group_activity": "代表小组活动",
    "other": "其他履职活动",
}
ACTIVITY_STATUSES = {"planned": "未开始", "finished": "已结束", "cancelled": "已取消"}
ATTENDANCE_STATUSES = {"present": "出席", "leave": "请假", "absent": "缺席"}
ATTENDANCE_SOURCES = {"list": "签到表录入", "qr": "扫码签到"}


class Activity(UUIDPrimaryKey, Timestamps, TenantBase):
    """An activity the office (or a group, a station) organises; the organiser records who attended
    (谁组织谁负责), or deputies sign in at the venue with the activity's QR code."""

    __tablename__ = "duty_activities"
    __audit_redact__ = ("sign_in_secret",)  # what the printed codes derive from
    __table_args__ = (
        CheckConstraint(_in("kind", ACTIVITY_KINDS), name="kind"),
        CheckConstraint(_in("status", ACTIVITY_STATUSES), name="status"),
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        CheckConstraint("hours IS NULL OR hours > 0", name="hours_positive"),
        Index("ix_duty_activities_year_starts", "year", "starts_at"),
    )

    kind: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(String(200))
    place: Mapped[str] = mapped_column(String(200), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    starts_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ends_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    year: Mapped[int] = mapped_column(Integer)  # the local (Asia/Shanghai) year of starts_at
    hours: Mapped[Decimal | None] = mapped_column(Numeric(5, 1))  # trainings: hours credited
    organiser: Mapped[str] = mapped_column(String(100), default="")
    group_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("deputy_groups.id", ondelete="SET NULL"))
    station_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("stations.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(10), default="planned")
    # The QR code carries a token derived from this secret; regenerating it voids printed codes.
    sign_in_secret: Mapped[str] = mapped_column(String(64))
    created_by: Mapped[str] = mapped_column(String(200))


class Attendance(UUIDPrimaryKey, TenantBase):
    """One deputy at one activity: recorded once (a second sign-in changes nothing)."""

    __tablename__ = "duty_attendances"
    __table_args__ = (
        UniqueConstraint("activity_id", "person_id"),
        CheckConstraint(_in("status", ATTENDANCE_STATUSES), name="status"),
        CheckConstraint(_in("source", ATTENDANCE_SOURCES), name="source"),
    )

    activity_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("duty_activities.id", ondelete="CASCADE"))
    person_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("persons.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(8))
    source: Mapped[str] = mapped_column(String(8))
    note: Mapped[str] = mapped_column(String(200), default="")
    recorded_by: Mapped[str] = mapped_column(String(200))
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


# --- evidence (佐证) ---------------------------------------------------------------------------------
EVIDENCE_KINDS = {
    "training": "参加培训",
    "inspection": "参加视察",
    "research": "参加调研",
    "law_check": "参加执法检查",
    "themed_action": "参加代表主题活动",
    "people": "联系服务群众",
    "award": "获得表彰",
    "other": "其他履职",
}
AWARD_LEVELS = {"national": "国家级", "provincial": "省级", "city": "市级", "county": "县级"}
EVIDENCE_STATUSES = {"pending": "待核实", "verified": "已核实", "rejected": "已退回"}


class Evidence(UUIDPrimaryKey, Timestamps, TenantBase):
    """Proof a deputy submits of duty done elsewhere; it earns points once staff verify it."""

    __tablename__ = "duty_evidence"
    __table_args__ = (
        CheckConstraint(_in("kind", EVIDENCE_KINDS), name="kind"),
        CheckConstraint(_in("status", EVIDENCE_STATUSES), name="status"),
        CheckConstraint(f"award_level IS NULL OR {_in('award_level', AWARD_LEVELS)}", name="award_level"),
        CheckConstraint("hours IS NULL OR hours > 0", name="hours_positive"),
        Index("ix_duty_evidence_status", "status", "submitted_at"),
        Index("ix_duty_evidence_person_year", "person_id", "year"),
    )

    person_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("persons.id", ondelete="CASCADE"))
    year: Mapped[int] = mapped_column(Integer)  # the year of occurred_on
    kind: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    occurred_on: Mapped[date] = mapped_column(Date)
    hours: Mapped[Decimal | None] = mapped_column(Numeric(5, 1))
    award_level: Mapped[str | None] = mapped_column(String(12))
    status: Mapped[str] = mapped_column(String(10), default="pending")
    reject_reason: Mapped[str] = mapped_column(String(500), default="")
    submitted_by: Mapped[str] = mapped_column(String(200))
    submitted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    reviewed_by: Mapped[str | None] = mapped_column(String(200))
    reviewed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class EvidenceFile(UUIDPrimaryKey, TenantBase):
    __tablename__ = "duty_evidence_files"
    __audit_redact__ = ("content",)

    evidence_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("duty_evidence.id", ondelete="CASCADE"), index=True)
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    content: Mapped[bytes] = deferred(mapped_column(LargeBinary, nullable=False))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


# --- points rules (履职积分管理办法) and the ledger ----------------------------------------------------
POINT_CATEGORIES = {
    "meetings": "会议出席",
    "activities": "履职活动",
    "suggestions": "建议议案",
    "people": "联系群众",
    "learning": "学习提升",
    "bonus": "附加分",
}
# What an entry can be priced for: the event kinds a rule names.
EVENT_KINDS = {
    "session": "出席人民代表大会会议",
    "session_leave": "请假未出席人民代表大会会议",
    "invited_attendance": "列席常委会会议",
    "inspection": "参加视察",
    "research": "参加调研",
    "law_check": "参加执法检查",
    "training": "参加培训(每学时)",
    "themed_action": "参加代表主题活动",
    "group_activity": "参加代表小组活动",
    "other_activity": "其他履职活动",
    "absence": "无故缺席",
    "reception": "进站接待选民",
    "people": "联系服务群众",
    "suggestion_lead": "领衔提出建议",
    "suggestion_cosign": "联名附议建议",
    "motion_lead": "领衔提出议案",
    "key_suggestion": "建议列为重点建议",
    "award_national": "获国家级表彰",
    "award_provincial": "获省级表彰",
    "award_city": "获市级表彰",
    "award_county": "获县级表彰",
}
RULE_UNITS = {"event": "每次", "hour": "每学时"}


class PointCategory(UUIDPrimaryKey, TenantBase):
    """A category of the year's rules with its cap (None: no cap); the bonus category sits on top of
    the base of 100 (百分制 + 附加分)."""

    __tablename__ = "duty_point_categories"
    __table_args__ = (
        UniqueConstraint("year", "code"),
        CheckConstraint(_in("code", POINT_CATEGORIES), name="code"),
        CheckConstraint("cap IS NULL OR cap >= 0", name="cap_not_negative"),
    )

    year: Mapped[int] = mapped_column(Integer)
    code: Mapped[str] = mapped_column(String(12))
    cap: Mapped[Decimal | None] = mapped_column(Numeric(7, 1))
    is_bonus: Mapped[bool] = mapped_column(Boolean, default=False)


class PointRule(UUIDPrimaryKey, TenantBase):
    """What one kind of event is worth in a year. Rules are never edited: a change supersedes the
    live row with a new version, so every ledger entry keeps the rule that priced it."""

    __tablename__ = "duty_point_rules"
    __table_args__ = (
        CheckConstraint(_in("event_kind", EVENT_KINDS), name="event_kind"),
        CheckConstraint(_in("category", POINT_CATEGORIES), name="category"),
        CheckConstraint(_in("unit", RULE_UNITS), name="unit"),
        CheckConstraint("cap IS NULL OR cap >= 0", name="cap_not_negative"),
        # One live rule per kind of event: two would price the same event twice.
        Index(
            "uq_duty_point_rules_live",
            "year",
            "event_kind",
            unique=True,
            postgresql_where=text("superseded_at IS NULL"),
        ),
    )

    year: Mapped[int] = mapped_column(Integer)
    event_kind: Mapped[str] = mapped_column(String(24))
    category: Mapped[str] = mapped_column(String(12))
    points: Mapped[Decimal] = mapped_column(Numeric(6, 1))  # negative: a deduction
    unit: Mapped[str] = mapped_column(String(8), default="event")
    cap: Mapped[Decimal | None] = mapped_column(Numeric(7, 1))  # at most this much a year from this rule
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    superseded_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


ENTRY_REASONS = {"event": "计分", "reversal": "撤销冲正", "reprice": "规则调整重新计分"}


class PointEntry(TenantBase):
    """One line of the append-only ledger (a trigger refuses UPDATE and DELETE). The balance of an
    event is the sum of its entries; undoing the event or re-pricing it adds entries."""

    __tablename__ = "duty_point_entries"
    __table_args__ = (
        CheckConstraint(_in("category", POINT_CATEGORIES), name="category"),
        CheckConstraint(_in("event_kind", EVENT_KINDS), name="event_kind"),
        CheckConstraint(_in("reason", ENTRY_REASONS), name="reason"),
        Index("ix_duty_point_entries_year_person", "year", "person_id"),
        Index("ix_duty_point_entries_source", "source", "source_id"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    year: Mapped[int] = mapped_column(Integer)
    person_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("persons.id", ondelete="CASCADE"))
    category: Mapped[str] = mapped_column(String(12))
    event_kind: Mapped[str] = mapped_column(String(24))
    rule_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("duty_point_rules.id", ondelete="RESTRICT"))
    # The event: which module's record (duty_activity, duty_evidence, suggestion, reception, contact_meeting, ...)
    source: Mapped[str] = mapped_column(String(24))
    source_id: Mapped[uuid.UUID] = mapped_column()
    source_label: Mapped[str] = mapped_column(String(300))  # what the deputy reads: 「2026年3月 视察:…」
    occurred_on: Mapped[date] = mapped_column(Date)
    points: Mapped[Decimal] = mapped_column(Numeric(7, 1))
    reason: Mapped[str] = mapped_column(String(10), default="event")
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


# --- the yearly star rating (亮星 / 星级评价) --------------------------------------------------------
GRADES = {"excellent": "优秀", "good": "良好", "competent": "称职", "basic": "基本称职", "incompetent": "不称职"}
STARS = {"excellent": 5, "good": 4, "competent": 3, "basic": 2, "incompetent": 1}
LOW_GRADES = ("basic", "incompetent")
RATING_STEPS = {
    "opened": "待代表自评",  # started by staff (bulk) before the deputy assessed themselves
    "self": "代表自评",
    "group": "代表小组评议",
    "township": "乡镇(街道)审核",
    "committee": "常委会审定",
    "published": "已公示",
}
TALK_STATUSES = {"scheduled": "已安排", "held": "已约谈", "cancelled": "已取消"}


class RatingWindow(UUIDPrimaryKey, Timestamps, TenantBase):
    """The year's rating window (December unless the office sets another) and its publication."""

    __tablename__ = "duty_rating_windows"
    __table_args__ = (UniqueConstraint("year"), CheckConstraint("closes_on >= opens_on", name="closes_after_open"))

    year: Mapped[int] = mapped_column(Integer)
    opens_on: Mapped[date] = mapped_column(Date)
    closes_on: Mapped[date] = mapped_column(Date)
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    published_by: Mapped[str | None] = mapped_column(String(200))
    # The office publishes the list of grades on its public portal too (not only to each deputy).
    public_list: Mapped[bool] = mapped_column(Boolean, default=False)


class Rating(UUIDPrimaryKey, Timestamps, TenantBase):
    """A deputy's rating of a year; `step` is the last step done (self → group → township → committee
    → published; `opened` when staff started it before the deputy assessed themselves), the grades
    each step gave are kept beside it."""

    __tablename__ = "duty_ratings"
    __table_args__ = (
        UniqueConstraint("year", "person_id"),
        CheckConstraint(_in("step", RATING_STEPS), name="step"),
        *(
            CheckConstraint(f"{column} IS NULL OR {_in(column, GRADES)}", name=column)
            for column in ("self_grade", "group_grade", "township_grade", "grade")
        ),
    )

    year: Mapped[int] = mapped_column(Integer)
    person_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("persons.id", ondelete="CASCADE"), index=True)
    step: Mapped[str] = mapped_column(String(10))
    self_summary: Mapped[str] = mapped_column(Text, default="")
    self_grade: Mapped[str | None] = mapped_column(String(12))
    group_grade: Mapped[str | None] = mapped_column(String(12))
    township_grade: Mapped[str | None] = mapped_column(String(12))
    grade: Mapped[str | None] = mapped_column(String(12))  # the committee's decision
    stars: Mapped[int | None] = mapped_column(Integer)
    points: Mapped[Decimal | None] = mapped_column(Numeric(7, 1))  # the year's points when decided
    # Rated low (基本称职 or 不称职) this year and the year before: advised to resign (劝辞).
    advise_resign: Mapped[bool] = mapped_column(Boolean, default=False)


class RatingStep(UUIDPrimaryKey, TenantBase):
    __tablename__ = "duty_rating_steps"
    __table_args__ = (CheckConstraint(_in("step", RATING_STEPS), name="step"),)

    rating_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("duty_ratings.id", ondelete="CASCADE"), index=True)
    step: Mapped[str] = mapped_column(String(10))
    grade: Mapped[str | None] = mapped_column(String(12))
    note: Mapped[str] = mapped_column(Text, default="")
    actor: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Talk(UUIDPrimaryKey, Timestamps, TenantBase):
    """A reminder talk (提醒约谈) scheduled for a deputy rated low."""

    __tablename__ = "duty_talks"
    __table_args__ = (CheckConstraint(_in("status", TALK_STATUSES), name="status"),)

    rating_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("duty_ratings.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("persons.id", ondelete="CASCADE"))
    scheduled_on: Mapped[date] = mapped_column(Date)
    place: Mapped[str] = mapped_column(String(200), default="")
    talker: Mapped[str] = mapped_column(String(100), default="")
    status: Mapped[str] = mapped_column(String(10), default="scheduled")
    note: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[str] = mapped_column(String(200))


# --- the points store (积分超市) ---------------------------------------------------------------------
REDEMPTION_STATUSES = {"requested": "待领取", "handed_over": "已领取", "cancelled": "已取消"}


class StoreItem(UUIDPrimaryKey, Timestamps, TenantBase):
    __tablename__ = "duty_store_items"
    __table_args__ = (
        CheckConstraint("price > 0", name="price_positive"),
        CheckConstraint("stock >= 0", name="stock_not_negative"),
    )

    name: Mapped[str] = mapped_column(String(100))
    description: Mapped[str] = mapped_column(String(500), default="")
    price: Mapped[int] = mapped_column(Integer)  # points
    stock: Mapped[int] = mapped_column(Integer)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Redemption(UUIDPrimaryKey, TenantBase):
    """Points of `points_year` spent on an item in the following year; the balance never goes negative."""

    __tablename__ = "duty_redemptions"
    __table_args__ = (
        CheckConstraint(_in("status", REDEMPTION_STATUSES), name="status"),
        CheckConstraint("points > 0 AND quantity > 0", name="positive"),
        Index("ix_duty_redemptions_person_year", "person_id", "points_year"),
    )

    item_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("duty_store_items.id", ondelete="RESTRICT"))
    person_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("persons.id", ondelete="CASCADE"))
    points_year: Mapped[int] = mapped_column(Integer)
    quantity: Mapped[int] = mapped_column(Integer, default=1)
    points: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(12), default="requested")
    requested_by: Mapped[str] = mapped_column(String(200))
    requested_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    handled_by: Mapped[str | None] = mapped_column(String(200))
    handled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    note: Mapped[str] = mapped_column(String(200), default="")


# --- archives (履职档案) -------------------------------------------------------------------------------
ARCHIVE_STATUSES = {"open": "本年度", "closed": "已归档"}


class Archive(UUIDPrimaryKey, Timestamps, TenantBase):
    """A deputy's archive of a year. While open it is generated from the records on each reading;
    closing (at year end) freezes that reading in `content`; later changes become corrections."""

    __tablename__ = "duty_archives"
    __audit_redact__ = ("content",)  # the whole frozen archive: the audit log notes that it changed
    __table_args__ = (
        UniqueConstraint("person_id", "year"),
        CheckConstraint(_in("status", ARCHIVE_STATUSES), name="status"),
    )

    person_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("persons.id", ondelete="CASCADE"))
    year: Mapped[int] = mapped_column(Integer, index=True)
    status: Mapped[str] = mapped_column(String(8), default="open")
    content: Mapped[dict | None] = mapped_column(JSONB)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class ArchiveCorrection(UUIDPrimaryKey, TenantBase):
    __tablename__ = "duty_archive_corrections"

    archive_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("duty_archives.id", ondelete="CASCADE"), index=True)
    section: Mapped[str] = mapped_column(String(20))
    content: Mapped[str] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(String(500))
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


# --- the ranking's sums and the points job's debounce (t0018) ------------------------------------------
class PointSum(TenantBase):
    """The ledger's sum per deputy, category and kind of event of a year, folded in by every reconcile
    (entries up to `PointSumMark.through_id`): the live ranking reads these instead of every entry."""

    __tablename__ = "duty_point_sums"
    __table_args__ = (
        CheckConstraint(_in("category", POINT_CATEGORIES), name="category"),
        CheckConstraint(_in("event_kind", EVENT_KINDS), name="event_kind"),
    )
    __audit__ = False

    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("persons.id", ondelete="CASCADE"), primary_key=True)
    category: Mapped[str] = mapped_column(String(12), primary_key=True)
    event_kind: Mapped[str] = mapped_column(String(24), primary_key=True)
    points: Mapped[Decimal] = mapped_column(Numeric(9, 1))


class PointSumMark(TenantBase):
    """The last ledger entry of a year folded into `PointSum`."""

    __tablename__ = "duty_point_sum_marks"
    __audit__ = False

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    through_id: Mapped[int] = mapped_column(BigInteger)


class PointsPending(TenantBase):
    """The office's ledger waits for a reconcile: at most one row, so a burst of changes sends one
    message to the points job (see `points_watch`)."""

    __tablename__ = "duty_points_pending"
    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)
    __audit__ = False

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    requested_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
