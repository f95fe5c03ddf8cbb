"""Reading the audit log of an office."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from renda.core.errors import InvalidInput
from renda.core.pagination import Page, paginate
from renda.modules.audit.models import ACTION_LABELS, ENTITY_LABELS, AuditLog
from renda.modules.audit.schemas import AuditFilter


def filtered_query(filters: AuditFilter) -> Select[Any]:
    if filters.action and filters.action not in ACTION_LABELS:
        raise InvalidInput(f"操作类型“{filters.action}”无效,应为 create、update 或 delete", code="invalid_action")
    if filters.since and filters.until and filters.since > filters.until:
        raise InvalidInput("开始时间不能晚于结束时间", code="invalid_period")
    query = select(AuditLog).order_by(AuditLog.at.desc(), AuditLog.id)
    if filters.actor:
        query = query.where(AuditLog.actor.ilike(f"%{filters.actor}%"))
    if filters.action:
        query = query.where(AuditLog.action == filters.action)
    if filters.entity:
        query = query.where(AuditLog.entity == filters.entity)
    if filters.entity_id:
        query = query.where(AuditLog.entity_id == filters.entity_id)
    if filters.since:
        query = query.where(AuditLog.at >= filters.since)
    if filters.until:
        query = query.where(AuditLog.at <= filters.until)
    return query


async def list_entries(session: AsyncSession, filters: AuditFilter, page: int, page_size: int) -> Page[AuditLog]:
    return await paginate(session, filtered_query(filters), page, page_size)


EXPORT_HEADERS = ["时间", "操作人", "操作", "对象", "对象编号", "变更内容"]


async def export_rows(session: AsyncSession, params: dict[str, Any]) -> AsyncIterator[list[Any]]:
    """Rows for the Excel export of the audit log (registered with the exports module)."""
    from renda.core.timezone import to_local

    filters = AuditFilter(**params) if params else AuditFilter()
    result = await session.stream_scalars(filtered_query(filters).execution_options(yield_per=1000))
    async for row in result:
        yield [
            to_local(row.at).strftime("%Y-%m-%d %H:%M:%S"),
            row.actor.split(":", 2)[-1],
            ACTION_LABELS.get(row.action, row.action),
            ENTITY_LABELS.get(row.entity, row.entity),
            row.entity_id or "",
            str(row.changes),
        ]
