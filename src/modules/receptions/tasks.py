"""Background work of the receptions module: the rostered deputies' reminder the day before, and the
station register's Excel export (registered here: every process that runs actors imports `tasks`)."""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta

from renda.modules.exports.service import ExportKind, register_export
from renda.modules.receptions import service
from renda.tenants.scoping import load_tenant, tenant_session
from renda.workers.broker import actor
from renda.workers.scheduler import Daily, per_office

log = logging.getLogger("renda.receptions")
WORKER_ACTOR = "system:worker:接待提醒"
REMINDER_HOUR = 16  # local time the day before: early enough to rearrange, late enough to be current

REGISTER = ExportKind(
    "reception_register",
    "接待台账",
    service.REGISTER_EXPORT_HEADERS,
    service.export_register_rows,
    "receptions.read",
)
register_export(REGISTER)


def reminder_day(period: str) -> date:
    """The reception day a run reminds of: the day after the run's period (a local datetime), so a
    message delivered late, or twice, still reminds of the same day."""
    return datetime.fromisoformat(period).date() + timedelta(days=1)


async def send_roster_reminders(tenant_code: str, period: str) -> service.ReminderResult:
    tenant = await load_tenant(tenant_code)
    day = reminder_day(period)
    async with tenant_session(tenant, actor=WORKER_ACTOR) as session:
        result = await service.remind_rostered(session, tenant, day)
        await service.resync_all(session, day - timedelta(days=1))
        await session.commit()
    log.info(
        "reception roster reminders",
        extra={
            "day": day.isoformat(),
            "sent": result.sent,
            "already": result.already,
            "unreachable": result.unreachable,
        },
    )
    return result


@per_office("receptions.roster_reminder", Daily(hour=REMINDER_HOUR))
@actor(
    queue_name="notifications",
    max_retries=3,
    min_backoff=15_000,
    max_backoff=10 * 60_000,
    time_limit=10 * 60_000,
    max_age=20 * 3_600_000,  # a reminder older than that would come after the reception day began
)
async def roster_reminder(tenant_code: str, period: str) -> None:
    await send_roster_reminders(tenant_code, period)
