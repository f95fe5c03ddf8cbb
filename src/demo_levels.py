"""Seeds the generated five-level register (`demo_people`) into the offices that record it, through the
register's own Excel import: one workbook per office, checked and written in bulk (COPY) with its
audit rows, mandate claims and directory publications, as an office importing its register would.

Each office is seeded once: an office that already has the congresses this adds is left alone.
"""

from __future__ import annotations

import io
from datetime import date

from openpyxl import Workbook
from sqlalchemy import select

from renda.core.errors import InvalidInput
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
from renda.modules.deputies.models import Congress
from renda.modules.deputies.schemas import CongressIn, TermIn
from renda.modules.register_import.service import COLUMNS, DATA_SHEET, import_register
from renda.tenants.scoping import load_tenant, tenant_session

ACTOR = "system:demo:演示数据"
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


async def seed_levels() -> bool:
    """Returns whether anything was added."""
    taken = {hand_written_id(born, gender, n) for n, (_, gender, born, *_) in enumerate(DEPUTIES)}
    people = generate(taken)
    today = local_today()
    added = False
    for code in (CITY_CODE, COUNTY_CODE, *ON_PLATFORM):
        tenant = await load_tenant(code)
        async with tenant_session(tenant, actor=ACTOR) as session:
            wanted = _congresses(code)
            names = set((await session.execute(select(Congress.name))).scalars())
            if any(name in names for _, name, _ in wanted):
                continue
            for level, name, division in wanted:
                congress = await deputies.create_congress(
                    session, tenant, CongressIn(level=level, name=name, division_code=division)
                )
                starts_on = _starts(level, today)
                await deputies.create_term(
                    session, congress.id, TermIn(number=TERMS[level], starts_on=starts_on, ends_on=term_end(starts_on))
                )
            result = await import_register(session, workbook(people, code))
            if result.error_count:  # a bug in the generator: say which rows, do not half-seed
                raise InvalidInput(f"演示名册导入失败:{result.errors[:3]}", code="demo_register_invalid")
            await session.commit()
            added = True
    return added
