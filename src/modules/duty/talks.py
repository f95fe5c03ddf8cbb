"""Reminder talks (提醒约谈) for deputies the committee rated 基本称职 or 不称职: staff set the date,
the place and who talks; the deputy is told, and told again when any of those changes. A talk is
then held or cancelled; a held or cancelled talk is no longer changed. One talk at a time is open
per rating (a cancelled one may be followed by another)."""

from __future__ import annotations

import uuid
from datetime import date

from msgspec import UNSET
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from renda.core.errors import Conflict, InvalidInput, NotFound
from renda.modules.duty import rating
from renda.modules.duty.common import DutyCaller, require_manage
from renda.modules.duty.models import LOW_GRADES, TALK_STATUSES, Rating, Talk
from renda.modules.duty.rating_notices import tell_talk
from renda.modules.duty.rating_schemas import TalkIn, TalkPatch


def _check_date(rated: Rating, scheduled_on: date) -> None:
    if not rated.year <= scheduled_on.year <= rated.year + 1:
        raise InvalidInput(f"约谈日期应在{rated.year}年或{rated.year + 1}年内", code="invalid_talk_date")


def _check_low(rated: Rating) -> None:
    if rated.step not in ("committee", "published") or rated.grade not in LOW_GRADES:
        raise Conflict("只有经常委会审定为基本称职或不称职的代表才安排提醒约谈", code="talk_not_needed")


async def get_talk(session: AsyncSession, caller: DutyCaller, talk_id: uuid.UUID, *, for_update: bool = False) -> Talk:
    query = select(Talk).where(Talk.id == talk_id)
    if for_update:
        query = query.with_for_update()
    talk = (await session.execute(query)).scalar_one_or_none()
    if talk is None or not await rating.may_see(session, caller, talk.person_id):
        raise NotFound("约谈记录不存在", code="talk_not_found")
    return talk


async def schedule(session: AsyncSession, caller: DutyCaller, rated: Rating, data: TalkIn) -> Talk:
    """A talk for a low rating (locked by the caller)."""
    require_manage(caller)
    _check_low(rated)
    _check_date(rated, data.scheduled_on)
    open_talk = await session.scalar(
        select(Talk.id).where(Talk.rating_id == rated.id, Talk.status == "scheduled").limit(1)
    )
    if open_talk is not None:
        raise Conflict("已为该代表安排了提醒约谈,如需改期请修改该约谈", code="talk_already_scheduled")
    talk = Talk(
        rating_id=rated.id,
        person_id=rated.person_id,
        scheduled_on=data.scheduled_on,
        place=data.place.strip(),
        talker=data.talker.strip(),
        note=data.note.strip(),
        status="scheduled",
        created_by=caller.actor,
    )
    session.add(talk)
    await session.flush()
    await tell_talk(session, talk, rated)
    return talk


async def update(session: AsyncSession, caller: DutyCaller, talk: Talk, data: TalkPatch) -> Talk:
    """Change a scheduled talk (the deputy is told the new arrangement), or record it held or cancelled."""
    require_manage(caller)
    if talk.status != "scheduled":
        raise Conflict(f"该约谈已{TALK_STATUSES[talk.status]},不能再修改", code="talk_closed")
    rated = await session.get_one(Rating, talk.rating_id)
    before = (talk.scheduled_on, talk.place, talk.talker)
    changes = {f: getattr(data, f) for f in ("scheduled_on", "place", "talker", "status", "note")}
    changes = {k: v for k, v in changes.items() if v is not UNSET}
    if "scheduled_on" in changes:
        _check_date(rated, changes["scheduled_on"])
        talk.scheduled_on = changes["scheduled_on"]
    for field in ("place", "talker", "note"):
        if field in changes:
            setattr(talk, field, changes[field].strip())
    if "status" in changes:
        talk.status = changes["status"]
    await session.flush()
    if talk.status == "scheduled" and (talk.scheduled_on, talk.place, talk.talker) != before:
        await tell_talk(session, talk, rated)
    return talk


async def take_step_with_talk(
    session: AsyncSession,
    caller: DutyCaller,
    rated: Rating,
    step: str,
    grade: str,
    note: str,
    talk: TalkIn | None,
    today: date,
) -> Rating:
    """A step of a locked rating; the committee's decision of a low grade may schedule the talk with it."""
    if talk is not None and (step != "committee" or grade not in LOW_GRADES):
        raise InvalidInput("只有常委会审定为基本称职或不称职时才能同时安排提醒约谈", code="talk_not_needed")
    await rating.take_step(session, caller, rated, step, grade, note, today)
    await session.flush()
    if talk is not None:
        await schedule(session, caller, rated, talk)
    return rated
