"""Request and response types of the suggestion drafts API."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Literal

import msgspec
from msgspec import UNSET, UnsetType

Title = Annotated[str, msgspec.Meta(max_length=500)]
Content = Annotated[str, msgspec.Meta(max_length=40000)]
DraftSource = Literal["opinion", "contact", "reception", "staff", "deputy"]


class DraftIn(msgspec.Struct, forbid_unknown_fields=True):
    title: Title
    content: Content
    deputy_person_id: uuid.UUID | None = None


class DraftPatch(msgspec.Struct, forbid_unknown_fields=True):
    title: Title | UnsetType = UNSET
    content: Content | UnsetType = UNSET
    deputy_person_id: uuid.UUID | UnsetType | None = UNSET


class DraftOut(msgspec.Struct):
    id: uuid.UUID
    title: str
    content: str
    status: str
    status_label: str
    source: str
    source_label: str
    source_id: uuid.UUID | None
    deputy_person_id: uuid.UUID | None
    deputy_name: str | None
    created_by: str
    created_at: datetime
    updated_at: datetime


class DraftPage(msgspec.Struct):
    items: list[DraftOut]
    total: int
    page: int
    page_size: int


# --- the list of the loop and its rates (listing.py, rates.py) ------------------------------------
class SuggestionRowOut(msgspec.Struct):
    """One line of the suggestion list: the columns it shows, labels beside the codes."""

    id: uuid.UUID
    number: str
    title: str
    kind: str
    kind_label: str
    category: str
    category_label: str
    lead_name: str
    unit_name: str | None
    status: str
    status_label: str
    deadline: date | None
    overdue: bool
    reply_class: str | None
    rating: str | None
    rating_label: str | None
    is_key: bool


class SuggestionRowPage(msgspec.Struct):
    items: list[SuggestionRowOut]
    total: int
    page: int
    page_size: int


class RateOut(msgspec.Struct):
    """The rates of one group (a unit, a category, a year, a term, or the whole office): the counts
    they are made of and the percentages (one decimal; null where the denominator is 0)."""

    key: str
    label: str
    assigned: int
    answered: int
    on_time: int
    rated: int
    satisfied: int
    resolved: int
    class_a: int
    class_b: int
    class_c: int
    class_d: int
    closure_rate: float | None
    on_time_rate: float | None
    satisfaction_rate: float | None
    resolution_rate: float | None
    class_a_share: float | None
    class_b_share: float | None
    class_c_share: float | None
    class_d_share: float | None


class RateReportOut(msgspec.Struct):
    by: str
    total: RateOut
    groups: list[RateOut]


# --- repeated suggestions (反复提的建议) ---------------------------------------------------------
class SimilarOut(msgspec.Struct):
    """An earlier suggestion like the one being filed or reviewed, of this office or one above or below."""

    suggestion_id: uuid.UUID
    office_code: str
    office_name: str
    own_office: bool
    year: int
    title: str
    status: str
    status_label: str
    reply_class: str | None  # A/B/C/D once replied
    score: float  # in [0, 1]; listed from `similarity.THRESHOLD`
    flag_resolved_a: bool  # answered as class A or resolved in follow-up: this is filed again


# --- the handling part of the loop: settings, assignment (交办), handling (办理) ------------------------
Reason = Annotated[str, msgspec.Meta(max_length=2000)]
LongText = Annotated[str, msgspec.Meta(max_length=20000)]


class SettingsIn(msgspec.Struct, forbid_unknown_fields=True):
    """The office's rules; a field left out keeps its value."""

    motion_min_cosigners: int | UnsetType = UNSET
    deadline_months: int | UnsetType = UNSET
    broad_deadline_months: int | UnsetType = UNSET
    cohandler_days: int | UnsetType = UNSET
    reassign_window_days: int | UnsetType = UNSET
    extension_needs_approval: bool | UnsetType = UNSET
    rating_window_days: int | UnsetType = UNSET
    second_round_months: int | UnsetType = UNSET
    share_similar: bool | UnsetType = UNSET
    public_board: bool | UnsetType = UNSET
    public_fields: list[str] | UnsetType = UNSET


class SettingsOut(msgspec.Struct):
    motion_min_cosigners: int
    deadline_months: int
    broad_deadline_months: int
    cohandler_days: int
    reassign_window_days: int
    extension_needs_approval: bool
    rating_window_days: int
    second_round_months: int
    share_similar: bool
    public_board: bool
    public_fields: list[str]
    updated_at: datetime | None


class AssignIn(msgspec.Struct, forbid_unknown_fields=True):
    lead_unit_id: uuid.UUID
    co_unit_ids: list[uuid.UUID] = msgspec.field(default_factory=list)
    broad: bool | None = None  # 面广量大: the longer period; None keeps what intake decided
    note: Reason | None = None


class RequestIn(msgspec.Struct, forbid_unknown_fields=True):
    kind: Literal["extension", "reassignment"]
    reason: Reason
    new_deadline: date | None = None  # extensions


class DecisionIn(msgspec.Struct, forbid_unknown_fields=True):
    approve: bool
    note: Reason | None = None
    new_unit_id: uuid.UUID | None = None  # reassignment: the unit taking over
    new_deadline: date | None = None  # extension: another date than the one asked for


class MeetingIn(msgspec.Struct, forbid_unknown_fields=True):
    stage: str
    held_on: date
    form: str
    note: Reason | None = None


class OpinionIn(msgspec.Struct, forbid_unknown_fields=True):
    opinion: LongText
    unit_id: uuid.UUID | None = None  # staff recording a co-handler's opinion on paper name the unit


class ReplyIn(msgspec.Struct, forbid_unknown_fields=True):
    reply_class: str | None = None  # required; checked by the service for its own error
    reply_text: LongText | None = None
    reply_commitments: LongText | None = None


class HandlingUnitOut(msgspec.Struct):
    id: uuid.UUID
    unit_id: uuid.UUID
    unit_name: str
    role: str
    role_label: str
    round: int
    assigned_at: datetime
    withdrawn_at: datetime | None
    opinion_due: date | None
    opinion: str | None
    opinion_at: datetime | None


class MeetingOut(msgspec.Struct):
    id: uuid.UUID
    round: int
    stage: str
    stage_label: str
    held_on: date
    form: str
    form_label: str
    note: str | None
    recorded_by: str


class RequestOut(msgspec.Struct):
    id: uuid.UUID
    suggestion_id: uuid.UUID
    unit_id: uuid.UUID
    unit_name: str
    kind: str
    kind_label: str
    reason: str
    new_deadline: date | None
    status: str
    status_label: str
    requested_by: str
    requested_at: datetime
    decided_by: str | None
    decided_at: datetime | None
    decision_note: str | None


class HandlingOut(msgspec.Struct):
    """One suggestion as its handling goes: units of every round, meetings, requests and the reply."""

    id: uuid.UUID
    number: str
    title: str
    status: str
    status_label: str
    round: int
    broad: bool
    lead_unit_id: uuid.UUID | None
    assigned_at: datetime | None
    deadline: date | None
    overdue: bool
    reply_class: str | None
    reply_class_label: str | None
    reply_text: str | None
    reply_commitments: str | None
    replied_at: datetime | None
    replied_on_time: bool | None
    rating_due: date | None
    follow_up: str
    units: list[HandlingUnitOut]
    meetings: list[MeetingOut]
    requests: list[RequestOut]
    my_role: str | None  # the caller's unit's role in the current round: lead, co or none


class UnitItemOut(msgspec.Struct):
    """One line of 我的承办: a suggestion assigned to the caller's unit in its current round."""

    id: uuid.UUID
    number: str
    title: str
    status: str
    status_label: str
    role: str
    role_label: str
    unit_name: str
    deadline: date | None
    opinion_due: date | None
    overdue: bool
    days_left: int | None


class UnitItemPage(msgspec.Struct):
    items: list[UnitItemOut]
    total: int
    page: int
    page_size: int


class RequestPage(msgspec.Struct):
    items: list[RequestOut]
    total: int
    page: int
    page_size: int
