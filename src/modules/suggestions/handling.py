"""办理: the lead unit meets the deputy three times (before, during and after handling), co-handlers give
the lead unit their opinion, and the lead unit replies with a class (A-D) and, for B and C, what it
commits to; the reply starts the deputy's rating window and, for B and C, the follow-up (回头看)."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from renda.core.db import utcnow
from renda.core.errors import Conflict, InvalidInput, PermissionDenied
from renda.core.timezone import local_today, to_local
from renda.modules.suggestions.acting import lead_row, my_unit_row, require_assigned
from renda.modules.suggestions.common import LoopCaller, actor_of, current_units, load_settings, record_step
from renda.modules.suggestions.evaluation import on_replied
from renda.modules.suggestions.models import (
    MEETING_FORMS,
    MEETING_STAGES,
    REPLY_CLASSES,
    Suggestion,
    SuggestionMeeting,
    SuggestionUnit,
)
from renda.modules.units import service as units
from renda.tenants.scoping import TenantRef

MAX_NOTE = 2000
MAX_TEXT = 20000
FOLLOWED_CLASSES = ("B", "C")  # replies that promise something: followed up until resolved


def _text(value: str | None, *, what: str, code: str, limit: int = MAX_TEXT, required: bool = True) -> str | None:
    text = (value or "").strip()
    if not text:
        if required:
            raise InvalidInput(f"请填写{what}", code=code)
        return None
    if len(text) > limit:
        raise InvalidInput(f"{what}不能超过 {limit} 个字", code="text_too_long")
    return text


async def record_meeting(
    session: AsyncSession,
    caller: LoopCaller,
    suggestion: Suggestion,
    *,
    stage: str,
    held_on: date,
    form: str,
    note: str | None,
) -> SuggestionMeeting:
    """三见面 of the current round, by the lead unit (or staff for it); recording a stage again corrects it."""
    if suggestion.status not in ("assigned", "replied"):
        raise Conflict("只有办理中或已答复的建议可以记录见面沟通", code="not_in_handling")
    await lead_row(session, caller, suggestion)
    if stage not in MEETING_STAGES:
        raise InvalidInput("见面阶段无效,应为办前、办中或办后见面", code="invalid_stage")
    if form not in MEETING_FORMS:
        raise InvalidInput("见面方式无效", code="invalid_form")
    if held_on > local_today():
        raise InvalidInput("见面日期不能晚于今天", code="meeting_in_future")
    assert suggestion.assigned_at is not None
    if held_on < to_local(suggestion.assigned_at).date():
        raise InvalidInput("见面日期不能早于交办日期", code="meeting_before_assignment")
    note = _text(note, what="见面情况", code="note_required", limit=MAX_NOTE, required=False)
    query = select(SuggestionMeeting).where(
        SuggestionMeeting.suggestion_id == suggestion.id,
        SuggestionMeeting.round == suggestion.round,
        SuggestionMeeting.stage == stage,
    )
    meeting = (await session.execute(query)).scalar_one_or_none()
    again = meeting is not None
    if meeting is None:
        meeting = SuggestionMeeting(suggestion_id=suggestion.id, round=suggestion.round, stage=stage)
        session.add(meeting)
    meeting.held_on, meeting.form, meeting.note, meeting.recorded_by = held_on, form, note, actor_of(session)
    summary = f"{MEETING_STAGES[stage]}({MEETING_FORMS[form]},{held_on.isoformat()})" + ("(更正)" if again else "")
    record_step(session, suggestion, "meeting", summary + (f":{note}" if note else ""))
    await session.flush()
    return meeting


async def give_opinion(
    session: AsyncSession, caller: LoopCaller, suggestion: Suggestion, *, opinion: str | None, unit_id: uuid.UUID | None
) -> SuggestionUnit:
    """A co-handler's opinion to the lead unit (until the lead unit replies; given again, it is replaced)."""
    require_assigned(suggestion)
    row = await my_unit_row(session, caller, suggestion)
    if row is None and caller.manage:
        if unit_id is None:
            raise InvalidInput("请选择提出意见的协办单位", code="unit_required")
        row = next((r for r in await current_units(session, suggestion) if r.unit_id == unit_id), None)
        if row is None:
            raise InvalidInput("所选单位不是本建议本轮的协办单位", code="not_cohandler")
    if row is None:
        raise PermissionDenied("贵单位不是本建议本轮的承办单位,不能进行此项办理", code="not_current_unit")
    if row.role != "co":
        raise PermissionDenied("协办意见由协办单位提出", code="cohandler_only")
    row.opinion = _text(opinion, what="协办意见", code="opinion_required")
    row.opinion_at = utcnow()
    name = (await units.unit_names(session, [row.unit_id])).get(row.unit_id, "协办单位")
    record_step(session, suggestion, "cohandler_opinion", f"{name}提出协办意见")
    await session.flush()
    return row


async def reply(
    session: AsyncSession,
    caller: LoopCaller,
    tenant: TenantRef,
    suggestion: Suggestion,
    *,
    reply_class: str | None,
    reply_text: str | None,
    reply_commitments: str | None,
) -> Suggestion:
    """答复: the lead unit's reply of the current round."""
    if suggestion.status == "replied":
        raise Conflict("本建议本轮已经答复", code="already_replied")
    require_assigned(suggestion)
    await lead_row(session, caller, suggestion)
    if not reply_class:
        raise InvalidInput("请选择答复类别(A、B、C、D类)", code="reply_class_required")
    if reply_class not in REPLY_CLASSES:
        raise InvalidInput("答复类别应为 A、B、C、D 类之一", code="invalid_reply_class")
    text = _text(reply_text, what="答复内容", code="reply_text_required")
    commitments = _text(
        reply_commitments,
        what="办理承诺(B、C类答复须写明解决措施和时限)",
        code="commitments_required",
        required=reply_class in FOLLOWED_CLASSES,
    )
    settings = await load_settings(session)
    today = local_today()
    assert suggestion.deadline is not None
    suggestion.reply_class, suggestion.reply_text, suggestion.reply_commitments = reply_class, text, commitments
    suggestion.replied_at, suggestion.replied_on_time = utcnow(), today <= suggestion.deadline
    suggestion.rating_due = today + timedelta(days=settings.rating_window_days)
    suggestion.status = "replied"
    suggestion.follow_up = "open" if reply_class in FOLLOWED_CLASSES else "none"
    record_step(
        session,
        suggestion,
        "replied",
        f"{REPLY_CLASSES[reply_class]}" + ("" if suggestion.replied_on_time else "(超过办理期限)"),
    )
    await on_replied(session, suggestion)  # evaluation: the lead deputy is asked to rate
    await session.flush()
    return suggestion
