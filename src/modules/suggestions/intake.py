"""Intake review (审查) by staff: accept a filed suggestion, merge it into a same-topic one (each of its
deputies is still answered, see `deputies_to_answer`), return it for revision with a reason (the lead
may edit and submit it again), or turn it into a people's opinion.

The opinions module imports the suggestions, so the suggestions never import the opinions: the
opinions register their converter here (`register_opinion_converter`) when they are imported.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from renda.core.db import utcnow
from renda.core.errors import Conflict, InvalidInput
from renda.modules.deputies.models import Person
from renda.modules.notifications import service as notifications
from renda.modules.suggestions.common import (
    LoopCaller,
    get_suggestion,
    number_label,
    record_step,
    require_manage,
)
from renda.modules.suggestions.models import RETURN_REASONS, Suggestion, SuggestionCosigner
from renda.tenants.scoping import TenantRef

MAX_NOTE = 1000
# The suggestions another may be merged into: filed and not yet at an end.
MERGE_TARGETS = ("submitted", "accepted", "assigned")


def _require_submitted(suggestion: Suggestion) -> None:
    if suggestion.status != "submitted":
        raise Conflict("只有待审查的建议可以进行审查", code="suggestion_not_submitted")


def _note(value: str | None) -> str | None:
    value = (value or "").strip()
    if len(value) > MAX_NOTE:
        raise InvalidInput(f"说明不能超过 {MAX_NOTE} 个字", code="note_too_long")
    return value or None


async def accept(session: AsyncSession, caller: LoopCaller, suggestion: Suggestion) -> Suggestion:
    require_manage(caller)
    _require_submitted(suggestion)
    suggestion.status, suggestion.accepted_at = "accepted", utcnow()
    record_step(session, suggestion, "accepted", f"审查立案,编号 {number_label(suggestion)}")
    await session.flush()
    return suggestion


async def merge(
    session: AsyncSession, caller: LoopCaller, suggestion: Suggestion, target_id: uuid.UUID, note: str | None = None
) -> Suggestion:
    """并案: the suggestion is handled as part of `target`; what was merged into it goes there too, so
    the target's reply reaches every deputy of every merged suggestion."""
    require_manage(caller)
    _require_submitted(suggestion)
    if target_id == suggestion.id:
        raise InvalidInput("不能与自身并案", code="merge_into_self")
    target = await get_suggestion(session, caller, target_id, for_update=True)
    if target.status not in MERGE_TARGETS:
        raise Conflict("只能并入已提交、已立案或办理中的建议", code="merge_target_closed")
    suggestion.status, suggestion.merged_into_id = "merged", target.id
    earlier = (await session.execute(select(Suggestion).where(Suggestion.merged_into_id == suggestion.id))).scalars()
    for merged in earlier:
        merged.merged_into_id = target.id
    note = _note(note)
    record_step(
        session, suggestion, "merged", f"并入 {number_label(target)}《{target.title}》" + (f";{note}" if note else "")
    )
    record_step(session, target, "merged", f"并入了 {number_label(suggestion)}《{suggestion.title}》")
    await session.flush()
    return suggestion


async def return_for_revision(
    session: AsyncSession,
    caller: LoopCaller,
    tenant: TenantRef,
    suggestion: Suggestion,
    reason: str,
    note: str | None = None,
) -> Suggestion:
    """退回修改: the lead is told why and may edit and submit it again (it keeps its number)."""
    require_manage(caller)
    _require_submitted(suggestion)
    if reason not in RETURN_REASONS:
        raise InvalidInput("请选择退回原因", code="invalid_return_reason", details={"allowed": list(RETURN_REASONS)})
    note = _note(note)
    if reason == "other" and not note:
        raise InvalidInput("退回原因为“其他”时请写明具体原因", code="return_note_required")
    suggestion.status, suggestion.return_reason, suggestion.return_note = "returned", reason, note
    said = RETURN_REASONS[reason] + (f";{note}" if note else "")
    record_step(session, suggestion, "returned", said)
    lead = await session.get(Person, suggestion.lead_person_id)
    if lead is not None and lead.user_id is not None:
        await notifications.notify(
            session,
            kind="suggestion_returned",
            event_key=f"suggestion-returned:{suggestion.id}:{utcnow().isoformat()}",
            recipients=[lead.user_id],
            variables={"name": lead.name, "title": suggestion.title, "reason": said},
            link=f"/t/{tenant.code}/suggestions/items/{suggestion.id}",
        )
    await session.flush()
    return suggestion


# --- turning a suggestion into a people's opinion --------------------------------------------------
@dataclass(frozen=True)
class ConversionSource:
    """What the opinions module needs of a suggestion to take it in as an opinion."""

    suggestion_id: uuid.UUID
    title: str
    content: str
    category: str
    deputy_person_id: uuid.UUID


# (session, office, suggestion) → the id of the opinion it became, in the caller's transaction.
OpinionConverter = Callable[[AsyncSession, TenantRef, ConversionSource], Awaitable[uuid.UUID]]
_converters: list[OpinionConverter] = []


def register_opinion_converter(converter: OpinionConverter) -> None:
    """Called by the opinions module at import; the latest registration wins."""
    _converters[:] = [converter]


async def convert(
    session: AsyncSession, caller: LoopCaller, tenant: TenantRef, suggestion: Suggestion, note: str | None = None
) -> Suggestion:
    """转为群众意见: the text and its deputy go on as a people's opinion, handled in that loop."""
    require_manage(caller)
    _require_submitted(suggestion)
    if not _converters:
        raise RuntimeError("the opinions module has not registered its converter")
    note = _note(note)
    source = ConversionSource(
        suggestion.id, suggestion.title, suggestion.content, suggestion.category, suggestion.lead_person_id
    )
    suggestion.opinion_id = await _converters[0](session, tenant, source)
    suggestion.status = "converted"
    record_step(session, suggestion, "converted", note)
    await session.flush()
    return suggestion


# --- who is answered ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Addressee:
    """A deputy who gets the answer of a suggestion: the lead or a confirmed co-signer, of the
    suggestion itself or of one merged into it."""

    person_id: uuid.UUID
    suggestion_id: uuid.UUID  # the suggestion they filed or co-signed
    role: str  # lead | cosigner


async def deputies_to_answer(session: AsyncSession, suggestion: Suggestion) -> list[Addressee]:
    """Everyone a reply to `suggestion` must reach, each person once (the lead role first)."""
    ids, frontier = [suggestion.id], [suggestion.id]
    while frontier:  # merges are repointed to the final target; a chain is still followed
        frontier = list(
            await session.scalars(
                # In filing order, so a person leading several merged items is answered on the first filed.
                select(Suggestion.id)
                .where(Suggestion.merged_into_id.in_(frontier))
                .order_by(Suggestion.year, Suggestion.seq, Suggestion.id)
            )
        )
        frontier = [i for i in frontier if i not in ids]
        ids += frontier
    leads = (
        await session.execute(select(Suggestion.id, Suggestion.lead_person_id).where(Suggestion.id.in_(ids)))
    ).all()
    cosigners = (
        await session.execute(
            select(SuggestionCosigner.suggestion_id, SuggestionCosigner.person_id).where(
                SuggestionCosigner.suggestion_id.in_(ids), SuggestionCosigner.status == "confirmed"
            )
        )
    ).all()
    order = {sid: i for i, sid in enumerate(ids)}
    found: dict[uuid.UUID, Addressee] = {}
    for sid, person in sorted(leads, key=lambda r: order[r[0]]):
        found.setdefault(person, Addressee(person, sid, "lead"))
    for sid, person in sorted(cosigners, key=lambda r: order[r[0]]):
        found.setdefault(person, Addressee(person, sid, "cosigner"))
    return list(found.values())
