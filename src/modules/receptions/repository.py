"""Queries of the receptions module, all in the request's tenant schema.

Stations, their assignments (organisation) and persons (deputies register) are read here through their
models, never written.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import Select, delete, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from renda.modules.deputies.models import Person
from renda.modules.organisation.models import Station, StationAssignment
from renda.modules.receptions.models import (
    Reception,
    ReceptionDeputy,
    ReceptionException,
    ReceptionRule,
    RosterEntry,
)
from renda.modules.receptions.schedule import StationCalendar


# --- stations and calendars -----------------------------------------------------------------------
async def stations(session: AsyncSession, ids: Sequence[uuid.UUID] | None = None) -> list[Station]:
    query = select(Station).order_by(Station.name)
    if ids is not None:
        query = query.where(Station.id.in_(set(ids)))
    return list((await session.execute(query)).scalars())


async def rules_of(session: AsyncSession, station_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, list[ReceptionRule]]:
    found: dict[uuid.UUID, list[ReceptionRule]] = defaultdict(list)
    if not station_ids:
        return found
    query = (
        select(ReceptionRule)
        .where(ReceptionRule.station_id.in_(set(station_ids)))
        .order_by(ReceptionRule.valid_from, ReceptionRule.created_at)
    )
    for rule in (await session.execute(query)).scalars():
        found[rule.station_id].append(rule)
    return found


async def exceptions_between(
    session: AsyncSession, station_ids: Sequence[uuid.UUID] | None, start: date, end: date
) -> list[ReceptionException]:
    """Exceptions in the dates, office-wide and of the stations (of every station: `None`)."""
    query = select(ReceptionException).where(ReceptionException.day.between(start, end))
    if station_ids is not None:
        query = query.where(
            or_(ReceptionException.station_id.is_(None), ReceptionException.station_id.in_(set(station_ids)))
        )
    return list((await session.execute(query.order_by(ReceptionException.day))).scalars())


async def calendars(
    session: AsyncSession, station_list: Sequence[Station], start: date, end: date
) -> dict[uuid.UUID, StationCalendar]:
    """Each station's calendar with the exceptions from `start` to `end` (inclusive)."""
    ids = [s.id for s in station_list]
    rules = await rules_of(session, ids)
    own: dict[uuid.UUID, dict[date, str]] = defaultdict(dict)
    office: dict[date, str] = {}
    for exc in await exceptions_between(session, ids, start, end):
        if exc.station_id is None:
            office[exc.day] = exc.kind
        else:
            own[exc.station_id][exc.day] = exc.kind
    return {
        s.id: StationCalendar(s.is_active, list(s.reception_days or []), rules.get(s.id, []), own[s.id], office)
        for s in station_list
    }


async def assignments(session: AsyncSession, station_ids: Sequence[uuid.UUID] | None) -> list[StationAssignment]:
    """Deputies assigned to the stations (to every station of the office: `None`)."""
    query = select(StationAssignment)
    if station_ids is not None:
        if not station_ids:
            return []
        query = query.where(StationAssignment.station_id.in_(set(station_ids)))
    return list((await session.execute(query)).scalars())


async def assigned_mandates(session: AsyncSession) -> set[uuid.UUID]:
    """Mandates recorded elsewhere that are assigned to some station of this office."""
    query = select(StationAssignment.directory_mandate_id).where(StationAssignment.directory_mandate_id.is_not(None))
    return set((await session.execute(query)).scalars())


async def persons_by_id(session: AsyncSession, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, Person]:
    wanted = set(ids)
    if not wanted:
        return {}
    return {p.id: p for p in (await session.execute(select(Person).where(Person.id.in_(wanted)))).scalars()}


async def person_of_user(session: AsyncSession, user_id: uuid.UUID) -> Person | None:
    query = select(Person).where(Person.user_id == user_id).order_by(Person.created_at).limit(1)
    return (await session.execute(query)).scalar_one_or_none()


# --- rosters --------------------------------------------------------------------------------------
async def roster_between(
    session: AsyncSession,
    start: date,
    end: date,
    station_ids: Sequence[uuid.UUID] | None = None,
    person_id: uuid.UUID | None = None,
) -> list[RosterEntry]:
    query = select(RosterEntry).where(RosterEntry.day.between(start, end))
    if station_ids is not None:
        query = query.where(RosterEntry.station_id.in_(set(station_ids)))
    if person_id is not None:
        query = query.where(RosterEntry.person_id == person_id)
    return list((await session.execute(query.order_by(RosterEntry.day, RosterEntry.created_at))).scalars())


def _deputy_is(key: tuple[uuid.UUID | None, uuid.UUID | None]) -> Any:
    person_id, mandate_id = key
    if person_id:
        return RosterEntry.person_id == person_id
    return RosterEntry.directory_mandate_id == mandate_id


async def roster_on(
    session: AsyncSession, day: date, key: tuple[uuid.UUID | None, uuid.UUID | None]
) -> list[RosterEntry]:
    """Where one deputy is rostered on a day (at any station)."""
    query = select(RosterEntry).where(RosterEntry.day == day, _deputy_is(key))
    return list((await session.execute(query)).scalars())


async def roster_for_deputies(
    session: AsyncSession, keys: Sequence[tuple[uuid.UUID | None, uuid.UUID | None]], start: date, end: date
) -> list[RosterEntry]:
    """Every station's entries of these deputies in the dates."""
    persons = [p for p, _ in keys if p]
    mandates = [m for _, m in keys if m]
    if not persons and not mandates:
        return []
    query = select(RosterEntry).where(
        RosterEntry.day.between(start, end),
        or_(RosterEntry.person_id.in_(persons), RosterEntry.directory_mandate_id.in_(mandates)),
    )
    return list((await session.execute(query.order_by(RosterEntry.day))).scalars())


async def delete_generated(
    session: AsyncSession,
    station_id: uuid.UUID,
    keys: Sequence[tuple[uuid.UUID | None, uuid.UUID | None]],
    start: date,
    end: date,
) -> None:
    """Drop what an earlier generation made for these deputies at the station and nobody has been
    reminded of yet (a home's turns for other stations' deputies stay)."""
    persons = [p for p, _ in keys if p]
    mandates = [m for _, m in keys if m]
    await session.execute(
        delete(RosterEntry).where(
            RosterEntry.station_id == station_id,
            RosterEntry.day.between(start, end),
            RosterEntry.source == "generated",
            or_(RosterEntry.reminder_status.is_(None), RosterEntry.reminder_status == "cancelled"),
            or_(RosterEntry.person_id.in_(persons), RosterEntry.directory_mandate_id.in_(mandates)),
        )
    )


# --- reception records ----------------------------------------------------------------------------
def receptions_query(
    station_id: uuid.UUID | None,
    start: date | None,
    end: date | None,
    category: str | None,
    person_id: uuid.UUID | None,
    mandate_id: uuid.UUID | None,
    q: str | None,
    off_schedule: bool | None,
) -> Select[Any]:
    query = select(Reception)
    if station_id is not None:
        query = query.where(Reception.station_id == station_id)
    if start is not None:
        query = query.where(Reception.held_on >= start)
    if end is not None:
        query = query.where(Reception.held_on <= end)
    if category:
        query = query.where(Reception.category == category)
    if off_schedule is not None:
        query = query.where(Reception.off_schedule.is_(off_schedule))
    if person_id is not None:
        present = select(ReceptionDeputy.reception_id).where(ReceptionDeputy.person_id == person_id)
        query = query.where(Reception.id.in_(present))
    if mandate_id is not None:
        present = select(ReceptionDeputy.reception_id).where(ReceptionDeputy.directory_mandate_id == mandate_id)
        query = query.where(Reception.id.in_(present))
    if q and q.strip():
        like = f"%{q.strip()}%"
        query = query.where(or_(Reception.visitor_name.ilike(like), Reception.issue.ilike(like)))
    return query.order_by(Reception.held_on.desc(), Reception.created_at.desc())


async def deputies_of(
    session: AsyncSession, reception_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[ReceptionDeputy]]:
    found: dict[uuid.UUID, list[ReceptionDeputy]] = defaultdict(list)
    if not reception_ids:
        return found
    query = (
        select(ReceptionDeputy)
        .where(ReceptionDeputy.reception_id.in_(set(reception_ids)))
        .order_by(ReceptionDeputy.position)
    )
    for row in (await session.execute(query)).scalars():
        found[row.reception_id].append(row)
    return found


async def reception_counts(
    session: AsyncSession, station_ids: Sequence[uuid.UUID], start: date, end: date
) -> dict[tuple[uuid.UUID, date], int]:
    if not station_ids:
        return {}
    query = (
        select(Reception.station_id, Reception.held_on, func.count())
        .where(Reception.station_id.in_(set(station_ids)), Reception.held_on.between(start, end))
        .group_by(Reception.station_id, Reception.held_on)
    )
    return {(s, d): n for s, d, n in (await session.execute(query)).all()}


async def summary(session: AsyncSession, query: Select[Any]) -> tuple[tuple[int, int, int, int], dict[str, int]]:
    """(receptions, visitors, off-schedule, converted) and receptions per category, of a records query."""
    rows = query.order_by(None).subquery()
    totals = (
        await session.execute(
            select(
                func.count(),
                func.coalesce(func.sum(rows.c.visitor_count), 0),
                func.count().filter(rows.c.off_schedule),
                func.count(rows.c.opinion_id),
            )
        )
    ).one()
    by_category = await session.execute(
        select(rows.c.category, func.count()).group_by(rows.c.category).order_by(func.count().desc())
    )
    return (int(totals[0]), int(totals[1]), int(totals[2]), int(totals[3])), {c: n for c, n in by_category.all()}
