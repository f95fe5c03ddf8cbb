"""The duty module's background jobs, one file per area; the worker imports this module to find them."""

from renda.modules.duty import points_tasks  # noqa: F401
