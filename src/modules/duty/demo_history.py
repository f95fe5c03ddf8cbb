"""A year of the county deputies' duty activities in 石泉县: two a month over the last twelve months
(inspections, research, law-enforcement checks, trainings, themed actions, group activities), each with
the organiser's attendance list, so the points ranking, the duty archives and the activity figures have
a year behind them. Generated from a fixed seed and written in bulk."""

from __future__ import annotations

import random
import uuid
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from renda.modules.deputies.models import Mandate
from renda.modules.duty.activity_demo import _activity, _attendance

SEED = 6109224
# (kind, title, place, length in hours, study hours)
ACTIVITIES = (
    ("inspection", "视察{town}农村饮水安全工程", "{town}", 3, None),
    ("research", "调研{town}茶产业发展情况", "{town}茶园基地", 4, None),
    ("law_check", "《中华人民共和国食品安全法》执法检查", "县市场监督管理局", 3, None),
    ("training", "代表履职专题培训", "县委党校", 6, Decimal(6)),
    ("themed_action", "“代表进站、服务群众”主题活动", "{town}人大代表联络站", 3, None),
    ("group_activity", "{town}片代表小组活动", "{town}人民政府", 2, None),
    ("inspection", "视察县城老旧小区改造项目", "城关镇", 3, None),
    ("research", "调研全县义务教育均衡发展情况", "县教育体育局", 4, None),
)
TOWNS = ("城关镇", "饶峰镇", "池河镇", "后柳镇", "喜河镇", "两河镇", "迎丰镇", "云雾山镇")
LEAVE_NOTES = ("因公出差", "因病请假", "家中有事")


async def seed_history(session: AsyncSession, today: date, since: date) -> int:
    """Returns the number of activities added."""
    rng = random.Random(SEED)
    deputies = sorted(
        (await session.execute(select(Mandate.person_id).where(Mandate.level == "county").distinct())).scalars()
    )
    if not deputies:
        return 0
    activities, attendances = [], []
    day, n = max(since, today - timedelta(days=365)), 0
    while day < today - timedelta(days=10):  # the inspection a week ago is `activity_demo`'s
        kind, title, place, length, hours = ACTIVITIES[n % len(ACTIVITIES)]
        town = rng.choice(TOWNS)
        activity = _activity(kind, title.format(town=town), day, 9, length, place.format(town=town), hours=hours)
        activity.id = uuid.uuid4()
        activities.append(activity)
        for person_id in rng.sample(deputies, rng.randrange(8, 26)):
            status = rng.choices(("present", "leave", "absent"), (85, 10, 5))[0]
            note = rng.choice(LEAVE_NOTES) if status == "leave" else ""
            attendances.append(_attendance(activity, person_id, status, note))
        day += timedelta(days=rng.randrange(10, 20))
        n += 1
    session.add_all(activities)
    await session.flush()
    session.add_all(attendances)
    await session.flush()
    return len(activities)
