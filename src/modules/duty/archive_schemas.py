"""Request and response types of the archives' API."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

import msgspec

from renda.modules.duty.archives import ArchiveRow, ArchiveView, CorrectionOut, YearOut
from renda.modules.exports.models import STATUS_LABELS, Export

Year = Annotated[int, msgspec.Meta(ge=2000, le=2100)]
Section = Literal[
    "person",
    "mandates",
    "trainings",
    "activities",
    "evidence",
    "suggestions",
    "receptions",
    "contacts",
    "points",
    "rating",
    "other",
]


class CorrectionIn(msgspec.Struct, forbid_unknown_fields=True):
    year: Year
    section: Section
    content: Annotated[str, msgspec.Meta(min_length=1, max_length=2000)]
    reason: Annotated[str, msgspec.Meta(min_length=1, max_length=500)]


class CorrectionItem(msgspec.Struct):
    id: uuid.UUID
    section: str
    section_label: str
    content: str
    reason: str
    created_by: str
    created_at: datetime

    @classmethod
    def of(cls, c: CorrectionOut) -> CorrectionItem:
        return cls(c.id, c.section, c.section_label, c.content, c.reason, c.created_by, c.created_at)


class ArchiveOut(msgspec.Struct):
    person_id: uuid.UUID
    year: int
    status: str
    status_label: str
    closed_at: datetime | None
    content: dict[str, Any]
    corrections: list[CorrectionItem]

    @classmethod
    def of(cls, view: ArchiveView) -> ArchiveOut:
        corrections = [CorrectionItem.of(c) for c in view.corrections]
        return cls(view.person_id, view.year, view.status, view.status_label, view.closed_at, view.content, corrections)


class ArchiveItem(msgspec.Struct):
    person_id: uuid.UUID
    name: str
    year: int
    status: str
    status_label: str
    closed_at: datetime | None

    @classmethod
    def of(cls, row: ArchiveRow) -> ArchiveItem:
        return cls(row.person_id, row.name, row.year, row.status, row.status_label, row.closed_at)


class ArchivePage(msgspec.Struct):
    items: list[ArchiveItem]
    total: int
    page: int
    page_size: int


class YearItem(msgspec.Struct):
    year: int
    status: str
    status_label: str
    closed_at: datetime | None

    @classmethod
    def of(cls, y: YearOut) -> YearItem:
        return cls(y.year, y.status, y.status_label, y.closed_at)


class MyArchives(msgspec.Struct):
    person_id: uuid.UUID
    years: list[YearItem]


class CloseIn(msgspec.Struct, forbid_unknown_fields=True):
    year: Year


class CloseOut(msgspec.Struct):
    year: int
    closed: int


class BatchIn(msgspec.Struct, forbid_unknown_fields=True):
    """A group's or a station's archives of a year (exactly one of the two): PDFs in a zip, or one sheet."""

    year: Year
    group_id: uuid.UUID | None = None
    station_id: uuid.UUID | None = None
    format: Literal["zip", "xlsx"] = "zip"


class BatchOut(msgspec.Struct):
    id: uuid.UUID
    status: str
    status_label: str
    progress_done: int | None
    progress_total: int | None
    filename: str | None
    count: int | None
    error: str | None
    created_at: datetime
    finished_at: datetime | None

    @classmethod
    def of(cls, e: Export) -> BatchOut:
        return cls(
            e.id,
            e.status,
            STATUS_LABELS[e.status],
            e.progress_done,
            e.progress_total,
            e.filename,
            e.row_count,
            e.error,
            e.created_at,
            e.finished_at,
        )
