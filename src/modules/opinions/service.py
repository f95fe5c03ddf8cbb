"""What other modules use of the opinions (群众意见, the closed loop 受理→分析→交办→督办→反馈→评价).
The rules live in `intake`, `listing`, `handling`, `feedback`, `supervision`, `units`, `portal`, `limits`
and `exports`, `common` holds what they share; the module's own routes, pages and workers import those
files directly.

Every change of an opinion writes an `OpinionStep` (who, when, what) in the same transaction, so the
timeline is exactly what happened. Other modules call `intake` (a reception or a contact raised an
issue) and read `CATEGORIES` and `format_ticket`; the workbench reads what waits (`office_worklist`,
`deputy_worklist`, `unit_worklist`).

Who sees what (`Viewer`): staff, committee members, viewers and office API tokens see every opinion
of the office; a handling unit's users see the opinions assigned to their unit; a deputy sees the
opinions addressed to them. Only staff (and the office administrator) take the loop's decisions;
a unit answers its own.
"""

from renda.modules.opinions.common import CATEGORIES, Viewer, format_ticket, viewer_for
from renda.modules.opinions.intake import from_suggestion, intake
from renda.modules.opinions.worklist import deputy_worklist, office_worklist, unit_worklist
from renda.modules.suggestions import service as suggestions

# Intake review of a suggestion may turn it into an opinion; the suggestions cannot import us, so they
# call what we register.
suggestions.register_opinion_converter(from_suggestion)

__all__ = [
    "CATEGORIES",
    "Viewer",
    "deputy_worklist",
    "format_ticket",
    "intake",
    "office_worklist",
    "unit_worklist",
    "viewer_for",
]
