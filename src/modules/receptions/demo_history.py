"""A year of receptions at the demo's liaison station in 石泉县: on each 逢十 reception day of the twelve
months before the recent visits `demo.py` records, the rostered deputies received one to four visits,
so the reception figures, categories and trends have a year behind them.

Generated from a fixed seed and written in bulk (one INSERT per table).
"""

from __future__ import annotations

import random
import uuid
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from renda.modules.receptions.models import Reception, ReceptionDeputy, RosterEntry

SEED = 6109222
VISITORS = ("王大爷", "李阿姨", "张师傅", "刘女士", "陈先生", "村民代表", "杨大姐", "赵老师", "周师傅", "吴女士")
# (category, issue, handling)
ISSUES = (
    ("transport", "{town}通村公路路面破损,雨天积水,群众出行不便。", "已记录,转交县交通运输局核实处理。"),
    ("education", "希望{town}中心小学增加课后托管服务,方便家长接送。", "现场解释了课后服务政策,并向教育部门反映。"),
    ("health", "{town}卫生院缺少儿科医生,孩子看病要跑县城。", "代表将在调研后提出建议。"),
    ("social_security", "咨询城乡居民养老保险缴费档次和待遇标准。", "已当场答复并提供办理指南。"),
    ("agriculture", "{town}茶园产业路需要硬化,方便茶叶运输。", "代表将联系镇政府了解规划情况。"),
    ("environment", "{town}河道有人倾倒建筑垃圾,影响水质。", "已转交生态环境部门处理。"),
    ("urban_construction", "老旧小区楼道照明损坏,夜间上下楼不安全。", "已联系社区和物业尽快维修。"),
    ("employment", "希望多组织技能培训,帮助返乡青年就业。", "现场介绍了县人社局的培训计划。"),
    ("governance", "小区周边夜间噪音扰民,希望加强管理。", "已转交城关派出所和社区处理。"),
    ("culture", "希望在村里建设文化广场,丰富群众文化生活。", "代表将结合选区情况提出建议。"),
)
TOWNS = ("城关镇", "饶峰镇", "池河镇", "后柳镇", "喜河镇", "两河镇")


def reception_days(first: date, last: date) -> list[date]:
    """The 10th, 20th and 30th (in February its last day) of every month between the two days."""
    days = []
    month = first.replace(day=1)
    while month <= last:
        following = (month + timedelta(days=32)).replace(day=1)
        month_end = following - timedelta(days=1)
        days += [d for d in (month.replace(day=10), month.replace(day=20), min(month_end, month + timedelta(days=29)))
                 if first <= d <= last]  # fmt: skip
        month = following
    return days


async def seed_history(
    session: AsyncSession, station_id: uuid.UUID, deputies: list[uuid.UUID], first: date, last: date
) -> int:
    """Returns the number of receptions added."""
    if not deputies:
        return 0
    rng = random.Random(SEED)
    receptions: list[Reception] = []
    present: list[ReceptionDeputy] = []
    rostered: list[RosterEntry] = []
    for index, day in enumerate(reception_days(first, last)):
        on_duty = [deputies[(2 * index + k) % len(deputies)] for k in range(min(2, len(deputies)))]
        rostered += [RosterEntry(station_id=station_id, day=day, person_id=p, source="generated") for p in on_duty]
        at = datetime.combine(day, time(3, 0), UTC)  # 11:00 in 石泉
        for _ in range(rng.choice((1, 2, 2, 3, 4))):
            category, issue, handling = rng.choice(ISSUES)
            reception = Reception(
                id=uuid.uuid4(),
                station_id=station_id,
                held_on=day,
                off_schedule=False,
                visitor_name=rng.choice(VISITORS),
                visitor_count=rng.choice((1, 1, 1, 2, 3, 5)),
                issue=issue.format(town=rng.choice(TOWNS)),
                category=category,
                handling=handling,
                created_at=at,
                updated_at=at,
            )
            receptions.append(reception)
            present.append(ReceptionDeputy(reception_id=reception.id, position=0, person_id=rng.choice(on_duty)))
    session.add_all(rostered)
    session.add_all(receptions)
    await session.flush()
    session.add_all(present)
    await session.flush()
    return len(receptions)
