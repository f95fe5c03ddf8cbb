"""What other modules use of duty performance (履职): the workbench reads the evidence waiting for the
staff's verification and a deputy's points of the year. The rules live in the module's own files
(`evidence`, `totals`, ...), which its routes, pages and workers import directly."""

from __future__ import annotations

import uuid
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from renda.core.db import read_rows
from renda.core.timezone import to_local
from renda.core.worklist import ITEMS_SHOWN, DueItem, Worklist, window_counts
from renda.modules.deputies.models import Person
from renda.modules.duty.models import Evidence
from renda.modules.duty.totals import points_of

__all__ = ["evidence_worklist", "year_points"]


async def evidence_worklist(session: AsyncSession, limit: int = ITEMS_SHOWN) -> Worklist:
    """Staff: `pending`, the evidence deputies submitted awaiting verification, first come first (the
    order of the evidence page), in one statement."""
    query = (
        select(
            Evidence.id,
            Evidence.title,
            Evidence.submitted_at,
            Person.name.label("person_name"),
            func.count().over().label("pending"),
        )
        .join(Person, Person.id == Evidence.person_id)
        .where(Evidence.status == "pending")
        .order_by(Evidence.submitted_at, Evidence.id)
        .limit(limit)
    )
    rows = await read_rows(session, query)
    items = [
        DueItem(row.id, row.title, "pending", since=to_local(row.submitted_at).date(), detail=row.person_name)
        for row in rows
    ]
    return Worklist(window_counts(rows[0] if rows else None, ["pending"]), items)


async def year_points(session: AsyncSession, person_id: uuid.UUID, year: int) -> Decimal:
    """A deputy's points of the year as their points page shows them (base plus bonus, after the caps)."""
    return (await points_of(session, year, [person_id]))[person_id].total
