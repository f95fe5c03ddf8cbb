"""What the handling pages and API show: one suggestion's handling (units of every round, meetings,
requests, the reply), a unit's 我的承办 list (overdue first, then by deadline) and the staff's requests."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import and_, case, select
from sqlalchemy.ext.asyncio import AsyncSession

from renda.core.pagination import Page, paginate_rows
from renda.core.timezone import local_today
from renda.modules.suggestions.acting import my_unit_row
from renda.modules.suggestions.common import LoopCaller, number_label
from renda.modules.suggestions.models import (
    MEETING_FORMS,
    MEETING_STAGES,
    REPLY_CLASSES,
    REQUEST_KINDS,
    REQUEST_STATUSES,
    STATUSES,
    UNIT_ROLES,
    Suggestion,
    SuggestionMeeting,
    SuggestionRequest,
    SuggestionUnit,
)
from renda.modules.suggestions.schemas import (
    HandlingOut,
    HandlingUnitOut,
    MeetingOut,
    RequestOut,
    UnitItemOut,
)
from renda.modules.units import service as units


def is_overdue(suggestion: Suggestion, today: date | None = None) -> bool:
    return (
        suggestion.status == "assigned"
        and suggestion.deadline is not None
        and suggestion.deadline < (today or local_today())
    )


def requests_out(rows: Sequence[Any], names: dict[uuid.UUID, str]) -> list[RequestOut]:
    return [
        RequestOut(
            id=r.id,
            suggestion_id=r.suggestion_id,
            unit_id=r.unit_id,
            unit_name=names.get(r.unit_id, ""),
            kind=r.kind,
            kind_label=REQUEST_KINDS[r.kind],
            reason=r.reason,
            new_deadline=r.new_deadline,
            status=r.status,
            status_label=REQUEST_STATUSES[r.status],
            requested_by=r.requested_by,
            requested_at=r.requested_at,
            decided_by=r.decided_by,
            decided_at=r.decided_at,
            decision_note=r.decision_note,
        )
        for r in rows
    ]


async def handling_out(session: AsyncSession, caller: LoopCaller, suggestion: Suggestion) -> HandlingOut:
    unit_rows = list(
        (
            await session.execute(
                select(SuggestionUnit)
                .where(SuggestionUnit.suggestion_id == suggestion.id)
                .order_by(SuggestionUnit.round, SuggestionUnit.role.desc(), SuggestionUnit.assigned_at)
            )
        ).scalars()
    )
    meetings = list(
        (
            await session.execute(
                select(SuggestionMeeting)
                .where(SuggestionMeeting.suggestion_id == suggestion.id)
                .order_by(SuggestionMeeting.round, SuggestionMeeting.held_on)
            )
        ).scalars()
    )
    requests = list(
        (
            await session.execute(
                select(SuggestionRequest)
                .where(SuggestionRequest.suggestion_id == suggestion.id)
                .order_by(SuggestionRequest.requested_at)
            )
        ).scalars()
    )
    names = await units.unit_names(session, [r.unit_id for r in unit_rows] + [r.unit_id for r in requests])
    mine = await my_unit_row(session, caller, suggestion)
    return HandlingOut(
        id=suggestion.id,
        number=number_label(suggestion),
        title=suggestion.title,
        status=suggestion.status,
        status_label=STATUSES[suggestion.status],
        round=suggestion.round,
        broad=suggestion.broad,
        lead_unit_id=suggestion.lead_unit_id,
        assigned_at=suggestion.assigned_at,
        deadline=suggestion.deadline,
        overdue=is_overdue(suggestion),
        reply_class=suggestion.reply_class,
        reply_class_label=REPLY_CLASSES.get(suggestion.reply_class or ""),
        reply_text=suggestion.reply_text,
        reply_commitments=suggestion.reply_commitments,
        replied_at=suggestion.replied_at,
        replied_on_time=suggestion.replied_on_time,
        rating_due=suggestion.rating_due,
        follow_up=suggestion.follow_up,
        units=[
            HandlingUnitOut(
                id=r.id,
                unit_id=r.unit_id,
                unit_name=names.get(r.unit_id, ""),
                role=r.role,
                role_label=UNIT_ROLES[r.role],
                round=r.round,
                assigned_at=r.assigned_at,
                withdrawn_at=r.withdrawn_at,
                opinion_due=r.opinion_due,
                opinion=r.opinion,
                opinion_at=r.opinion_at,
            )
            for r in unit_rows
        ],
        meetings=[
            MeetingOut(
                id=m.id,
                round=m.round,
                stage=m.stage,
                stage_label=MEETING_STAGES[m.stage],
                held_on=m.held_on,
                form=m.form,
                form_label=MEETING_FORMS[m.form],
                note=m.note,
                recorded_by=m.recorded_by,
            )
            for m in meetings
        ],
        requests=requests_out(requests, names),
        my_role=mine.role if mine is not None else None,
    )


async def unit_items(
    session: AsyncSession, caller: LoopCaller, *, open_only: bool, page: int, page_size: int
) -> Page[UnitItemOut]:
    """我的承办: the caller's units' suggestions of the current round, overdue first, then by deadline."""
    today = local_today()
    overdue = and_(Suggestion.status == "assigned", Suggestion.deadline < today)
    query = (
        select(
            Suggestion.id,
            Suggestion.year,
            Suggestion.seq,
            Suggestion.kind,
            Suggestion.title,
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
            case((overdue, 0), (Suggestion.status == "assigned", 1), else_=2),
            Suggestion.deadline.asc().nulls_last(),
            Suggestion.year.desc(),
            Suggestion.seq.desc(),
            SuggestionUnit.unit_id,
        )
    )
    if open_only:
        query = query.where(Suggestion.status == "assigned")
    found = await paginate_rows(session, query, page, page_size)
    names = await units.unit_names(session, [r.unit_id for r in found.items])
    items = []
    for r in found.items:
        number = number_label(Suggestion(year=r.year, seq=r.seq, kind=r.kind))
        late = r.status == "assigned" and r.deadline is not None and r.deadline < today
        items.append(
            UnitItemOut(
                id=r.id,
                number=number,
                title=r.title,
                status=r.status,
                status_label=STATUSES[r.status],
                role=r.role,
                role_label=UNIT_ROLES[r.role],
                unit_name=names.get(r.unit_id, ""),
                deadline=r.deadline,
                opinion_due=r.opinion_due,
                overdue=late,
                days_left=(r.deadline - today).days if r.deadline is not None and r.status == "assigned" else None,
            )
        )
    return Page(items, found.total, found.page, found.page_size)


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
    query = select(Suggestion.id, Suggestion.year, Suggestion.seq, Suggestion.kind, Suggestion.title).where(
        Suggestion.id.in_(set(ids))
    )
    return {
        r.id: (number_label(Suggestion(year=r.year, seq=r.seq, kind=r.kind)), r.title)
        for r in (await session.execute(query)).all()
    }
