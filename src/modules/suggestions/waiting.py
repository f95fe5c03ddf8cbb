"""What waits in the suggestion loop, for the workbench: each worklist is one statement, its counts
window columns beside the first few rows (overdue first, then by deadline, then the longest waiting).

- the office's (staff): filed and awaiting intake review (待审查), being handled (办理中) and past the
  deadline among them (已逾期), and the units' requests awaiting a decision (待审批申请, a count);
- a deputy's: the replies to their own suggestions awaiting their rating, within the rating window;
- a handling unit's: the suggestions its units handle in the current round, not yet replied.

The lists these counts link to filter the same way (`listing`: status, `overdue`, `to_rate`; the unit's
我的承办 with `overdue`).
"""

from __future__ import annotations

import uuid
from collections.abc import Collection
from datetime import date

from sqlalchemy import ColumnElement, case, false, func, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from renda.core.db import read_rows
from renda.core.timezone import to_local
from renda.core.worklist import ITEMS_SHOWN, DueItem, Worklist, overdue_first, window_counts
from renda.modules.suggestions.common import NUMBERED, number_label
from renda.modules.suggestions.listing import overdue_clause, to_rate_clause
from renda.modules.suggestions.models import Suggestion, SuggestionRequest, SuggestionUnit


def _label(row: object) -> str:
    return f"{number_label(row)} {row.title}"  # type: ignore[attr-defined]


async def office_worklist(session: AsyncSession, today: date, limit: int = ITEMS_SHOWN) -> Worklist:
    """Staff: `submitted` (to review), `assigned` (handled by units), `overdue` among them, `requests`."""
    overdue = overdue_clause(today)
    buckets: dict[str, ColumnElement[bool]] = {
        "submitted": Suggestion.status == "submitted",
        "assigned": Suggestion.status == "assigned",
        "overdue": overdue,
    }
    waiting = (
        select(
            *NUMBERED,
            Suggestion.status,
            Suggestion.deadline,
            Suggestion.filed_at,
            *(func.count().filter(condition).over().label(kind) for kind, condition in buckets.items()),
        )
        .where(or_(*buckets.values()))
        .order_by(
            case((overdue, 0), else_=1),
            Suggestion.deadline.asc().nulls_last(),
            Suggestion.filed_at.asc().nulls_last(),
            Suggestion.id,
        )
        .limit(limit)
        .lateral("waiting")
    )
    # The requests' count is one row that the waiting suggestions join, so that it comes back in the
    # same statement even when no suggestion waits.
    requests = select(func.count().label("requests")).where(SuggestionRequest.status == "pending").subquery()
    query = select(requests.c.requests, waiting).select_from(requests.outerjoin(waiting, true()))
    rows = [row for row in await read_rows(session, query)]
    found = [row for row in rows if row.id is not None]
    counts = window_counts(found[0] if found else None, list(buckets))
    counts["requests"] = int(rows[0].requests) if rows else 0
    items = []
    for row in found:
        late = row.status == "assigned" and row.deadline is not None and row.deadline < today
        since = to_local(row.filed_at).date() if row.filed_at else None
        items.append(DueItem(row.id, _label(row), "overdue" if late else row.status, row.deadline, late, since))
    return Worklist(counts, overdue_first(items))


async def deputy_worklist(
    session: AsyncSession, person_ids: Collection[uuid.UUID], today: date, limit: int = ITEMS_SHOWN
) -> Worklist:
    """A deputy: `to_rate`, the replies to the suggestions they lead awaiting their rating (the rating
    window still open), the one whose window closes first first."""
    scope = Suggestion.lead_person_id.in_(person_ids) if person_ids else false()
    query = (
        select(
            *NUMBERED,
            Suggestion.rating_due,
            Suggestion.replied_at,
            func.count().over().label("to_rate"),
        )
        .where(scope, to_rate_clause(today))
        .order_by(Suggestion.rating_due.asc().nulls_last(), Suggestion.replied_at, Suggestion.id)
        .limit(limit)
    )
    rows = await read_rows(session, query)
    items = [
        DueItem(
            row.id,
            _label(row),
            "to_rate",
            due=row.rating_due,
            since=to_local(row.replied_at).date() if row.replied_at else None,
        )
        for row in rows
    ]
    return Worklist(window_counts(rows[0] if rows else None, ["to_rate"]), items)


async def unit_worklist(
    session: AsyncSession, unit_ids: Collection[uuid.UUID], today: date, limit: int = ITEMS_SHOWN
) -> Worklist:
    """A handling unit: `assigned`, what its units handle in the current round and have not replied to
    (as lead or co-handler), `overdue` among them; a co-handler's item is due when its opinion is."""
    if not unit_ids:
        return Worklist({"assigned": 0, "overdue": 0}, [])
    overdue = overdue_clause(today)
    mine = (
        select(SuggestionUnit.role, SuggestionUnit.opinion_due)
        .where(
            SuggestionUnit.suggestion_id == Suggestion.id,
            SuggestionUnit.unit_id.in_(unit_ids),
            SuggestionUnit.round == Suggestion.round,
            SuggestionUnit.withdrawn_at.is_(None),
        )
        .order_by(SuggestionUnit.role.desc())  # "lead" before "co"
        .limit(1)
        .lateral("mine")
    )
    query = (
        select(
            *NUMBERED,
            Suggestion.deadline,
            mine.c.role,
            mine.c.opinion_due,
            func.count().over().label("assigned"),
            func.count().filter(overdue).over().label("overdue"),
        )
        .join(mine, true())
        .where(Suggestion.status == "assigned")
        .order_by(case((overdue, 0), else_=1), Suggestion.deadline.asc().nulls_last(), Suggestion.id)
        .limit(limit)
    )
    rows = await read_rows(session, query)
    items = []
    for row in rows:
        late = row.deadline is not None and row.deadline < today
        due = row.opinion_due if row.role == "co" and row.opinion_due else row.deadline
        detail = "协办" if row.role == "co" else "主办"
        items.append(DueItem(row.id, _label(row), "overdue" if late else "assigned", due, late, detail=detail))
    return Worklist(window_counts(rows[0] if rows else None, ["assigned", "overdue"]), items)
