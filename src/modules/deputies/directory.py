"""Mandates across offices (issue: one mandate, one record, across the platform).

The office that administers a mandate records it in its own schema. After every change it asks,
through the outbox, for the mandate to be published to `platform.mandate_directory`; the
`publish_mandate` worker reads the recording office's tables and writes that one row. An office's
territory (itself and every office beneath it) then sees every mandate recorded in it or organised
in it, each exactly once, without any request reading another office's schema.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, bindparam, delete, func, or_, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from renda.core.db import get_database, read_rows, utcnow
from renda.modules.deputies.models import (
    Congress,
    DirectoryEntry,
    Mandate,
    MandateClaim,
    MandateStatus,
    Person,
    Term,
)
from renda.modules.rollups import service as rollups
from renda.tenants.models import Tenant
from renda.tenants.scoping import TenantRef

# How many mandates one publishing message carries.
PUBLISH_CHUNK = 500


async def mandate_changed(session: AsyncSession, tenant_code: str, mandate_id: uuid.UUID) -> None:
    """Call after writing a mandate (or its person): it is republished once the transaction commits."""
    from renda.modules.deputies.tasks import publish_mandate
    from renda.workers.outbox import enqueue

    enqueue(session, publish_mandate, tenant_code, str(mandate_id))


async def mandates_changed(session: AsyncSession, tenant_code: str, mandate_ids: Iterable[uuid.UUID]) -> None:
    """Like `mandate_changed` for many at once (an import): one message per chunk of mandates."""
    from renda.modules.deputies.tasks import publish_mandates
    from renda.workers.outbox import enqueue

    ids = [str(i) for i in mandate_ids]
    for start in range(0, len(ids), PUBLISH_CHUNK):
        enqueue(session, publish_mandates, tenant_code, ids[start : start + PUBLISH_CHUNK])


def _entry_values(
    tenant: TenantRef, mandate: Mandate, person: Person, term: Term, congress: Congress, organised_path: str
) -> dict[str, Any]:
    return {
        "recorded_by": tenant.code,
        "recorded_path": tenant.path,
        "organised_in": mandate.organised_in or tenant.code,
        "organised_path": organised_path,
        "person_key": person.id_number_hash or f"{tenant.code}:{person.id}",
        "person_id": person.id,
        "person_name": person.name,
        "name_pinyin": person.name_pinyin,
        "name_initials": person.name_initials,
        "gender": person.gender,
        "ethnicity": person.ethnicity,
        "party": person.party,
        "occupation_category": person.occupation_category,
        "birth_year": person.birth_date.year if person.birth_date else None,
        "level": mandate.level,
        "congress_name": congress.name,
        "term_number": term.number,
        "constituency": mandate.constituency,
        "status": mandate.status,
        "starts_on": mandate.starts_on,
        "by_election": mandate.by_election,
        "ended_on": mandate.ended_on,
        "end_reason": mandate.end_reason,
        "resignation_kind": mandate.resignation_kind,
        "replaces_mandate_id": mandate.replaces_mandate_id,
        "term_starts_on": term.starts_on,
        "term_ends_on": term.ends_on,
        "published_at": utcnow(),
    }


async def publish(session: AsyncSession, tenant: TenantRef, mandate_ids: Iterable[uuid.UUID]) -> None:
    """Copy the mandates' current state from the recording office's session into the directory:
    one read, one upsert, and removal of those deleted since."""
    mandate_ids = list(mandate_ids)
    rows = (
        await session.execute(
            select(Mandate, Person, Term, Congress)
            .join(Person, Person.id == Mandate.person_id)
            .join(Term, Term.id == Mandate.term_id)
            .join(Congress, Congress.id == Term.congress_id)
            .where(Mandate.id.in_(mandate_ids))
        )
    ).all()
    async with get_database().platform_session() as platform:
        codes = {m.organised_in for m, *_ in rows if m.organised_in and m.organised_in != tenant.code}
        paths = {tenant.code: tenant.path}
        if codes:
            paths |= dict(
                (await platform.execute(select(Tenant.code, Tenant.path).where(Tenant.code.in_(codes)))).all()
            )
        values = [
            {"mandate_id": m.id, **_entry_values(tenant, m, p, t, c, paths[m.organised_in or tenant.code])}
            for m, p, t, c in rows
        ]
        # The offices counting these mandates before and after: both sets of figures change.
        counted_in = set(
            (
                await platform.execute(
                    select(DirectoryEntry.organised_in).where(DirectoryEntry.mandate_id.in_(mandate_ids))
                )
            ).scalars()
        ) | {value["organised_in"] for value in values}
        if values:
            statement = insert(DirectoryEntry.__table__)
            updates = {key: statement.excluded[key] for key in values[0] if key != "mandate_id"}
            await platform.execute(statement.on_conflict_do_update(index_elements=["mandate_id"], set_=updates), values)
        gone = set(mandate_ids) - {m.id for m, *_ in rows}
        if gone:  # deleted since: nothing left to list or count
            await platform.execute(delete(DirectoryEntry).where(DirectoryEntry.mandate_id.in_(gone)))
        await rollups.mark_stale(platform, counted_in)
        await platform.commit()


# --- one office per person, congress and term ----------------------------------------------------
@dataclass(frozen=True)
class Seat:
    """One person's place in one congress term, across offices."""

    person_key: str
    level: str
    congress_division: str
    term_number: int


CLAIM_CHUNK = 5000


async def claimed_elsewhere(session: AsyncSession, office: str, seats: Iterable[Seat]) -> dict[Seat, str]:
    """The seats another office records, with that office's name."""
    wanted = set(seats)
    keys = sorted({seat.person_key for seat in wanted})
    found: dict[Seat, str] = {}
    for start in range(0, len(keys), CLAIM_CHUNK):
        rows = await session.execute(
            select(MandateClaim, Tenant.name)
            .join(Tenant, Tenant.code == MandateClaim.recorded_by)
            .where(MandateClaim.person_key.in_(keys[start : start + CLAIM_CHUNK]), MandateClaim.recorded_by != office)
        )
        for claim, name in rows.all():
            seat = Seat(claim.person_key, claim.level, claim.congress_division, claim.term_number)
            if seat in wanted:
                found[seat] = name
    return found


async def claim(session: AsyncSession, office: str, seats: Iterable[Seat]) -> dict[Seat, str]:
    """Record in the caller's transaction that `office` records these seats. Returns the seats
    another office already records (those are left to it). A concurrent claim of the same seat
    waits for the other transaction, so the loser sees the winner's row."""
    wanted = list(dict.fromkeys(seats))
    if not wanted:
        return {}
    values = [
        {
            "person_key": seat.person_key,
            "level": seat.level,
            "congress_division": seat.congress_division,
            "term_number": seat.term_number,
            "recorded_by": office,
        }
        for seat in wanted
    ]
    await session.execute(insert(MandateClaim).on_conflict_do_nothing(), values)
    return await claimed_elsewhere(session, office, wanted)


async def release(session: AsyncSession, office: str, person_key: str) -> None:
    """The office no longer records anything under this person key (its ID number changed)."""
    await session.execute(
        delete(MandateClaim).where(MandateClaim.person_key == person_key, MandateClaim.recorded_by == office)
    )


# --- reading an office's territory ---------------------------------------------------------------
def _under(column: ColumnElement[str], path: str) -> ColumnElement[bool]:
    return or_(column == path, column.startswith(path + "/", autoescape=True))


def in_territory(tenant: TenantRef) -> ColumnElement[bool]:
    """Recorded by, or organised in, the office or any office beneath it."""
    return or_(_under(DirectoryEntry.recorded_path, tenant.path), _under(DirectoryEntry.organised_path, tenant.path))


def live() -> ColumnElement[bool]:
    return DirectoryEntry.status != MandateStatus.ENDED


def territory_query(tenant: TenantRef) -> Select[tuple[DirectoryEntry]]:
    return select(DirectoryEntry).where(in_territory(tenant))


@dataclass(frozen=True)
class LevelCount:
    level: str
    mandates: int
    persons: int


async def live_counts_by_level(session: AsyncSession, tenant: TenantRef) -> list[LevelCount]:
    """Live mandates and distinct persons per level in the territory: each mandate counted once."""
    rows = await session.execute(
        select(
            DirectoryEntry.level,
            func.count(func.distinct(DirectoryEntry.mandate_id)),
            func.count(func.distinct(DirectoryEntry.person_key)),
        )
        .where(in_territory(tenant), live())
        .group_by(DirectoryEntry.level)
    )
    return [LevelCount(level, mandates, persons) for level, mandates, persons in rows.all()]


async def live_person_count(session: AsyncSession, tenant: TenantRef) -> int:
    query = select(func.count(func.distinct(DirectoryEntry.person_key))).where(in_territory(tenant), live())
    return (await session.execute(query)).scalar_one()


@dataclass(frozen=True)
class ElsewhereEntry:
    entry: DirectoryEntry
    recorded_by_name: str


async def recorded_elsewhere(
    session: AsyncSession,
    tenant: TenantRef,
    *,
    level: str | None = None,
    q: str | None = None,
    page: int = 1,
    page_size: int = 50,
) -> tuple[list[ElsewhereEntry], int]:
    """Live mandates in the territory that another office records (read-only here)."""
    from renda.core.pagination import check_paging
    from renda.modules.deputies.names import search_key

    check_paging(page, page_size)
    query = select(DirectoryEntry, Tenant.name).join(Tenant, Tenant.code == DirectoryEntry.recorded_by)
    query = query.where(in_territory(tenant), live(), DirectoryEntry.recorded_by != tenant.code)
    if level:
        query = query.where(DirectoryEntry.level == level)
    if q and q.strip():
        key = search_key(q)
        query = query.where(
            or_(
                DirectoryEntry.person_name.contains(q.strip(), autoescape=True),
                DirectoryEntry.name_pinyin.startswith(key, autoescape=True) if key else False,
                DirectoryEntry.name_initials.startswith(key, autoescape=True) if key else False,
            )
        )
    total = (await session.execute(select(func.count()).select_from(query.subquery()))).scalar_one()
    rows = await session.execute(
        query.order_by(DirectoryEntry.level, DirectoryEntry.name_pinyin).limit(page_size).offset((page - 1) * page_size)
    )
    return [ElsewhereEntry(entry, name) for entry, name in rows.all()], total


# Built once: the register list runs it on every page.
_LIVE_ELSEWHERE = (
    select(DirectoryEntry.person_key, DirectoryEntry.level, Tenant.name)
    .join(Tenant, Tenant.code == DirectoryEntry.recorded_by)
    .where(
        DirectoryEntry.person_key.in_(bindparam("keys", expanding=True)),
        DirectoryEntry.recorded_by != bindparam("office"),
        live(),
    )
    .order_by(DirectoryEntry.level)
)


async def live_elsewhere_by_person(office: str, person_keys: Iterable[str]) -> dict[str, list[tuple[str, str]]]:
    """For the register's persons: their live mandates that other offices record, as
    person key → [(level, recording office name)], so a person is shown once with every level."""
    keys = list(person_keys)
    if not keys:
        return {}
    async with get_database().platform_session() as session:
        rows = await read_rows(session, _LIVE_ELSEWHERE, {"keys": keys, "office": office})
    found: dict[str, list[tuple[str, str]]] = {}
    for key, level, name in rows:
        found.setdefault(key, []).append((level, name))
    return found
