"""Who acts for which unit in the handling of a suggestion, and telling units and staff about it.

A handling unit's user acts for their unit where it handles the suggestion in the current round (a unit
replaced or of an earlier round still reads it, but no longer acts). Staff act for the lead unit when a
unit answers on paper; they name the co-handler whose opinion they record.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from renda.core.db import get_database
from renda.core.errors import Conflict, PermissionDenied
from renda.core.permissions import Role
from renda.modules.members import service as members
from renda.modules.notifications import service as notifications
from renda.modules.suggestions.common import LoopCaller, current_units
from renda.modules.suggestions.models import Suggestion, SuggestionUnit
from renda.modules.units import service as units
from renda.tenants.scoping import TenantRef


def item_link(tenant: TenantRef, suggestion: Suggestion) -> str:
    return f"/t/{tenant.code}/suggestions/items/{suggestion.id}/handling"


def excerpt(value: str, length: int = 30) -> str:
    flat = " ".join(value.split())
    return flat if len(flat) <= length else flat[: length - 1] + "…"


def day_label(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def require_assigned(suggestion: Suggestion) -> None:
    if suggestion.status != "assigned":
        raise Conflict("只有办理中的建议可以进行此项办理", code="not_in_handling")


async def my_unit_row(session: AsyncSession, caller: LoopCaller, suggestion: Suggestion) -> SuggestionUnit | None:
    """The caller's unit's row in the current round, None when the caller handles none of it."""
    if not caller.unit_ids:
        return None
    for row in await current_units(session, suggestion):
        if row.unit_id in caller.unit_ids:
            return row
    return None


async def acting_row(session: AsyncSession, caller: LoopCaller, suggestion: Suggestion) -> SuggestionUnit:
    """The unit the caller acts for: theirs in the current round, or (staff) the lead unit."""
    row = await my_unit_row(session, caller, suggestion)
    if row is not None:
        return row
    if caller.manage:
        for current in await current_units(session, suggestion):
            if current.role == "lead":
                return current
    raise PermissionDenied("贵单位不是本建议本轮的承办单位,不能进行此项办理", code="not_current_unit")


async def lead_row(session: AsyncSession, caller: LoopCaller, suggestion: Suggestion) -> SuggestionUnit:
    row = await acting_row(session, caller, suggestion)
    if row.role != "lead":
        raise PermissionDenied("此项办理由主办单位进行,协办单位请向主办单位提出协办意见", code="lead_unit_only")
    return row


async def office_staff_user_ids(tenant: TenantRef) -> list[uuid.UUID]:
    async with get_database().platform_session() as platform:
        return [u.id for m, u in await members.list_members(platform, tenant) if Role.STAFF in (m.roles or [])]


async def notify_units(
    session: AsyncSession,
    tenant: TenantRef,
    suggestion: Suggestion,
    unit_ids: Iterable[uuid.UUID],
    *,
    kind: str,
    key: str,
    variables: Mapping[str, Any],
    staff: bool = False,
) -> None:
    """One notification per unit (its users; the office's staff too with `staff`), keyed so a repeat
    tells nobody twice."""
    names = await units.unit_names(session, unit_ids)
    staff_ids = await office_staff_user_ids(tenant) if staff else []
    for unit_id, name in names.items():
        recipients = [*await units.unit_user_ids(session, unit_id), *staff_ids]
        await notifications.notify(
            session,
            kind=kind,
            event_key=f"{key}:{unit_id}"[:200],
            recipients=recipients,
            variables={"unit": name, **variables},
            link=item_link(tenant, suggestion),
        )
