"""Demo data for the portal of 石泉县 (610922): the office's public contact and the 履职承诺 of a few of
the deputies `demo_register` seeds, so a scanned 代表码 shows a full page. Runs after the register seed."""

from __future__ import annotations

from sqlalchemy import func, select

from renda.core.timezone import local_today
from renda.modules.deputies.models import Person, Term
from renda.modules.portal import service
from renda.modules.portal.models import DeputyCommitment
from renda.modules.portal.schemas import CommitmentIn, PortalSettingsIn
from renda.tenants.scoping import load_tenant, tenant_session

OFFICE = "610922"
ACTOR = "system:demo:演示数据"
# deputy → what they promise for the term (and, for some, for this year)
COMMITMENTS = {
    "王建国": ["每月至少一次到城关镇人大代表联络站接待选民,群众反映的问题件件有回音。", "每年向选区选民述职一次。"],
    "李秀英": ["聚焦城区教育和医疗,每季度走访选区学校、卫生院各一次。"],
    "张志强": ["关注企业职工权益,每半年组织一次职工座谈会。"],
    "刘梅": ["带头发展特色种养,帮助饶峰镇群众拓宽增收渠道。"],
}


async def seed_demo() -> None:
    """Seeds once: does nothing when the office already has commitments; the contact only if unset."""
    tenant = await load_tenant(OFFICE)
    async with tenant_session(tenant, actor=ACTOR) as session:
        if (await session.execute(select(func.count()).select_from(DeputyCommitment))).scalar_one():
            return
        settings = await service.get_settings(session)
        if not settings.contact_phone:
            await service.update_settings(
                session,
                PortalSettingsIn(
                    contact_phone="0915-6321000",
                    contact_address="石泉县城关镇人大常委会办公楼",
                    contact_hours="工作日 8:30-12:00,14:30-18:00",
                    notice="逢十接待日,代表在城关镇人大代表联络站接待群众,欢迎反映意见建议。",
                ),
            )
        term_id = (await session.execute(select(Term.id).where(Term.is_current).limit(1))).scalar_one_or_none()
        year = local_today().year
        persons = {
            p.name: p for p in (await session.execute(select(Person).where(Person.name.in_(COMMITMENTS)))).scalars()
        }
        for name, texts in COMMITMENTS.items():
            person = persons.get(name)
            if person is None:  # the register seed did not run
                continue
            for position, text in enumerate(texts):
                data = CommitmentIn(
                    person_id=person.id,
                    text=text,
                    term_id=term_id if position == 0 else None,
                    year=None if position == 0 and term_id else year,
                    position=position,
                )
                await service.create_commitment(session, data)
        await session.commit()
