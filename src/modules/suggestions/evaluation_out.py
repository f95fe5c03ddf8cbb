"""The names `routes.py` reads the evaluation and supervision responses by (`evaluation_out as views`);
they are built in `views` and `worklists`. Kept until routes.py imports those itself."""

from renda.modules.suggestions.views import checkpoint_out, follow_up_out, key_out, rating_out
from renda.modules.suggestions.worklists import board_rows

__all__ = ["board_rows", "checkpoint_out", "follow_up_out", "key_out", "rating_out"]
