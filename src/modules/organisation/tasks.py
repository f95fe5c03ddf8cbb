"""Background work of the organisation module: its Excel exports.

The exports worker builds them; every process that runs actors imports each module's `tasks`, so
the export kinds are registered here rather than where the web routes happen to import them.
"""

from __future__ import annotations

from renda.modules.exports.registry import ExportKind, register_export
from renda.modules.organisation import service

GROUPS = ExportKind(
    "organisation_groups", "代表小组", service.GROUP_EXPORT_HEADERS, service.export_group_rows, "organisation.read"
)
STATIONS = ExportKind(
    "organisation_stations", "家站室", service.STATION_EXPORT_HEADERS, service.export_station_rows, "organisation.read"
)
register_export(GROUPS)
register_export(STATIONS)
