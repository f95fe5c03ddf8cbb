"""Requesting, building and fetching exports."""

from __future__ import annotations

import io
import os
import tempfile
import uuid
from collections.abc import AsyncIterable, Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from sqlalchemy import Select, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import undefer

from renda.config import Settings
from renda.core.db import read_rows, utcnow
from renda.core.errors import InvalidInput, NotFound, PermissionDenied
from renda.core.pagination import Page, paginate
from renda.core.timezone import to_local
from renda.core.worklist import ITEMS_SHOWN, DueItem, Worklist, window_counts
from renda.modules.exports.models import Export, ExportStatus
from renda.modules.exports.registry import (  # noqa: F401
    ExportFile,
    ExportKind,
    FileBuilder,
    Progress,
    export_kinds,
    file_kind,
    register_export,
)
from renda.tenants.scoping import TenantAccess
from renda.workers.outbox import enqueue


def configure_exports(settings: Settings) -> None:
    """At start-up of every process that builds exports (a worker; the service with its in-process one)."""
    from renda.modules.exports.tasks import set_time_limit

    set_time_limit(settings.export_time_limit_seconds)


def _kind(name: str) -> ExportKind:
    kind = export_kinds().get(name)
    if kind is None:
        raise InvalidInput(f"不支持的导出类型“{name}”", code="unknown_export_kind")
    return kind


async def request_export(session: AsyncSession, access: TenantAccess, kind_name: str, params: dict[str, Any]) -> Export:
    kind = _kind(kind_name)
    if not access.can(kind.permission):
        raise PermissionDenied(f"您无权导出{kind.label}")
    from renda.modules.exports.tasks import build_export

    export = Export(kind=kind.name, params=params, requested_by=access.principal.actor)
    session.add(export)
    await session.flush()
    enqueue(session, build_export, access.tenant.code, str(export.id))
    return export


async def get_export(session: AsyncSession, export_id: uuid.UUID, *, with_content: bool = False) -> Export:
    query = select(Export).where(Export.id == export_id)
    if with_content:
        query = query.options(undefer(Export.content))
    export = (await session.execute(query)).scalar_one_or_none()
    if export is None:
        raise NotFound("导出任务不存在", code="export_not_found")
    return export


@dataclass(frozen=True)
class ExportFilter:
    status: str | None = None  # pending, done or failed
    kind: str | None = None
    since: datetime | None = None  # requested at or after


def exports_query(filters: ExportFilter) -> Select[Any]:
    query = select(Export).order_by(Export.created_at.desc(), Export.id)
    if filters.status:
        query = query.where(Export.status == filters.status)
    if filters.kind:
        query = query.where(Export.kind == filters.kind)
    if filters.since:
        query = query.where(Export.created_at >= filters.since)
    return query


async def list_exports(
    session: AsyncSession, page: int, page_size: int, filters: ExportFilter | None = None
) -> Page[Export]:
    return await paginate(session, exports_query(filters or ExportFilter()), page, page_size)


# Files other modules keep as finished exports without being kinds one can request (a register import's
# error report), by kind: their label.
_stored_labels: dict[str, str] = {}


def register_stored_file(kind: str, label: str) -> None:
    _stored_labels[kind] = label


def kind_labels() -> dict[str, str]:
    """Every kind's Chinese label: the requestable kinds and the stored files."""
    return {**{name: kind.label for name, kind in export_kinds().items()}, **_stored_labels}


async def problem_worklist(
    session: AsyncSession, since: datetime, report_kinds: Sequence[str] = (), limit: int = ITEMS_SHOWN
) -> Worklist:
    """For the workbench, since `since`: `failed`, the exports whose job failed; `reports`, the error
    reports of the `report_kinds` (imports that found errors). Newest first, in one statement."""
    failed = Export.status == ExportStatus.FAILED
    report = Export.kind.in_(report_kinds) if report_kinds else None
    buckets = {"failed": failed, **({"reports": report} if report is not None else {})}
    query = (
        select(
            Export.id,
            Export.kind,
            Export.status,
            Export.requested_by,
            Export.created_at,
            *(func.count().filter(condition).over().label(kind) for kind, condition in buckets.items()),
        )
        .where(Export.created_at >= since, or_(*buckets.values()))
        .order_by(Export.created_at.desc(), Export.id)
        .limit(limit)
    )
    rows = await read_rows(session, query)
    labels = kind_labels()
    items = [
        DueItem(
            row.id,
            labels.get(row.kind, row.kind),
            "failed" if row.status == ExportStatus.FAILED else "reports",
            since=to_local(row.created_at).date(),
            detail=row.requested_by.split(":", 2)[-1],
        )
        for row in rows
    ]
    return Worklist({"reports": 0, **window_counts(rows[0] if rows else None, list(buckets))}, items)


MEDIA_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "zip": "application/zip",
    "pdf": "application/pdf",
}


def media_type_of(filename: str | None) -> str:
    """The download's media type, from the file's extension (a sheet unless it says otherwise)."""
    return MEDIA_TYPES.get((filename or "").rsplit(".", 1)[-1].lower(), MEDIA_TYPES["xlsx"])


@contextmanager
def scratch_directory() -> Iterator[Path]:
    """A directory of the process's temporary space (TMPDIR; the chart mounts one at /tmp) for one
    file being made, removed with all it holds whatever happens: a build that fails, runs out of disk
    or of time leaves no partial file behind."""
    with tempfile.TemporaryDirectory(prefix="renda-export-") as work:
        yield Path(work)


async def workbook(label: str, headers: list[str], rows: AsyncIterable[list[Any]] | Iterable[list[Any]]) -> ExportFile:
    """One sheet named `label`: the headers, then the rows (what every list export makes, and what a
    module serves at once when its rows are few, e.g. one deputy's archive)."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet(label)
    try:
        sheet.append(headers)
        count = 0
        if isinstance(rows, AsyncIterable):
            async for row in rows:
                sheet.append(row)
                count += 1
        else:
            for row in rows:
                sheet.append(row)
                count += 1
        buffer = io.BytesIO()
        book.save(buffer)
    finally:
        _remove_sheet_file(sheet)
    return ExportFile(buffer.getvalue(), f"{label}_{to_local(utcnow()):%Y%m%d%H%M%S}.xlsx", count)


def _remove_sheet_file(sheet: Any) -> None:
    """openpyxl streams a write-only sheet into a temporary file of its own naming and removes it only
    when the book is saved (or the process exits): a sheet given up half-way would stay on disk, open.
    Its streams are closed first (a full disk fails their last write too: nothing to keep)."""
    writer = getattr(sheet, "_writer", None)
    for stream in (getattr(sheet, "_rows", None), getattr(writer, "xf", None)):
        if stream is not None:
            with suppress(Exception):
                stream.close()
    path = getattr(writer, "out", None)
    if isinstance(path, str):
        with suppress(FileNotFoundError):
            os.remove(path)


async def _no_progress(done: int, total: int) -> None:
    return None


async def build(session: AsyncSession, export: Export, progress: Progress = _no_progress) -> None:
    """Fill in the file of a pending export."""
    kind = _kind(export.kind)
    if kind.build is not None:
        made = await kind.build(session, export.params, progress)
    else:
        made = await workbook(kind.label, kind.headers, kind.rows(session, export.params))
    export.content = made.content
    export.row_count = made.count
    export.filename = made.filename
    export.status = ExportStatus.DONE
    export.finished_at = utcnow()
