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


class RatingOut(msgspec.Struct):
    id: uuid.UUID
    number: str
    status: str
    status_label: str
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
