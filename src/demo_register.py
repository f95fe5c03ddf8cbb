"""Demo register data for 石泉县: a county congress with its current term, deputies in their
constituencies, two deputy groups and a liaison station, so the demo shows a working register."""

from __future__ import annotations

from datetime import date, timedelta

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
# The offices that record the demo's mandates (demo_levels adds the city's and two towns').
RECORDING_OFFICES = ("610900", OFFICE, "610922100", "610922101")
ACTOR = "system:demo:演示数据"
# (name, gender, born, party, occupation category, constituency, work unit, position, sector, mobile)
DEPUTIES = [
    ("王建国", "male", date(1968, 3, 12), "中共党员", "党政领导干部", "城关镇第一选区",
     "石泉县城关镇人民政府", "镇长", "党政机关", "13800001001"),
    ("李秀英", "female", date(1975, 7, 2), "中共党员", "专业技术人员", "城关镇第二选区",
     "石泉县医院", "副院长、主任医师", "医疗卫生", "13800001002"),
    ("张志强", "male", date(1980, 11, 20), "群众", "工人", "城关镇第三选区",
     "石泉县供电分公司", "线路班班长", "工业", "13800001003"),
    ("刘梅", "female", date(1983, 5, 8), "中共党员", "农民", "饶峰镇第一选区",
     "石泉县饶峰镇胜利村", "村党支部书记", "农业", "13800001004"),
    ("陈德华", "male", date(1962, 9, 30), "民盟盟员", "专业技术人员", "饶峰镇第二选区",
     "石泉中学", "高级教师", "教育", "13800001005"),
    ("杨丽", "female", date(1990, 1, 15), "群众", "农民", "饶峰镇第三选区",
     "石泉县饶峰镇富硒茶叶专业合作社", "理事长", "农业", "13800001006"),
    ("赵文斌", "male", date(1971, 4, 4), "中共党员", "企业负责人", "池河镇第一选区",
     "陕西石泉蚕桑丝绸有限公司", "董事长", "工商", "13800001007"),
    ("黄春燕", "female", date(1986, 12, 24), "中共党员", "专业技术人员", "池河镇第二选区",
     "石泉县池河镇中心卫生院", "院长", "医疗卫生", "13800001008"),
    ("周海", "male", date(1977, 8, 18), "群众", "工人", "后柳镇第一选区",
     "石泉县后柳水乡旅游开发有限公司", "技术员", "工业", "13800001009"),
    ("吴桂兰", "female", date(1969, 2, 27), "中共党员", "农民", "后柳镇第二选区",
     "石泉县后柳镇中坝村", "村民委员会主任", "农业", "13800001010"),
    ("徐明", "male", date(1984, 6, 6), "中共党员", "党政领导干部", "喜河镇第一选区",
     "中共石泉县喜河镇委员会", "党委书记", "党政机关", "13800001011"),
    ("孙晓红", "female", date(1992, 10, 10), "群众", "专业技术人员", "喜河镇第二选区",
     "石泉县喜河镇中心小学", "教师", "教育", "13800001012"),
]  # fmt: skip


def term_start(today: date) -> date:
    """The current terms began on 1 January of last year: a year of the demo's history lies inside them
    whatever day the demo starts."""
    return date(today.year - 1, 1, 1)


def term_end(starts_on: date) -> date:
    return starts_on.replace(year=starts_on.year + 5) - timedelta(days=1)


def hand_written_id(born: date, gender: str, n: int) -> str:
    sequence = 11 + 2 * n if gender == "male" else 12 + 2 * n
    return with_check_digit(f"{OFFICE}{born:%Y%m%d}{sequence:03d}")


async def seed_register() -> bool:
    """Seeds once: does nothing when the office already has congresses."""
    tenant = await load_tenant(OFFICE)
    async with tenant_session(tenant, actor=ACTOR) as session:
        if (await session.execute(select(func.count()).select_from(Congress))).scalar_one():
            return False
        congress = await deputies.create_congress(
            session, tenant, CongressIn(level="county", name="石泉县人民代表大会")
        )
        starts_on = term_start(local_today())
        term = await deputies.create_term(
            session, congress.id, TermIn(number=19, starts_on=starts_on, ends_on=term_end(starts_on))
        )
        persons = []
        for n, (name, gender, born, party, occupation, constituency, *work) in enumerate(DEPUTIES):
            workplace, position, sector, mobile = work
            person = await deputies.create_person(
                session,
                PersonIn(
                    name=name,
                    gender=gender,
                    birth_date=born,
                    party=party,
                    occupation_category=occupation,
                    education="大学本科",
                    sector=sector,
                    workplace=workplace,
                    position=position,
                    mobile=mobile,
                    id_number=hand_written_id(born, gender, n),
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
    for code in RECORDING_OFFICES:
        tenant = await load_tenant(code)
        async with tenant_session(tenant, actor=ACTOR, read_only=True) as session:
            mandate_ids = list((await session.execute(select(Mandate.id))).scalars())
            await publish(session, tenant, mandate_ids)
    await recompute_all(recent(local_today(), 12))
