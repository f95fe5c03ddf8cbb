"""The actors of duty performance, one file per part; the worker finds them through this module."""

from renda.modules.duty import archive_tasks  # noqa: F401
