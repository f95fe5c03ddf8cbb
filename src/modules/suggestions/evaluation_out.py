"""Responses of the evaluation, follow-up and supervision routes (shared by their pages)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncSession

from renda.core.timezone import local_today
from renda.modules.suggestions.common import CATEGORIES, number_label
from renda.modules.suggestions.models import (
    CHECKPOINT_STAGES,
    FOLLOW_UP_STATUSES,
    RATINGS,
    STATUSES,
    Suggestion,
    SuggestionCheckpoint,
    SuggestionFollowUp,
)
from renda.modules.suggestions.schemas import BoardRow, CheckpointOut, FollowUpOut, KeyOut, RatingOut
from renda.modules.suggestions.supervision import checkpoints_of, days_left


def rating_out(suggestion: Suggestion) -> RatingOut:
    return RatingOut(
        suggestion.id,
        number_label(suggestion),
        suggestion.status,
        STATUSES[suggestion.status],
        suggestion.round,
        suggestion.rating,
        RATINGS.get(suggestion.rating or ""),
        suggestion.rating_comment,
        suggestion.rated_at,
        suggestion.rating_due,
        suggestion.deadline,
    )


def follow_up_out(entry: SuggestionFollowUp, suggestion: Suggestion) -> FollowUpOut:
    return FollowUpOut(
        entry.id,
        entry.year,
        entry.checked_on,
        entry.progress,
        entry.resolved,
        entry.recorded_by,
        suggestion.follow_up,
        FOLLOW_UP_STATUSES[suggestion.follow_up],
    )


def checkpoint_out(checkpoint: SuggestionCheckpoint) -> CheckpointOut:
    return CheckpointOut(
        checkpoint.id,
        checkpoint.year,
        checkpoint.stage,
        CHECKPOINT_STAGES[checkpoint.stage],
        checkpoint.due_on,
        checkpoint.done_on,
        checkpoint.note,
    )


async def key_out(session: AsyncSession, suggestion: Suggestion) -> KeyOut:
    return KeyOut(
        suggestion.id,
        suggestion.is_key,
        suggestion.key_leader,
        suggestion.key_leader_title,
        [checkpoint_out(c) for c in await checkpoints_of(session, suggestion)],
    )


def board_rows(rows: Sequence[Row]) -> list[BoardRow]:
    today = local_today()
    return [
        BoardRow(
            r.id,
            f"{'议' if r.kind == 'motion' else ''}{r.year}-{r.seq:04d}" if r.seq else "(未编号)",
            r.year,
            r.title,
            CATEGORIES.get(r.category, r.category),
            r.status,
            STATUSES[r.status],
            r.round,
            r.lead_name,
            r.unit_name,
            r.deadline,
            days_left(r.status, r.deadline, today),
            r.reply_class,
            r.rating,
            RATINGS.get(r.rating or ""),
            r.is_key,
            r.key_leader,
            r.follow_up,
            r.carried_to_year,
        )
        for r in rows
    ]
