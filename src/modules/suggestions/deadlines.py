"""The daily deadline check (督办提醒) of one office: seven days before a lead unit's deadline its users
are reminded; past it, the unit and the office's staff are told and the suggestion gets an `escalated`
step, once per suggestion and round; a co-handler late with its opinion is reminded once per due date.
Running the check twice on a day (a message delivered twice) tells nobody twice.
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from renda.modules.suggestions.acting import day_label, excerpt, notify_units
from renda.modules.suggestions.common import number_label, record_step
from renda.modules.suggestions.models import Suggestion, SuggestionStep, SuggestionUnit
from renda.modules.units import service as units
from renda.tenants.scoping import TenantRef

DUE_SOON_DAYS = 7


async def _noted(session: AsyncSession, suggestion: Suggestion, kind: str, note: str | None = None) -> bool:
    query = select(SuggestionStep.id).where(
        SuggestionStep.suggestion_id == suggestion.id,
        SuggestionStep.kind == kind,
        SuggestionStep.round == suggestion.round,
    )
    if note is not None:
        query = query.where(SuggestionStep.note == note)
    return await session.scalar(query.limit(1)) is not None


def _variables(suggestion: Suggestion, day: date) -> dict[str, str]:
    assert suggestion.deadline is not None
    return {
        "number": number_label(suggestion),
        "title": excerpt(suggestion.title, 60),
        "deadline": day_label(suggestion.deadline),
        "days": str(abs((suggestion.deadline - day).days)),
    }


async def check_deadlines(session: AsyncSession, tenant: TenantRef, day: date) -> dict[str, int]:
    """Remind and escalate as of the local date `day`; returns how many of each were sent."""
    counts = {"due_soon": 0, "overdue": 0, "opinion_overdue": 0}
    query = select(Suggestion).where(
        Suggestion.status == "assigned", Suggestion.deadline <= day + timedelta(days=DUE_SOON_DAYS)
    )
    for suggestion in (await session.execute(query.order_by(Suggestion.deadline))).scalars():
        assert suggestion.deadline is not None and suggestion.lead_unit_id is not None
        if suggestion.deadline >= day:
            # Within the week: once per deadline (an extended deadline is reminded again).
            note = f"距办理期限({suggestion.deadline.isoformat()})不足 {DUE_SOON_DAYS} 天,已提醒主办单位"
            if await _noted(session, suggestion, "reminder", note):
                continue
            await notify_units(
                session,
                tenant,
                suggestion,
                [suggestion.lead_unit_id],
                kind="suggestion_due_soon",
                key=f"suggestion-due:{suggestion.id}:{suggestion.round}:{suggestion.deadline.isoformat()}",
                variables=_variables(suggestion, day),
            )
            record_step(session, suggestion, "reminder", note)
            counts["due_soon"] += 1
        elif not await _noted(session, suggestion, "escalated"):
            await notify_units(
                session,
                tenant,
                suggestion,
                [suggestion.lead_unit_id],
                kind="suggestion_overdue",
                key=f"suggestion-overdue:{suggestion.id}:{suggestion.round}",
                variables=_variables(suggestion, day),
                staff=True,
            )
            record_step(
                session,
                suggestion,
                "escalated",
                f"已超过办理期限({suggestion.deadline.isoformat()}),已督办主办单位并告知代表工作人员",
            )
            counts["overdue"] += 1
        await session.flush()
    counts["opinion_overdue"] = await _remind_cohandlers(session, tenant, day)
    return counts


async def _remind_cohandlers(session: AsyncSession, tenant: TenantRef, day: date) -> int:
    query = (
        select(SuggestionUnit, Suggestion)
        .join(Suggestion, Suggestion.id == SuggestionUnit.suggestion_id)
        .where(
            Suggestion.status == "assigned",
            SuggestionUnit.round == Suggestion.round,
            SuggestionUnit.role == "co",
            SuggestionUnit.withdrawn_at.is_(None),
            SuggestionUnit.opinion.is_(None),
            SuggestionUnit.opinion_due < day,
        )
        .order_by(SuggestionUnit.opinion_due)
    )
    count = 0
    for row, suggestion in (await session.execute(query)).all():
        assert row.opinion_due is not None
        name = (await units.unit_names(session, [row.unit_id])).get(row.unit_id, "协办单位")
        note = f"{name}的协办意见已超过期限({row.opinion_due.isoformat()}),已提醒"
        if await _noted(session, suggestion, "reminder", note):
            continue
        await notify_units(
            session,
            tenant,
            suggestion,
            [row.unit_id],
            kind="suggestion_opinion_overdue",
            key=f"suggestion-co-overdue:{suggestion.id}:{suggestion.round}:{row.opinion_due.isoformat()}",
            variables={**_variables(suggestion, day), "due": day_label(row.opinion_due)},
        )
        record_step(session, suggestion, "reminder", note)
        count += 1
    await session.flush()
    return count
