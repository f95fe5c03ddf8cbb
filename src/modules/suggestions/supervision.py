"""Supervision (督办): key suggestions (重点建议) with a supervising leader (领衔督办) and checkpoints at
the start, middle and end of the year; the status board of every item of the office, which the
offices above read through the office's own address (read-only, see `resolve_tenant_access`).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

from sqlalchemy import Row, and_, select
from sqlalchemy.ext.asyncio import AsyncSession

from renda.core.db import utcnow
from renda.core.errors import Conflict, InvalidInput, NotFound
from renda.core.pagination import Page, paginate_rows
from renda.core.timezone import local_today
from renda.modules.deputies.models import Person
from renda.modules.suggestions.common import LoopCaller, record_step, require_manage, visible_to
from renda.modules.suggestions.models import (
    CHECKPOINT_STAGES,
    STATUSES,
    Suggestion,
    SuggestionCheckpoint,
)
from renda.modules.units.service import HandlingUnit

# Key suggestions are chosen among those being handled (accepted onwards, not yet closed).
KEY_STATUSES = ("accepted", "assigned", "replied")
# The checkpoints made when a suggestion becomes key, as (month, day) of the year; staff move them.
DEFAULT_CHECKPOINTS = {"start": (3, 31), "middle": (6, 30), "end": (11, 30)}
MAX_NAME, MAX_NOTE = 50, 1000
# What the board lists: everything filed (drafts are the deputy's own business).
BOARD_STATUSES = tuple(s for s in STATUSES if s != "draft")


def _text(value: str | None, limit: int, what: str, code: str, *, required: bool = False) -> str | None:
    text = (value or "").strip()
    if required and not text:
        raise InvalidInput(f"请填写{what}", code=f"{code}_required")
    if len(text) > limit:
        raise InvalidInput(f"{what}不能超过 {limit} 个字", code=f"{code}_too_long")
    return text or None


async def set_key(
    session: AsyncSession,
    caller: LoopCaller,
    suggestion: Suggestion,
    *,
    is_key: bool,
    leader_name: str | None,
    leader_title: str | None,
) -> Suggestion:
    """列为重点建议 with its supervising leader (and the year's three checkpoints), or no longer key."""
    require_manage(caller)
    if not is_key:
        if suggestion.is_key:
            suggestion.is_key = False
            record_step(session, suggestion, "key_chosen", "取消重点建议")
            await session.flush()
        return suggestion
    if suggestion.status not in KEY_STATUSES:
        raise Conflict("只有已立案、尚未办结的建议可以列为重点建议", code="cannot_be_key")
    name = _text(leader_name, MAX_NAME, "督办领导姓名", "key_leader", required=True)
    title = _text(leader_title, MAX_NAME, "督办领导职务", "key_leader_title", required=True)
    again = suggestion.is_key
    suggestion.is_key, suggestion.key_leader, suggestion.key_leader_title = True, name, title
    if not again:
        suggestion.key_chosen_at = utcnow()
        year = local_today().year
        existing = set(
            (
                await session.execute(
                    select(SuggestionCheckpoint.stage).where(
                        SuggestionCheckpoint.suggestion_id == suggestion.id, SuggestionCheckpoint.year == year
                    )
                )
            ).scalars()
        )
        for stage, (month, day) in DEFAULT_CHECKPOINTS.items():
            if stage not in existing:
                session.add(
                    SuggestionCheckpoint(
                        suggestion_id=suggestion.id, year=year, stage=stage, due_on=date(year, month, day)
                    )
                )
    record_step(
        session, suggestion, "key_chosen", f"{'调整督办领导' if again else '列为重点建议'}:{title}{name}领衔督办"
    )
    await session.flush()
    return suggestion


def _require_key(suggestion: Suggestion) -> None:
    if not suggestion.is_key:
        raise Conflict("该建议不是重点建议,不能设置督办节点", code="not_key_suggestion")


async def set_checkpoint(
    session: AsyncSession, caller: LoopCaller, suggestion: Suggestion, *, stage: str, due_on: date
) -> SuggestionCheckpoint:
    """A checkpoint's due date (of `due_on`'s year): made, or moved when the stage exists."""
    require_manage(caller)
    _require_key(suggestion)
    if stage not in CHECKPOINT_STAGES:
        raise InvalidInput("督办节点应为年初、年中或年底", code="invalid_checkpoint_stage")
    query = select(SuggestionCheckpoint).where(
        SuggestionCheckpoint.suggestion_id == suggestion.id,
        SuggestionCheckpoint.year == due_on.year,
        SuggestionCheckpoint.stage == stage,
    )
    checkpoint = (await session.execute(query)).scalar_one_or_none()
    if checkpoint is None:
        checkpoint = SuggestionCheckpoint(suggestion_id=suggestion.id, year=due_on.year, stage=stage, due_on=due_on)
        session.add(checkpoint)
    elif checkpoint.done_on is not None:
        raise Conflict("该督办节点已完成,不能再修改", code="checkpoint_done")
    else:
        checkpoint.due_on = due_on
    await session.flush()
    return checkpoint


async def get_checkpoint(
    session: AsyncSession, suggestion: Suggestion, checkpoint_id: uuid.UUID
) -> SuggestionCheckpoint:
    found = await session.get(SuggestionCheckpoint, checkpoint_id)
    if found is None or found.suggestion_id != suggestion.id:
        raise NotFound("督办节点不存在", code="checkpoint_not_found")
    return found


async def complete_checkpoint(
    session: AsyncSession,
    caller: LoopCaller,
    suggestion: Suggestion,
    checkpoint: SuggestionCheckpoint,
    *,
    done_on: date,
    note: str | None,
) -> SuggestionCheckpoint:
    """A checkpoint held (督办座谈、实地察看...), with what was found."""
    require_manage(caller)
    _require_key(suggestion)
    if checkpoint.done_on is not None:
        raise Conflict("该督办节点已记录完成", code="checkpoint_done")
    if done_on > local_today():
        raise InvalidInput("完成日期不能晚于今天", code="checkpoint_in_future")
    text = _text(note, MAX_NOTE, "督办情况", "checkpoint_note", required=True)
    checkpoint.done_on, checkpoint.note = done_on, text
    checkpoint.recorded_by = str(session.info.get("actor", "system"))
    label = CHECKPOINT_STAGES[checkpoint.stage]
    record_step(session, suggestion, "checkpoint", f"{checkpoint.year}年{label}({done_on:%m月%d日}):{text}")
    await session.flush()
    return checkpoint


async def checkpoints_of(session: AsyncSession, suggestion: Suggestion) -> list[SuggestionCheckpoint]:
    query = select(SuggestionCheckpoint).where(SuggestionCheckpoint.suggestion_id == suggestion.id)
    order = list(CHECKPOINT_STAGES)
    return sorted((await session.execute(query)).scalars(), key=lambda c: (c.year, order.index(c.stage)))


# --- the status board --------------------------------------------------------------------------------
@dataclass(frozen=True)
class BoardFilter:
    year: int | None = None
    status: str | None = None
    key: bool | None = None
    follow_up: bool = False  # only those still followed up (回头看)
    overdue: bool = False

    def check(self) -> None:
        if self.status is not None and self.status not in BOARD_STATUSES:
            raise InvalidInput("办理状态无效", code="invalid_status")


def board_query(caller: LoopCaller, chosen: BoardFilter, today: date):
    query = (
        select(
            Suggestion.id,
            Suggestion.year,
            Suggestion.seq,
            Suggestion.kind,
            Suggestion.title,
            Suggestion.category,
            Suggestion.status,
            Suggestion.round,
            Suggestion.deadline,
            Suggestion.reply_class,
            Suggestion.rating,
            Suggestion.is_key,
            Suggestion.key_leader,
            Suggestion.follow_up,
            Suggestion.carried_to_year,
            Person.name.label("lead_name"),
            HandlingUnit.name.label("unit_name"),
        )
        .join(Person, Person.id == Suggestion.lead_person_id)
        .outerjoin(HandlingUnit, HandlingUnit.id == Suggestion.lead_unit_id)
        .where(Suggestion.status.in_(BOARD_STATUSES), visible_to(caller))
        .order_by(Suggestion.year.desc(), Suggestion.seq.desc().nulls_last(), Suggestion.id)
    )
    if chosen.year is not None:
        query = query.where(Suggestion.year == chosen.year)
    if chosen.status is not None:
        query = query.where(Suggestion.status == chosen.status)
    if chosen.key is not None:
        query = query.where(Suggestion.is_key.is_(chosen.key))
    if chosen.follow_up:
        query = query.where(Suggestion.follow_up == "open")
    if chosen.overdue:
        query = query.where(and_(Suggestion.status == "assigned", Suggestion.deadline < today))
    return query


async def board(session: AsyncSession, caller: LoopCaller, chosen: BoardFilter, page: int, page_size: int) -> Page[Row]:
    chosen.check()
    return await paginate_rows(session, board_query(caller, chosen, local_today()), page, page_size)


def days_left(status: str, deadline: date | None, today: date) -> int | None:
    """Days to the deadline while the unit handles it (negative: overdue), else nothing."""
    if status != "assigned" or deadline is None:
        return None
    return (deadline - today).days
