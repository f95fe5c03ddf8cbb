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


# --- evaluation, follow-up, supervision, the public board --------------------------------------------
RatingChoice = Literal["satisfied", "basic", "dissatisfied"]
CheckpointStage = Literal["start", "middle", "end"]
Comment = Annotated[str, msgspec.Meta(max_length=1000)]
LeaderText = Annotated[str, msgspec.Meta(max_length=50)]


class RatingIn(msgspec.Struct, forbid_unknown_fields=True):
    rating: RatingChoice
    comment: Comment | None = None


class SuggestionHead(msgspec.Struct):
    """What every view of one suggestion starts with (`views.head` computes its labels); `ItemOut`,
    `HandlingOut` and `RatingOut` add what their page or route shows."""

    id: uuid.UUID
    number: str
    status: str
    status_label: str


class RatingOut(SuggestionHead):
    round: int
    rating: str | None
    rating_label: str | None
    rating_comment: str | None
    rated_at: datetime | None
    rating_due: date | None
    deadline: date | None


class FollowUpIn(msgspec.Struct, forbid_unknown_fields=True):
    checked_on: date
    progress: Annotated[str, msgspec.Meta(max_length=2000)]
    resolved: bool = False


class FollowUpOut(msgspec.Struct):
    id: uuid.UUID
    year: int
    checked_on: date
    progress: str
    resolved: bool
    recorded_by: str
    follow_up: str  # the suggestion's follow-up state after this entry
    follow_up_label: str


class CarryOverIn(msgspec.Struct, forbid_unknown_fields=True):
    year: int


class CarryOverOut(msgspec.Struct):
    year: int
    carried: int


class KeyIn(msgspec.Struct, forbid_unknown_fields=True):
    is_key: bool
    leader_name: LeaderText | None = None
    leader_title: LeaderText | None = None


class CheckpointIn(msgspec.Struct, forbid_unknown_fields=True):
    stage: CheckpointStage
    due_on: date


class CheckpointDoneIn(msgspec.Struct, forbid_unknown_fields=True):
    done_on: date
    note: Comment


class CheckpointOut(msgspec.Struct):
    id: uuid.UUID
    year: int
    stage: str
    stage_label: str
    due_on: date
    done_on: date | None
    note: str | None


class KeyOut(msgspec.Struct):
    id: uuid.UUID
    is_key: bool
    key_leader: str | None
    key_leader_title: str | None
    checkpoints: list[CheckpointOut]


class BoardRow(msgspec.Struct):
    id: uuid.UUID
    number: str
    year: int
    title: str
    category_label: str
    status: str
    status_label: str
    round: int
    lead_deputy: str
    unit: str | None
    deadline: date | None
    days_left: int | None  # negative: overdue by that many days
    reply_class: str | None
    rating: str | None
    rating_label: str | None
    is_key: bool
    key_leader: str | None
    follow_up: str
    carried_to_year: int | None


class BoardPage(msgspec.Struct):
    items: list[BoardRow]
    total: int
    page: int
    page_size: int


class PublicBoardIn(msgspec.Struct, forbid_unknown_fields=True):
    enabled: bool
    fields: list[Annotated[str, msgspec.Meta(max_length=30)]]


class PublicBoardOut(msgspec.Struct):
    enabled: bool
    fields: list[str]


class RedactionIn(msgspec.Struct, forbid_unknown_fields=True):
    hidden: bool
    title: Annotated[str, msgspec.Meta(max_length=200)] | None = None


class RedactionOut(msgspec.Struct):
    id: uuid.UUID
    public_hidden: bool
    public_title: str | None


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


# --- the suggestion loop: filing and intake (提、审查) ------------------------------------------------
Kind = Literal["suggestion", "motion"]
ReturnReason = Literal["outside_remit", "personal", "litigation", "forwarded_letter", "empty", "other"]
Note = Annotated[str, msgspec.Meta(max_length=2000)]
Category = Annotated[str, msgspec.Meta(max_length=30)]


class ItemIn(msgspec.Struct, forbid_unknown_fields=True):
    """A new suggestion or motion (a draft of its lead deputy). A deputy files on their own account;
    staff name the lead (`lead_person_id`). Title and content may come from a draft (`draft_id`)."""

    category: Category
    kind: Kind = "suggestion"
    title: Title | None = None
    content: Content | None = None
    lead_person_id: uuid.UUID | None = None
    draft_id: uuid.UUID | None = None
    during_session: bool = False
    broad: bool = False
    cosigner_person_ids: list[uuid.UUID] = []


class ItemPatch(msgspec.Struct, forbid_unknown_fields=True):
    category: Category | UnsetType = UNSET
    kind: Kind | UnsetType = UNSET
    title: Title | UnsetType = UNSET
    content: Content | UnsetType = UNSET
    during_session: bool | UnsetType = UNSET
    broad: bool | UnsetType = UNSET


class CosignersIn(msgspec.Struct, forbid_unknown_fields=True):
    person_ids: Annotated[list[uuid.UUID], msgspec.Meta(min_length=1, max_length=200)]


class MergeIn(msgspec.Struct, forbid_unknown_fields=True):
    target_id: uuid.UUID
    note: Note | None = None


class ReturnIn(msgspec.Struct, forbid_unknown_fields=True):
    reason: ReturnReason
    note: Note | None = None


class ConvertIn(msgspec.Struct, forbid_unknown_fields=True):
    note: Note | None = None


class CosignerOut(msgspec.Struct):
    person_id: uuid.UUID
    name: str
    status: str
    status_label: str
    requested_at: datetime
    responded_at: datetime | None


class AttachmentOut(msgspec.Struct):
    id: uuid.UUID
    filename: str
    content_type: str
    size: int
    uploaded_by: str
    created_at: datetime


class StepOut(msgspec.Struct):
    kind: str
    kind_label: str
    round: int
    actor: str
    note: str | None
    at: datetime


class MergedOut(msgspec.Struct):
    id: uuid.UUID
    number: str
    title: str
    lead_name: str


class ItemOut(SuggestionHead):
    year: int
    seq: int | None
    kind: str
    kind_label: str
    category: str
    category_label: str
    title: str
    content: str
    during_session: bool
    broad: bool
    source: str
    term_id: uuid.UUID
    lead_person_id: uuid.UUID
    lead_name: str
    draft_id: uuid.UUID | None
    filed_at: datetime | None
    accepted_at: datetime | None
    return_reason: str | None
    return_reason_label: str | None
    return_note: str | None
    merged_into_id: uuid.UUID | None
    opinion_id: uuid.UUID | None
    created_at: datetime
    updated_at: datetime


class ItemDetail(msgspec.Struct):
    """One suggestion as its page shows it: the item, its co-signers, files, timeline, the suggestions
    merged into it, similar earlier ones, and what the caller may do with it now."""

    item: ItemOut
    cosigners: list[CosignerOut]
    confirmed_cosigners: int
    motion_min_cosigners: int
    attachments: list[AttachmentOut]
    steps: list[StepOut]
    merged: list[MergedOut]
    similar: list[SimilarOut]
    actions: list[str]


class MineRow(msgspec.Struct):
    id: uuid.UUID
    number: str
    title: str
    kind_label: str
    status: str
    status_label: str
    role: str  # lead | cosigner
    cosign_status: str | None  # the caller's answer, as a co-signer
    created_at: datetime
    filed_at: datetime | None


class MineOut(msgspec.Struct):
    """A deputy's own suggestions: those they lead, and those they were asked to co-sign."""

    led: list[MineRow]
    cosigning: list[MineRow]


class IntakeRow(msgspec.Struct):
    id: uuid.UUID
    number: str
    title: str
    kind_label: str
    category_label: str
    lead_name: str
    filed_at: datetime | None


class IntakePage(msgspec.Struct):
    items: list[IntakeRow]
    total: int
    page: int
    page_size: int


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


class HandlingOut(SuggestionHead):
    """One suggestion as its handling goes: units of every round, meetings, requests and the reply."""

    title: str
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
