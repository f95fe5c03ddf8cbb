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
