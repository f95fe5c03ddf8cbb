"""A year of the county deputies' suggestions in 石泉县 (filed between sessions), each through the loop's
own steps (file, submit, accept, assign, reply, the lead deputy's rating), then dated back to when it
happened, so the closure, on-time, satisfaction and resolution rates and their trends have a year of
suggestions behind them. Generated from a fixed seed.

They go to the departments whose users the demo does not sign in as, and are led by deputies without an
account, so no demo user's inbox fills with a year of old notices.
"""

from __future__ import annotations

import random
import uuid
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from renda.core.errors import AppError
from renda.core.timezone import local_today
from renda.modules.deputies.models import Mandate, Person
from renda.modules.suggestions import assignment, evaluation, filing, handling, intake
from renda.modules.suggestions.common import SYSTEM_CALLER, LoopCaller, next_seq
from renda.modules.suggestions.models import Suggestion, SuggestionStep
from renda.modules.units.service import HandlingUnit
from renda.tenants.scoping import TenantRef

SEED = 6109225
PER_MONTH = 3
# (category, title, content, the department that answers, its reply)
TOPICS = (
    ("agriculture", "关于扶持{town}富硒茶产业发展的建议", "建议加大对茶园提质增效和品牌建设的扶持力度,带动茶农增收。",
     "石泉县农业农村局", "已安排专项资金支持茶园改造,并组织企业参加农产品展销会。"),
    ("education", "关于改善{town}中心小学办学条件的建议", "学校教室和运动场地不足,建议纳入薄弱学校改造计划。",
     "石泉县教育体育局", "已将该校运动场改造列入年度项目,暑期完成施工。"),
    ("health", "关于加强{town}卫生院医疗力量的建议", "卫生院医生少、设备旧,建议通过县镇医共体下沉医生。",
     "石泉县卫生健康局", "县医院已派驻两名医生常驻该卫生院,并更新了检验设备。"),
    ("urban_construction", "关于加快{town}污水处理设施建设的建议", "集镇生活污水直排河道,建议尽快建设污水处理站。",
     "石泉县住房和城乡建设局", "污水处理站已完成选址和设计,计划年内开工建设。"),
    ("social_security", "关于提高农村高龄老人补贴标准的建议", "建议结合财力逐步提高高龄补贴标准并按月发放。",
     "石泉县人力资源和社会保障局", "已调整发放方式为按月发放,补贴标准将随财力逐步提高。"),
    ("environment", "关于加强汉江石泉段生态保护的建议", "建议加强沿江巡查,严厉打击非法采砂和倾倒垃圾行为。",
     "安康市生态环境局石泉分局", "已联合水利、公安部门开展专项整治,建立常态化巡查机制。"),
    ("culture", "关于保护利用{town}古村落的建议", "建议对古民居进行普查登记,结合乡村旅游加以保护利用。",
     "石泉县文化和旅游广电局", "已完成古民居普查登记,并将其纳入乡村旅游线路规划。"),
)  # fmt: skip
TOWNS = ("饶峰镇", "池河镇", "后柳镇", "喜河镇", "两河镇", "迎丰镇", "熨斗镇", "云雾山镇", "中池镇", "曾溪镇")
CLASSES = (("A", 70), ("B", 25), ("C", 5))
RATINGS = (("satisfied", 85), ("basic", 15))


async def seed_history(session: AsyncSession, tenant: TenantRef) -> int:
    """Returns the number of suggestions added (none when a department of `TOPICS` is missing)."""
    rng = random.Random(SEED)
    today = local_today()
    units = dict((await session.execute(select(HandlingUnit.name, HandlingUnit.id))).all())
    if any(unit not in units for *_, unit, _ in TOPICS):
        return 0
    leads = sorted(
        (
            await session.execute(
                select(Person.id)
                .join(Mandate, Mandate.person_id == Person.id)
                .where(Mandate.level == "county", Mandate.status == "active", Person.user_id.is_(None))
            )
        ).scalars()
    )
    if not leads:
        return 0
    made = 0
    for months_ago in range(12, 2, -1):  # answered and rated by now: assigned three months ago at the latest
        for _ in range(PER_MONTH):
            filed = today - timedelta(days=30 * months_ago + rng.randrange(25))
            try:
                async with session.begin_nested():  # a register the loop refuses (tests): leave it out
                    await _through_the_loop(session, tenant, rng, filed, rng.choice(leads), units)
            except AppError:
                continue
            made += 1
    return made


async def _through_the_loop(
    session: AsyncSession,
    tenant: TenantRef,
    rng: random.Random,
    filed: date,
    lead: uuid.UUID,
    units: dict[str, uuid.UUID],
) -> None:
    category, title, content, unit, answer = rng.choice(TOPICS)
    suggestion = await filing.file_suggestion(
        session,
        SYSTEM_CALLER,
        tenant,
        filing.FilingIn(
            category=category, title=title.format(town=rng.choice(TOWNS)), content=content, lead_person_id=lead
        ),
    )
    suggestion.year, suggestion.seq = filed.year, await next_seq(session, filed.year)
    await filing.submit(session, SYSTEM_CALLER, suggestion)
    await intake.accept(session, SYSTEM_CALLER, suggestion)
    await assignment.assign(session, SYSTEM_CALLER, tenant, suggestion, lead_unit_id=units[unit])
    reply_class = rng.choices([c for c, _ in CLASSES], [w for _, w in CLASSES])[0]
    commitments = "列入下年度计划继续推进" if reply_class != "A" else None
    await handling.reply(
        session, SYSTEM_CALLER, tenant, suggestion, reply_class=reply_class, reply_text=answer,
        reply_commitments=commitments,
    )  # fmt: skip
    deputy = LoopCaller(None, full=False, manage=False, person_ids=frozenset({lead}), unit_ids=frozenset())
    rating = rng.choices([r for r, _ in RATINGS], [w for _, w in RATINGS])[0]
    await evaluation.rate(session, deputy, suggestion, rating, None)
    await _date_back(session, suggestion, filed, rng)


async def _date_back(session: AsyncSession, suggestion: Suggestion, filed: date, rng: random.Random) -> None:
    """Give the suggestion the times it would have had: assigned a week after filing, answered within
    (now and then just after) the three months, rated within days."""
    at = datetime.combine(filed, time(1, 30), UTC)  # 9:30 in 石泉
    accepted = at + timedelta(days=rng.randrange(2, 5))
    assigned = accepted + timedelta(days=rng.randrange(2, 5))
    deadline = (assigned + timedelta(days=90)).date()
    replied = assigned + timedelta(days=rng.choice((35, 50, 64, 78, 85, 96)))
    rated = replied + timedelta(days=rng.randrange(2, 12))
    shift = suggestion.filed_at - at if suggestion.filed_at else timedelta(0)
    await session.execute(
        update(Suggestion)
        .where(Suggestion.id == suggestion.id)
        .values(
            created_at=at,
            updated_at=rated,
            filed_at=at,
            accepted_at=accepted,
            assigned_at=assigned,
            deadline=deadline,
            replied_at=replied,
            replied_on_time=replied.date() <= deadline,
            rating_due=(replied + timedelta(days=30)).date(),
            rated_at=rated,
            closed_at=rated,
        )
    )
    await session.execute(
        update(SuggestionStep)
        .where(SuggestionStep.suggestion_id == suggestion.id)
        .values(created_at=SuggestionStep.created_at - shift)
    )
