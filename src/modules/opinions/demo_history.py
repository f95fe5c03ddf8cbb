"""A year of the people's opinions in 石泉县, through the whole loop, so the opinion figures (received,
answered on time, closed, the people's ratings) and their trends have twelve months behind them: about
fifteen a month from receptions, contacts and the portal, assigned to the county's departments, answered
(a few late), rated by the people and closed; a few merged as duplicates. The last weeks' open work is
`demo.py`'s, so the history is closed by a fortnight ago.

Generated from a fixed seed and written in bulk (one INSERT per table), each step with its time.
"""

from __future__ import annotations

import random
import uuid
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from renda.core.timezone import local_today
from renda.modules.deputies.models import Mandate
from renda.modules.opinions.common import SYSTEM_VIEWER, new_ticket
from renda.modules.opinions.models import Opinion, OpinionStep
from renda.modules.opinions.schemas import UnitIn
from renda.modules.opinions.units import create_unit
from renda.modules.units.service import HandlingUnit

SEED = 6109223
ACTOR = "system:demo:演示数据"
# The county's departments that answer the people's opinions, by the categories they answer.
UNITS = {
    "transport": "石泉县交通运输局",
    "urban_construction": "石泉县住房和城乡建设局",
    "education": "石泉县教育体育局",
    "health": "石泉县卫生健康局",
    "social_security": "石泉县人力资源和社会保障局",
    "employment": "石泉县人力资源和社会保障局",
    "agriculture": "石泉县农业农村局",
    "environment": "安康市生态环境局石泉分局",
    "governance": "石泉县城关镇人民政府",
    "culture": "石泉县文化和旅游广电局",
}
# (category, what the person says, the department's answer)
OPINIONS = (
    ("transport", "{town}到县城的客运班车班次少,群众出行不便,希望增加班次。", "已协调客运公司每日增开两个班次。"),
    ("transport", "{town}通村公路有多处坑洼,雨天积水严重。", "已安排养护队伍完成坑洼修补并疏通边沟。"),
    ("urban_construction", "县城老旧小区楼道照明和排水设施老化,希望改造。", "已纳入今年老旧小区改造计划。"),
    ("education", "{town}中心小学午餐供应不足,希望扩大供餐范围。", "已增加供餐设备,全校学生均可在校就餐。"),
    ("health", "{town}卫生院缺少常用药品,群众买药要跑县城。", "已补充药品目录并建立定期配送机制。"),
    ("social_security", "高龄老人补贴发放不及时,希望按月足额发放。", "已调整发放流程,每月10日前发放到位。"),
    ("employment", "希望在{town}组织家政、电商等技能培训。", "已在该镇开设两期技能培训班。"),
    ("agriculture", "{town}茶叶收购价格波动大,希望引导企业保护价收购。", "已组织龙头企业与茶农签订保底收购协议。"),
    ("environment", "{town}河道垃圾较多,影响环境和水质。", "已开展河道集中清理并落实河长巡查。"),
    ("governance", "小区周边占道经营严重,影响通行。", "已规划便民摊点区域并加强日常巡查。"),
    ("culture", "希望在{town}建设农家书屋和文化活动室。", "已列入明年村级文化设施建设计划。"),
)
TOWNS = ("城关镇", "饶峰镇", "池河镇", "后柳镇", "喜河镇", "两河镇", "迎丰镇", "熨斗镇", "云雾山镇", "中池镇", "曾溪镇")
SOURCES = (("reception", 5), ("contact", 3), ("portal", 3), ("staff", 1))
RATINGS = (("solved", 14), ("partly", 4), ("unsolved", 1))
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"


def _at(day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour - 8 if hour >= 8 else 0), UTC)  # the hour in 石泉 (UTC+8)


async def _units(session: AsyncSession) -> dict[str, uuid.UUID]:
    """The departments, added where missing (the office's two from `demo.py` are among them)."""
    have = dict((await session.execute(select(HandlingUnit.name, HandlingUnit.id))).all())
    for name in dict.fromkeys(UNITS.values()):
        if name not in have:
            have[name] = (await create_unit(session, SYSTEM_VIEWER, UnitIn(name=name, contact_name="办公室"))).id
    return {category: have[name] for category, name in UNITS.items()}


async def seed_history(session: AsyncSession, station_id: uuid.UUID | None) -> int:
    """Returns the number of opinions added."""
    rng = random.Random(SEED)
    today = local_today()
    units = await _units(session)
    deputies = sorted(
        (await session.execute(select(Mandate.person_id).where(Mandate.level == "county").distinct())).scalars()
    )
    opinions: list[Opinion] = []
    steps: list[OpinionStep] = []

    def step(opinion: Opinion, kind: str, at: datetime, note: str | None = None) -> None:
        steps.append(OpinionStep(opinion_id=opinion.id, kind=kind, actor=ACTOR, note=note, created_at=at))

    first, last = today - timedelta(days=365), today - timedelta(days=45)
    day = first
    while day <= last:
        category, content, answer = rng.choice(OPINIONS)
        source = rng.choices([s for s, _ in SOURCES], [w for _, w in SOURCES])[0]
        received = _at(day, rng.randrange(8, 18))
        assigned = received + timedelta(days=rng.randrange(1, 4))
        deadline = (assigned + timedelta(days=15)).date()
        answered = assigned + timedelta(days=rng.choice((4, 7, 9, 12, 14, 18)))  # a few after the deadline
        rated = answered + timedelta(days=rng.randrange(1, 6))
        opinion = Opinion(
            id=uuid.uuid4(),
            ticket=new_ticket(),
            source=source,
            content=content.format(town=rng.choice(TOWNS)),
            category=category,
            submitter_name=rng.choice(SURNAMES) + rng.choice(("先生", "女士", "大爷", "阿姨")),
            deputy_person_id=rng.choice(deputies) if deputies and source in ("reception", "contact") else None,
            station_id=station_id if source == "reception" else None,
            unit_id=units[category],
            assigned_at=assigned,
            deadline=deadline,
            answer=answer,
            answered_at=answered,
            created_at=received,
            updated_at=rated,
        )
        step(opinion, "intake", received)
        if rng.random() < 0.05 and opinions:  # the same issue raised again: merged into the first
            original = rng.choice(opinions[-10:])
            opinion.status, opinion.duplicate_of_id, opinion.closed_at = "duplicate", original.id, assigned
            opinion.unit_id = opinion.assigned_at = opinion.deadline = opinion.answer = opinion.answered_at = None
            step(opinion, "duplicate", assigned, "与已受理的意见重复,合并处理")
        else:
            opinion.status = "closed"
            opinion.rating = rng.choices([r for r, _ in RATINGS], [w for _, w in RATINGS])[0]
            opinion.rated_at = opinion.closed_at = rated
            step(opinion, "analysis", received + timedelta(hours=2))
            step(opinion, "assignment", assigned)
            step(opinion, "answer", answered)
            step(opinion, "rating", rated, "电话回访")
            step(opinion, "close", rated + timedelta(minutes=1))
        opinions.append(opinion)
        day += timedelta(days=rng.choice((1, 2, 2, 3)))
    session.add_all(opinions)
    await session.flush()
    session.add_all(steps)
    await session.flush()
    return len(opinions)
