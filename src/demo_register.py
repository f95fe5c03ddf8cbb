"""Demo register data for 石泉县: a county congress with its current term, deputies in their
constituencies, two deputy groups and a liaison station, so the demo shows a working register."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select

from renda.core.timezone import local_today
from renda.modules.deputies import service as deputies
from renda.modules.deputies.directory import publish
from renda.modules.deputies.idcard import with_check_digit
from renda.modules.deputies.models import Congress, Mandate
from renda.modules.deputies.schemas import CongressIn, MandateIn, PersonIn, TermIn
from renda.modules.organisation import service as organisation
from renda.modules.organisation.schemas import GroupIn, StationIn
from renda.modules.rollups.periods import recent
from renda.modules.rollups.service import recompute_all
from renda.tenants.scoping import load_tenant, tenant_session

OFFICE = "610922"
ACTOR = "system:demo:演示数据"
# (name, gender, born, party, occupation category, constituency)
DEPUTIES = [
    ("王建国", "male", date(1968, 3, 12), "中共党员", "党政领导干部", "城关镇第一选区"),
    ("李秀英", "female", date(1975, 7, 2), "中共党员", "专业技术人员", "城关镇第二选区"),
    ("张志强", "male", date(1980, 11, 20), "群众", "工人", "城关镇第三选区"),
    ("刘梅", "female", date(1983, 5, 8), "中共党员", "农民", "饶峰镇第一选区"),
    ("陈德华", "male", date(1962, 9, 30), "民盟盟员", "专业技术人员", "饶峰镇第二选区"),
    ("杨丽", "female", date(1990, 1, 15), "群众", "农民", "饶峰镇第三选区"),
    ("赵文斌", "male", date(1971, 4, 4), "中共党员", "企业负责人", "池河镇第一选区"),
    ("黄春燕", "female", date(1986, 12, 24), "中共党员", "专业技术人员", "池河镇第二选区"),
    ("周海", "male", date(1977, 8, 18), "群众", "工人", "后柳镇第一选区"),
    ("吴桂兰", "female", date(1969, 2, 27), "中共党员", "农民", "后柳镇第二选区"),
    ("徐明", "male", date(1984, 6, 6), "中共党员", "党政领导干部", "喜河镇第一选区"),
    ("孙晓红", "female", date(1992, 10, 10), "群众", "专业技术人员", "喜河镇第二选区"),
]


async def seed_register() -> bool:
    """Seeds once: does nothing when the office already has congresses."""
    tenant = await load_tenant(OFFICE)
    async with tenant_session(tenant, actor=ACTOR) as session:
        if (await session.execute(select(func.count()).select_from(Congress))).scalar_one():
            return False
        congress = await deputies.create_congress(
            session, tenant, CongressIn(level="county", name="石泉县人民代表大会")
        )
        term = await deputies.create_term(
            session, congress.id, TermIn(number=19, starts_on=date(2026, 10, 1), ends_on=date(2031, 9, 30))
        )
        persons = []
        for n, (name, gender, born, party, occupation, constituency) in enumerate(DEPUTIES):
            sequence = 11 + 2 * n if gender == "male" else 12 + 2 * n
            number = with_check_digit(f"{OFFICE}{born:%Y%m%d}{sequence:03d}")
            person = await deputies.create_person(
                session,
                PersonIn(
                    name=name,
                    gender=gender,
                    birth_date=born,
                    party=party,
                    occupation_category=occupation,
                    id_number=number,
                ),
            )
            await deputies.create_mandate(
                session, MandateIn(person_id=person.id, term_id=term.id, constituency=constituency)
            )
            persons.append(person)
        east = await organisation.create_group(session, tenant, GroupIn(kind="geographic", name="城关片代表小组"))
        west = await organisation.create_group(session, tenant, GroupIn(kind="geographic", name="饶峰片代表小组"))
        for index, person in enumerate(persons):
            await organisation.add_group_member(session, east if index % 2 == 0 else west, person.id)
        station = await organisation.create_station(
            session,
            tenant,
            StationIn(
                kind="liaison_station",
                name="城关镇人大代表联络站",
                address="石泉县城关镇江南大道",
                reception_days=[10, 20, 30],
                opening_rules="逢十接待日 9:00-12:00,代表轮值接待选民",
            ),
        )
        for person in persons[:6]:
            await organisation.assign_deputy(session, station, person.id)
        await session.commit()
    return True


async def roll_up_register() -> None:
    """The directory and the rollups as the workers would leave them, the last year's months
    included, so the reports dashboard has figures and trends the moment the demo starts."""
    tenant = await load_tenant(OFFICE)
    async with tenant_session(tenant, actor=ACTOR, read_only=True) as session:
        mandate_ids = list((await session.execute(select(Mandate.id))).scalars())
        await publish(session, tenant, mandate_ids)
    await recompute_all(recent(local_today(), 12))
