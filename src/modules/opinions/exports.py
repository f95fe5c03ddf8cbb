"""The export of the opinion list (as filtered) to a spreadsheet."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from renda.core.timezone import local_today, to_local
from renda.modules.opinions.common import SYSTEM_VIEWER
from renda.modules.opinions.listing import list_query, outs, parse_filter

EXPORT_HEADERS = [
    "编号",
    "受理时间",
    "来源",
    "类别",
    "意见内容",
    "反映人",
    "联系电话",
    "代表",
    "家站室",
    "状态",
    "承办单位",
    "办理期限",
    "是否逾期",
    "答复",
    "评价",
    "办结时间",
]


def _local_text(value: datetime | None) -> str:
    return f"{to_local(value):%Y-%m-%d %H:%M}" if value else ""


async def export_rows(session: AsyncSession, params: dict[str, Any]) -> AsyncIterator[list[Any]]:
    """The list as filtered, for everyone who may export (they all see the whole office); an export
    file travels, so the phone number leaves masked."""
    today = local_today()
    found = list((await session.execute(list_query(SYSTEM_VIEWER, parse_filter(params), today))).scalars())
    for start in range(0, len(found), 500):
        chunk = found[start : start + 500]
        for row in await outs(session, chunk, today):
            yield [
                row.ticket,
                _local_text(row.created_at),
                row.source_label,
                row.category_label or "",
                row.content,
                row.submitter_name or "",
                row.submitter_phone_masked or "",
                row.deputy_name or "",
                row.station_name or "",
                row.status_label,
                row.unit_name or "",
                f"{row.deadline:%Y-%m-%d}" if row.deadline else "",
                "是" if row.overdue else "",
                row.answer or "",
                row.rating_label or "",
                _local_text(row.closed_at),
            ]
