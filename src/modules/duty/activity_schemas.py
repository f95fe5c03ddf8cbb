"""Request and response types of duty activities, their attendance and QR sign-in, and evidence.

Create types reject unknown fields; patch types leave out what is not sent (`UNSET`). Times without a
zone are Beijing time; hours are returned as numbers.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal

import msgspec
from msgspec import UNSET, UnsetType

ActivityKind = Literal[
    "session", "inspection", "research", "law_check", "training", "themed_action", "group_activity", "other"
]
Phase = Literal["planned", "ongoing", "finished", "cancelled"]
AttendanceStatus = Literal["present", "leave", "absent"]
EvidenceKind = Literal["training", "inspection", "research", "law_check", "themed_action", "people", "award", "other"]
AwardLevel = Literal["national", "provincial", "city", "county"]
EvidenceStatus = Literal["pending", "verified", "rejected"]
Title = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
Place = Annotated[str, msgspec.Meta(max_length=200)]
Organiser = Annotated[str, msgspec.Meta(max_length=100)]
LongText = Annotated[str, msgspec.Meta(max_length=5000)]
Note = Annotated[str, msgspec.Meta(max_length=200)]


# --- activities --------------------------------------------------------------------------------------
class ActivityIn(msgspec.Struct, forbid_unknown_fields=True):
    kind: ActivityKind
    title: Title
    starts_at: datetime
    ends_at: datetime
    place: Place = ""
    description: LongText = ""
    organiser: Organiser = ""  # empty: the office
    hours: Decimal | None = None  # trainings only: the hours credited (学时)
    group_id: uuid.UUID | None = None
    station_id: uuid.UUID | None = None


class ActivityPatch(msgspec.Struct, forbid_unknown_fields=True):
    kind: ActivityKind | UnsetType = UNSET
    title: Title | UnsetType = UNSET
    starts_at: datetime | UnsetType = UNSET
    ends_at: datetime | UnsetType = UNSET
    place: Place | UnsetType = UNSET
    description: LongText | UnsetType = UNSET
    organiser: Organiser | UnsetType = UNSET
    hours: Decimal | UnsetType | None = UNSET
    group_id: uuid.UUID | UnsetType | None = UNSET
    station_id: uuid.UUID | UnsetType | None = UNSET


class AttendanceCounts(msgspec.Struct):
    present: int = 0
    leave: int = 0
    absent: int = 0

    @property
    def recorded(self) -> int:
        return self.present + self.leave + self.absent


class ActivityOut(msgspec.Struct):
    id: uuid.UUID
    kind: str
    kind_label: str
    title: str
    place: str
    description: str
    organiser: str
    starts_at: datetime
    ends_at: datetime
    year: int
    hours: float | None
    group_id: uuid.UUID | None
    group_name: str | None
    station_id: uuid.UUID | None
    station_name: str | None
    phase: str  # planned | ongoing | finished | cancelled
    phase_label: str
    sign_in_opens_at: datetime
    sign_in_closes_at: datetime
    counts: AttendanceCounts
    created_by: str


class ActivityPage(msgspec.Struct):
    items: list[ActivityOut]
    total: int
    page: int
    page_size: int


# --- attendance --------------------------------------------------------------------------------------
class AttendanceEntryIn(msgspec.Struct, forbid_unknown_fields=True):
    person_id: uuid.UUID
    status: AttendanceStatus
    note: Note = ""


class AttendanceBatchIn(msgspec.Struct, forbid_unknown_fields=True):
    """A sign-in list: each deputy once; one already recorded refuses the whole list."""

    entries: Annotated[list[AttendanceEntryIn], msgspec.Meta(min_length=1, max_length=3000)]


class AttendanceChangeIn(msgspec.Struct, forbid_unknown_fields=True):
    status: AttendanceStatus
    note: Note | UnsetType = UNSET


class AttendanceOut(msgspec.Struct):
    id: uuid.UUID
    person_id: uuid.UUID
    name: str
    group_name: str | None
    status: str
    status_label: str
    source: str
    source_label: str
    note: str
    recorded_by: str
    recorded_at: datetime


class RosterEntry(msgspec.Struct):
    """A deputy serving on the activity's day, and what is recorded for them (None: nothing yet)."""

    person_id: uuid.UUID
    name: str
    group_name: str | None
    attendance: AttendanceOut | None


class MyActivity(msgspec.Struct):
    activity: ActivityOut
    status: str | None  # the deputy's attendance; None: nothing recorded
    status_label: str | None
    source_label: str | None


# --- QR sign-in --------------------------------------------------------------------------------------
class SignInIn(msgspec.Struct, forbid_unknown_fields=True):
    token: Annotated[str, msgspec.Meta(min_length=1, max_length=100)]


class SignInOut(msgspec.Struct):
    activity_id: uuid.UUID
    title: str
    already: bool  # signed in before: counted once
    message: str
    recorded_at: datetime


class SignInCodeOut(msgspec.Struct):
    """What the QR code says; regenerating it voids every printed copy."""

    url: str
    opens_at: datetime
    closes_at: datetime
    open_now: bool


# --- evidence ----------------------------------------------------------------------------------------
class EvidenceIn(msgspec.Struct, forbid_unknown_fields=True):
    """The fields of an evidence form (multipart, with the files as `files`)."""

    kind: EvidenceKind
    title: Title
    occurred_on: date
    description: LongText = ""
    hours: Decimal | None = None  # trainings
    award_level: AwardLevel | None = None  # awards


class EvidenceFileOut(msgspec.Struct):
    id: uuid.UUID
    filename: str
    content_type: str
    size: int


class EvidenceOut(msgspec.Struct):
    id: uuid.UUID
    person_id: uuid.UUID
    person_name: str
    kind: str
    kind_label: str
    title: str
    description: str
    occurred_on: date
    year: int
    hours: float | None
    award_level: str | None
    award_level_label: str | None
    status: str
    status_label: str
    reject_reason: str
    submitted_at: datetime
    reviewed_by: str | None
    reviewed_at: datetime | None
    files: list[EvidenceFileOut]


class EvidencePage(msgspec.Struct):
    items: list[EvidenceOut]
    total: int
    page: int
    page_size: int


class RejectIn(msgspec.Struct, forbid_unknown_fields=True):
    reason: Annotated[str, msgspec.Meta(min_length=1, max_length=500)]
