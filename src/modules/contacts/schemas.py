"""Request and response types of the contacts API (两个联系, committee side).

Create types reject unknown fields; patch types leave out what is not sent (`UNSET`).
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated, Literal

import msgspec
from msgspec import UNSET, UnsetType

Mode = Literal["visit", "call", "meeting", "online"]
BehindRule = Literal["each", "any"]
AttendanceStatus = Literal["invited", "attended", "absent", "excused"]
Topics = Annotated[str, msgspec.Meta(min_length=1, max_length=500)]
LongText = Annotated[str, msgspec.Meta(max_length=5000)]
IssueText = Annotated[str, msgspec.Meta(min_length=1, max_length=5000)]
Title = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
TownshipCode = Annotated[str, msgspec.Meta(pattern=r"^\d{9}$")]
Sector = Annotated[str, msgspec.Meta(min_length=1, max_length=50)]
Bound = Annotated[int, msgspec.Meta(ge=0, le=50)]
PersonIds = Annotated[list[uuid.UUID], msgspec.Meta(max_length=50)]


# --- references -------------------------------------------------------------------------------------
class DeputyRef(msgspec.Struct):
    id: uuid.UUID
    name: str
    levels_label: str
    township_code: str | None
    township_name: str | None
    group_name: str | None
    sector: str | None


class MemberRef(msgspec.Struct):
    id: uuid.UUID
    name: str
    position_label: str
    on_council: bool
    is_serving: bool
    linked_user: bool


class TownshipRef(msgspec.Struct):
    code: str
    name: str


class TermRef(msgspec.Struct):
    id: uuid.UUID
    number: int
    starts_on: date
    ends_on: date | None
    is_current: bool


# --- settings ----------------------------------------------------------------------------------------
class SettingsIn(msgspec.Struct, forbid_unknown_fields=True):
    min_per_member: Bound
    max_per_member: Annotated[int, msgspec.Meta(ge=1, le=50)]
    behind_rule: BehindRule = "each"


class SettingsOut(msgspec.Struct):
    min_per_member: int
    max_per_member: int
    behind_rule: str
    behind_rule_label: str


# --- assignments -------------------------------------------------------------------------------------
class AssignmentIn(msgspec.Struct, forbid_unknown_fields=True):
    committee_member_id: uuid.UUID
    person_id: uuid.UUID
    term_id: uuid.UUID | None = None


class TownshipAssignmentIn(msgspec.Struct, forbid_unknown_fields=True):
    committee_member_id: uuid.UUID
    township_code: TownshipCode
    term_id: uuid.UUID | None = None


class AssignedDeputy(msgspec.Struct):
    assignment_id: uuid.UUID
    deputy: DeputyRef


class AssignedTownship(msgspec.Struct):
    township_assignment_id: uuid.UUID
    township: TownshipRef
    deputy_count: int


class MemberBoard(msgspec.Struct):
    member: MemberRef
    deputies: list[AssignedDeputy]
    townships: list[AssignedTownship]
    bounds_status: str  # ok | under | over | none
    bounds_label: str


class CoverageSummary(msgspec.Struct):
    to_cover: int
    covered: int
    direct: int
    by_township: int
    by_sector: int
    uncovered: int
    percent: float | None


class AssignmentBoard(msgspec.Struct):
    term: TermRef
    settings: SettingsOut
    members: list[MemberBoard]
    summary: CoverageSummary
    uncovered: list[DeputyRef]
    open_proposal_id: uuid.UUID | None


class SectorLinksIn(msgspec.Struct, forbid_unknown_fields=True):
    sectors: Annotated[list[Sector], msgspec.Meta(max_length=30)]


class BodySectors(msgspec.Struct):
    body_id: uuid.UUID
    body_name: str
    sectors: list[str]
    deputy_count: int


class SectorOverview(msgspec.Struct):
    bodies: list[BodySectors]
    sectors: list[str]  # every sector the register's deputies have
    uncovered_sectors: list[str]


# --- coverage ----------------------------------------------------------------------------------------
class DeputyCoverage(msgspec.Struct):
    deputy: DeputyRef
    members: list[str]  # the committee member fixed to the deputy (one at most, a list for symmetry)
    township_overseers: list[str]
    sector_bodies: list[str]
    channel: str | None  # the first channel that covers the deputy: direct | township | sector
    channel_label: str


class CoveragePage(msgspec.Struct):
    term: TermRef
    summary: CoverageSummary
    items: list[DeputyCoverage]
    total: int
    page: int
    page_size: int


# --- proposals ---------------------------------------------------------------------------------------
class ProposalIn(msgspec.Struct, forbid_unknown_fields=True):
    term_id: uuid.UUID | None = None
    keep_existing: bool = True


class CarryOverIn(msgspec.Struct, forbid_unknown_fields=True):
    from_term_id: uuid.UUID | None = None  # default: the term before the target
    to_term_id: uuid.UUID | None = None  # default: the current term


class ProposalItemIn(msgspec.Struct, forbid_unknown_fields=True):
    committee_member_id: uuid.UUID
    person_id: uuid.UUID | None = None
    township_code: TownshipCode | None = None


class ProposalItemsIn(msgspec.Struct, forbid_unknown_fields=True):
    items: Annotated[list[ProposalItemIn], msgspec.Meta(max_length=20000)]


class ProposedDeputy(msgspec.Struct):
    item_id: uuid.UUID
    deputy: DeputyRef


class ProposedTownship(msgspec.Struct):
    item_id: uuid.UUID
    township: TownshipRef


class ProposalMember(msgspec.Struct):
    member: MemberRef
    deputies: list[ProposedDeputy]
    townships: list[ProposedTownship]
    bounds_status: str
    bounds_label: str


class ProposalOut(msgspec.Struct):
    id: uuid.UUID
    term: TermRef
    kind: str
    kind_label: str
    source_term: TermRef | None
    created_by: str
    settings: SettingsOut
    members: list[ProposalMember]
    summary: CoverageSummary
    uncovered: list[DeputyRef]
    warnings: list[str]


# --- records -----------------------------------------------------------------------------------------
class IssueIn(msgspec.Struct, forbid_unknown_fields=True):
    content: IssueText
    person_id: uuid.UUID | None = None


class RecordIn(msgspec.Struct, forbid_unknown_fields=True):
    contacted_on: date
    mode: Mode
    topics: Topics
    person_ids: Annotated[list[uuid.UUID], msgspec.Meta(min_length=1, max_length=50)]
    committee_member_id: uuid.UUID | None = None  # a committee member's own, when they record
    summary: LongText | None = None
    issues: Annotated[list[IssueIn], msgspec.Meta(max_length=50)] = []


class RecordPatch(msgspec.Struct, forbid_unknown_fields=True):
    contacted_on: date | UnsetType = UNSET
    mode: Mode | UnsetType = UNSET
    topics: Topics | UnsetType = UNSET
    summary: LongText | UnsetType | None = UNSET
    person_ids: Annotated[list[uuid.UUID], msgspec.Meta(min_length=1, max_length=50)] | UnsetType = UNSET


class IssueOut(msgspec.Struct):
    id: uuid.UUID
    content: str
    person_id: uuid.UUID | None
    person_name: str | None
    opinion_id: uuid.UUID | None
    opinion_ticket: str | None
    suggestion_draft_id: uuid.UUID | None
    status_label: str


class AttachmentOut(msgspec.Struct):
    id: uuid.UUID
    filename: str
    content_type: str
    size: int
    uploaded_by: str


class ContactedDeputy(msgspec.Struct):
    deputy: DeputyRef
    assigned: bool


class RecordOut(msgspec.Struct):
    id: uuid.UUID
    term_id: uuid.UUID
    committee_member_id: uuid.UUID | None
    member_name: str
    contacted_on: date
    mode: str
    mode_label: str
    topics: str
    summary: str | None
    deputies: list[ContactedDeputy]
    issue_count: int
    attachment_count: int
    recorded_by: str


class RecordDetail(RecordOut):
    issues: list[IssueOut]
    attachments: list[AttachmentOut]


class RecordPage(msgspec.Struct):
    items: list[RecordOut]
    total: int
    page: int
    page_size: int


class RecordFilter(msgspec.Struct, forbid_unknown_fields=True):
    q: str | None = None
    committee_member_id: uuid.UUID | None = None
    person_id: uuid.UUID | None = None
    mode: Mode | None = None
    since: date | None = None
    until: date | None = None
    term_id: uuid.UUID | None = None


class OpinionIn(msgspec.Struct, forbid_unknown_fields=True):
    category: Annotated[str, msgspec.Meta(max_length=50)] | None = None


class SuggestionIn(msgspec.Struct, forbid_unknown_fields=True):
    title: Title | None = None  # default: the start of the issue


# --- reports -----------------------------------------------------------------------------------------
class MemberReportRow(msgspec.Struct):
    member: MemberRef
    assigned: int
    contacted: int  # distinct assigned deputies contacted in the quarter
    records: int  # contact records in the quarter
    last_contact_on: date | None  # within the term
    behind: bool
    not_contacted: list[str]


class MemberReport(msgspec.Struct):
    term: TermRef
    quarter: str
    quarter_label: str
    behind_rule: str
    behind_rule_label: str
    rows: list[MemberReportRow]
    behind_count: int


class DeputyReportRow(msgspec.Struct):
    deputy: DeputyRef
    member_name: str | None
    channel_label: str
    contacts_in_quarter: int
    contacts_in_term: int
    last_contact_on: date | None


class DeputyReport(msgspec.Struct):
    term: TermRef
    quarter: str
    quarter_label: str
    items: list[DeputyReportRow]
    total: int
    page: int
    page_size: int


class QuarterRow(msgspec.Struct):
    quarter: str
    quarter_label: str
    records: int
    members_contacting: int
    deputies_contacted: int
    assigned_contacted: int
    assigned: int
    behind: int | None  # only for the running quarter (needs today's assignments)


class QuarterReport(msgspec.Struct):
    term: TermRef
    rows: list[QuarterRow]


# --- invited attendance ------------------------------------------------------------------------------
class MeetingIn(msgspec.Struct, forbid_unknown_fields=True):
    number: Annotated[int, msgspec.Meta(ge=1, le=999)]
    title: Title
    held_on: date
    observers: Annotated[int, msgspec.Meta(ge=0, le=100000)] = 0
    notes: LongText | None = None
    term_id: uuid.UUID | None = None


class MeetingPatch(msgspec.Struct, forbid_unknown_fields=True):
    number: Annotated[int, msgspec.Meta(ge=1, le=999)] | UnsetType = UNSET
    title: Title | UnsetType = UNSET
    held_on: date | UnsetType = UNSET
    observers: Annotated[int, msgspec.Meta(ge=0, le=100000)] | UnsetType = UNSET
    notes: LongText | UnsetType | None = UNSET


class InvitationsIn(msgspec.Struct, forbid_unknown_fields=True):
    person_ids: Annotated[list[uuid.UUID], msgspec.Meta(min_length=1, max_length=200)]


class AttendanceIn(msgspec.Struct, forbid_unknown_fields=True):
    status: AttendanceStatus | UnsetType = UNSET
    speech: LongText | UnsetType | None = UNSET


class InvitationOut(msgspec.Struct):
    id: uuid.UUID
    deputy: DeputyRef
    status: str
    status_label: str
    spoke: bool
    speech: str | None
    notified: bool


class MeetingOut(msgspec.Struct):
    id: uuid.UUID
    term_id: uuid.UUID
    number: int
    title: str
    label: str
    held_on: date
    observers: int
    notes: str | None
    invited: int
    attended: int
    speeches: int


class MeetingDetail(MeetingOut):
    invitations: list[InvitationOut]


class MeetingPage(msgspec.Struct):
    items: list[MeetingOut]
    total: int
    page: int
    page_size: int
    observers_total: int


class RotationEntry(msgspec.Struct):
    deputy: DeputyRef
    times_invited: int
    last_invited_on: date | None


class AttendanceSummary(msgspec.Struct):
    term: TermRef
    deputies: int
    invited_once: int  # deputies invited at least once this term
    never_invited: list[DeputyRef]
    meetings: int
    invitations: int
    attended: int
    observers: int
