"""The committee side of "两个联系" in one office: who keeps in touch with which deputies, the contact
records, and deputies invited to sit in on standing-committee meetings.

Persons, terms, committee members and bodies belong to the deputies and organisation modules; the
foreign keys here point at their tables (same tenant schema) and are only read.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, deferred, mapped_column

from renda.core.db import TenantBase, Timestamps, UUIDPrimaryKey, utcnow

MODES = {"visit": "走访", "call": "电话", "meeting": "座谈", "online": "网络"}
BEHIND_RULES = {
    "each": "每名固定联系代表本季度至少联系一次",
    "any": "本季度至少联系过一名固定联系代表",
}
PROPOSAL_KINDS = {"suggested": "系统建议", "carried_over": "上届结转"}
ATTENDANCE_STATUSES = {"invited": "已邀请", "attended": "已列席", "absent": "缺席", "excused": "请假"}
CHANNELS = {"direct": "组成人员直接联系", "township": "主任会议成员督导乡镇", "sector": "专门委员会对口联系"}
DEFAULT_MIN, DEFAULT_MAX = 3, 5


class ContactSettings(Timestamps, TenantBase):
    """The office's rules for contact assignments: one row (id 1), defaults until staff change them."""

    __tablename__ = "contact_settings"
    __table_args__ = (
        CheckConstraint("id = 1", name="single_row"),
        CheckConstraint(
            "min_per_member >= 0 and max_per_member >= 1 and min_per_member <= max_per_member", name="bounds"
        ),
        CheckConstraint("behind_rule in ('each','any')", name="behind_rule"),
    )

    # A serial column, as its revision created it; the one row is always written with id 1.
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    min_per_member: Mapped[int] = mapped_column(Integer, default=DEFAULT_MIN)
    max_per_member: Mapped[int] = mapped_column(Integer, default=DEFAULT_MAX)
    behind_rule: Mapped[str] = mapped_column(String(10), default="each")


class ContactAssignment(UUIDPrimaryKey, TenantBase):
    """常委会组成人员联系代表: a committee member of a term fixed to a deputy; one member per deputy."""

    __tablename__ = "contact_assignments"
    __table_args__ = (UniqueConstraint("term_id", "person_id"),)

    term_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("terms.id", ondelete="RESTRICT"), index=True)
    committee_member_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("committee_members.id", ondelete="CASCADE"), index=True
    )
    person_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("persons.id", ondelete="RESTRICT"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class TownshipAssignment(UUIDPrimaryKey, TenantBase):
    """主任会议成员督导乡镇: a council-of-chairpersons member overseeing a township; one per township."""

    __tablename__ = "contact_township_assignments"
    __table_args__ = (UniqueConstraint("term_id", "township_code"),)

    term_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("terms.id", ondelete="RESTRICT"), index=True)
    committee_member_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("committee_members.id", ondelete="CASCADE"), index=True
    )
    township_code: Mapped[str] = mapped_column(String(12))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class SectorLink(UUIDPrimaryKey, TenantBase):
    """专门委员会对口联系: a special committee covers the deputies of a sector (Person.sector).

    Bodies outlive terms, so the links do too."""

    __tablename__ = "contact_sector_links"
    __table_args__ = (UniqueConstraint("body_id", "sector"),)

    body_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("bodies.id", ondelete="CASCADE"), index=True)
    sector: Mapped[str] = mapped_column(String(50))


class AssignmentProposal(UUIDPrimaryKey, TenantBase):
    """A suggested or carried-over set of assignments for a term, reviewed by staff before it is saved.
    At most one open proposal per term."""

    __tablename__ = "contact_proposals"
    __table_args__ = (
        UniqueConstraint("term_id"),
        CheckConstraint("kind in ('suggested','carried_over')", name="kind"),
    )

    term_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("terms.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))
    source_term_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("terms.id", ondelete="SET NULL"))
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ProposalItem(UUIDPrimaryKey, TenantBase):
    """One proposed pair: a committee member and a deputy, or a council member and a township."""

    __tablename__ = "contact_proposal_items"
    __table_args__ = (
        UniqueConstraint("proposal_id", "person_id"),
        UniqueConstraint("proposal_id", "township_code", name="uq_contact_proposal_items_township"),
        CheckConstraint("(person_id is null) <> (township_code is null)", name="one_target"),
    )

    proposal_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("contact_proposals.id", ondelete="CASCADE"), index=True)
    committee_member_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("committee_members.id", ondelete="CASCADE"))
    person_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("persons.id", ondelete="CASCADE"))
    township_code: Mapped[str | None] = mapped_column(String(12))


class ContactRecord(UUIDPrimaryKey, Timestamps, TenantBase):
    """联系记录: one contact of a committee member with deputies.

    The member's name is kept with the record, so removing a committee member keeps their history."""

    __tablename__ = "contact_records"
    __table_args__ = (CheckConstraint("mode in ('visit','call','meeting','online')", name="mode"),)

    term_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("terms.id", ondelete="RESTRICT"), index=True)
    committee_member_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("committee_members.id", ondelete="SET NULL"), index=True
    )
    member_name: Mapped[str] = mapped_column(String(50))
    contacted_on: Mapped[date] = mapped_column(Date, index=True)
    mode: Mapped[str] = mapped_column(String(10))
    topics: Mapped[str] = mapped_column(String(500))
    summary: Mapped[str | None] = mapped_column(Text)
    recorded_by: Mapped[str] = mapped_column(String(200))


class RecordDeputy(UUIDPrimaryKey, TenantBase):
    """A deputy contacted in a record; `assigned` says whether they were the member's fixed deputy then."""

    __tablename__ = "contact_record_deputies"
    __table_args__ = (UniqueConstraint("record_id", "person_id"),)

    record_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("contact_records.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("persons.id", ondelete="RESTRICT"), index=True)
    assigned: Mapped[bool] = mapped_column(Boolean, default=True)


class ContactIssue(UUIDPrimaryKey, TenantBase):
    """An issue a deputy raised in a contact; it may become a people's opinion or a suggestion draft
    (their ids are kept here; they live in other modules, so there is no foreign key)."""

    __tablename__ = "contact_issues"

    record_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("contact_records.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("persons.id", ondelete="RESTRICT"))
    content: Mapped[str] = mapped_column(Text)
    opinion_id: Mapped[uuid.UUID | None] = mapped_column()
    opinion_ticket: Mapped[str | None] = mapped_column(String(40))
    suggestion_draft_id: Mapped[uuid.UUID | None] = mapped_column()
    converted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ContactAttachment(UUIDPrimaryKey, TenantBase):
    """A file of a contact record (photo, minutes), kept in the office's own schema."""

    __tablename__ = "contact_attachments"
    __audit_redact__ = ("content",)

    record_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("contact_records.id", ondelete="CASCADE"), index=True)
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    content: Mapped[bytes] = deferred(mapped_column(LargeBinary, nullable=False))
    uploaded_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class AttendanceMeeting(UUIDPrimaryKey, Timestamps, TenantBase):
    """A standing-committee meeting of a term (第N次会议), with the number of public observers (公民旁听)."""

    __tablename__ = "contact_meetings"
    __table_args__ = (
        UniqueConstraint("term_id", "number"),
        CheckConstraint("number >= 1", name="number"),
        CheckConstraint("observers >= 0", name="observers"),
    )

    term_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("terms.id", ondelete="RESTRICT"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(200))
    held_on: Mapped[date] = mapped_column(Date, index=True)
    observers: Mapped[int] = mapped_column(Integer, default=0)
    notes: Mapped[str | None] = mapped_column(Text)


class MeetingInvitation(UUIDPrimaryKey, TenantBase):
    """邀请代表列席: a deputy invited to a meeting, whether they came, and what they said."""

    __tablename__ = "contact_meeting_invitations"
    __table_args__ = (
        UniqueConstraint("meeting_id", "person_id"),
        CheckConstraint("status in ('invited','attended','absent','excused')", name="status"),
    )

    meeting_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("contact_meetings.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("persons.id", ondelete="RESTRICT"), index=True)
    status: Mapped[str] = mapped_column(String(10), default="invited")
    spoke: Mapped[bool] = mapped_column(Boolean, default=False)
    speech: Mapped[str | None] = mapped_column(Text)
    invited_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
