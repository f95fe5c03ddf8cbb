"""Seeds the generated five-level register (`demo_people`) into the offices that record it, through the
register's own Excel import: one workbook per office, checked and written in bulk (COPY) with its
audit rows, mandate claims and directory publications, as an office importing its register would.

Each office is seeded once: an office that already has the congresses this adds is left alone.
"""

from __future__ import annotations

import io
import logging
from datetime import date

from openpyxl import Workbook
from sqlalchemy import select

from renda.core.errors import AppError
from renda.core.timezone import local_today
from renda.demo_people import (
    CITY_CODE,
    CONGRESSES,
    COUNTY_CODE,
    ON_PLATFORM,
    TERMS,
    TOWNSHIPS,
    DemoPerson,
    generate,
    township_congress,
)
from renda.demo_register import DEPUTIES, hand_written_id, term_end, term_start
from renda.modules.deputies import service as deputies
from renda.modules.deputies.models import Congress, Person
from renda.modules.deputies.schemas import CongressIn, TermIn
from renda.modules.organisation import service as organisation
from renda.modules.organisation.models import DeputyGroup
from renda.modules.organisation.schemas import GroupIn, StationIn
from renda.modules.register_import.service import COLUMNS, DATA_SHEET, import_register
from renda.tenants.scoping import load_tenant, tenant_session

ACTOR = "system:demo:演示数据"
log = logging.getLogger("renda.demo")
EXISTING_GROUPS = {"610922100": "城关片代表小组", "610922101": "饶峰片代表小组"}  # demo_register's
GENDER = {"male": "男", "female": "女"}
LEVEL = {"national": "全国人大代表", "provincial": "省人大代表", "city": "市人大代表", "county": "县人大代表",
         "township": "乡镇人大代表"}  # fmt: skip


def _starts(level: str, today: date) -> date:
    """National and provincial terms began two years before the others (they are elected earlier)."""
    first = term_start(today)
    return {"national": date(first.year - 2, 3, 5), "provincial": date(first.year - 2, 1, 20)}.get(level, first)


def _congresses(code: str) -> list[tuple[str, str, str | None]]:
    """(level, name, division code) of the congresses this seed adds to an office."""
    if code == CITY_CODE:
        return [(level, CONGRESSES[level], None) for level in ("city", "provincial", "national")]
    if code == COUNTY_CODE:  # the county congress is demo_register's
        return [("township", township_congress(t), t) for t in TOWNSHIPS if t not in ON_PLATFORM]
    return [("township", township_congress(code), None)]


def workbook(people: list[DemoPerson], code: str) -> bytes:
    """The import sheet of one office: one row per mandate it records."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet(DATA_SHEET)
    sheet.append([c.header for c in COLUMNS])
    for person in people:
        for seat in person.seats:
            if seat.records != code:
                continue
            values = {
                "name": person.name,
                "id_number": person.id_number,
                "gender": GENDER[person.gender],
                "birth_date": person.born.isoformat(),
                "party": person.party,
                "occupation_category": person.occupation,
                "education": person.education,
                "sector": person.sector,
                "workplace": person.workplace,
                "position": person.position,
                "mobile": person.mobile,
                "level": LEVEL[seat.level],
                "congress": seat.congress,
                "term": seat.term,
                "constituency": seat.constituency,
                "electoral_unit": seat.electoral_unit,
                "organised_in": seat.organised_in,
            }
            sheet.append([values.get(c.key) for c in COLUMNS])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


async def organise(people: list[DemoPerson]) -> None:
    """Every county deputy in the geographic group of their town (城关 and 饶峰 have demo_register's
    groups) and in their town's deputy workroom, once: 进家入站 for the whole county congress."""
    tenant = await load_tenant(COUNTY_CODE)
    async with tenant_session(tenant, actor=ACTOR) as session:
        groups = {g.name: g for g in (await session.execute(select(DeputyGroup))).scalars()}
        if "池河镇代表小组" in groups:
            return
        persons = dict((await session.execute(select(Person.id_number_hash, Person.id))).all())
        by_town: dict[str, list] = {}
        for person in people:
            found = persons.get(deputies.id_number_key(person.id_number))
            if found is not None and any(seat.level == "county" for seat in person.seats):
                by_town.setdefault(person.town, []).append(found)
        for code, members in by_town.items():
            town = TOWNSHIPS[code]
            group = groups.get(EXISTING_GROUPS.get(code, "")) or await organisation.create_group(
                session, tenant, GroupIn(kind="geographic", name=f"{town}代表小组", township_code=code)
            )
            for person_id in members:
                await organisation.add_group_member(session, group, person_id)
            if code == "610922100":
                continue  # 城关镇 has demo_register's liaison station
            station = await organisation.create_station(
                session,
                tenant,
                StationIn(
                    kind="workroom",
                    name=f"{town}人大代表工作室",
                    address=f"石泉县{town}人民政府院内",
                    township_code=code,
                    reception_days=[15],
                    opening_rules="每月15日 9:00-12:00 代表接待选民",
                ),
            )
            for person_id in members[:8]:
                await organisation.assign_deputy(session, station, person_id)
        await session.commit()


async def seed_levels() -> bool:
    """Returns whether anything was added."""
    taken = {hand_written_id(born, gender, n) for n, (_, gender, born, *_) in enumerate(DEPUTIES)}
    people = generate(taken)
    added = False
    for code in (CITY_CODE, COUNTY_CODE, *ON_PLATFORM):
        try:
            added = await _seed_office(code, people) or added
        except AppError as error:  # a database with other registers in it (tests): the demo's rows stay out
            log.warning("demo register not seeded", extra={"office": code, "code": error.code})
    try:
        await organise(people)
    except AppError as error:
        log.warning("demo groups and workrooms not seeded", extra={"code": error.code})
    return added


async def _seed_office(code: str, people: list[DemoPerson]) -> bool:
    tenant = await load_tenant(code)
    today = local_today()
    async with tenant_session(tenant, actor=ACTOR) as session:
        wanted = _congresses(code)
        names = set((await session.execute(select(Congress.name))).scalars())
        if any(name in names for _, name, _ in wanted):
            return False
        for level, name, division in wanted:
            congress = await deputies.create_congress(
                session, tenant, CongressIn(level=level, name=name, division_code=division)
            )
            starts_on = _starts(level, today)
            await deputies.create_term(
                session, congress.id, TermIn(number=TERMS[level], starts_on=starts_on, ends_on=term_end(starts_on))
            )
        # Only the valid rows: in a database that holds other registers (tests), a seat recorded there
        # already is left out; the demo's own database has no invalid row (tests/test_demo_seed.py).
        result = await import_register(session, workbook(people, code), mode="valid_only")
        if result.error_count:
            log.warning("demo register rows left out", extra={"office": code, "rows": result.error_count})
        await session.commit()
        return True
