"""Request and response types of the portal API (commitments, the office's public contact).

Create types reject unknown fields; patch types leave out what is not sent (`UNSET`), so a client can
clear an optional field by sending `null` and leave it alone by not sending it.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

import msgspec
from msgspec import UNSET, UnsetType

COMMITMENT_MAX = 500
CommitmentText = Annotated[str, msgspec.Meta(min_length=1, max_length=COMMITMENT_MAX)]
Year = Annotated[int, msgspec.Meta(ge=1954, le=2200)]
Position = Annotated[int, msgspec.Meta(ge=0, le=999)]
Phone = Annotated[str, msgspec.Meta(max_length=40)]
Address = Annotated[str, msgspec.Meta(max_length=200)]
Hours = Annotated[str, msgspec.Meta(max_length=100)]
Notice = Annotated[str, msgspec.Meta(max_length=500)]


class CommitmentIn(msgspec.Struct, forbid_unknown_fields=True):
    """A commitment for a year, a term (of this office's register), or both."""

    person_id: uuid.UUID
    text: CommitmentText
    year: Year | None = None
    term_id: uuid.UUID | None = None
    is_public: bool = True
    position: Position = 0


class CommitmentPatch(msgspec.Struct, forbid_unknown_fields=True):
    text: CommitmentText | UnsetType = UNSET
    year: Year | UnsetType | None = UNSET
    term_id: uuid.UUID | UnsetType | None = UNSET
    is_public: bool | UnsetType = UNSET
    position: Position | UnsetType = UNSET


class CommitmentOut(msgspec.Struct):
    id: uuid.UUID
    person_id: uuid.UUID
    person_name: str
    year: int | None
    term_id: uuid.UUID | None
    period_label: str  # "2026年度", "第十九届任期" or both
    text: str
    is_public: bool
    position: int
    updated_at: datetime


class CommitmentPage(msgspec.Struct):
    items: list[CommitmentOut]
    total: int
    page: int
    page_size: int


class PortalSettingsIn(msgspec.Struct, forbid_unknown_fields=True):
    """The office's public contact: every field optional; `null` or empty clears it."""

    contact_phone: Phone | UnsetType | None = UNSET
    contact_address: Address | UnsetType | None = UNSET
    contact_hours: Hours | UnsetType | None = UNSET
    notice: Notice | UnsetType | None = UNSET


class PortalSettingsOut(msgspec.Struct):
    contact_phone: str | None
    contact_address: str | None
    contact_hours: str | None
    notice: str | None
