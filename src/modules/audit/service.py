"""Reading the audit log of an office, and the registry of what its entries are called in Chinese."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from sqlalchemy import Select, not_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from renda.core.errors import InvalidInput
from renda.core.pagination import Page, paginate
from renda.core.timezone import to_local
from renda.modules.audit.labels import (
    ACTION_LABELS,
    entity_labels,
    register_entity,
    register_reference,
)
from renda.modules.audit.models import AuditLog
from renda.modules.audit.readable import (
    ReadableEntry,
    Shown,
    actor_of,
    details_format,
    is_system_actor,
    readable_entries,
    uuid_keys,
)
from renda.modules.audit.schemas import AuditFilter

__all__ = [
    "ACTION_LABELS",
    "EXPORT_HEADERS",
    "ReadableEntry",
    "Shown",
    "actor_of",
    "details_format",
    "entity_labels",
    "export_rows",
    "filtered_query",
    "is_system_actor",
    "list_entries",
    "readable_page",
    "register_entity",
    "register_reference",
    "uuid_keys",
]

# Who is a system job: the workers, the scheduler, the command line, the demo data.
_SYSTEM = or_(AuditLog.actor == "system", AuditLog.actor.startswith("system:", autoescape=True))


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
    if filters.people_only:
        query = query.where(not_(_SYSTEM))
    return query


async def list_entries(session: AsyncSession, filters: AuditFilter, page: int, page_size: int) -> Page[AuditLog]:
    return await paginate(session, filtered_query(filters), page, page_size)


async def readable_page(
    session: AsyncSession, filters: AuditFilter, page: int, page_size: int, office_code: str
) -> Page[ReadableEntry]:
    """A page of the log as people read it (names looked up for the whole page at once)."""
    entries = await list_entries(session, filters, page, page_size)
    return Page(await readable_entries(session, entries.items, office_code), entries.total, page, page_size)


EXPORT_HEADERS = ["时间", "操作人", "操作", "对象", "变更内容"]
EXPORT_BATCH = 500  # rows whose names are looked up together


def _export_row(entry: ReadableEntry) -> list[Any]:
    actor = f"{entry.actor.name}({entry.actor.detail})" if entry.actor.detail else entry.actor.name
    subject = f"{entry.entity} {entry.subject.text}" if entry.subject else entry.entity
    changes = "(仅内部字段变化)" if entry.hidden_only else entry.as_text()
    return [to_local(entry.at).strftime("%Y-%m-%d %H:%M:%S"), actor, entry.action, subject, changes]


async def export_rows(session: AsyncSession, params: dict[str, Any]) -> AsyncIterator[list[Any]]:
    """Rows for the Excel export of the audit log (registered with the exports module): what the page
    shows, in batches whose names are looked up together."""
    filters = AuditFilter(**params) if params else AuditFilter()
    office_code = str(session.info.get("tenant_code", ""))
    result = await session.stream_scalars(filtered_query(filters).execution_options(yield_per=1000))
    batch: list[AuditLog] = []
    async for row in result:
        batch.append(row)
        if len(batch) == EXPORT_BATCH:
            for entry in await readable_entries(session, batch, office_code):
                yield _export_row(entry)
            batch = []
    if batch:
        for entry in await readable_entries(session, batch, office_code):
            yield _export_row(entry)
