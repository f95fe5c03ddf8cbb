"""The office's lists of opinions (filters, search), one opinion's detail with its timeline of steps,
and finding an opinion by its ticket.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, Select, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from renda.core.crypto import normalize_phone
from renda.core.errors import InvalidInput
from renda.core.pagination import Page, paginate
from renda.core.timezone import local_today
from renda.modules.deputies.models import Person
from renda.modules.opinions.common import (
    CATEGORIES,
    MOBILE,
    Viewer,
    format_ticket,
    get_opinion,
    is_overdue,
    overdue_clause,
    parse_ticket,
    phone_key,
    visible_to,
)
from renda.modules.opinions.intake import similar_opinions
from renda.modules.opinions.models import (
    FINAL_STATUSES,
    RATINGS,
    SOURCES,
    STATUSES,
    STEP_KINDS,
    Opinion,
    OpinionStep,
)
from renda.modules.opinions.schemas import OpinionDetail, OpinionOut, SimilarOut, StepOut
from renda.modules.organisation.models import Station
from renda.modules.units.service import HandlingUnit


@dataclass(frozen=True)
class OpinionFilter:
    status: str | None = None  # a status, "open" (not ended) or "final"
    category: str | None = None
    source: str | None = None
    overdue: bool = False
    q: str | None = None
    unit_id: uuid.UUID | None = None
    deputy_person_id: uuid.UUID | None = None
    station_id: uuid.UUID | None = None


STATUS_FILTERS = {"open": "办理中", **STATUSES, "final": "已结束"}


def parse_filter(params: dict[str, Any]) -> OpinionFilter:
    """Query parameters (a page's or an export's) → a filter; unknown values are refused."""

    def ident(key: str) -> uuid.UUID | None:
        value = params.get(key)
        if not value:
            return None
        try:
            return uuid.UUID(str(value))
        except ValueError:
            raise InvalidInput("筛选条件无效", code="invalid_filter") from None

    status, category, source = (
        params.get("status") or None,
        params.get("category") or None,
        params.get("source") or None,
    )
    if status is not None and status not in STATUS_FILTERS:
        raise InvalidInput("状态筛选无效", code="invalid_filter")
    if category is not None and category not in CATEGORIES:
        raise InvalidInput("类别筛选无效", code="invalid_filter")
    if source is not None and source not in SOURCES:
        raise InvalidInput("来源筛选无效", code="invalid_filter")
    overdue = str(params.get("overdue") or "").lower() in ("1", "true", "yes", "on")
    q = str(params.get("q") or "").strip()[:100] or None
    return OpinionFilter(
        status, category, source, overdue, q, ident("unit_id"), ident("deputy_person_id"), ident("station_id")
    )


def _search(q: str) -> ColumnElement[bool]:
    like = f"%{q}%"
    found: list[ColumnElement[bool]] = [Opinion.content.ilike(like), Opinion.submitter_name.ilike(like)]
    if (ticket := parse_ticket(q)) is not None:
        found.append(Opinion.ticket == ticket)
    phone = normalize_phone(q)
    if MOBILE.match(phone):
        found.append(Opinion.submitter_phone_hash == phone_key(phone))
    return or_(*found)


def list_query(viewer: Viewer, filters: OpinionFilter, today: date) -> Select[tuple[Opinion]]:
    query = select(Opinion).where(visible_to(viewer))
    if filters.status == "open":
        query = query.where(Opinion.status.not_in(FINAL_STATUSES))
    elif filters.status == "final":
        query = query.where(Opinion.status.in_(FINAL_STATUSES))
    elif filters.status:
        query = query.where(Opinion.status == filters.status)
    if filters.category:
        query = query.where(Opinion.category == filters.category)
    if filters.source:
        query = query.where(Opinion.source == filters.source)
    if filters.overdue:
        query = query.where(overdue_clause(today))
    if filters.unit_id:
        query = query.where(Opinion.unit_id == filters.unit_id)
    if filters.deputy_person_id:
        query = query.where(Opinion.deputy_person_id == filters.deputy_person_id)
    if filters.station_id:
        query = query.where(Opinion.station_id == filters.station_id)
    if filters.q:
        query = query.where(_search(filters.q))
    return query.order_by(Opinion.created_at.desc(), Opinion.id)


@dataclass
class Names:
    persons: dict[uuid.UUID, str]
    stations: dict[uuid.UUID, str]
    units: dict[uuid.UUID, str]


async def _names(session: AsyncSession, opinions: Sequence[Opinion]) -> Names:
    person_ids = {o.deputy_person_id for o in opinions if o.deputy_person_id}
    station_ids = {o.station_id for o in opinions if o.station_id}
    unit_ids = {o.unit_id for o in opinions if o.unit_id}
    persons = stations = units = {}
    if person_ids:
        persons = dict((await session.execute(select(Person.id, Person.name).where(Person.id.in_(person_ids)))).all())
    if station_ids:
        query = select(Station.id, Station.name).where(Station.id.in_(station_ids))
        stations = dict((await session.execute(query)).all())
    if unit_ids:
        query = select(HandlingUnit.id, HandlingUnit.name).where(HandlingUnit.id.in_(unit_ids))
        units = dict((await session.execute(query)).all())
    return Names(persons, stations, units)  # type: ignore[arg-type]


def _out(o: Opinion, names: Names, today: date) -> OpinionOut:
    return OpinionOut(
        id=o.id,
        ticket=format_ticket(o.ticket),
        source=o.source,
        source_label=SOURCES[o.source],
        content=o.content,
        category=o.category,
        category_label=CATEGORIES.get(o.category) if o.category else None,
        status=o.status,
        status_label=STATUSES[o.status],
        submitter_name=o.submitter_name,
        submitter_phone_masked=o.submitter_phone_masked,
        deputy_person_id=o.deputy_person_id,
        deputy_name=names.persons.get(o.deputy_person_id) if o.deputy_person_id else None,
        station_id=o.station_id,
        station_name=names.stations.get(o.station_id) if o.station_id else None,
        unit_id=o.unit_id,
        unit_name=names.units.get(o.unit_id) if o.unit_id else None,
        deadline=o.deadline,
        overdue=is_overdue(o, today),
        answer=o.answer,
        rating=o.rating,
        rating_label=RATINGS.get(o.rating) if o.rating else None,
        duplicate_of_id=o.duplicate_of_id,
        suggestion_draft_id=o.suggestion_draft_id,
        created_at=o.created_at,
        assigned_at=o.assigned_at,
        answered_at=o.answered_at,
        rated_at=o.rated_at,
        closed_at=o.closed_at,
    )


async def outs(session: AsyncSession, opinions: Sequence[Opinion], today: date | None = None) -> list[OpinionOut]:
    names = await _names(session, opinions)
    today = today or local_today()
    return [_out(o, names, today) for o in opinions]


async def list_opinions(
    session: AsyncSession,
    viewer: Viewer,
    filters: OpinionFilter,
    page: int = 1,
    page_size: int = 20,
    today: date | None = None,
) -> Page[OpinionOut]:
    today = today or local_today()
    found = await paginate(session, list_query(viewer, filters, today), page, page_size)
    return Page(await outs(session, found.items, today), found.total, found.page, found.page_size)


def step_out(step: OpinionStep) -> StepOut:
    return StepOut(step.kind, STEP_KINDS[step.kind], step.actor, step.note, step.created_at)


async def steps_of(session: AsyncSession, opinion_id: uuid.UUID) -> list[OpinionStep]:
    query = select(OpinionStep).where(OpinionStep.opinion_id == opinion_id)
    return list((await session.execute(query.order_by(OpinionStep.created_at, OpinionStep.id))).scalars())


async def opinion_detail(
    session: AsyncSession, viewer: Viewer, opinion_id: uuid.UUID, today: date | None = None
) -> OpinionDetail:
    today = today or local_today()
    opinion = await get_opinion(session, viewer, opinion_id)
    children = (await session.execute(select(Opinion).where(Opinion.duplicate_of_id == opinion.id))).scalars()
    similar = []
    if viewer.manage and opinion.status not in FINAL_STATUSES:
        similar = [
            SimilarOut(o.id, format_ticket(o.ticket), o.content, STATUSES[o.status], round(score, 2), o.created_at)
            for o, score in await similar_opinions(session, opinion)
        ]
    [main, *duplicates] = await outs(session, [opinion, *children], today)
    return OpinionDetail(
        opinion=main,
        steps=[step_out(s) for s in await steps_of(session, opinion.id)],
        duplicates=duplicates,
        similar=similar,
        can_manage=viewer.manage,
        can_answer=viewer.may_answer(opinion) and opinion.status == "assigned",
    )


async def find_by_ticket(session: AsyncSession, viewer: Viewer, ticket: str) -> Opinion:
    """An opinion of this office by its ticket (as staff type it), within what the viewer sees."""
    parsed = parse_ticket(ticket)
    opinion = None
    if parsed is not None:
        query = select(Opinion).where(Opinion.ticket == parsed, visible_to(viewer))
        opinion = (await session.execute(query)).scalar_one_or_none()
    if opinion is None:
        raise InvalidInput("没有找到该编号的意见,请核对编号", code="ticket_not_found")
    return opinion
