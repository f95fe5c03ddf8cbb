"""Composition statistics of the deputy register.

The export kind is registered on import of the package, which both the web app (routes, pages) and
the worker (it imports every module's `tasks`, and with it the package) do.
"""

from renda.modules.register_reports.service import register_exports

register_exports()
