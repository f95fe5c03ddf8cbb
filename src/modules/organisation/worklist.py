"""What waits in the organisation, for the workbench: deputy groups without a member and stations in
use without a deputy assigned (名单为空), in one statement."""

from __future__ import annotations

from sqlalchemy import exists, func, literal, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from renda.core.db import read_rows
from renda.core.worklist import ITEMS_SHOWN, DueItem, Worklist, window_counts
from renda.modules.organisation.models import DeputyGroup, GroupMembership, Station, StationAssignment

KINDS = ("groups", "stations")


async def empty_rosters(session: AsyncSession, limit: int = ITEMS_SHOWN) -> Worklist:
    """`groups`: groups nobody is a member of; `stations`: active stations nobody is assigned to."""
    groups = select(literal("groups").label("kind"), DeputyGroup.id, DeputyGroup.name).where(
        ~exists().where(GroupMembership.group_id == DeputyGroup.id)
    )
    stations = select(literal("stations").label("kind"), Station.id, Station.name).where(
        Station.is_active, ~exists().where(StationAssignment.station_id == Station.id)
    )
    both = union_all(groups, stations).subquery()
    query = (
        select(
            both.c.kind,
            both.c.id,
            both.c.name,
            *(func.count().filter(both.c.kind == kind).over().label(kind) for kind in KINDS),
        )
        .order_by(both.c.kind.desc(), both.c.name)
        .limit(limit)
    )
    rows = await read_rows(session, query)
    items = [DueItem(row.id, row.name, row.kind) for row in rows]
    return Worklist(window_counts(rows[0] if rows else None, KINDS), items)
