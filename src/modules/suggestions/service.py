"""What other modules use of the suggestions (代表建议、议案) and their loop 提、交、办、督、评.

The rules live in `drafts`, `common` and the loop's parts (filing, intake, assignment, handling,
evaluation, supervision, follow-up, similarity, rates); this facade names what other modules may call.
Opinions, contacts and receptions make drafts here (`create_draft`); the opinions module shares the
role sets that decide who sees everything and who takes staff decisions, and registers the converter
that turns a suggestion into a people's opinion (`register_opinion_converter`). A reply reaches every
deputy `deputies_to_answer` names (the lead and co-signers of the suggestion and of those merged into it).
The workbench reads what waits (`office_worklist`, `deputy_worklist`, `unit_worklist`).
"""

import uuid
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from renda.modules.suggestions import similar
from renda.modules.suggestions.common import CATEGORIES, LoopCaller, loop_caller_for
from renda.modules.suggestions.drafts import (
    FULL_ROLES,
    MANAGE_ROLES,
    Caller,
    Reach,
    caller_for,
    create_draft,
    drafts_from,
    drafts_out,
    get_draft,
    list_drafts,
    require_editor,
    update_draft,
    withdraw_draft,
)
from renda.modules.suggestions.duty_events import duty_events as duty_events  # the duty points' events of this module
from renda.modules.suggestions.evaluation import notify_reply_given, on_replied
from renda.modules.suggestions.intake import (
    Addressee,
    ConversionSource,
    OpinionConverter,
    deputies_to_answer,
    register_opinion_converter,
)
from renda.modules.suggestions.public_board import PAGE_SIZE as PUBLIC_PAGE_SIZE
from renda.modules.suggestions.public_board import PublicItem, board_enabled, public_item, public_page
from renda.modules.suggestions.waiting import deputy_worklist, office_worklist, unit_worklist

__all__ = [
    "CATEGORIES",
    "FULL_ROLES",
    "MANAGE_ROLES",
    "PUBLIC_PAGE_SIZE",
    "THRESHOLD",
    "Addressee",
    "Caller",
    "ConversionSource",
    "LoopCaller",
    "OpinionConverter",
    "PublicItem",
    "Reach",
    "SimilarOut",
    "board_enabled",
    "caller_for",
    "create_draft",
    "deputies_to_answer",
    "deputy_worklist",
    "drafts_from",
    "drafts_out",
    "get_draft",
    "list_drafts",
    "loop_caller_for",
    "notify_reply_given",
    "office_placed",
    "office_worklist",
    "on_replied",
    "public_item",
    "public_page",
    "register_opinion_converter",
    "require_editor",
    "similar_suggestions",
    "unit_worklist",
    "update_draft",
    "withdraw_draft",
]


# --- repeated suggestions (反复提的建议) ---------------------------------------------------------
from renda.modules.suggestions.schemas import SimilarOut
from renda.modules.suggestions.similarity import THRESHOLD


async def similar_suggestions(
    session: AsyncSession,
    *,
    title: str,
    content: str,
    exclude_id: uuid.UUID | None = None,
    offices: Sequence[str] | None = None,
    limit: int = 10,
) -> list[SimilarOut]:
    """Earlier suggestions like this one (filing, intake review), best first, with their score and
    `flag_resolved_a`. `offices`: codes of the offices above and below to include (None: all that share
    with this one); none when this office's `share_similar` is off. `exclude_id`: the suggestion itself."""
    if not await similar.sharing(session):
        offices = ()
    return await similar.search(
        session, title=title, content=content, exclude_id=exclude_id, offices=offices, limit=limit
    )


def office_placed(session: AsyncSession, code: str) -> None:
    """An office has just joined the hierarchy (created beneath another, or imported), in the caller's
    platform transaction: once it commits, the repeated-suggestion copies between the office and the
    offices above and below are made (`tasks.resync_similar`, a platform job)."""
    from renda.modules.suggestions.tasks import resync_similar
    from renda.workers.outbox import enqueue

    enqueue(session, resync_similar, code).tenant_code = code
