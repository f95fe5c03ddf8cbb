"""交办: staff hand an accepted suggestion to one lead unit and any co-handling units; the deadline runs
from the local date of assignment (Deputies Law Art. 51: three months, six for broad ones, office
settings). Units may ask, with a reason, to be replaced (within the settings' window) or, the lead unit,
for a later deadline; staff decide (an extension applies at once where the office does not approve them).

Reassignment restarts the clock for the unit taking over: it was assigned the work on the day of the
decision and gets the full period (the lead unit's deadline, or a co-handler's opinion due date).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from renda.core.db import utcnow
from renda.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from renda.core.timezone import local_today, to_local
from renda.modules.notifications import service as notifications
from renda.modules.suggestions.acting import (
    day_label,
    excerpt,
    item_link,
    my_unit_row,
    notify_units,
    office_staff_user_ids,
    require_assigned,
)
from renda.modules.suggestions.common import (
    LoopCaller,
    actor_of,
    add_months,
    current_units,
    load_settings,
    number_label,
    record_step,
    require_manage,
)
from renda.modules.suggestions.models import REQUEST_KINDS, Suggestion, SuggestionRequest, SuggestionUnit
from renda.modules.units import service as units
from renda.tenants.scoping import TenantRef

MAX_CO_UNITS = 10
MAX_REASON = 2000
LONGEST_EXTENSION_MONTHS = 12  # a broad suggestion's extension: within a year of assignment


async def _active_unit(session: AsyncSession, unit_id: uuid.UUID) -> units.HandlingUnit:
    try:
        unit = await units.get_unit(session, unit_id)
    except NotFound:
        raise InvalidInput("所选承办单位不存在", code="unknown_unit") from None
    if not unit.is_active:
        raise InvalidInput(f"承办单位“{unit.name}”已停用(归档),不能交办", code="unit_archived")
    return unit


def _reason(value: str | None, what: str = "理由") -> str:
    text = (value or "").strip()
    if not text:
        raise InvalidInput(f"请填写{what}", code="reason_required")
    if len(text) > MAX_REASON:
        raise InvalidInput(f"{what}不能超过 {MAX_REASON} 个字", code="text_too_long")
    return text


async def assign(
    session: AsyncSession,
    caller: LoopCaller,
    tenant: TenantRef,
    suggestion: Suggestion,
    *,
    lead_unit_id: uuid.UUID,
    co_unit_ids: Sequence[uuid.UUID] = (),
    broad: bool | None = None,
    note: str | None = None,
) -> Suggestion:
    require_manage(caller)
    if suggestion.status != "accepted":
        raise Conflict("只有已立案、尚未交办的建议可以交办", code="cannot_assign")
    co_ids = list(dict.fromkeys(co_unit_ids))
    if lead_unit_id in co_ids:
        raise InvalidInput("主办单位不能同时作为协办单位", code="lead_also_cohandler")
    if len(co_ids) > MAX_CO_UNITS:
        raise InvalidInput(f"协办单位不能超过 {MAX_CO_UNITS} 个", code="too_many_units")
    lead = await _active_unit(session, lead_unit_id)
    co_units = [await _active_unit(session, unit_id) for unit_id in co_ids]
    note = (note or "").strip() or None
    if note and len(note) > MAX_REASON:
        raise InvalidInput(f"交办说明不能超过 {MAX_REASON} 个字", code="text_too_long")

    settings = await load_settings(session)
    now, today = utcnow(), local_today()
    if broad is not None:
        suggestion.broad = broad
    months = settings.broad_deadline_months if suggestion.broad else settings.deadline_months
    deadline = add_months(today, months)
    opinion_due = today + timedelta(days=settings.cohandler_days)
    suggestion.lead_unit_id, suggestion.assigned_at, suggestion.deadline = lead.id, now, deadline
    suggestion.status = "assigned"
    session.add(
        SuggestionUnit(
            suggestion_id=suggestion.id, unit_id=lead.id, round=suggestion.round, role="lead", assigned_at=now
        )
    )
    for unit in co_units:
        session.add(
            SuggestionUnit(
                suggestion_id=suggestion.id,
                unit_id=unit.id,
                round=suggestion.round,
                role="co",
                assigned_at=now,
                opinion_due=opinion_due,
            )
        )
    text = f"主办单位:{lead.name}" + (f";协办单位:{'、'.join(u.name for u in co_units)}" if co_units else "")
    text += f";办理期限 {deadline.isoformat()}" + (f";{note}" if note else "")
    record_step(session, suggestion, "assigned", text)
    await session.flush()
    await _notify_assigned(session, tenant, suggestion, [lead.id, *(u.id for u in co_units)], now.isoformat())
    return suggestion


async def _notify_assigned(
    session: AsyncSession, tenant: TenantRef, suggestion: Suggestion, unit_ids: list[uuid.UUID], when: str
) -> None:
    assert suggestion.deadline is not None
    await notify_units(
        session,
        tenant,
        suggestion,
        unit_ids,
        kind="suggestion_assigned",
        key=f"suggestion-assigned:{suggestion.id}:{suggestion.round}:{when}",
        variables={
            "number": number_label(suggestion),
            "title": excerpt(suggestion.title, 60),
            "deadline": day_label(suggestion.deadline),
        },
    )


# --- a unit's requests ---------------------------------------------------------------------------
def _assigned_on(row: SuggestionUnit) -> date:
    return to_local(row.assigned_at).date()


def extension_limit(suggestion: Suggestion, settings_broad_months: int) -> date:
    """The latest deadline an extension may give: the broad period from assignment (a year for a
    suggestion that already has the broad period)."""
    assert suggestion.assigned_at is not None
    start = to_local(suggestion.assigned_at).date()
    return add_months(start, LONGEST_EXTENSION_MONTHS if suggestion.broad else settings_broad_months)


async def _check_extension_date(session: AsyncSession, suggestion: Suggestion, new_deadline: date | None) -> date:
    settings = await load_settings(session)
    if new_deadline is None:
        raise InvalidInput("请选择延期后的办理期限", code="new_deadline_required")
    assert suggestion.deadline is not None
    if new_deadline <= suggestion.deadline:
        raise InvalidInput(
            f"延期后的期限应晚于现在的办理期限({suggestion.deadline.isoformat()})", code="extension_not_later"
        )
    limit = extension_limit(suggestion, settings.broad_deadline_months)
    if new_deadline > limit:
        raise InvalidInput(f"延期后的期限最晚为 {limit.isoformat()}", code="extension_too_long")
    return new_deadline


async def _no_pending(session: AsyncSession, suggestion: Suggestion, kind: str) -> None:
    query = select(SuggestionRequest.id).where(
        SuggestionRequest.suggestion_id == suggestion.id,
        SuggestionRequest.kind == kind,
        SuggestionRequest.status == "pending",
    )
    if await session.scalar(query) is not None:
        raise Conflict(f"本建议已有待审批的{REQUEST_KINDS[kind]},请等待审批结果", code="request_pending")


async def request_change(
    session: AsyncSession,
    caller: LoopCaller,
    tenant: TenantRef,
    suggestion: Suggestion,
    *,
    kind: str,
    reason: str | None,
    new_deadline: date | None = None,
) -> SuggestionRequest:
    """A unit asks for a later deadline (the lead unit) or to be replaced (any unit of the round); the
    office's staff are told of a request waiting for their decision."""
    require_assigned(suggestion)
    row = await my_unit_row(session, caller, suggestion)
    if row is None:
        raise PermissionDenied("只有本建议本轮的承办单位可以提出申请", code="not_current_unit")
    reason = _reason(reason, "申请理由")
    settings = await load_settings(session)
    now = utcnow()
    if kind == "extension":
        if row.role != "lead":
            raise PermissionDenied("延期由主办单位申请", code="lead_unit_only")
        new_deadline = await _check_extension_date(session, suggestion, new_deadline)
        await _no_pending(session, suggestion, kind)
    elif kind == "reassignment":
        if settings.reassign_window_days == 0:
            raise Conflict("本机关不受理调整承办单位的申请", code="reassignment_not_allowed")
        last_day = _assigned_on(row) + timedelta(days=settings.reassign_window_days)
        if local_today() > last_day:
            raise Conflict(
                f"申请调整承办单位应在交办后 {settings.reassign_window_days} 天内(截至 {last_day.isoformat()})提出",
                code="reassign_window_closed",
            )
        await _no_pending(session, suggestion, kind)
        new_deadline = None
    else:
        raise InvalidInput("申请类别无效", code="invalid_request_kind")
    request = SuggestionRequest(
        suggestion_id=suggestion.id,
        unit_id=row.unit_id,
        kind=kind,
        reason=reason,
        new_deadline=new_deadline,
        requested_by=actor_of(session),
        requested_at=now,
    )
    name = (await units.unit_names(session, [row.unit_id])).get(row.unit_id, "承办单位")
    if kind == "extension" and not settings.extension_needs_approval:
        assert new_deadline is not None
        request.status, request.decided_at, request.decided_by = "approved", now, actor_of(session)
        request.decision_note = "本机关延期无需审批,申请即生效"
        record_step(
            session,
            suggestion,
            "extension_requested",
            f"{name}申请延期至 {new_deadline.isoformat()}(无需审批,已生效):{reason}",
        )
        suggestion.deadline = new_deadline
    else:
        detail = f"至 {new_deadline.isoformat()}" if new_deadline else ""
        record_step(session, suggestion, f"{kind}_requested", f"{name}{REQUEST_KINDS[kind]}{detail}:{reason}")
    session.add(request)
    await session.flush()
    if request.status == "pending":
        await notifications.notify(
            session,
            kind="suggestion_request",
            event_key=f"suggestion-request:{suggestion.id}:{request.id}",
            recipients=await office_staff_user_ids(tenant),
            variables={
                "unit": name,
                "request": REQUEST_KINDS[kind] + detail,
                "number": number_label(suggestion),
                "reason": excerpt(reason, 100),
            },
            link=item_link(tenant, suggestion),
        )
    return request


async def get_request(session: AsyncSession, suggestion: Suggestion, request_id: uuid.UUID) -> SuggestionRequest:
    request = await session.get(SuggestionRequest, request_id, with_for_update=True)
    if request is None or request.suggestion_id != suggestion.id:
        raise NotFound("申请不存在", code="request_not_found")
    return request


async def decide(
    session: AsyncSession,
    caller: LoopCaller,
    tenant: TenantRef,
    suggestion: Suggestion,
    request: SuggestionRequest,
    *,
    approve: bool,
    note: str | None = None,
    new_unit_id: uuid.UUID | None = None,
    new_deadline: date | None = None,
) -> SuggestionRequest:
    require_manage(caller)
    if request.status != "pending":
        raise Conflict("该申请已经审批", code="request_decided")
    note = (note or "").strip() or None
    if note and len(note) > MAX_REASON:
        raise InvalidInput(f"审批意见不能超过 {MAX_REASON} 个字", code="text_too_long")
    if approve:
        require_assigned(suggestion)
        if request.kind == "extension":
            chosen = await _check_extension_date(session, suggestion, new_deadline or request.new_deadline)
            request.new_deadline = suggestion.deadline = chosen
            summary = f"同意延期至 {chosen.isoformat()}"
        else:
            summary = await _reassign(session, tenant, suggestion, request, new_unit_id)
    else:
        if not note:
            raise InvalidInput("不同意时请填写理由", code="reason_required")
        summary = f"不同意{REQUEST_KINDS[request.kind]}"
    request.status = "approved" if approve else "refused"
    request.decided_at, request.decided_by, request.decision_note = utcnow(), actor_of(session), note
    record_step(session, suggestion, "request_decided", summary + (f":{note}" if note else ""))
    await session.flush()
    return request


async def _reassign(
    session: AsyncSession,
    tenant: TenantRef,
    suggestion: Suggestion,
    request: SuggestionRequest,
    new_unit_id: uuid.UUID | None,
) -> str:
    if new_unit_id is None:
        raise InvalidInput("请选择调整后的承办单位", code="new_unit_required")
    current = await current_units(session, suggestion)
    old = next((row for row in current if row.unit_id == request.unit_id), None)
    if old is None:
        raise Conflict("申请调整的单位已不再承办本建议", code="request_stale")
    if any(row.unit_id == new_unit_id for row in current):
        raise InvalidInput("所选单位已在承办本建议", code="unit_already_handling")
    unit = await _active_unit(session, new_unit_id)
    settings = await load_settings(session)
    now, today = utcnow(), local_today()
    old.withdrawn_at = now
    # A unit replaced earlier in this round takes the work back on its old row (one row per unit and round).
    query = select(SuggestionUnit).where(
        SuggestionUnit.suggestion_id == suggestion.id,
        SuggestionUnit.round == suggestion.round,
        SuggestionUnit.unit_id == unit.id,
    )
    row = (await session.execute(query)).scalar_one_or_none()
    if row is None:
        row = SuggestionUnit(suggestion_id=suggestion.id, unit_id=unit.id, round=suggestion.round)
        session.add(row)
    row.role, row.assigned_at, row.withdrawn_at = old.role, now, None
    row.opinion = row.opinion_at = None
    row.opinion_due = today + timedelta(days=settings.cohandler_days) if old.role == "co" else None
    if old.role == "lead":
        months = settings.broad_deadline_months if suggestion.broad else settings.deadline_months
        suggestion.lead_unit_id, suggestion.deadline = unit.id, add_months(today, months)
    old_name = (await units.unit_names(session, [old.unit_id])).get(old.unit_id, "原承办单位")
    record_step(session, suggestion, "reassigned", f"{old_name}调整为{unit.name}")
    await session.flush()
    await _notify_assigned(session, tenant, suggestion, [unit.id], now.isoformat())
    role = "主办" if old.role == "lead" else "协办"
    return f"同意调整{role}单位:{old_name}调整为{unit.name}" + (
        f",办理期限重新计算至 {suggestion.deadline.isoformat()}" if old.role == "lead" and suggestion.deadline else ""
    )
