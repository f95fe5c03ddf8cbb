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

__all__ = [
    "CATEGORIES",
    "FULL_ROLES",
    "MANAGE_ROLES",
    "Caller",
    "LoopCaller",
    "Reach",
    "caller_for",
    "create_draft",
    "drafts_from",
    "drafts_out",
    "get_draft",
    "list_drafts",
    "loop_caller_for",
    "require_editor",
    "update_draft",
    "withdraw_draft",
]
