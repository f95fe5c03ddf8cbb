"""Background work of the opinions: the feedback SMS, the daily overdue reminders, purging the
portal's rate-limit hits, and the Excel export of the list (registered where workers import it)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from dramatiq.middleware import CurrentMessage

from renda.core.db import get_database
from renda.core.timezone import LOCAL_TZ
from renda.modules.exports.service import ExportKind, register_export
from renda.modules.opinions import limits, supervision
from renda.modules.opinions.common import WORKER_ACTOR
from renda.modules.opinions.exports import EXPORT_HEADERS, export_rows
from renda.modules.opinions.feedback import send_feedback_sms
from renda.tenants.scoping import load_tenant, tenant_session
from renda.workers.broker import actor
from renda.workers.scheduler import Daily, per_office, periodic

SMS_RETRIES = 5  # about 15 s, 30 s, 1 min, 2 min, 4 min
SMS_MIN_BACKOFF_MS = 15_000
SMS_MAX_BACKOFF_MS = 10 * 60_000

register_export(ExportKind("opinions", "群众意见", EXPORT_HEADERS, export_rows, "opinions.read"))


def _last_try(declared: Any) -> bool:
    message = CurrentMessage.get_current_message()
    if message is None:
        return True
    max_retries = message.options.get("max_retries") or declared.options.get("max_retries", SMS_RETRIES)
    return message.options.get("retries", 0) >= max_retries


@actor(
    queue_name="notifications",
    max_retries=SMS_RETRIES,
    min_backoff=SMS_MIN_BACKOFF_MS,
    max_backoff=SMS_MAX_BACKOFF_MS,
    time_limit=2 * 60_000,
    max_age=24 * 3_600_000,
)
async def send_opinion_sms(tenant_code: str, sms_id: str) -> None:
    """The answer and rating link to the person; a second delivery of the message sends nothing."""
    tenant = await load_tenant(tenant_code)
    await send_feedback_sms(tenant, uuid.UUID(sms_id), last_try=_last_try(send_opinion_sms))


@per_office("opinions.overdue", Daily(hour=9))
@actor(queue_name="opinions", max_retries=3, time_limit=10 * 60_000, max_age=24 * 3_600_000, max_backoff=5 * 60_000)
async def remind_overdue(tenant_code: str, period: str) -> None:
    """Every morning: each overdue opinion's unit and the office's staff are reminded, once a day."""
    day = datetime.fromisoformat(period).astimezone(LOCAL_TZ).date()
    tenant = await load_tenant(tenant_code)
    async with tenant_session(tenant, actor=WORKER_ACTOR) as session:
        await supervision.remind_overdue(session, tenant, day)
        await session.commit()


@periodic("opinions.purge_rate_hits", Daily(hour=3, minute=40))
@actor(queue_name="opinions", max_retries=3, time_limit=10 * 60_000, max_age=24 * 3_600_000, max_backoff=5 * 60_000)
async def purge_rate_hits(period: str) -> None:
    async with get_database().platform_session() as session:
        await limits.purge_rate_hits(session)
        await session.commit()
