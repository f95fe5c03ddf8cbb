from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import msgspec

from renda.modules.exports.models import STATUS_LABELS, Export


class ExportRequest(msgspec.Struct, forbid_unknown_fields=True):
    kind: str
    params: dict[str, Any] = msgspec.field(default_factory=dict)


class ExportOut(msgspec.Struct):
    id: uuid.UUID
    kind: str
    status: str
    status_label: str
    requested_by: str
    created_at: datetime
    finished_at: datetime | None
    filename: str | None
    row_count: int | None
    error: str | None
    progress_done: int | None = None
    progress_total: int | None = None

    @classmethod
    def of(cls, row: Export) -> ExportOut:
        return cls(
            row.id,
            row.kind,
            row.status,
            STATUS_LABELS[row.status],
            row.requested_by.split(":", 2)[-1],
            row.created_at,
            row.finished_at,
            row.filename,
            row.row_count,
            row.error,
            row.progress_done,
            row.progress_total,
        )


class ExportPage(msgspec.Struct):
    items: list[ExportOut]
    total: int
    page: int
    page_size: int
