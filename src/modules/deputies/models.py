"""The deputy register of one office: congresses and their terms, persons, and their mandates.

A person (代表本人) holds one or more mandates (代表资格), one per congress term, at any of the five
levels. The office that administers a mandate records it here; where the deputy is organised
(进家入站) may be another office, which sees it through the platform's mandate directory.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    ARRAY,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, deferred, mapped_column

from renda.core.db import PlatformBase, TenantBase, Timestamps, UUIDPrimaryKey, utcnow


class Level:
    NATIONAL = "national"
    PROVINCIAL = "provincial"
    CITY = "city"
    COUNTY = "county"
    TOWNSHIP = "township"


LEVELS = (Level.NATIONAL, Level.PROVINCIAL, Level.CITY, Level.COUNTY, Level.TOWNSHIP)
LEVEL_LABELS = {
    Level.NATIONAL: "全国人大代表",
    Level.PROVINCIAL: "省人大代表",
    Level.CITY: "市人大代表",
    Level.COUNTY: "县人大代表",
    Level.TOWNSHIP: "乡镇人大代表",
}


class MandateStatus:
    ACTIVE = "active"
    SUSPENDED = "suspended"  # 暂停执行代表职务 (Art. 61)
    ENDED = "ended"


STATUS_LABELS = {MandateStatus.ACTIVE: "在任", MandateStatus.SUSPENDED: "暂停执行职务", MandateStatus.ENDED: "已终止"}

# Deputies Law as amended 2025-03-11, Art. 62, plus the end of the term.
END_REASONS = {
    "moved_out": "迁出或者调离本行政区域",
    "resigned": "辞职被接受",
    "absent_twice": "未经批准两次不出席本级人民代表大会会议",
    "recalled": "被罢免",
    "lost_nationality": "丧失中华人民共和国国籍",
    "deprived_political_rights": "依照法律被剥夺政治权利",
    "lost_legal_capacity": "丧失行为能力",
    "deceased": "死亡",
    "term_ended": "任期届满",
}
# How a resignation came about: the scenario's "advised to resign" and "ordered to resign" are resignations.
RESIGNATION_KINDS = {"voluntary": "本人辞职", "advised": "劝辞", "ordered": "责令辞职"}
SUSPENSION_REASONS = {
    "custody": "因刑事案件被羁押正在受侦查、起诉、审判",
    "sentence": "被依法判处管制并被剥夺政治权利或者正在服刑",
}


class Congress(UUIDPrimaryKey, Timestamps, TenantBase):
    """A people's congress this office administers mandates of: its own, or (for a county) those of its
    townships that are not offices on the platform, or (for a city or county) the delegation's view
    of a higher congress."""

    __tablename__ = "congresses"
    __table_args__ = (
        UniqueConstraint("level", "division_code"),
        CheckConstraint("level in ('national','provincial','city','county','township')", name="level"),
    )

    level: Mapped[str] = mapped_column(String(12))
    name: Mapped[str] = mapped_column(String(100))
    division_code: Mapped[str] = mapped_column(String(12))


class Term(UUIDPrimaryKey, Timestamps, TenantBase):
    """届: a numbered term of a congress. At most one is current; 换届 closes it and opens the next."""

    __tablename__ = "terms"
    __table_args__ = (
        UniqueConstraint("congress_id", "number"),
        Index("uq_terms_one_current", "congress_id", unique=True, postgresql_where=text("is_current")),
        CheckConstraint("ends_on is null or ends_on > starts_on", name="dates"),
    )

    congress_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("congresses.id", ondelete="RESTRICT"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date | None] = mapped_column(Date)
    is_current: Mapped[bool] = mapped_column(Boolean, default=True)


class Person(UUIDPrimaryKey, Timestamps, TenantBase):
    """A deputy as a person, shown once however many mandates they hold."""

    __tablename__ = "persons"
    __table_args__ = (
        CheckConstraint("gender in ('male','female')", name="gender"),
        UniqueConstraint("id_number_hash"),
        Index("ix_persons_name_pinyin", "name_pinyin"),
        Index("ix_persons_name_initials", "name_initials"),
    )
    __audit_redact__ = ("id_number_encrypted", "id_number_hash", "mobile_encrypted", "photo")

    name: Mapped[str] = mapped_column(String(50), index=True)
    name_pinyin: Mapped[str] = mapped_column(String(200))  # "zhangsan", for search
    name_initials: Mapped[str] = mapped_column(String(50))  # "zs"
    gender: Mapped[str] = mapped_column(String(6))
    ethnicity: Mapped[str] = mapped_column(String(20), default="汉族")
    birth_date: Mapped[date | None] = mapped_column(Date)
    party: Mapped[str | None] = mapped_column(String(30))
    occupation_category: Mapped[str | None] = mapped_column(String(30))
    sector: Mapped[str | None] = mapped_column(String(50))  # 界别 / 行业
    workplace: Mapped[str | None] = mapped_column(String(200))
    position: Mapped[str | None] = mapped_column(String(200))
    education: Mapped[str | None] = mapped_column(String(20))
    # Personal data: encrypted, with a keyed hash to find duplicates and link the same person across offices.
    id_number_encrypted: Mapped[str | None] = mapped_column(Text)
    id_number_hash: Mapped[str | None] = mapped_column(String(64))
    mobile_encrypted: Mapped[str | None] = mapped_column(Text)
    mobile_masked: Mapped[str | None] = mapped_column(String(20))
    photo: Mapped[bytes | None] = deferred(mapped_column(LargeBinary))
    photo_type: Mapped[str | None] = mapped_column(String(30))
    # Art. 58: the basic information the office publishes on the public portal.
    public_fields: Mapped[list[str]] = mapped_column(ARRAY(String(30)), default=lambda: ["name", "gender", "levels"])
    # The platform user who signs in as this deputy: reminders (reception rosters, invitations) reach them.
    user_id: Mapped[uuid.UUID | None] = mapped_column(index=True, unique=True)


class Mandate(UUIDPrimaryKey, Timestamps, TenantBase):
    """代表资格: one person's seat in one term, recorded by the office that administers it."""

    __tablename__ = "mandates"
    __table_args__ = (
        CheckConstraint("status in ('active','suspended','ended')", name="status"),
        CheckConstraint("(status = 'ended') = (ended_on is not null and end_reason is not null)", name="ended"),
        CheckConstraint("ended_on is null or ended_on >= starts_on", name="dates"),
        # A person holds at most one live mandate per term (a by-election after an ended one is fine).
        Index(
            "uq_mandates_live_per_term", "person_id", "term_id", unique=True, postgresql_where=text("status <> 'ended'")
        ),
        Index("ix_mandates_level_status", "level", "status"),
    )

    person_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("persons.id", ondelete="RESTRICT"), index=True)
    term_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("terms.id", ondelete="RESTRICT"), index=True)
    level: Mapped[str] = mapped_column(String(12))  # the congress's, kept here for counting
    constituency: Mapped[str | None] = mapped_column(String(100))  # 选区 (direct elections)
    electoral_unit: Mapped[str | None] = mapped_column(String(100))  # 选举单位 (indirect)
    delegation: Mapped[str | None] = mapped_column(String(100))  # 代表团
    # The office in whose territory the deputy is organised (groups, stations); this office when None.
    organised_in: Mapped[str | None] = mapped_column(String(9))
    starts_on: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(10), default=MandateStatus.ACTIVE)
    by_election: Mapped[bool] = mapped_column(Boolean, default=False)
    replaces_mandate_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("mandates.id", ondelete="SET NULL"))
    ended_on: Mapped[date | None] = mapped_column(Date)
    end_reason: Mapped[str | None] = mapped_column(String(30))
    resignation_kind: Mapped[str | None] = mapped_column(String(10))
    suspended_on: Mapped[date | None] = mapped_column(Date)
    suspension_reason: Mapped[str | None] = mapped_column(String(10))


class MandateEvent(UUIDPrimaryKey, TenantBase):
    """What happened to a mandate, when: the register's change history and the changes report."""

    __tablename__ = "mandate_events"
    __table_args__ = (Index("ix_mandate_events_kind_on", "kind", "on"),)

    mandate_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("mandates.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # elected | by_elected | suspended | resumed | ended | carried_over
    on: Mapped[date] = mapped_column(Date)
    reason: Mapped[str | None] = mapped_column(String(30))
    detail: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    recorded_by: Mapped[str] = mapped_column(String(200))
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class DirectoryEntry(PlatformBase):
    """What other offices may know of a mandate: enough to list and count it, no personal data.

    Written only by the `publish_mandate` worker from the recording office's own tables, so a
    request never reads another office's schema; offices read the rows of their territory.
    """

    __tablename__ = "mandate_directory"
    __table_args__ = (
        Index(
            "ix_mandate_directory_recorded_path", "recorded_path", postgresql_ops={"recorded_path": "text_pattern_ops"}
        ),
        Index(
            "ix_mandate_directory_organised_path",
            "organised_path",
            postgresql_ops={"organised_path": "text_pattern_ops"},
        ),
        Index("ix_mandate_directory_person_key", "person_key"),
        # The register's figures of one office (a rollup refresh) read its mandates by this.
        Index("ix_mandate_directory_organised_in", "organised_in"),
    )
    __audit__ = False

    mandate_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    recorded_by: Mapped[str] = mapped_column(String(9))
    recorded_path: Mapped[str] = mapped_column(String(40))
    organised_in: Mapped[str] = mapped_column(String(9))
    organised_path: Mapped[str] = mapped_column(String(40))
    # The same person across offices: the keyed hash of the ID number, else "<office>:<person id>".
    person_key: Mapped[str] = mapped_column(String(80))
    person_id: Mapped[uuid.UUID] = mapped_column()
    person_name: Mapped[str] = mapped_column(String(50))
    name_pinyin: Mapped[str] = mapped_column(String(200))
    name_initials: Mapped[str] = mapped_column(String(50))
    gender: Mapped[str] = mapped_column(String(6))
    ethnicity: Mapped[str | None] = mapped_column(String(20))
    party: Mapped[str | None] = mapped_column(String(30))
    occupation_category: Mapped[str | None] = mapped_column(String(30))
    birth_year: Mapped[int | None] = mapped_column(Integer)
    level: Mapped[str] = mapped_column(String(12))
    congress_name: Mapped[str] = mapped_column(String(100))
    term_number: Mapped[int] = mapped_column(Integer)
    constituency: Mapped[str | None] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(10))
    starts_on: Mapped[date] = mapped_column(Date)
    by_election: Mapped[bool] = mapped_column(Boolean, default=False)
    ended_on: Mapped[date | None] = mapped_column(Date)
    end_reason: Mapped[str | None] = mapped_column(String(30))
    resignation_kind: Mapped[str | None] = mapped_column(String(10))
    # For vacancies across a territory: the seat a by-election filled, and the term's dates.
    replaces_mandate_id: Mapped[uuid.UUID | None] = mapped_column()
    term_starts_on: Mapped[date | None] = mapped_column(Date)
    term_ends_on: Mapped[date | None] = mapped_column(Date)
    published_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class MandateClaim(PlatformBase):
    """Which office records a person's mandate in one congress term: one office only, whatever
    the status of the offices or of the mandate (docs/register.md, "Who records a mandate").

    Written in the recording office's own transaction when the mandate is entered, so the primary
    key refuses a second office at once instead of a count that doubles later. Persons without an ID
    number have no key that spans offices and are not claimed.
    """

    __tablename__ = "mandate_claims"
    # Named as p0008 created it (the naming convention would put the schema in the name).
    __table_args__ = (Index("ix_mandate_claims_recorded_by", "recorded_by"),)
    __audit__ = False

    person_key: Mapped[str] = mapped_column(String(80), primary_key=True)
    level: Mapped[str] = mapped_column(String(12), primary_key=True)
    congress_division: Mapped[str] = mapped_column(String(9), primary_key=True)
    term_number: Mapped[int] = mapped_column(Integer, primary_key=True)
    recorded_by: Mapped[str] = mapped_column(String(9))
    claimed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, server_default=text("now()"))
