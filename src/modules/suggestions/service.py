"""What other modules use of the suggestions (代表建议、议案) and their loop 提、交、办、督、评.

The rules live in `drafts`, `common` and the loop's parts (filing, intake, assignment, handling,
evaluation, supervision, follow-up, similarity, rates); this facade names what other modules may call.
Opinions, contacts and receptions make drafts here (`create_draft`); the opinions module shares the
role sets that decide who sees everything and who takes staff decisions.
"""

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
from renda.modules.suggestions.evaluation import notify_reply_given, on_replied
from renda.modules.suggestions.public_board import PAGE_SIZE as PUBLIC_PAGE_SIZE
from renda.modules.suggestions.public_board import PublicItem, board_enabled, public_item, public_page

__all__ = [
    "CATEGORIES",
    "FULL_ROLES",
    "MANAGE_ROLES",
    "PUBLIC_PAGE_SIZE",
    "Caller",
    "LoopCaller",
    "PublicItem",
    "Reach",
    "board_enabled",
    "caller_for",
    "create_draft",
    "drafts_from",
    "drafts_out",
    "get_draft",
    "list_drafts",
    "loop_caller_for",
    "notify_reply_given",
    "on_replied",
    "public_item",
    "public_page",
    "require_editor",
    "update_draft",
    "withdraw_draft",
]
