"""What waits in the opinions' loop, for the workbench: each worklist is one statement, its counts
window columns beside the first few rows (overdue first, then by deadline, then the longest waiting).

- the office's (staff): received and not yet assigned (待分析交办), assigned and past the deadline
  (已逾期, to chase: 督办), answered and not yet closed (待办结);
- a deputy's: the open opinions addressed to them;
- a handling unit's: the opinions assigned to its units and not yet answered.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection
from datetime import date

from sqlalchemy import ColumnElement, case, false, func, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from renda.core.db import read_rows
from renda.core.timezone import to_local
from renda.core.worklist import ITEMS_SHOWN, DueItem, Worklist, window_counts
from renda.modules.opinions.common import excerpt, format_ticket, overdue_clause
from renda.modules.opinions.models import FINAL_STATUSES, Opinion


async def _worklist(
    session: AsyncSession,
    scope: ColumnElement[bool],
    buckets: dict[str, ColumnElement[bool]],
    today: date,
    limit: int,
) -> Worklist:
    overdue = overdue_clause(today)
    query = (
        select(
            Opinion.id,
            Opinion.ticket,
            Opinion.content,
            Opinion.status,
            Opinion.deadline,
            Opinion.created_at,
            *(func.count().filter(condition).over().label(kind) for kind, condition in buckets.items()),
        )
        .where(scope, or_(*buckets.values()))
        .order_by(case((overdue, 0), else_=1), Opinion.deadline.asc().nulls_last(), Opinion.created_at, Opinion.id)
        .limit(limit)
    )
    rows = await read_rows(session, query)
    items = []
    for row in rows:
        late = row.status == "assigned" and row.deadline is not None and row.deadline < today
        kind = "overdue" if late and "overdue" in buckets else row.status
        items.append(
            DueItem(
                row.id,
                excerpt(row.content),
                kind,
                due=row.deadline,
                overdue=late,
                since=to_local(row.created_at).date(),
                detail=format_ticket(row.ticket),
            )
        )
    return Worklist(window_counts(rows[0] if rows else None, list(buckets)), items)


async def office_worklist(session: AsyncSession, today: date, limit: int = ITEMS_SHOWN) -> Worklist:
    """Staff: `received` (to analyse and assign), `overdue` (to chase), `answered` (to close)."""
    buckets = {
        "received": Opinion.status == "received",
        "overdue": overdue_clause(today),
        "answered": Opinion.status == "answered",
    }
    return await _worklist(session, true(), buckets, today, limit)


async def deputy_worklist(
    session: AsyncSession, person_ids: Collection[uuid.UUID], today: date, limit: int = ITEMS_SHOWN
) -> Worklist:
    """A deputy: `open` (addressed to them, not yet ended), `overdue` among them."""
    scope = Opinion.deputy_person_id.in_(person_ids) if person_ids else false()
    buckets = {"open": Opinion.status.not_in(FINAL_STATUSES), "overdue": overdue_clause(today)}
    return await _worklist(session, scope, buckets, today, limit)


async def unit_worklist(
    session: AsyncSession, unit_ids: Collection[uuid.UUID], today: date, limit: int = ITEMS_SHOWN
) -> Worklist:
    """A handling unit: `assigned` (to answer), `overdue` among them."""
    scope = Opinion.unit_id.in_(unit_ids) if unit_ids else false()
    buckets = {"assigned": Opinion.status == "assigned", "overdue": overdue_clause(today)}
    return await _worklist(session, scope, buckets, today, limit)
