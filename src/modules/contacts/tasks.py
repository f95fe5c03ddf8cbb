"""Background work of the contacts module: the weekly reminder to committee members behind schedule,
and the Excel exports of the coverage reports.

The reminder runs every Monday at 09:00 (Asia/Shanghai) for every office, and acts only in the last
month of a quarter: early enough to catch up before the quarter ends, without nagging in its first
weeks. A member is reminded at most once per run (the event key holds the run's period), so a job
message delivered twice sends nothing twice.
"""

from __future__ import annotations

from datetime import datetime

from renda.core.timezone import LOCAL_TZ
from renda.modules.contacts import service
from renda.modules.exports.service import ExportKind, register_export
from renda.workers.broker import actor
from renda.workers.scheduler import Weekly, per_office

MEMBER_COVERAGE = ExportKind(
    "contacts_coverage",
    "联系代表情况(按组成人员)",
    service.MEMBER_EXPORT_HEADERS,
    service.export_member_rows,
    service.EXPORT_PERMISSION,
)
DEPUTY_COVERAGE = ExportKind(
    "contacts_deputy_coverage",
    "代表被联系情况",
    service.DEPUTY_EXPORT_HEADERS,
    service.export_deputy_rows,
    service.EXPORT_PERMISSION,
)
QUARTERS = ExportKind(
    "contacts_quarters",
    "各季度联系情况",
    service.QUARTER_EXPORT_HEADERS,
    service.export_quarter_rows,
    service.EXPORT_PERMISSION,
)
register_export(MEMBER_COVERAGE)
register_export(DEPUTY_COVERAGE)
register_export(QUARTERS)


def period_day(period: str) -> datetime:
    """The local moment a scheduler period names ("2026-12-07T09:00+08:00")."""
    return datetime.fromisoformat(period).astimezone(LOCAL_TZ)


@per_office("contacts.behind_schedule", Weekly(0, 9))
@actor(queue_name="contacts", max_retries=3, time_limit=10 * 60_000, max_age=24 * 3_600_000, max_backoff=10 * 60_000)
async def behind_schedule(tenant_code: str, period: str) -> None:
    await service.remind_behind_schedule(tenant_code, period_day(period).date(), period)
