"""The loop's work lists, as plain rows: a deputy's own suggestions (我的建议) and drafts to file, the
intake queue (待审查), a unit's 我的承办, the staff's requests waiting, the status board, and the
choices the forms offer (deputies, suggestions to merge into). The filtered list of every suggestion is
`listing`; one suggestion's views are `views`."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Row, case, exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from renda.core.pagination import Page, paginate_rows
from renda.core.timezone import local_today
from renda.modules.deputies.models import Mandate, Person
from renda.modules.suggestions.common import CATEGORIES, NUMBERED, LoopCaller, is_overdue, number_label, visible_to
from renda.modules.suggestions.intake import MERGE_TARGETS
from renda.modules.suggestions.listing import overdue_clause
from renda.modules.suggestions.models import (
    KINDS,
    RATINGS,
    STATUSES,
    UNIT_ROLES,
    Suggestion,
    SuggestionCosigner,
    SuggestionDraft,
    SuggestionRequest,
    SuggestionUnit,
)
from renda.modules.suggestions.schemas import BoardRow, IntakeRow, MineOut, MineRow, RequestOut, UnitItemOut
from renda.modules.suggestions.supervision import days_left
from renda.modules.suggestions.views import requests_out, view
from renda.modules.units import service as units


@dataclass(frozen=True)
class Choice:
    id: uuid.UUID
    label: str


# --- a deputy's own -----------------------------------------------------------------------------------
async def mine(session: AsyncSession, caller: LoopCaller, limit: int = 200) -> MineOut:
    """The caller's own suggestions as a deputy, newest first."""
    if not caller.person_ids:
        return MineOut([], [])
    columns = (*NUMBERED, Suggestion.status, Suggestion.created_at, Suggestion.filed_at)
    led = (
        await session.execute(
            select(*columns)
            .where(Suggestion.lead_person_id.in_(caller.person_ids))
            .order_by(Suggestion.created_at.desc())
            .limit(limit)
        )
    ).all()
    cosigning = (
        await session.execute(
            select(*columns, SuggestionCosigner.status.label("cosign_status"))
            .join(SuggestionCosigner, SuggestionCosigner.suggestion_id == Suggestion.id)
            .where(SuggestionCosigner.person_id.in_(caller.person_ids))
            .order_by(SuggestionCosigner.requested_at.desc())
            .limit(limit)
        )
    ).all()

    def row(r: Row[Any], role: str, cosign: str | None) -> MineRow:
        labels = {"number": number_label(r), "kind_label": KINDS[r.kind], "status_label": STATUSES[r.status]}
        return view(MineRow, r, **labels, role=role, cosign_status=cosign)

    return MineOut([row(r, "lead", None) for r in led], [row(r, "cosigner", r.cosign_status) for r in cosigning])


async def drafts_to_file(session: AsyncSession, caller: LoopCaller, limit: int = 50) -> list[Choice]:
    """Drafts raised for the deputy (from an opinion, a contact, a reception) not yet filed."""
    if not caller.person_ids:
        return []
    filed = exists().where(Suggestion.draft_id == SuggestionDraft.id, Suggestion.status != "withdrawn")
    query = (
        select(SuggestionDraft.id, SuggestionDraft.title)
        .where(SuggestionDraft.deputy_person_id.in_(caller.person_ids), SuggestionDraft.status == "draft", ~filed)
        .order_by(SuggestionDraft.created_at.desc())
        .limit(limit)
    )
    return [Choice(r.id, r.title) for r in (await session.execute(query)).all()]


# --- the staff's -----------------------------------------------------------------------------------------
async def intake_queue(session: AsyncSession, caller: LoopCaller, page: int, page_size: int) -> Page[IntakeRow]:
    """待审查: filed suggestions awaiting intake review, the earliest first."""
    query = (
        select(*NUMBERED, Suggestion.category, Suggestion.filed_at, Person.name.label("lead_name"))
        .join(Person, Person.id == Suggestion.lead_person_id)
        .where(Suggestion.status == "submitted", visible_to(caller))
        .order_by(Suggestion.filed_at, Suggestion.id)
    )
    found = await paginate_rows(session, query, page, page_size)
    rows = [
        view(
            IntakeRow,
            r,
            number=number_label(r),
            kind_label=KINDS[r.kind],
            category_label=CATEGORIES.get(r.category, r.category),
        )
        for r in found.items
    ]
    return Page(rows, found.total, found.page, found.page_size)


async def pending_requests(session: AsyncSession, *, status: str | None, page: int, page_size: int) -> Page[RequestOut]:
    query = select(SuggestionRequest.__table__).order_by(SuggestionRequest.requested_at.desc(), SuggestionRequest.id)
    if status:
        query = query.where(SuggestionRequest.status == status)
    found = await paginate_rows(session, query, page, page_size)
    rows = list(found.items)
    names = await units.unit_names(session, [r.unit_id for r in rows])
    return Page(requests_out(rows, names), found.total, found.page, found.page_size)


async def suggestion_titles(session: AsyncSession, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, tuple[str, str]]:
    """Number and title of each suggestion, for lists that name them."""
    if not ids:
        return {}
    query = select(*NUMBERED).where(Suggestion.id.in_(set(ids)))
    return {r.id: (number_label(r), r.title) for r in (await session.execute(query)).all()}


def board_rows(rows: Sequence[Row[Any]]) -> list[BoardRow]:
    """The status board's rows (`supervision.board`)."""
    today = local_today()
    return [
        view(
            BoardRow,
            r,
            number=number_label(r),
            category_label=CATEGORIES.get(r.category, r.category),
            status_label=STATUSES[r.status],
            lead_deputy=r.lead_name,
            unit=r.unit_name,
            days_left=days_left(r.status, r.deadline, today),
            rating_label=RATINGS.get(r.rating or ""),
        )
        for r in rows
    ]


# --- a unit's 我的承办 --------------------------------------------------------------------------------------
async def unit_items(
    session: AsyncSession, caller: LoopCaller, *, open_only: bool, page: int, page_size: int, overdue_only: bool = False
) -> Page[UnitItemOut]:
    """我的承办: the caller's units' suggestions of the current round, overdue first, then by deadline
    (`overdue_only`: only those past the deadline without a reply)."""
    today = local_today()
    query = (
        select(
            *NUMBERED,
            Suggestion.status,
            Suggestion.deadline,
            SuggestionUnit.role,
            SuggestionUnit.unit_id,
            SuggestionUnit.opinion_due,
        )
        .join(SuggestionUnit, SuggestionUnit.suggestion_id == Suggestion.id)
        .where(
            SuggestionUnit.unit_id.in_(caller.unit_ids),
            SuggestionUnit.round == Suggestion.round,
            SuggestionUnit.withdrawn_at.is_(None),
        )
        .order_by(
            case((overdue_clause(today), 0), (Suggestion.status == "assigned", 1), else_=2),
            Suggestion.deadline.asc().nulls_last(),
            Suggestion.year.desc(),
            Suggestion.seq.desc(),
            SuggestionUnit.unit_id,
        )
    )
    if open_only:
        query = query.where(Suggestion.status == "assigned")
    if overdue_only:
        query = query.where(overdue_clause(today))
    found = await paginate_rows(session, query, page, page_size)
    names = await units.unit_names(session, [r.unit_id for r in found.items])
    items = [
        view(
            UnitItemOut,
            r,
            number=number_label(r),
            status_label=STATUSES[r.status],
            role_label=UNIT_ROLES[r.role],
            unit_name=names.get(r.unit_id, ""),
            overdue=is_overdue(r, today),
            days_left=days_left(r.status, r.deadline, today),
        )
        for r in found.items
    ]
    return Page(items, found.total, found.page, found.page_size)


# --- the forms' choices -------------------------------------------------------------------------------------
async def deputy_choices(session: AsyncSession, exclude: uuid.UUID | None = None) -> list[Choice]:
    """The deputies with a live mandate in this office's register, by name: leads and co-signers."""
    query = (
        select(Person.id, Person.name)
        .where(exists().where(Mandate.person_id == Person.id, Mandate.status == "active"))
        .order_by(Person.name_pinyin, Person.name, Person.id)
        .limit(2000)
    )
    return [Choice(r.id, r.name) for r in (await session.execute(query)).all() if r.id != exclude]


async def merge_targets(session: AsyncSession, caller: LoopCaller, suggestion: Suggestion) -> list[Choice]:
    """The open suggestions one may be merged into, the newest first."""
    query = (
        select(*NUMBERED)
        .where(Suggestion.status.in_(MERGE_TARGETS), Suggestion.id != suggestion.id, visible_to(caller))
        .order_by(Suggestion.filed_at.desc().nulls_last(), Suggestion.id)
        .limit(500)
    )
    return [Choice(r.id, f"{number_label(r)} {r.title}") for r in (await session.execute(query)).all()]
