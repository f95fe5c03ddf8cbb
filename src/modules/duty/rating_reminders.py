"""The daily reminders of the star rating (`duty_rating_step_due`), for the local date `day`:

- deputies who have not assessed themselves: once when the window is open (the day it opens, or the
  first day they are a deputy in it), and once more in its last `CLOSING_DAYS` days;
- each group's leader, while the window is open and members of their group await the group check,
  once a day;
- the office's staff, while ratings await the group check, the township review, the committee's
  decision or publication, once a day.

The rating years looked at are this year and the last (whose window may run into January, and whose
decisions may come later). Every notice is keyed by its event, so a second run on the same day (a
message delivered twice) tells nobody twice.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from renda.core.db import get_database
from renda.core.permissions import Role
from renda.modules.deputies import service as deputies
from renda.modules.duty import rating as rules
from renda.modules.duty import rating_people as people
from renda.modules.duty.models import RATING_STEPS, Rating
from renda.modules.members import service as members
from renda.modules.notifications import service as notifications
from renda.tenants.scoping import TenantRef

CLOSING_DAYS = 3
# What staff do next for a rating at each step.
STAFF_WAITING = {
    "opened": "group",
    "self": "group",
    "group": "township",
    "township": "committee",
    "committee": "published",
}
TASK_LABELS = {"group": "待代表小组评议", "township": "待乡镇审核", "committee": "待常委会审定", "published": "待公示"}


def _code(session: AsyncSession) -> str:
    return str(session.info["tenant_code"])


async def staff_user_ids(tenant: TenantRef) -> list[uuid.UUID]:
    async with get_database().platform_session() as platform:
        return [u.id for m, u in await members.list_members(platform, tenant) if Role.STAFF in (m.roles or [])]


async def remind(session: AsyncSession, tenant: TenantRef, day: date) -> dict[str, int]:
    """Send what `day` calls for; returns how many were told, by whom."""
    counts = {"deputies": 0, "leaders": 0, "staff": 0}
    for year in (day.year - 1, day.year):
        window = await rules.window_of(session, year)
        if not window.has_opened(day):
            continue
        steps = dict((await session.execute(select(Rating.person_id, Rating.step).where(Rating.year == year))).all())
        if window.state(day) == "open":
            counts["deputies"] += await _remind_deputies(session, window, day, steps)
            counts["leaders"] += await _remind_leaders(session, window, day, steps)
        counts["staff"] += await _remind_staff(session, tenant, window, day, steps)
    return counts


async def _remind_deputies(session: AsyncSession, window: rules.Window, day: date, steps: dict) -> int:
    waiting = [p for p in await people.live_person_ids(session) if steps.get(p, "opened") == "opened"]
    users = list((await deputies.user_ids_of(session, waiting)).values())
    closing = day >= window.closes_on - timedelta(days=CLOSING_DAYS - 1)
    if closing:
        key, task = (
            "closing",
            f"{window.year}年度代表自评将于{window.closes_on:%m月%d日}截止,您尚未填写自评,请尽快完成。",
        )
    else:
        key, task = "open", f"{window.year}年度代表履职星级评价已经开始,请填写年度履职总结并进行自评。"
    told = await notifications.notify(
        session,
        kind="duty_rating_step_due",
        event_key=f"duty-rating:{window.year}:{key}:{window.opens_on.isoformat()}:{window.closes_on.isoformat()}",
        recipients=users,
        variables=_variables(window, RATING_STEPS["self"], task),
        link=f"/t/{_code(session)}/duty/ratings/mine",
    )
    return len(told)


async def _remind_leaders(session: AsyncSession, window: rules.Window, day: date, steps: dict) -> int:
    waiting = [p for p, step in steps.items() if step in ("opened", "self")]
    led = await people.leaders_of(session, waiting)
    users = await deputies.user_ids_of(session, led)
    told = 0
    for leader, members_waiting in led.items():
        user = users.get(leader)
        if user is None:
            continue
        task = f"您所在代表小组有{len(members_waiting)}名代表的{window.year}年度评价待代表小组评议。"
        told += len(
            await notifications.notify(
                session,
                kind="duty_rating_step_due",
                event_key=f"duty-rating:{window.year}:leader:{day.isoformat()}",
                recipients=[user],
                variables=_variables(window, RATING_STEPS["group"], task),
                link=f"/t/{_code(session)}/duty/ratings/group?year={window.year}",
            )
        )
    return told


async def _remind_staff(session: AsyncSession, tenant: TenantRef, window: rules.Window, day: date, steps: dict) -> int:
    waiting: dict[str, int] = defaultdict(int)
    for step in steps.values():
        if step in STAFF_WAITING:
            waiting[STAFF_WAITING[step]] += 1
    if not waiting:
        return 0
    parts = [f"{TASK_LABELS[s]}{waiting[s]}人" for s in TASK_LABELS if waiting.get(s)]
    task = f"{window.year}年度代表履职星级评价:" + "、".join(parts) + "。"
    told = await notifications.notify(
        session,
        kind="duty_rating_step_due",
        event_key=f"duty-rating:{window.year}:staff:{day.isoformat()}",
        recipients=await staff_user_ids(tenant),
        variables=_variables(window, "、".join(TASK_LABELS[s] for s in TASK_LABELS if waiting.get(s)), task),
        link=f"/t/{_code(session)}/duty/ratings?year={window.year}",
    )
    return len(told)


def _variables(window: rules.Window, step: str, task: str) -> dict[str, object]:
    return {"year": window.year, "step": step, "task": task, "closes_on": f"{window.closes_on:%Y年%m月%d日}"}
