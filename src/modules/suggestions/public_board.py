"""The public board (建议办理公开) on the office's portal: only when the office turns it on, only the
fields it chooses, only suggestions accepted onwards, never their text, attachments, co-signers or
anyone's personal data. Staff hide one suggestion entirely (`public_hidden`) or show another title in
place of its own (`public_title`).
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import Row, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from renda.core.errors import InvalidInput, NotFound
from renda.modules.deputies.models import Person
from renda.modules.suggestions.common import CATEGORIES, LoopCaller, load_settings, require_manage
from renda.modules.suggestions.models import (
    KINDS,
    RATINGS,
    REPLY_CLASSES,
    STATUSES,
    Suggestion,
    SuggestionSettings,
    SuggestionUnit,
)
from renda.modules.units.service import HandlingUnit

# What an office may publish, in the order the board shows it.
PUBLIC_FIELDS = {
    "number": "编号",
    "year": "年度",
    "kind": "类型",
    "title": "标题",
    "category": "类别",
    "lead_deputy": "领衔代表",
    "units": "承办单位",
    "status": "办理状态",
    "deadline": "办理期限",
    "reply_class": "答复类别",
    "rating": "代表评价",
    "is_key": "重点建议",
}
PUBLIC_STATUSES = ("accepted", "assigned", "replied", "closed")
PAGE_SIZE = 20
MAX_PUBLIC_TITLE = 200
BOARD_NOT_FOUND = "该机关未公开建议办理情况,或该建议不公开"


def check_fields(fields: list[str]) -> list[str]:
    unknown = [f for f in fields if f not in PUBLIC_FIELDS]
    if unknown:
        raise InvalidInput(f"不能公开的字段:{'、'.join(unknown)}", code="invalid_public_field")
    if "number" not in fields and "title" not in fields:
        raise InvalidInput("公开字段至少要包含编号或标题", code="public_fields_unnamed")
    return [f for f in PUBLIC_FIELDS if f in fields]  # in the board's order, once each


async def set_board(
    session: AsyncSession, caller: LoopCaller, *, enabled: bool, fields: list[str]
) -> SuggestionSettings:
    require_manage(caller)
    chosen = check_fields(fields)
    settings = await load_settings(session)
    settings.public_board, settings.public_fields = enabled, chosen
    await session.flush()
    return settings


async def set_redaction(
    session: AsyncSession, caller: LoopCaller, suggestion: Suggestion, *, hidden: bool, title: str | None
) -> Suggestion:
    """Hide a suggestion from the public board, or show `title` in place of its own (none: its own)."""
    require_manage(caller)
    text = (title or "").strip() or None
    if text is not None and len(text) > MAX_PUBLIC_TITLE:
        raise InvalidInput(f"公开标题不能超过 {MAX_PUBLIC_TITLE} 个字", code="public_title_too_long")
    # The audit log records who changed it; the timeline is the handling's, not the publishing's.
    suggestion.public_hidden, suggestion.public_title = hidden, text
    await session.flush()
    return suggestion


@dataclass(frozen=True)
class PublicItem:
    id: uuid.UUID
    fields: dict[str, str]  # label → value, the office's chosen fields only


def _visible():
    return (Suggestion.status.in_(PUBLIC_STATUSES)) & Suggestion.public_hidden.is_(False)


def _query():
    return (
        select(
            Suggestion.id,
            Suggestion.year,
            Suggestion.seq,
            Suggestion.kind,
            func.coalesce(Suggestion.public_title, Suggestion.title).label("title"),
            Suggestion.category,
            Suggestion.status,
            Suggestion.round,
            Suggestion.deadline,
            Suggestion.reply_class,
            Suggestion.rating,
            Suggestion.is_key,
            Person.name.label("lead_name"),
        )
        .join(Person, Person.id == Suggestion.lead_person_id)
        .where(_visible())
    )


async def _units(session: AsyncSession, rows: list[Row]) -> dict[uuid.UUID, list[str]]:
    """The units of each suggestion's current round, lead first."""
    if not rows:
        return {}
    rounds = {r.id: r.round for r in rows}
    query = (
        select(SuggestionUnit.suggestion_id, SuggestionUnit.round, HandlingUnit.name)
        .join(HandlingUnit, HandlingUnit.id == SuggestionUnit.unit_id)
        .where(SuggestionUnit.suggestion_id.in_(rounds), SuggestionUnit.withdrawn_at.is_(None))
        .order_by(SuggestionUnit.role.desc(), SuggestionUnit.assigned_at)
    )
    found: dict[uuid.UUID, list[str]] = defaultdict(list)
    for suggestion_id, round_, name in (await session.execute(query)).all():
        if rounds[suggestion_id] == round_:
            found[suggestion_id].append(name)
    return found


def _value(field: str, row: Row, units: list[str]) -> str:
    match field:
        case "number":
            return f"{'议' if row.kind == 'motion' else ''}{row.year}-{row.seq:04d}" if row.seq else ""
        case "year":
            return f"{row.year}年"
        case "kind":
            return KINDS.get(row.kind, "")
        case "title":
            return row.title
        case "category":
            return CATEGORIES.get(row.category, "")
        case "lead_deputy":
            return row.lead_name
        case "units":
            return "、".join(units)
        case "status":
            return STATUSES[row.status]
        case "deadline":
            return f"{row.deadline:%Y年%m月%d日}" if row.deadline and row.status == "assigned" else ""
        case "reply_class":
            return REPLY_CLASSES[row.reply_class] if row.reply_class else ""
        case "rating":
            return RATINGS[row.rating] if row.rating else ""
        case "is_key":
            return "是" if row.is_key else ""
    return ""


def _item(row: Row, fields: list[str], units: list[str]) -> PublicItem:
    return PublicItem(row.id, {PUBLIC_FIELDS[f]: _value(f, row, units) for f in fields})


async def board_enabled(session: AsyncSession) -> bool:
    settings = await session.get(SuggestionSettings, 1)
    return settings is not None and settings.public_board


async def _settings_on(session: AsyncSession) -> SuggestionSettings:
    settings = await session.get(SuggestionSettings, 1)
    if settings is None or not settings.public_board:
        raise NotFound(BOARD_NOT_FOUND, code="public_board_not_found")
    return settings


async def public_page(session: AsyncSession, page: int, year: int | None = None) -> tuple[list[PublicItem], int]:
    """One page of the board (newest first) and how many there are; 404 when the office has none."""
    settings = await _settings_on(session)
    query = _query()
    if year is not None:
        query = query.where(Suggestion.year == year)
    total = await session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = list(
        (
            await session.execute(
                query.order_by(Suggestion.year.desc(), Suggestion.seq.desc())
                .limit(PAGE_SIZE)
                .offset((page - 1) * PAGE_SIZE)
            )
        ).all()
    )
    units = await _units(session, rows)
    return [_item(r, settings.public_fields, units.get(r.id, [])) for r in rows], total


async def public_item(session: AsyncSession, suggestion_id: uuid.UUID) -> PublicItem:
    """One suggestion as the board shows it: a hidden one is not found, as is one not yet accepted."""
    settings = await _settings_on(session)
    row = (await session.execute(_query().where(Suggestion.id == suggestion_id))).first()
    if row is None:
        raise NotFound(BOARD_NOT_FOUND, code="public_board_not_found")
    return _item(row, settings.public_fields, (await _units(session, [row])).get(row.id, []))
