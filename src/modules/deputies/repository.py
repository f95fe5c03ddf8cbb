"""The register's queries that are more than one-liners."""

from __future__ import annotations

import functools
import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

import msgspec
from sqlalchemy import ColumnElement, Row, Select, and_, bindparam, case, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from renda.core.db import read_rows
from renda.core.errors import InvalidInput
from renda.modules.deputies import names
from renda.modules.deputies.models import LEVELS, Congress, Mandate, MandateEvent, MandateStatus, Person, Term
from renda.modules.deputies.placements import placement
from renda.modules.deputies.schemas import SORTS, STATUS_FILTERS, RegisterFilter

LEVEL_RANK = case({level: rank for rank, level in enumerate(LEVELS)}, value=Mandate.level)
MandateRow = tuple[Mandate, Term, Congress]


def _has_cjk(text: str) -> bool:
    return any("\u3400" <= ch <= "\u9fff" for ch in text)


def name_matches(query: str) -> ColumnElement[bool]:
    """Chinese characters match the name; Latin letters the pinyin initials (prefix) or full pinyin."""
    query = query.strip()
    key = names.search_key(query)
    if _has_cjk(query) or not key:
        return Person.name.contains(query, autoescape=True)
    return or_(Person.name_initials.startswith(key, autoescape=True), Person.name_pinyin.contains(key, autoescape=True))


def _status_condition(status: str) -> ColumnElement[bool]:
    return Mandate.status != MandateStatus.ENDED if status == "live" else Mandate.status == status


# What the register lists (staff's, the portal's) show of a person, and the key that finds their
# mandates recorded elsewhere: never the encrypted columns or the photo.
REGISTER_COLUMNS = (
    Person.id,
    Person.name,
    Person.gender,
    Person.ethnicity,
    Person.birth_date,
    Person.party,
    Person.education,
    Person.occupation_category,
    Person.sector,
    Person.workplace,
    Person.position,
    Person.mobile_masked,
    Person.id_number_hash,
    Person.public_fields,
    Person.photo_type,
)


def register_query(filters: RegisterFilter, columns: Sequence[Any] = (Person,)) -> Select[Any]:
    """Persons (whole, or `columns` of them), each once, having a mandate that matches every mandate
    filter at the same time. The same filters give the same statement object (built once: the
    register's first page, unfiltered, is read all day)."""
    return _register_query(msgspec.structs.astuple(filters), tuple(columns))


@functools.lru_cache(maxsize=256)
def _register_query(values: tuple[Any, ...], columns: tuple[Any, ...]) -> Select[Any]:
    filters = RegisterFilter(*values)
    if filters.level and filters.level not in LEVELS:
        raise InvalidInput(f"代表层级“{filters.level}”无效", code="invalid_level")
    if filters.status and filters.status not in STATUS_FILTERS:
        raise InvalidInput(f"状态“{filters.status}”无效,应为 live、active、suspended 或 ended", code="invalid_status")
    if filters.sort not in SORTS:
        raise InvalidInput(f"排序方式“{filters.sort}”无效,可选:{'、'.join(SORTS)}", code="invalid_sort")
    query = select(*columns)
    if filters.q and filters.q.strip():
        query = query.where(name_matches(filters.q))
    if filters.sector and filters.sector.strip():
        query = query.where(Person.sector.contains(filters.sector.strip(), autoescape=True))
    mandate_conditions: list[ColumnElement[bool]] = []
    if filters.level:
        mandate_conditions.append(Mandate.level == filters.level)
    if filters.status:
        mandate_conditions.append(_status_condition(filters.status))
    if filters.term_id:
        mandate_conditions.append(Mandate.term_id == filters.term_id)
    if filters.constituency and filters.constituency.strip():
        mandate_conditions.append(Mandate.constituency.contains(filters.constituency.strip(), autoescape=True))
    if mandate_conditions:
        query = query.where(exists().where(Mandate.person_id == Person.id, *mandate_conditions))
    if filters.group_id:
        query = query.where(placement("group").holds(filters.group_id))
    if filters.station_id:
        query = query.where(placement("station").holds(filters.station_id))
    return query.order_by(*_ordering(filters.sort), Person.name_pinyin, Person.id)


def _ordering(sort: str) -> list[Any]:
    live = and_(Mandate.person_id == Person.id, Mandate.status != MandateStatus.ENDED)
    if sort == "level":  # the highest live level first; persons without a live mandate last
        return [select(func.min(LEVEL_RANK)).where(live).scalar_subquery().asc().nulls_last()]
    if sort in ("starts_on", "-starts_on"):
        first_start = select(func.min(Mandate.starts_on)).where(live).scalar_subquery()
        return [(first_start.desc() if sort.startswith("-") else first_start.asc()).nulls_last()]
    return [Person.name_pinyin.desc() if sort == "-name" else Person.name_pinyin.asc()]


async def mandates_of(session: AsyncSession, person_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, list[MandateRow]]:
    """Every mandate of these persons with its term and congress: live ones first, highest level first."""
    ids = list(person_ids)
    if not ids:
        return {}
    rows = await session.execute(
        select(Mandate, Term, Congress)
        .join(Term, Term.id == Mandate.term_id)
        .join(Congress, Congress.id == Term.congress_id)
        .where(Mandate.person_id.in_(ids))
        .order_by(Mandate.person_id, (Mandate.status == MandateStatus.ENDED), LEVEL_RANK, Mandate.starts_on.desc())
    )
    found: dict[uuid.UUID, list[MandateRow]] = defaultdict(list)
    for mandate, term, congress in rows.all():
        found[mandate.person_id].append((mandate, term, congress))
    return found


# Built once: the register list runs it on every page.
_MANDATE_BRIEFS = (
    select(
        Mandate.id,
        Mandate.person_id,
        Mandate.level,
        Mandate.status,
        Mandate.constituency,
        Mandate.electoral_unit,
        Mandate.starts_on,
        Mandate.ended_on,
        Term.number.label("term_number"),
        Congress.name.label("congress_name"),
    )
    .join(Term, Term.id == Mandate.term_id)
    .join(Congress, Congress.id == Term.congress_id)
    .where(Mandate.person_id.in_(bindparam("person_ids", expanding=True)))
    .order_by(Mandate.person_id, (Mandate.status == MandateStatus.ENDED), LEVEL_RANK, Mandate.starts_on.desc())
)


async def mandate_briefs(session: AsyncSession, person_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, list[Row[Any]]]:
    """What the register list shows of these persons' mandates, in the order of `mandates_of`."""
    ids = list(person_ids)
    if not ids:
        return {}
    found: dict[uuid.UUID, list[Row[Any]]] = defaultdict(list)
    for row in await read_rows(session, _MANDATE_BRIEFS, {"person_ids": ids}):
        found[row.person_id].append(row)
    return found


async def mandate_row(session: AsyncSession, mandate_id: uuid.UUID) -> MandateRow | None:
    row = await session.execute(
        select(Mandate, Term, Congress)
        .join(Term, Term.id == Mandate.term_id)
        .join(Congress, Congress.id == Term.congress_id)
        .where(Mandate.id == mandate_id)
    )
    return row.first()  # type: ignore[return-value]


async def events_of(session: AsyncSession, mandate_ids: Sequence[uuid.UUID]) -> list[MandateEvent]:
    """Newest first: the change history of a profile."""
    if not mandate_ids:
        return []
    query = (
        select(MandateEvent)
        .where(MandateEvent.mandate_id.in_(mandate_ids))
        .order_by(MandateEvent.on.desc(), MandateEvent.recorded_at.desc())
    )
    return list((await session.execute(query)).scalars())


async def vacancies(session: AsyncSession) -> list[tuple[Mandate, Person, Term, Congress]]:
    """Seats of the current terms vacated during the term and not yet filled by a by-election."""
    successor = aliased(Mandate)
    query = (
        select(Mandate, Person, Term, Congress)
        .join(Person, Person.id == Mandate.person_id)
        .join(Term, Term.id == Mandate.term_id)
        .join(Congress, Congress.id == Term.congress_id)
        .where(
            Term.is_current,
            Mandate.status == MandateStatus.ENDED,
            Mandate.end_reason != "term_ended",
            ~exists().where(successor.replaces_mandate_id == Mandate.id),
        )
        .order_by(Mandate.ended_on.desc())
    )
    return [tuple(row) for row in (await session.execute(query)).all()]  # type: ignore[misc]


async def live_counts_by_term(session: AsyncSession) -> dict[uuid.UUID, int]:
    query = select(Mandate.term_id, func.count()).where(Mandate.status != MandateStatus.ENDED).group_by(Mandate.term_id)
    return {term_id: count for term_id, count in (await session.execute(query)).all()}
