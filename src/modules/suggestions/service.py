"""What other modules use of the suggestions (代表建议、议案) and their loop 提、交、办、督、评.

The rules live in `drafts`, `common` and the loop's parts (filing, intake, assignment, handling,
evaluation, supervision, follow-up, similarity, rates); this facade names what other modules may call.
Opinions, contacts and receptions make drafts here (`create_draft`); the opinions module shares the
role sets that decide who sees everything and who takes staff decisions, and registers the converter
that turns a suggestion into a people's opinion (`register_opinion_converter`). A reply reaches every
deputy `deputies_to_answer` names (the lead and co-signers of the suggestion and of those merged into it).
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
from renda.modules.suggestions.intake import (
    Addressee,
    ConversionSource,
    OpinionConverter,
    deputies_to_answer,
    register_opinion_converter,
)

__all__ = [
    "CATEGORIES",
    "FULL_ROLES",
    "MANAGE_ROLES",
    "Addressee",
    "Caller",
    "ConversionSource",
    "LoopCaller",
    "OpinionConverter",
    "Reach",
    "caller_for",
    "create_draft",
    "deputies_to_answer",
    "drafts_from",
    "drafts_out",
    "get_draft",
    "list_drafts",
    "loop_caller_for",
    "register_opinion_converter",
    "require_editor",
    "update_draft",
    "withdraw_draft",
]
