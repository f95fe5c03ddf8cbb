"""What every part of the suggestion loop needs: categories, who is looking (`LoopCaller`) and what they
may see, reading one suggestion, the office's settings, numbering, deadlines, and recording a step."""

from __future__ import annotations

import calendar
import uuid
from dataclasses import dataclass
from datetime import date
from typing import Protocol

from sqlalchemy import ColumnElement, exists, false, func, or_, select, text, true
from sqlalchemy.ext.asyncio import AsyncSession

from renda.core.errors import NotFound, PermissionDenied
from renda.core.permissions import Role
from renda.modules.deputies import service as deputies
from renda.modules.suggestions.drafts import FULL_ROLES, MANAGE_ROLES
from renda.modules.suggestions.models import (
    STEP_KINDS,
    Suggestion,
    SuggestionCosigner,
    SuggestionSettings,
    SuggestionStep,
    SuggestionUnit,
)
from renda.modules.units import service as units
from renda.tenants.scoping import TenantAccess

# 代表建议的分类: the headings offices sort suggestions under for assignment and for the yearly report.
CATEGORIES: dict[str, str] = {
    "economy": "经济发展",
    "urban_construction": "城乡建设",
    "agriculture": "农业农村",
    "transport": "交通运输",
    "education": "教育科技",
    "health": "医疗卫生",
    "social_security": "社会保障",
    "environment": "生态环境",
    "culture": "文化旅游",
    "governance": "社会治理与政法",
    "government": "政府建设",
    "other": "其他",
}

WORKER_ACTOR = "system:worker:代表建议"


@dataclass(frozen=True)
class LoopCaller:
    """What one caller may see and do in the suggestion loop.

    Staff, committee members, viewers and office tokens see every suggestion of the office; a deputy
    sees those they lead or were asked to co-sign; a handling unit's users see those assigned to their
    unit in any round. Only staff (and the office administrator) take the office's decisions.
    """

    user_id: uuid.UUID | None
    full: bool
    manage: bool
    person_ids: frozenset[uuid.UUID]  # the deputy (person) the caller is
    unit_ids: frozenset[uuid.UUID]  # the units the caller answers for

    def is_lead(self, suggestion: Suggestion) -> bool:
        return suggestion.lead_person_id in self.person_ids


SYSTEM_CALLER = LoopCaller(None, full=True, manage=True, person_ids=frozenset(), unit_ids=frozenset())


async def loop_caller_for(session: AsyncSession, access: TenantAccess) -> LoopCaller:
    token = access.scopes is not None
    roles = access.roles
    user_id = access.principal.user_id
    person_ids: frozenset[uuid.UUID] = frozenset()
    unit_ids: frozenset[uuid.UUID] = frozenset()
    if Role.DEPUTY in roles:
        person = await deputies.person_of_user(session, user_id)
        person_ids = frozenset({person.id}) if person is not None else frozenset()
    if Role.HANDLING_UNIT in roles:
        unit_ids = await units.unit_ids_of_user(session, user_id)
    return LoopCaller(
        user_id,
        full=token or bool(roles & FULL_ROLES),
        manage=access.can("suggestions.write") and (token or bool(roles & MANAGE_ROLES)),
        person_ids=person_ids,
        unit_ids=unit_ids,
    )


def visible_to(caller: LoopCaller) -> ColumnElement[bool]:
    """The suggestions a caller may see, as a WHERE clause on `Suggestion`."""
    if caller.full:
        return true()
    reach: list[ColumnElement[bool]] = []
    if caller.person_ids:
        reach.append(Suggestion.lead_person_id.in_(caller.person_ids))
        reach.append(
            exists().where(
                SuggestionCosigner.suggestion_id == Suggestion.id, SuggestionCosigner.person_id.in_(caller.person_ids)
            )
        )
    if caller.unit_ids:
        reach.append(
            exists().where(SuggestionUnit.suggestion_id == Suggestion.id, SuggestionUnit.unit_id.in_(caller.unit_ids))
        )
    return or_(*reach) if reach else false()


SUGGESTION_NOT_FOUND = "代表建议不存在"


async def get_suggestion(
    session: AsyncSession, caller: LoopCaller, suggestion_id: uuid.UUID, *, for_update: bool = False
) -> Suggestion:
    """One suggestion the caller may see (404 otherwise, the same for another office's or another unit's),
    locked when it is about to change so two clicks at once take turns."""
    query = select(Suggestion).where(Suggestion.id == suggestion_id, visible_to(caller))
    if for_update:
        query = query.with_for_update()
    found = (await session.execute(query)).scalar_one_or_none()
    if found is None:
        raise NotFound(SUGGESTION_NOT_FOUND, code="suggestion_not_found")
    return found


def require_manage(caller: LoopCaller) -> None:
    if not caller.manage:
        raise PermissionDenied("只有代表工作人员可以进行此项办理", code="suggestions_staff_only")


async def current_units(session: AsyncSession, suggestion: Suggestion) -> list[SuggestionUnit]:
    """The units handling the suggestion in its current round (lead first), reassigned ones left out."""
    query = (
        select(SuggestionUnit)
        .where(
            SuggestionUnit.suggestion_id == suggestion.id,
            SuggestionUnit.round == suggestion.round,
            SuggestionUnit.withdrawn_at.is_(None),
        )
        .order_by(SuggestionUnit.role.desc(), SuggestionUnit.assigned_at)
    )
    return list((await session.execute(query)).scalars())


async def load_settings(session: AsyncSession) -> SuggestionSettings:
    """The office's rules, created with their defaults on first use."""
    settings = await session.get(SuggestionSettings, 1)
    if settings is None:
        settings = SuggestionSettings(id=1)
        session.add(settings)
        await session.flush()
    return settings


async def next_seq(session: AsyncSession, year: int) -> int:
    """The next number of the year. A transaction-scoped advisory lock per year makes two filings at once
    take turns instead of colliding on the unique (year, seq)."""
    await session.execute(
        text("SELECT pg_advisory_xact_lock(hashtext(current_schema() || :key), :y)"),
        {"key": ":suggestion_seq", "y": year},
    )
    current = await session.scalar(select(func.max(Suggestion.seq)).where(Suggestion.year == year))
    return (current or 0) + 1


# The columns a list reads to name a suggestion (`number_label` of the row, and its title).
NUMBERED = (Suggestion.id, Suggestion.year, Suggestion.seq, Suggestion.kind, Suggestion.title)


class Numbered(Protocol):
    """A suggestion, or a row of a list that selects its kind, year and number."""

    kind: str
    year: int
    seq: int | None


def number_label(suggestion: Numbered) -> str:
    """建议编号 as printed: 2026-0042 (议案 get 议 in front); drafts have none yet."""
    if suggestion.seq is None:
        return "(未编号)"
    prefix = "议" if suggestion.kind == "motion" else ""
    return f"{prefix}{suggestion.year}-{suggestion.seq:04d}"


class Deadlined(Protocol):
    status: str
    deadline: date | None


def is_overdue(suggestion: Deadlined, today: date) -> bool:
    """Assigned and past its deadline without a reply (`listing.overdue_clause` in SQL)."""
    return suggestion.status == "assigned" and suggestion.deadline is not None and suggestion.deadline < today


def add_months(start: date, months: int) -> date:
    """The same day `months` later, or the month's last day when it has none (30 November + 3 months is
    28 or 29 February)."""
    month_index = start.month - 1 + months
    year, month = start.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


def actor_of(session: AsyncSession) -> str:
    return str(session.info.get("actor", "system"))


def record_step(session: AsyncSession, suggestion: Suggestion, kind: str, note: str | None = None) -> SuggestionStep:
    """A step of the timeline, in the caller's transaction (flushed with the change it records)."""
    assert kind in STEP_KINDS, kind
    step = SuggestionStep(
        suggestion_id=suggestion.id, kind=kind, round=suggestion.round, actor=actor_of(session), note=note
    )
    session.add(step)
    return step
