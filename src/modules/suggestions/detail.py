"""The names `routes.py` reads one suggestion and a deputy's lists by (`detail.…`); they are built in
`views` and `worklists`. Kept until routes.py imports those itself."""

from renda.modules.suggestions.views import item_detail
from renda.modules.suggestions.worklists import intake_queue, mine

__all__ = ["intake_queue", "item_detail", "mine"]
