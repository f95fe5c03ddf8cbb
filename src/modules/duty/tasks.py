"""The duty module's background work: each part keeps its actors in its own `<part>_tasks.py`; this
imports them so the worker finds them."""

from renda.modules.duty import archive_tasks, points_tasks, rating_tasks  # noqa: F401
