"""Request and response types of the organisation API.

Create types reject unknown fields; patch types leave out what is not sent (`UNSET`), so a client can
clear an optional field by sending `null` and leave it alone by not sending it.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated, Literal

import msgspec
from msgspec import UNSET, UnsetType

Name = Annotated[str, msgspec.Meta(min_length=1, max_length=100)]
PersonName = Annotated[str, msgspec.Meta(min_length=1, max_length=50)]
Text = Annotated[str, msgspec.Meta(max_length=2000)]
Address = Annotated[str, msgspec.Meta(max_length=200)]
TownshipCode = Annotated[str, msgspec.Meta(pattern=r"^\d{9}$")]
ReceptionDays = Annotated[list[Annotated[int, msgspec.Meta(ge=1, le=31)]], msgspec.Meta(max_length=31)]

Position = Literal["chair", "vice_chair", "secretary_general", "member"]
BodyKind = Literal["special_committee", "working_commission"]
BodyRole = Literal["chair", "vice_chair", "member"]
GroupKind = Literal["geographic", "professional"]
StationKind = Literal["deputy_home", "liaison_station", "workroom", "group_room"]


# --- the standing committee -------------------------------------------------------------------------
class CommitteeMemberIn(msgspec.Struct, forbid_unknown_fields=True):
    term_id: uuid.UUID
    position: Position
    name: PersonName | None = None  # taken from the person when linked to a deputy
    person_id: uuid.UUID | None = None
    user_id: uuid.UUID | None = None
    on_council: bool | None = None  # defaults to true for the chair, vice-chairs and secretary-general
    started_on: date | None = None  # defaults to the start of the term
    ended_on: date | None = None


class CommitteeMemberPatch(msgspec.Struct, forbid_unknown_fields=True):
    position: Position | UnsetType = UNSET
    name: PersonName | UnsetType = UNSET
    person_id: uuid.UUID | UnsetType | None = UNSET
    user_id: uuid.UUID | UnsetType | None = UNSET
    on_council: bool | UnsetType = UNSET
    started_on: date | UnsetType = UNSET
    ended_on: date | UnsetType | None = UNSET


class BodyRoleOut(msgspec.Struct):
    body_id: uuid.UUID
    body_name: str
    role: str
    role_label: str


class CommitteeMemberOut(msgspec.Struct):
    id: uuid.UUID
    term_id: uuid.UUID
    term_number: int
    name: str
    position: str
    position_label: str
    on_council: bool
    person_id: uuid.UUID | None
    user_id: uuid.UUID | None
    started_on: date
    ended_on: date | None
    is_serving: bool
    bodies: list[BodyRoleOut]


class TermOut(msgspec.Struct):
    id: uuid.UUID
    number: int
    starts_on: date
    ends_on: date | None
    is_current: bool


class CommitteeOut(msgspec.Struct):
    term: TermOut
    members: list[CommitteeMemberOut]


# --- special committees and working commissions ---------------------------------------------------
class BodyIn(msgspec.Struct, forbid_unknown_fields=True):
    kind: BodyKind
    name: Name
    description: Text | None = None


class BodyPatch(msgspec.Struct, forbid_unknown_fields=True):
    kind: BodyKind | UnsetType = UNSET
    name: Name | UnsetType = UNSET
    description: Text | UnsetType | None = UNSET


class BodyMemberIn(msgspec.Struct, forbid_unknown_fields=True):
    """Exactly one of: a standing-committee member, a deputy of this office, or a named person."""

    committee_member_id: uuid.UUID | None = None
    person_id: uuid.UUID | None = None
    name: PersonName | None = None
    role: BodyRole = "member"


class BodyMemberPatch(msgspec.Struct, forbid_unknown_fields=True):
    role: BodyRole


class BodyMemberOut(msgspec.Struct):
    id: uuid.UUID
    kind: str  # committee_member | deputy | staff
    kind_label: str
    committee_member_id: uuid.UUID | None
    person_id: uuid.UUID | None
    name: str
    position_label: str | None  # the standing-committee position, for committee members
    role: str
    role_label: str


class BodyOut(msgspec.Struct):
    id: uuid.UUID
    kind: str
    kind_label: str
    name: str
    description: str | None
    member_count: int


class BodyDetail(BodyOut):
    members: list[BodyMemberOut]


# --- deputies -------------------------------------------------------------------------------------
class PersonRef(msgspec.Struct):
    """A deputy as shown in a member list: name and the levels of their live mandates."""

    id: uuid.UUID
    name: str
    gender: str
    levels: list[str]
    levels_label: str


# --- deputy groups --------------------------------------------------------------------------------
class GroupIn(msgspec.Struct, forbid_unknown_fields=True):
    kind: GroupKind
    name: Name
    township_code: TownshipCode | None = None
    leader_person_id: uuid.UUID | None = None  # added to the group if not yet a member


class GroupPatch(msgspec.Struct, forbid_unknown_fields=True):
    kind: GroupKind | UnsetType = UNSET
    name: Name | UnsetType = UNSET
    township_code: TownshipCode | UnsetType | None = UNSET
    leader_person_id: uuid.UUID | UnsetType | None = UNSET


class GroupMemberIn(msgspec.Struct, forbid_unknown_fields=True):
    person_id: uuid.UUID


class ExternalDeputyIn(msgspec.Struct, forbid_unknown_fields=True):
    """A mandate another office records but organises in this territory (its directory entry)."""

    mandate_id: uuid.UUID


class ExternalDeputyRef(msgspec.Struct):
    """A deputy recorded by another office, as the platform's mandate directory lists them (read-only)."""

    mandate_id: uuid.UUID
    name: str
    level: str
    level_label: str
    recorded_by: str
    recorded_by_name: str
    live: bool


class GroupOut(msgspec.Struct):
    id: uuid.UUID
    kind: str
    kind_label: str
    name: str
    township_code: str | None
    leader: PersonRef | None
    member_count: int


class GroupDetail(GroupOut):
    members: list[PersonRef]
    external_members: list[ExternalDeputyRef] = []


class GroupPage(msgspec.Struct):
    items: list[GroupOut]
    total: int
    page: int
    page_size: int


# --- stations -------------------------------------------------------------------------------------
class StationIn(msgspec.Struct, forbid_unknown_fields=True):
    kind: StationKind
    name: Name
    address: Address | None = None
    township_code: TownshipCode | None = None
    reception_days: ReceptionDays = msgspec.field(default_factory=list)
    opening_rules: Text | None = None
    is_active: bool = True


class StationPatch(msgspec.Struct, forbid_unknown_fields=True):
    kind: StationKind | UnsetType = UNSET
    name: Name | UnsetType = UNSET
    address: Address | UnsetType | None = UNSET
    township_code: TownshipCode | UnsetType | None = UNSET
    reception_days: ReceptionDays | UnsetType = UNSET
    opening_rules: Text | UnsetType | None = UNSET
    is_active: bool | UnsetType = UNSET


class StationAssignmentIn(msgspec.Struct, forbid_unknown_fields=True):
    person_id: uuid.UUID


class StationOut(msgspec.Struct):
    id: uuid.UUID
    kind: str
    kind_label: str
    name: str
    address: str | None
    township_code: str | None
    reception_days: list[int]
    reception_label: str
    opening_rules: str | None
    is_active: bool
    deputy_count: int


class StationDetail(StationOut):
    deputies: list[PersonRef]
    external_deputies: list[ExternalDeputyRef] = []


class StationPage(msgspec.Struct):
    items: list[StationOut]
    total: int
    page: int
    page_size: int


# --- one deputy's place in the organisation --------------------------------------------------------
class PlaceOut(msgspec.Struct):
    id: uuid.UUID
    name: str
    kind_label: str


class PersonOrganisation(msgspec.Struct):
    """Where a deputy belongs: for the register's profile page and the API."""

    person_id: uuid.UUID
    geographic_group: PlaceOut | None
    professional_groups: list[PlaceOut]
    leads_groups: list[PlaceOut]
    stations: list[PlaceOut]
    committee_positions: list[CommitteeMemberOut]


# --- list filters (query parameters and export parameters) ----------------------------------------
class GroupFilter(msgspec.Struct, forbid_unknown_fields=True):
    kind: GroupKind | None = None
    q: Annotated[str, msgspec.Meta(max_length=50)] | None = None
    township_code: TownshipCode | None = None
    empty: bool | None = None  # true: only groups without a member (the workbench's 没有代表的小组)


class StationFilter(msgspec.Struct, forbid_unknown_fields=True):
    kind: StationKind | None = None
    q: Annotated[str, msgspec.Meta(max_length=50)] | None = None
    township_code: TownshipCode | None = None
    active: bool | None = None
    empty: bool | None = None  # true: only stations no deputy is assigned to
