"""One suggestion as the API and the pages show it (its co-signers, files, timeline, what was merged
into it, similar earlier ones, and what the caller may do now); a deputy's own lists; the intake queue."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from renda.core.pagination import Page, paginate_rows
from renda.modules.deputies.models import Mandate, Person
from renda.modules.suggestions.common import CATEGORIES, LoopCaller, load_settings, number_label, visible_to
from renda.modules.suggestions.filing import EDITABLE, RESPONDABLE, WITHDRAWABLE, may_edit
from renda.modules.suggestions.intake import MERGE_TARGETS
from renda.modules.suggestions.models import (
    COSIGNER_STATUSES,
    KINDS,
    RETURN_REASONS,
    STATUSES,
    STEP_KINDS,
    Suggestion,
    SuggestionAttachment,
    SuggestionCosigner,
    SuggestionDraft,
    SuggestionStep,
)
from renda.modules.suggestions.schemas import (
    AttachmentOut,
    CosignerOut,
    IntakeRow,
    ItemDetail,
    ItemOut,
    MergedOut,
    MineOut,
    MineRow,
    SimilarOut,
    StepOut,
)
from renda.modules.suggestions.service import similar_suggestions


async def _names(session: AsyncSession, ids: set[uuid.UUID]) -> dict[uuid.UUID, str]:
    if not ids:
        return {}
    return dict((await session.execute(select(Person.id, Person.name).where(Person.id.in_(ids)))).all())


def item_out(s: Suggestion, lead_name: str) -> ItemOut:
    return ItemOut(
        id=s.id,
        number=number_label(s),
        year=s.year,
        seq=s.seq,
        kind=s.kind,
        kind_label=KINDS[s.kind],
        status=s.status,
        status_label=STATUSES[s.status],
        category=s.category,
        category_label=CATEGORIES.get(s.category, s.category),
        title=s.title,
        content=s.content,
        during_session=s.during_session,
        broad=s.broad,
        source=s.source,
        term_id=s.term_id,
        lead_person_id=s.lead_person_id,
        lead_name=lead_name,
        draft_id=s.draft_id,
        filed_at=s.filed_at,
        accepted_at=s.accepted_at,
        return_reason=s.return_reason,
        return_reason_label=RETURN_REASONS.get(s.return_reason) if s.return_reason else None,
        return_note=s.return_note,
        merged_into_id=s.merged_into_id,
        opinion_id=s.opinion_id,
        created_at=s.created_at,
        updated_at=s.updated_at,
    )


def actions_of(caller: LoopCaller, s: Suggestion, my_cosign: str | None) -> list[str]:
    """What the caller may do with the suggestion now (the pages show these buttons)."""
    found: list[str] = []
    if may_edit(caller, s):
        if s.status in EDITABLE:
            found += ["edit", "invite", "attachments", "submit"]
        if s.status in WITHDRAWABLE:
            found.append("withdraw")
    if my_cosign is not None and s.status in RESPONDABLE:
        if my_cosign != "confirmed":
            found.append("confirm")
        if my_cosign != "declined" and not (s.kind == "motion" and s.status == "submitted"):
            found.append("decline")
    if caller.manage and s.status == "submitted":
        found += ["accept", "merge", "return", "convert"]
    return found


# When a suggestion is being filed and reviewed, the earlier ones like it are shown (反复提的建议).
SIMILAR_WHEN = ("draft", "returned", "submitted")


async def similar_to(session: AsyncSession, suggestion: Suggestion) -> list[SimilarOut]:
    """Similar earlier suggestions of this office (and of those above and below that share) with their
    scores, while the suggestion is filed and reviewed."""
    if suggestion.status not in SIMILAR_WHEN:
        return []
    return await similar_suggestions(
        session, title=suggestion.title, content=suggestion.content, exclude_id=suggestion.id
    )


async def item_detail(session: AsyncSession, caller: LoopCaller, s: Suggestion) -> ItemDetail:
    cosigners = list(
        (
            await session.execute(
                select(SuggestionCosigner)
                .where(SuggestionCosigner.suggestion_id == s.id)
                .order_by(SuggestionCosigner.requested_at, SuggestionCosigner.id)
            )
        ).scalars()
    )
    merged = (
        await session.execute(
            select(
                Suggestion.id,
                Suggestion.year,
                Suggestion.seq,
                Suggestion.kind,
                Suggestion.title,
                Suggestion.lead_person_id,
            )
            .where(Suggestion.merged_into_id == s.id)
            .order_by(Suggestion.seq)
        )
    ).all()
    names = await _names(
        session, {s.lead_person_id, *(c.person_id for c in cosigners), *(m.lead_person_id for m in merged)}
    )
    files = (
        await session.execute(
            select(SuggestionAttachment)
            .where(SuggestionAttachment.suggestion_id == s.id)
            .order_by(SuggestionAttachment.created_at, SuggestionAttachment.id)
        )
    ).scalars()
    steps = (
        await session.execute(
            select(SuggestionStep)
            .where(SuggestionStep.suggestion_id == s.id)
            .order_by(SuggestionStep.created_at, SuggestionStep.id)
        )
    ).scalars()
    mine = next((c.status for c in cosigners if c.person_id in caller.person_ids), None)
    return ItemDetail(
        item=item_out(s, names.get(s.lead_person_id, "")),
        cosigners=[
            CosignerOut(
                c.person_id,
                names.get(c.person_id, ""),
                c.status,
                COSIGNER_STATUSES[c.status],
                c.requested_at,
                c.responded_at,
            )
            for c in cosigners
        ],
        confirmed_cosigners=sum(c.status == "confirmed" for c in cosigners),
        motion_min_cosigners=(await load_settings(session)).motion_min_cosigners,
        attachments=[
            AttachmentOut(a.id, a.filename, a.content_type, a.size, a.uploaded_by, a.created_at) for a in files
        ],
        steps=[StepOut(t.kind, STEP_KINDS[t.kind], t.round, t.actor, t.note, t.created_at) for t in steps],
        merged=[
            MergedOut(m.id, _label(m.kind, m.year, m.seq), m.title, names.get(m.lead_person_id, "")) for m in merged
        ],
        similar=await similar_to(session, s),
        actions=actions_of(caller, s, mine),
    )


def _label(kind: str, year: int, seq: int | None) -> str:
    """`number_label` of a row read as columns."""
    if seq is None:
        return "(未编号)"
    return f"{'议' if kind == 'motion' else ''}{year}-{seq:04d}"


async def mine(session: AsyncSession, caller: LoopCaller, limit: int = 200) -> MineOut:
    """The caller's own suggestions as a deputy, newest first."""
    if not caller.person_ids:
        return MineOut([], [])
    columns = (
        Suggestion.id,
        Suggestion.year,
        Suggestion.seq,
        Suggestion.kind,
        Suggestion.title,
        Suggestion.status,
        Suggestion.created_at,
        Suggestion.filed_at,
    )
    led = (
        await session.execute(
            select(*columns)
            .where(Suggestion.lead_person_id.in_(caller.person_ids))
            .order_by(Suggestion.created_at.desc())
            .limit(limit)
        )
    ).all()
    cosigning = (
        await session.execute(
            select(*columns, SuggestionCosigner.status.label("cosign_status"))
            .join(SuggestionCosigner, SuggestionCosigner.suggestion_id == Suggestion.id)
            .where(SuggestionCosigner.person_id.in_(caller.person_ids))
            .order_by(SuggestionCosigner.requested_at.desc())
            .limit(limit)
        )
    ).all()

    def row(r, role: str, cosign: str | None) -> MineRow:  # type: ignore[no-untyped-def]
        return MineRow(
            r.id,
            _label(r.kind, r.year, r.seq),
            r.title,
            KINDS[r.kind],
            r.status,
            STATUSES[r.status],
            role,
            cosign,
            r.created_at,
            r.filed_at,
        )

    return MineOut([row(r, "lead", None) for r in led], [row(r, "cosigner", r.cosign_status) for r in cosigning])


async def drafts_to_file(session: AsyncSession, caller: LoopCaller, limit: int = 50) -> list[Choice]:
    """Drafts raised for the deputy (from an opinion, a contact, a reception) not yet filed."""
    if not caller.person_ids:
        return []
    filed = exists().where(Suggestion.draft_id == SuggestionDraft.id, Suggestion.status != "withdrawn")
    query = (
        select(SuggestionDraft.id, SuggestionDraft.title)
        .where(SuggestionDraft.deputy_person_id.in_(caller.person_ids), SuggestionDraft.status == "draft", ~filed)
        .order_by(SuggestionDraft.created_at.desc())
        .limit(limit)
    )
    return [Choice(r.id, r.title) for r in (await session.execute(query)).all()]


async def intake_queue(session: AsyncSession, caller: LoopCaller, page: int, page_size: int) -> Page[IntakeRow]:
    """待审查: filed suggestions awaiting intake review, the earliest first."""
    query = (
        select(
            Suggestion.id,
            Suggestion.year,
            Suggestion.seq,
            Suggestion.kind,
            Suggestion.title,
            Suggestion.category,
            Suggestion.filed_at,
            Person.name.label("lead_name"),
        )
        .join(Person, Person.id == Suggestion.lead_person_id)
        .where(Suggestion.status == "submitted", visible_to(caller))
        .order_by(Suggestion.filed_at, Suggestion.id)
    )
    found = await paginate_rows(session, query, page, page_size)
    rows = [
        IntakeRow(
            r.id,
            _label(r.kind, r.year, r.seq),
            r.title,
            KINDS[r.kind],
            CATEGORIES.get(r.category, r.category),
            r.lead_name,
            r.filed_at,
        )
        for r in found.items
    ]
    return Page(rows, found.total, found.page, found.page_size)


@dataclass(frozen=True)
class Choice:
    id: uuid.UUID
    label: str


async def deputy_choices(session: AsyncSession, exclude: uuid.UUID | None = None) -> list[Choice]:
    """The deputies with a live mandate in this office's register, by name: leads and co-signers."""
    query = (
        select(Person.id, Person.name)
        .where(exists().where(Mandate.person_id == Person.id, Mandate.status == "active"))
        .order_by(Person.name_pinyin, Person.name, Person.id)
        .limit(2000)
    )
    return [Choice(r.id, r.name) for r in (await session.execute(query)).all() if r.id != exclude]


async def merge_targets(session: AsyncSession, caller: LoopCaller, suggestion: Suggestion) -> list[Choice]:
    """The open suggestions one may be merged into, the newest first."""
    query = (
        select(Suggestion.id, Suggestion.kind, Suggestion.year, Suggestion.seq, Suggestion.title)
        .where(Suggestion.status.in_(MERGE_TARGETS), Suggestion.id != suggestion.id, visible_to(caller))
        .order_by(Suggestion.filed_at.desc().nulls_last(), Suggestion.id)
        .limit(500)
    )
    return [Choice(r.id, f"{_label(r.kind, r.year, r.seq)} {r.title}") for r in (await session.execute(query)).all()]
