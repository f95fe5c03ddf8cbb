"""What waits in the receptions, for the workbench: a deputy's next reception days (轮值), in one
statement."""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from renda.core.db import read_rows
from renda.core.worklist import ITEMS_SHOWN, DueItem, Worklist, window_counts
from renda.modules.organisation.models import Station
from renda.modules.receptions.models import RosterEntry


async def deputy_worklist(
    session: AsyncSession, person_id: uuid.UUID, today: date, limit: int = ITEMS_SHOWN
) -> Worklist:
    """`upcoming`: the days from today on that the deputy is rostered to receive the people, the next
    first; each day is the item's date."""
    query = (
        select(
            RosterEntry.id,
            RosterEntry.day,
            Station.name.label("station_name"),
            Station.address,
            func.count().over().label("upcoming"),
        )
        .join(Station, Station.id == RosterEntry.station_id)
        .where(RosterEntry.person_id == person_id, RosterEntry.day >= today)
        .order_by(RosterEntry.day, Station.name)
        .limit(limit)
    )
    rows = await read_rows(session, query)
    items = [DueItem(row.id, row.station_name, "upcoming", due=row.day, detail=row.address or "") for row in rows]
    return Worklist(window_counts(rows[0] if rows else None, ["upcoming"]), items)
