"""Taking opinions in (受理, from a reception, a contact, the portal or staff) and spotting the likely
duplicates among them (分析: similarity, merging a duplicate).
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from itertools import pairwise
from typing import Any

from sqlalchemy import Select, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from renda.core.crypto import encrypt, mask_phone
from renda.core.db import utcnow
from renda.core.errors import InvalidInput, NotFound
from renda.modules.deputies import service as deputies
from renda.modules.opinions.common import (
    CATEGORIES,
    MAX_CONTENT,
    Viewer,
    add_step,
    check_category,
    check_open,
    clean_content,
    clean_name,
    clean_note,
    clean_phone,
    format_ticket,
    get_opinion,
    new_ticket,
    phone_key,
    require_manage,
)
from renda.modules.opinions.models import SOURCES, Opinion
from renda.modules.organisation import service as organisation
from renda.modules.suggestions import service as suggestions
from renda.tenants.scoping import TenantRef


async def _check_deputy(session: AsyncSession, person_id: uuid.UUID | None) -> None:
    if person_id is None:
        return
    try:
        await deputies.get_person(session, person_id)
    except NotFound:
        raise InvalidInput("所选代表不在本机关的代表名册中", code="unknown_deputy") from None


async def _check_station(session: AsyncSession, station_id: uuid.UUID | None) -> None:
    if station_id is None:
        return
    try:
        await organisation.get_station(session, station_id)
    except NotFound:
        raise InvalidInput("所选家站室不是本机关的家站室", code="unknown_station") from None


async def intake(
    session: AsyncSession,
    tenant: TenantRef,
    *,
    source: str,
    content: str,
    category: str | None = None,
    submitter_name: str | None = None,
    submitter_phone: str | None = None,
    deputy_person_id: uuid.UUID | None = None,
    station_id: uuid.UUID | None = None,
    source_id: uuid.UUID | None = None,
) -> Opinion:
    """Take in one opinion (from a reception, a contact, the portal or staff) in the caller's
    transaction; it gets its ticket and its first step."""
    if source not in SOURCES:
        raise InvalidInput("意见来源无效", code="invalid_source", details={"allowed": list(SOURCES)})
    text = clean_content(content)
    name = clean_name(submitter_name)
    phone = clean_phone(submitter_phone)
    category = check_category(category)
    await _check_deputy(session, deputy_person_id)
    await _check_station(session, station_id)
    opinion = Opinion(
        id=uuid.uuid4(),
        source=source,
        source_id=source_id,
        content=text,
        category=category,
        submitter_name=name,
        submitter_phone_encrypted=encrypt(phone) if phone else None,
        submitter_phone_hash=phone_key(phone) if phone else None,
        submitter_phone_masked=mask_phone(phone) if phone else None,
        deputy_person_id=deputy_person_id,
        station_id=station_id,
        status="received",
    )
    await _insert_with_ticket(session, opinion)
    add_step(
        session,
        opinion,
        "intake",
        note=f"来源:{SOURCES[source]}" + (f";类别:{CATEGORIES[category]}" if category else ""),
        public_note=f"已受理({SOURCES[source]})",
    )
    await session.flush()
    return opinion


async def _insert_with_ticket(session: AsyncSession, opinion: Opinion) -> None:
    """Insert with a fresh ticket; a taken one (about one in 10^17 per pair) draws another. Two
    concurrent draws of the same ticket would still meet the unique constraint."""
    for _ in range(5):
        ticket = new_ticket()
        if await session.scalar(select(Opinion.id).where(Opinion.ticket == ticket)) is None:
            opinion.ticket = ticket
            session.add(opinion)
            await session.flush()
            return
    raise RuntimeError("could not draw a free ticket")  # pragma: no cover - five collisions in a row


def opinions_for_source(source: str, source_id: uuid.UUID) -> Select[tuple[Opinion]]:
    """The opinions a reception or contact record raised (for that module's detail page)."""
    return select(Opinion).where(Opinion.source == source, Opinion.source_id == source_id).order_by(Opinion.created_at)


async def opinions_from(session: AsyncSession, source: str, source_id: uuid.UUID) -> list[Opinion]:
    return list((await session.execute(opinions_for_source(source, source_id))).scalars())


SIMILAR_WINDOW = timedelta(days=90)
SIMILAR_SCAN = 1000  # most recent opinions compared, at most
SIMILAR_THRESHOLD = 0.3
SIMILAR_SHOWN = 5


def _pairs(value: str) -> set[str]:
    """Adjacent character pairs of the letters and digits: Chinese has no spaces between words, and
    two texts about the same thing share most of their two-character words (道路, 积水, 修补)."""
    chars = [ch.lower() for ch in value if ch.isalnum()]
    return {a + b for a, b in pairwise(chars)}


def similarity(a: str, b: str) -> float:
    """Dice coefficient of the character pairs: 1 for the same text, 0 for nothing in common."""
    first, second = _pairs(a), _pairs(b)
    if not first or not second:
        return 0.0
    return 2 * len(first & second) / (len(first) + len(second))


async def similar_opinions(
    session: AsyncSession, opinion: Opinion, *, limit: int = SIMILAR_SHOWN
) -> list[tuple[Opinion, float]]:
    """Likely duplicates: opinions of the 90 days around this one whose text is alike. Compared in
    Python over at most the 1000 nearest, so it works on every PostgreSQL (no pg_trgm needed, whose
    trigrams of Chinese depend on the database's locale)."""
    query = (
        select(Opinion)
        .where(
            Opinion.id != opinion.id,
            Opinion.status != "duplicate",
            Opinion.created_at.between(opinion.created_at - SIMILAR_WINDOW, opinion.created_at + SIMILAR_WINDOW),
        )
        .order_by(Opinion.created_at.desc())
        .limit(SIMILAR_SCAN)
    )
    scored = [(other, similarity(opinion.content, other.content)) for other in (await session.execute(query)).scalars()]
    found = sorted((pair for pair in scored if pair[1] >= SIMILAR_THRESHOLD), key=lambda pair: -pair[1])
    return found[:limit]


async def mark_duplicate(
    session: AsyncSession, viewer: Viewer, opinion: Opinion, *, duplicate_of_id: uuid.UUID, note: str | None = None
) -> Opinion:
    """Close `opinion` as a duplicate of another, linked to it (to the first of a chain of duplicates):
    the other one's handling answers both."""
    require_manage(viewer)
    check_open(opinion)
    note = clean_note(note)
    if duplicate_of_id == opinion.id:
        raise InvalidInput("不能将意见标记为与其自身重复", code="duplicate_of_itself")
    try:
        target = await get_opinion(session, viewer, duplicate_of_id)
    except NotFound:
        raise InvalidInput("所选的重复意见不存在", code="unknown_duplicate") from None
    while target.status == "duplicate" and target.duplicate_of_id is not None:
        target = await get_opinion(session, viewer, target.duplicate_of_id)
    if target.id == opinion.id:
        raise InvalidInput("不能将意见标记为与其自身重复", code="duplicate_of_itself")
    now = utcnow()
    opinion.status, opinion.duplicate_of_id, opinion.closed_at = "duplicate", target.id, now
    # Duplicates of this one now belong to the one that is handled.
    await session.execute(
        update(Opinion).where(Opinion.duplicate_of_id == opinion.id).values(duplicate_of_id=target.id)
    )
    add_step(
        session,
        opinion,
        "duplicate",
        note=f"与意见 {format_ticket(target.ticket)} 反映的问题相同,合并办理" + (f";{note}" if note else ""),
        public_note="与其他群众反映的同一问题合并办理,办理情况见下方",
    )
    add_step(session, target, "duplicate", note=f"合并了重复意见 {format_ticket(opinion.ticket)}")
    await session.flush()
    return opinion


# Sources only their own path sets: the public portal, and intake review of a suggestion.
NOT_BY_STAFF = {
    "portal": "网上提交的意见由群众在公开页面提交",
    "suggestion": "代表建议转来的意见由审查代表建议时转入",
}


async def staff_intake(session: AsyncSession, viewer: Viewer, tenant: TenantRef, **fields: Any) -> Opinion:
    require_manage(viewer)
    if fields.get("source") in NOT_BY_STAFF:
        raise InvalidInput(NOT_BY_STAFF[fields["source"]], code="invalid_source")
    return await intake(session, tenant, **fields)


async def from_suggestion(session: AsyncSession, tenant: TenantRef, source: suggestions.ConversionSource) -> uuid.UUID:
    """A suggestion that intake review turned into a people's opinion (转为群众意见): its text and its
    deputy, with the source 代表建议转来 and the suggestion's id as its source record. A text longer than
    an opinion holds is cut, with a pointer to the suggestion for the rest."""
    text = f"{source.title}:{source.content}"
    if len(text) > MAX_CONTENT:
        text = text[: MAX_CONTENT - 20].rstrip() + "…(全文见原代表建议)"
    opinion = await intake(
        session,
        tenant,
        source="suggestion",
        content=text,
        category=source.category if source.category in CATEGORIES else None,
        deputy_person_id=source.deputy_person_id,
        source_id=source.suggestion_id,
    )
    return opinion.id
