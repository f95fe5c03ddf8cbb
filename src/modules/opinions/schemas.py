"""Request and response types of the opinions API.

Texts are checked by the service (so the API and the pages give the same Chinese messages); the
limits here only stop absurd payloads before they reach it.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Literal

import msgspec

from renda.modules.units.service import UnitIn as UnitIn
from renda.modules.units.service import UnitPatch as UnitPatch
from renda.modules.units.service import UnitUserIn as UnitUserIn
from renda.modules.units.service import UnitUserOut

LongText = Annotated[str, msgspec.Meta(max_length=5000)]
ShortText = Annotated[str, msgspec.Meta(max_length=500)]
Source = Literal["reception", "contact", "portal", "staff", "suggestion"]
Rating = Literal["solved", "partly", "unsolved"]


class OpinionIn(msgspec.Struct, forbid_unknown_fields=True):
    """Staff entry of an opinion (taken by phone, letter, at a reception or a visit)."""

    content: LongText
    source: Source = "staff"
    category: str | None = None
    submitter_name: ShortText | None = None
    submitter_phone: ShortText | None = None
    deputy_person_id: uuid.UUID | None = None
    station_id: uuid.UUID | None = None


class AnalyseIn(msgspec.Struct, forbid_unknown_fields=True):
    category: str
    note: ShortText | None = None


class DuplicateIn(msgspec.Struct, forbid_unknown_fields=True):
    duplicate_of_id: uuid.UUID
    note: ShortText | None = None


class AssignIn(msgspec.Struct, forbid_unknown_fields=True):
    unit_id: uuid.UUID
    deadline: date | None = None  # defaults to 15 days from today
    note: ShortText | None = None


class EscalateIn(msgspec.Struct, forbid_unknown_fields=True):
    title: ShortText | None = None  # defaults to one made from the category and content
    note: ShortText | None = None


class AnswerIn(msgspec.Struct, forbid_unknown_fields=True):
    answer: LongText


class RatingIn(msgspec.Struct, forbid_unknown_fields=True):
    rating: Rating
    note: ShortText | None = None


class CloseIn(msgspec.Struct, forbid_unknown_fields=True):
    note: ShortText | None = None


class StepOut(msgspec.Struct):
    kind: str
    kind_label: str
    actor: str
    note: str | None
    at: datetime


class OpinionOut(msgspec.Struct):
    id: uuid.UUID
    ticket: str  # as read out: XXXX-XXXX-XXXX
    source: str
    source_label: str
    content: str
    category: str | None
    category_label: str | None
    status: str
    status_label: str
    submitter_name: str | None
    submitter_phone_masked: str | None
    deputy_person_id: uuid.UUID | None
    deputy_name: str | None
    station_id: uuid.UUID | None
    station_name: str | None
    unit_id: uuid.UUID | None
    unit_name: str | None
    deadline: date | None
    overdue: bool
    answer: str | None
    rating: str | None
    rating_label: str | None
    duplicate_of_id: uuid.UUID | None
    suggestion_draft_id: uuid.UUID | None
    created_at: datetime
    assigned_at: datetime | None
    answered_at: datetime | None
    rated_at: datetime | None
    closed_at: datetime | None


class SimilarOut(msgspec.Struct):
    id: uuid.UUID
    ticket: str
    content: str
    status_label: str
    score: float  # 0–1, shared character pairs
    created_at: datetime


class OpinionDetail(msgspec.Struct):
    opinion: OpinionOut
    steps: list[StepOut]
    duplicates: list[OpinionOut]  # opinions marked as duplicates of this one
    similar: list[SimilarOut]  # likely duplicates, for staff to decide
    can_manage: bool
    can_answer: bool


class OpinionPage(msgspec.Struct):
    items: list[OpinionOut]
    total: int
    page: int
    page_size: int


class UnitOut(msgspec.Struct):
    id: uuid.UUID
    name: str
    contact_name: str | None
    note: str | None
    is_active: bool
    users: list[UnitUserOut]
    open_count: int
    overdue_count: int
