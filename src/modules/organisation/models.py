"""The standing committee and its bodies, deputy groups and stations of one office."""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import (
    ARRAY,
    Boolean,
    CheckConstraint,
    Date,
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

COMMITTEE_POSITIONS = {
    "chair": "主任",
    "vice_chair": "副主任",
    "secretary_general": "秘书长",
    "member": "委员",
}
BODY_KINDS = {"special_committee": "专门委员会", "working_commission": "工作委员会"}
GROUP_KINDS = {"geographic": "代表小组", "professional": "专业小组"}
STATION_KINDS = {
    "deputy_home": "代表之家",
    "liaison_station": "代表联络站",
    "workroom": "代表工作室",
    "group_room": "代表小组活动室",
}


class CommitteeMember(UUIDPrimaryKey, Timestamps, TenantBase):
    """常委会组成人员 of one term; `user_id` links the platform user who signs in (for contacts)."""

    __tablename__ = "committee_members"
    __table_args__ = (
        CheckConstraint("position in ('chair','vice_chair','secretary_general','member')", name="position"),
        Index(
            "uq_committee_members_one_chair",
            "term_id",
            unique=True,
            postgresql_where=text("position = 'chair' and ended_on is null"),
        ),
    )

    term_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("terms.id", ondelete="RESTRICT"), index=True)
    person_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("persons.id", ondelete="RESTRICT"), index=True)
    name: Mapped[str] = mapped_column(String(50))
    position: Mapped[str] = mapped_column(String(20))
    on_council: Mapped[bool] = mapped_column(Boolean, default=False)  # 主任会议成员
    user_id: Mapped[uuid.UUID | None] = mapped_column()  # platform user, for the contact assignments
    started_on: Mapped[date] = mapped_column(Date)
    ended_on: Mapped[date | None] = mapped_column(Date)


class Body(UUIDPrimaryKey, Timestamps, TenantBase):
    """专门委员会 or 工作委员会 (e.g. 代表工作委员会)."""

    __tablename__ = "bodies"
    __table_args__ = (
        CheckConstraint("kind in ('special_committee','working_commission')", name="kind"),
        UniqueConstraint("name"),
    )

    kind: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(100))
    description: Mapped[str | None] = mapped_column(Text)


BODY_MEMBER_KINDS = {"committee_member": "常委会组成人员", "deputy": "代表", "staff": "工作人员"}


class BodyMember(UUIDPrimaryKey, TenantBase):
    """One member of a body: a standing-committee member, a deputy of this office, or a named person
    (e.g. a staff member of a working commission); exactly one of the three is set."""

    __tablename__ = "body_members"
    __table_args__ = (
        UniqueConstraint("body_id", "committee_member_id"),
        UniqueConstraint("body_id", "person_id", name="uq_body_members_body_person"),
        CheckConstraint("num_nonnulls(committee_member_id, person_id, name) = 1", name="one_member"),
    )

    body_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("bodies.id", ondelete="CASCADE"), index=True)
    committee_member_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("committee_members.id", ondelete="CASCADE")
    )
    person_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("persons.id", ondelete="RESTRICT"))
    name: Mapped[str | None] = mapped_column(String(50))
    role: Mapped[str] = mapped_column(String(20), default="member")  # chair | vice_chair | member


class DeputyGroup(UUIDPrimaryKey, Timestamps, TenantBase):
    """代表小组 (geographic, one per deputy) or 专业小组 (professional, any number)."""

    __tablename__ = "deputy_groups"
    __table_args__ = (
        CheckConstraint("kind in ('geographic','professional')", name="kind"),
        UniqueConstraint("name"),
    )

    kind: Mapped[str] = mapped_column(String(12))
    name: Mapped[str] = mapped_column(String(100))
    township_code: Mapped[str | None] = mapped_column(String(12))
    leader_person_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("persons.id", ondelete="SET NULL"))


class GroupMembership(UUIDPrimaryKey, TenantBase):
    __tablename__ = "group_memberships"
    __table_args__ = (
        UniqueConstraint("group_id", "person_id"),
        UniqueConstraint("group_id", "directory_mandate_id", name="uq_group_memberships_group_external"),
        CheckConstraint("(person_id is null) <> (directory_mandate_id is null)", name="one_deputy"),
        # Exactly one geographic group per deputy in this office ("两套班子,一套人马").
        Index(
            "uq_group_memberships_one_geographic",
            "person_id",
            unique=True,
            postgresql_where=text("group_kind = 'geographic'"),
        ),
        Index(
            "uq_group_memberships_one_geographic_external",
            "directory_mandate_id",
            unique=True,
            postgresql_where=text("group_kind = 'geographic'"),
        ),
    )

    group_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("deputy_groups.id", ondelete="CASCADE"), index=True)
    group_kind: Mapped[str] = mapped_column(String(12))  # copied from the group for the indexes above
    # One of the two: a person of this office's register, or a mandate another office records
    # (platform.mandate_directory.mandate_id; no foreign key across schemas).
    person_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("persons.id", ondelete="CASCADE"), index=True)
    directory_mandate_id: Mapped[uuid.UUID | None] = mapped_column()


class Station(UUIDPrimaryKey, Timestamps, TenantBase):
    """家站室: a place where deputies meet the people."""

    __tablename__ = "stations"
    __table_args__ = (
        CheckConstraint("kind in ('deputy_home','liaison_station','workroom','group_room')", name="kind"),
        UniqueConstraint("name"),
    )

    kind: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(100))
    address: Mapped[str | None] = mapped_column(String(200))
    township_code: Mapped[str | None] = mapped_column(String(12))
    # 逢十接待日: days of the month it receives the people (e.g. 10, 20, 30), and free-text rules.
    reception_days: Mapped[list[int]] = mapped_column(ARRAY(Integer), default=list)
    opening_rules: Mapped[str | None] = mapped_column(Text)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)


class StationAssignment(UUIDPrimaryKey, TenantBase):
    """进家入站: a deputy (of any level) assigned to a station."""

    __tablename__ = "station_assignments"
    __table_args__ = (
        UniqueConstraint("station_id", "person_id"),
        UniqueConstraint("station_id", "directory_mandate_id", name="uq_station_assignments_station_external"),
        CheckConstraint("(person_id is null) <> (directory_mandate_id is null)", name="one_deputy"),
    )

    station_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("stations.id", ondelete="CASCADE"), index=True)
    # One of the two, as for group memberships: a person of this office, or a mandate recorded elsewhere.
    person_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("persons.id", ondelete="CASCADE"), index=True)
    directory_mandate_id: Mapped[uuid.UUID | None] = mapped_column()
