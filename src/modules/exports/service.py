"""Requesting, building and fetching exports."""

from __future__ import annotations

import io
import uuid
from typing import Any

from openpyxl import Workbook
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import undefer

from renda.core.db import utcnow
from renda.core.errors import InvalidInput, NotFound, PermissionDenied
from renda.core.pagination import Page, paginate
from renda.core.timezone import to_local
from renda.modules.exports.models import Export, ExportStatus
from renda.modules.exports.registry import ExportKind, export_kinds, register_export  # noqa: F401
from renda.tenants.scoping import TenantAccess
from renda.workers.outbox import enqueue


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


async def list_exports(session: AsyncSession, page: int, page_size: int) -> Page[Export]:
    return await paginate(session, select(Export).order_by(Export.created_at.desc()), page, page_size)


async def build(session: AsyncSession, export: Export) -> None:
    """Fill in the workbook of a pending export."""
    kind = _kind(export.kind)
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(kind.label)
    sheet.append(kind.headers)
    count = 0
    async for row in kind.rows(session, export.params):
        sheet.append(row)
        count += 1
    buffer = io.BytesIO()
    workbook.save(buffer)
    export.content = buffer.getvalue()
    export.row_count = count
    export.filename = f"{kind.label}_{to_local(utcnow()):%Y%m%d%H%M%S}.xlsx"
    export.status = ExportStatus.DONE
    export.finished_at = utcnow()
