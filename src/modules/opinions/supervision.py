"""Supervision (督办): the daily reminders of overdue opinions to the unit's users and the office's
staff.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from renda.core.db import get_database
from renda.core.permissions import Role
from renda.core.timezone import LOCAL_TZ
from renda.modules.members import service as members
from renda.modules.notifications import service as notifications
from renda.modules.opinions.common import WORKER_ACTOR, add_step, excerpt, format_ticket, opinion_link, overdue_clause
from renda.modules.opinions.models import Opinion, OpinionStep
from renda.modules.opinions.units import unit_user_ids
from renda.modules.units.service import HandlingUnit
from renda.tenants.scoping import TenantRef


async def office_staff_user_ids(tenant: TenantRef) -> list[uuid.UUID]:
    async with get_database().platform_session() as platform:
        return [u.id for m, u in await members.list_members(platform, tenant) if Role.STAFF in (m.roles or [])]


def _local_midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=LOCAL_TZ)


async def remind_overdue(session: AsyncSession, tenant: TenantRef, day: date) -> int:
    """Remind the unit's users and the office's staff of every opinion overdue on `day`, once per
    opinion and day (a reminder step of that day means done); returns how many were reminded."""
    overdue = list(
        (await session.execute(select(Opinion).where(overdue_clause(day)).order_by(Opinion.deadline))).scalars()
    )
    if not overdue:
        return 0
    reminded_today = set(
        (
            await session.execute(
                select(OpinionStep.opinion_id).where(
                    OpinionStep.kind == "reminder",
                    OpinionStep.opinion_id.in_([o.id for o in overdue]),
                    OpinionStep.created_at >= _local_midnight(day),
                    OpinionStep.created_at < _local_midnight(day + timedelta(days=1)),
                )
            )
        ).scalars()
    )
    staff = await office_staff_user_ids(tenant)
    units = {u.id: u.name for u in (await session.execute(select(HandlingUnit))).scalars()}
    count = 0
    for opinion in overdue:
        if opinion.id in reminded_today:
            continue
        assert opinion.deadline is not None and opinion.unit_id is not None
        days = (day - opinion.deadline).days
        unit = units.get(opinion.unit_id, "承办单位")
        await notifications.notify(
            session,
            kind="opinion_overdue",
            event_key=f"opinion-overdue:{opinion.id}:{day.isoformat()}",
            recipients=[*await unit_user_ids(session, opinion.unit_id), *staff],
            variables={
                "unit": unit,
                "ticket": format_ticket(opinion.ticket),
                "summary": excerpt(opinion.content),
                "deadline": f"{opinion.deadline:%Y年%m月%d日}",
                "days": str(days),
            },
            link=opinion_link(tenant, opinion),
        )
        add_step(
            session,
            opinion,
            "reminder",
            note=f"已超过办理期限 {days} 天,已提醒{unit}及代表工作人员",
            actor=WORKER_ACTOR,
        )
        count += 1
    await session.flush()
    return count
