"""Request and response types of the suggestion drafts API."""

from __future__ import annotations

import uuid
from datetime import datetime
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


class ItemOut(msgspec.Struct):
    id: uuid.UUID
    number: str
    year: int
    seq: int | None
    kind: str
    kind_label: str
    status: str
    status_label: str
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
