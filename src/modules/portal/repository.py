"""Queries of the portal, in the request's tenant schema (and the platform's mandate directory).

Persons, mandates, terms and congresses belong to the deputies register, stations to the
organisation module; they are read here through their models, never written.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from renda.core.db import get_database
from renda.modules.deputies.models import DirectoryEntry, Mandate, MandateStatus, Person, Term
from renda.modules.organisation.models import Station, StationAssignment
from renda.modules.portal.models import DeputyCommitment, PortalSettings


def _live_mandate() -> Any:
    return exists().where(Mandate.person_id == Person.id, Mandate.status != MandateStatus.ENDED)


# --- deputies -------------------------------------------------------------------------------------
async def live_mandates(session: AsyncSession, person_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, list[Mandate]]:
    """The live (active or suspended) mandates this office records for each person."""
    ids = set(person_ids)
    if not ids:
        return {}
    query = select(Mandate).where(Mandate.person_id.in_(ids), Mandate.status != MandateStatus.ENDED)
    found: dict[uuid.UUID, list[Mandate]] = defaultdict(list)
    for mandate in (await session.execute(query.order_by(Mandate.starts_on))).scalars():
        found[mandate.person_id].append(mandate)
    return found


async def persons_by_id(session: AsyncSession, person_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, Person]:
    ids = set(person_ids)
    if not ids:
        return {}
    return {p.id: p for p in (await session.execute(select(Person).where(Person.id.in_(ids)))).scalars()}


async def person_stations(session: AsyncSession, person_id: uuid.UUID) -> list[Station]:
    """The active stations a deputy of this office's register is assigned to (进家入站)."""
    query = (
        select(Station)
        .join(StationAssignment, StationAssignment.station_id == Station.id)
        .where(StationAssignment.person_id == person_id, Station.is_active)
        .order_by(Station.name)
    )
    return list((await session.execute(query)).scalars())


async def station_live_deputies(
    session: AsyncSession, station_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[Person]]:
    """station → the persons of this register assigned to it who hold a live mandate, by pinyin."""
    if not station_ids:
        return {}
    query = (
        select(StationAssignment.station_id, Person)
        .join(Person, Person.id == StationAssignment.person_id)
        .where(StationAssignment.station_id.in_(station_ids), _live_mandate())
        .order_by(Person.name_pinyin, Person.id)
    )
    found: dict[uuid.UUID, list[Person]] = defaultdict(list)
    for station_id, person in (await session.execute(query)).all():
        found[station_id].append(person)
    return found


async def station_external_mandates(
    session: AsyncSession, station_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[uuid.UUID]]:
    """station → directory mandate ids of the deputies recorded by other offices assigned to it."""
    if not station_ids:
        return {}
    query = select(StationAssignment.station_id, StationAssignment.directory_mandate_id).where(
        StationAssignment.station_id.in_(station_ids), StationAssignment.directory_mandate_id.is_not(None)
    )
    found: dict[uuid.UUID, list[uuid.UUID]] = defaultdict(list)
    for station_id, mandate_id in (await session.execute(query)).all():
        found[station_id].append(mandate_id)
    return found


@dataclass(frozen=True)
class ExternalDeputy:
    """A deputy recorded by another office: only what the directory holds for everyone (the name)."""

    mandate_id: uuid.UUID
    person_id: uuid.UUID
    name: str
    recorded_by: str
    name_pinyin: str


async def live_directory_entries(mandate_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, ExternalDeputy]:
    """Live mandates of the platform's directory, read from the platform schema only."""
    ids = set(mandate_ids)
    if not ids:
        return {}
    query = select(DirectoryEntry).where(
        DirectoryEntry.mandate_id.in_(ids), DirectoryEntry.status != MandateStatus.ENDED
    )
    async with get_database().platform_session() as platform:
        entries = (await platform.execute(query)).scalars().all()
    return {
        e.mandate_id: ExternalDeputy(e.mandate_id, e.person_id, e.person_name, e.recorded_by, e.name_pinyin)
        for e in entries
    }


async def term_labels(session: AsyncSession, term_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, Term]:
    ids = set(term_ids)
    if not ids:
        return {}
    return {t.id: t for t in (await session.execute(select(Term).where(Term.id.in_(ids)))).scalars()}


async def person_terms(session: AsyncSession, person_id: uuid.UUID) -> list[Term]:
    """Terms in which the person holds or held a mandate of this register, latest first."""
    query = (
        select(Term)
        .where(Term.id.in_(select(Mandate.term_id).where(Mandate.person_id == person_id)))
        .order_by(Term.starts_on.desc())
    )
    return list((await session.execute(query)).scalars())


# --- stations -------------------------------------------------------------------------------------
def public_stations_query(q: str | None, township_code: str | None) -> Select[Any]:
    """Active stations, by township, then name; `q` searches the name and the address."""
    query = select(Station).where(Station.is_active).order_by(Station.township_code.nulls_last(), Station.name)
    if township_code:
        query = query.where(Station.township_code == township_code)
    if q:
        query = query.where(
            or_(Station.name.contains(q, autoescape=True), Station.address.contains(q, autoescape=True))
        )
    return query


async def station_townships(session: AsyncSession) -> list[str]:
    """The township codes that active stations name, for the finder's filter."""
    query = (
        select(Station.township_code)
        .where(Station.is_active, Station.township_code.is_not(None))
        .distinct()
        .order_by(Station.township_code)
    )
    return [code for code in (await session.execute(query)).scalars() if code]


async def active_stations(session: AsyncSession) -> list[Station]:
    query = select(Station).where(Station.is_active).order_by(Station.township_code.nulls_last(), Station.name)
    return list((await session.execute(query)).scalars())


# --- commitments ----------------------------------------------------------------------------------
def _commitment_order() -> list[Any]:
    return [DeputyCommitment.position, DeputyCommitment.year.desc().nulls_last(), DeputyCommitment.created_at]


async def commitments_of(
    session: AsyncSession, person_id: uuid.UUID, *, public_only: bool = False
) -> list[DeputyCommitment]:
    query = select(DeputyCommitment).where(DeputyCommitment.person_id == person_id)
    if public_only:
        query = query.where(DeputyCommitment.is_public)
    return list((await session.execute(query.order_by(*_commitment_order()))).scalars())


def commitments_query(person_id: uuid.UUID | None) -> Select[Any]:
    query = select(DeputyCommitment).join(Person, Person.id == DeputyCommitment.person_id)
    if person_id is not None:
        query = query.where(DeputyCommitment.person_id == person_id)
    return query.order_by(Person.name_pinyin, DeputyCommitment.person_id, *_commitment_order())


async def commitment_counts(session: AsyncSession, person_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, int]:
    if not person_ids:
        return {}
    query = (
        select(DeputyCommitment.person_id, func.count())
        .where(DeputyCommitment.person_id.in_(person_ids))
        .group_by(DeputyCommitment.person_id)
    )
    return {pid: n for pid, n in (await session.execute(query)).all()}


async def portal_settings(session: AsyncSession) -> PortalSettings | None:
    return await session.get(PortalSettings, 1)
