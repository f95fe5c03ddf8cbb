"""Background work of the organisation module: its Excel exports.

The exports worker builds them; every process that runs actors imports each module's `tasks`, so
the export kinds are registered here rather than where the web routes happen to import them.
"""

from __future__ import annotations

from renda.modules.exports.service import ExportKind, register_export
from renda.modules.organisation import exports

GROUPS = ExportKind(
    "organisation_groups", "代表小组", exports.GROUP_EXPORT_HEADERS, exports.export_group_rows, "organisation.read"
)
STATIONS = ExportKind(
    "organisation_stations", "家站室", exports.STATION_EXPORT_HEADERS, exports.export_station_rows, "organisation.read"
)
register_export(GROUPS)
register_export(STATIONS)
