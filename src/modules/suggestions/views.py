"""One suggestion as the API routes and the pages show it, built here only: its filing view (co-signers,
files, timeline, what was merged into it, similar earlier ones, what the caller may do now), its handling
(units of every round, meetings, requests, the reply), its rating, key supervision and follow-ups, and the
evaluation card of the pages. Every view of one suggestion starts with the same head (`head`)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any, TypeVar

import msgspec
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from renda.core.timezone import local_today
from renda.modules.deputies.models import Person
from renda.modules.suggestions.acting import my_unit_row
from renda.modules.suggestions.common import CATEGORIES, NUMBERED, LoopCaller, is_overdue, load_settings, number_label
from renda.modules.suggestions.filing import EDITABLE, RESPONDABLE, WITHDRAWABLE, may_edit
from renda.modules.suggestions.models import (
    CHECKPOINT_STAGES,
    COSIGNER_STATUSES,
    FOLLOW_UP_STATUSES,
    KINDS,
    MEETING_FORMS,
    MEETING_STAGES,
    RATINGS,
    REPLY_CLASSES,
    REQUEST_KINDS,
    REQUEST_STATUSES,
    RETURN_REASONS,
    STATUSES,
    STEP_KINDS,
    UNIT_ROLES,
    Suggestion,
    SuggestionAttachment,
    SuggestionCheckpoint,
    SuggestionCosigner,
    SuggestionFollowUp,
    SuggestionMeeting,
    SuggestionRequest,
    SuggestionStep,
    SuggestionUnit,
)
from renda.modules.suggestions.schemas import (
    AttachmentOut,
    CheckpointOut,
    CosignerOut,
    FollowUpOut,
    HandlingOut,
    HandlingUnitOut,
    ItemDetail,
    ItemOut,
    KeyOut,
    MeetingOut,
    MergedOut,
    RatingOut,
    RequestOut,
    SimilarOut,
    StepOut,
)
from renda.modules.suggestions.service import similar_suggestions
from renda.modules.suggestions.supervision import checkpoints_of
from renda.modules.units import service as units


def head(s: Suggestion) -> dict[str, Any]:
    """The computed fields of `SuggestionHead`, the start of every view of one suggestion."""
    return {"number": number_label(s), "status_label": STATUSES[s.status]}


View = TypeVar("View", bound=msgspec.Struct)


def view(kind: type[View], source: Any, **computed: Any) -> View:
    """`kind` with the fields computed here as given and every other field copied from the attribute of
    that name of `source` (a row, or a suggestion's column as it is stored)."""
    fields = kind.__struct_fields__
    if unknown := computed.keys() - set(fields):
        raise TypeError(f"{kind.__name__} has no {sorted(unknown)}")
    return kind(**{name: computed[name] if name in computed else getattr(source, name) for name in fields})


async def _person_names(session: AsyncSession, ids: set[uuid.UUID]) -> dict[uuid.UUID, str]:
    if not ids:
        return {}
    return dict((await session.execute(select(Person.id, Person.name).where(Person.id.in_(ids)))).all())


Owned = TypeVar(
    "Owned",
    SuggestionCosigner,
    SuggestionAttachment,
    SuggestionStep,
    SuggestionUnit,
    SuggestionMeeting,
    SuggestionRequest,
)


async def _rows_of(
    session: AsyncSession, table: type[Owned], s: Suggestion, *order: Any, where: Any = None
) -> list[Owned]:
    """The suggestion's rows of `table` (its co-signers, files, steps, units, …) in `order`."""
    query = select(table).where(table.suggestion_id == s.id)
    if where is not None:
        query = query.where(where)
    return list((await session.execute(query.order_by(*order))).scalars())


async def _steps(session: AsyncSession, s: Suggestion, kinds: Sequence[str] | None = None) -> list[SuggestionStep]:
    """The suggestion's timeline (only the steps of `kinds`, when given), oldest first."""
    kind = SuggestionStep.kind.in_(kinds) if kinds is not None else None
    return await _rows_of(session, SuggestionStep, s, SuggestionStep.created_at, SuggestionStep.id, where=kind)


# --- filing and intake (提、审查) -------------------------------------------------------------------
def item_out(s: Suggestion, lead_name: str) -> ItemOut:
    return view(
        ItemOut,
        s,
        **head(s),
        kind_label=KINDS[s.kind],
        category_label=CATEGORIES.get(s.category, s.category),
        lead_name=lead_name,
        return_reason_label=RETURN_REASONS.get(s.return_reason) if s.return_reason else None,
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
    cosigners = await _rows_of(session, SuggestionCosigner, s, SuggestionCosigner.requested_at, SuggestionCosigner.id)
    merged = (
        await session.execute(
            select(*NUMBERED, Suggestion.lead_person_id)
            .where(Suggestion.merged_into_id == s.id)
            .order_by(Suggestion.seq)
        )
    ).all()
    names = await _person_names(
        session, {s.lead_person_id, *(c.person_id for c in cosigners), *(m.lead_person_id for m in merged)}
    )
    files = await _rows_of(session, SuggestionAttachment, s, SuggestionAttachment.created_at, SuggestionAttachment.id)
    steps = await _steps(session, s)
    mine = next((c.status for c in cosigners if c.person_id in caller.person_ids), None)
    return ItemDetail(
        item=item_out(s, names.get(s.lead_person_id, "")),
        cosigners=[
            view(CosignerOut, c, name=names.get(c.person_id, ""), status_label=COSIGNER_STATUSES[c.status])
            for c in cosigners
        ],
        confirmed_cosigners=sum(c.status == "confirmed" for c in cosigners),
        motion_min_cosigners=(await load_settings(session)).motion_min_cosigners,
        attachments=[view(AttachmentOut, a) for a in files],
        steps=[view(StepOut, t, kind_label=STEP_KINDS[t.kind], at=t.created_at) for t in steps],
        merged=[view(MergedOut, m, number=number_label(m), lead_name=names.get(m.lead_person_id, "")) for m in merged],
        similar=await similar_to(session, s),
        actions=actions_of(caller, s, mine),
    )


# --- handling (交办、办理) ---------------------------------------------------------------------------
def requests_out(rows: Sequence[Any], names: dict[uuid.UUID, str]) -> list[RequestOut]:
    return [
        view(
            RequestOut,
            r,
            unit_name=names.get(r.unit_id, ""),
            kind_label=REQUEST_KINDS[r.kind],
            status_label=REQUEST_STATUSES[r.status],
        )
        for r in rows
    ]


async def handling_out(session: AsyncSession, caller: LoopCaller, suggestion: Suggestion) -> HandlingOut:
    unit_rows = await _rows_of(
        session,
        SuggestionUnit,
        suggestion,
        SuggestionUnit.round,
        SuggestionUnit.role.desc(),
        SuggestionUnit.assigned_at,
    )
    meetings = await _rows_of(
        session, SuggestionMeeting, suggestion, SuggestionMeeting.round, SuggestionMeeting.held_on
    )
    requests = await _rows_of(session, SuggestionRequest, suggestion, SuggestionRequest.requested_at)
    names = await units.unit_names(session, [r.unit_id for r in unit_rows] + [r.unit_id for r in requests])
    mine = await my_unit_row(session, caller, suggestion)
    return view(
        HandlingOut,
        suggestion,
        **head(suggestion),
        overdue=is_overdue(suggestion, local_today()),
        reply_class_label=REPLY_CLASSES.get(suggestion.reply_class or ""),
        units=[
            view(HandlingUnitOut, r, unit_name=names.get(r.unit_id, ""), role_label=UNIT_ROLES[r.role])
            for r in unit_rows
        ],
        meetings=[
            view(MeetingOut, m, stage_label=MEETING_STAGES[m.stage], form_label=MEETING_FORMS[m.form]) for m in meetings
        ],
        requests=requests_out(requests, names),
        my_role=mine.role if mine is not None else None,
    )


# --- evaluation, supervision, follow-up (评、督、回头看) -----------------------------------------------
def rating_out(suggestion: Suggestion) -> RatingOut:
    return view(RatingOut, suggestion, **head(suggestion), rating_label=RATINGS.get(suggestion.rating or ""))


def follow_up_out(entry: SuggestionFollowUp, suggestion: Suggestion) -> FollowUpOut:
    """An entry of 回头看, with the suggestion's follow-up state after it."""
    return view(
        FollowUpOut,
        entry,
        follow_up=suggestion.follow_up,
        follow_up_label=FOLLOW_UP_STATUSES[suggestion.follow_up],
    )


def checkpoint_out(checkpoint: SuggestionCheckpoint) -> CheckpointOut:
    return view(CheckpointOut, checkpoint, stage_label=CHECKPOINT_STAGES[checkpoint.stage])


async def key_out(session: AsyncSession, suggestion: Suggestion) -> KeyOut:
    checkpoints = await checkpoints_of(session, suggestion)
    return view(KeyOut, suggestion, checkpoints=[checkpoint_out(c) for c in checkpoints])


async def evaluation_view(session: AsyncSession, suggestion: Suggestion) -> dict[str, Any]:
    """What `suggestions/_evaluation.html` shows of one suggestion (as `ev`, for any page that includes
    it; the rating and supervision pages also read the keys directly): the rating of this round, and the
    earlier rounds' replies and ratings from the timeline."""
    shown = {
        "s": suggestion,
        **head(suggestion),
        "reply_classes": REPLY_CLASSES,
        "ratings": RATINGS,
        "follow_up_label": FOLLOW_UP_STATUSES[suggestion.follow_up],
        "rounds": await _steps(session, suggestion, ("rated", "second_round")),
    }
    return {**shown, "ev": shown}
