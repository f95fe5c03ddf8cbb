"""Offices, deputies and stations for the reception tests, written straight into an office's schema.

Offices (only these codes): 咸阳市 610400 (city) → 三原县 610422 (county, A) with its townships
610422100 and 610422101, and 泾阳县 610423 (county, B) beside it. The test database is shared by the
run, so each helper makes fresh rows (fresh names) instead of relying on what other tests left.
"""

from __future__ import annotations

import calendar
import hashlib
import itertools
import uuid
from datetime import date, timedelta
from typing import Any

import asyncpg
import pytest

from renda.core.db import Database
from renda.core.timezone import local_today
from renda.modules.deputies.models import Congress, Mandate, Person, Term
from renda.modules.deputies.names import full_pinyin, initials
from renda.modules.organisation.models import Station, StationAssignment
from renda.tenants.scoping import load_tenant, tenant_session
from tests.conftest import _asyncpg_dsn, ensure_tenant

ACTOR = "system:test:接待"
CITY, A, B = "610400", "610422", "610423"
A_TOWNSHIP, A_TOWNSHIP_2 = "610422100", "610422101"

# Rosters and generation only take days after today, and receptions are only recorded up to today: the
# tests' schedules live in a whole year still to come, whenever they run (past records stay in 2026).
YEAR = local_today().year + 1
LEAP_YEAR = next(y for y in itertools.count(YEAR) if calendar.isleap(y))  # a future year with 29 February
COMMON_YEAR = next(y for y in itertools.count(YEAR) if not calendar.isleap(y))  # and one with 28 February


def last_of_february(year: int = YEAR) -> int:
    """28 or 29: where "the 30th of February" falls in `year`."""
    return calendar.monthrange(year, 2)[1]


def next_day_of_month(day: int) -> date:
    """The first date after today falling on the `day`th of its month (`day` ≤ 28): within a month."""
    found = local_today() + timedelta(days=1)
    while found.day != day:
        found += timedelta(days=1)
    return found


@pytest.fixture(scope="session")
async def offices(database: Database) -> dict[str, str]:
    for office in [
        (CITY, "咸阳市人大常委会", "city", None),
        (A, "咸阳市三原县人大常委会", "county", CITY),
        (B, "咸阳市泾阳县人大常委会", "county", CITY),
        (A_TOWNSHIP, "三原县城关街道人大工委", "township", A),
        (A_TOWNSHIP_2, "三原县西阳镇人大主席团", "township", A),
    ]:
        await ensure_tenant(database, *office)
    return {"city": CITY, "a": A, "b": B, "a_township": A_TOWNSHIP}


def unique(prefix: str) -> str:
    return f"{prefix}{uuid.uuid4().hex[:6]}"


async def _term(session, code: str, level: str) -> uuid.UUID:
    from sqlalchemy import select

    congress = (
        await session.execute(select(Congress).where(Congress.level == level, Congress.division_code == code))
    ).scalar_one_or_none()
    if congress is None:
        congress = Congress(level=level, name=f"{code}人民代表大会", division_code=code)
        session.add(congress)
        await session.flush()
    term = (await session.execute(select(Term).where(Term.congress_id == congress.id))).scalars().first()
    if term is None:
        term = Term(
            congress_id=congress.id, number=19, starts_on=date(2026, 10, 1), ends_on=date(2031, 9, 30), is_current=True
        )
        session.add(term)
        await session.flush()
    return term.id


async def add_deputies(
    code: str, *names: str, level: str = "county", user_ids: dict[str, uuid.UUID] | None = None
) -> list[uuid.UUID]:
    """Persons of the office's register, each with a live mandate of the office's own congress."""
    user_ids = user_ids or {}
    async with tenant_session(await load_tenant(code), actor=ACTOR) as session:
        term_id = await _term(session, code, level)
        persons = [
            Person(
                name=name,
                name_pinyin=full_pinyin(name),
                name_initials=initials(name),
                gender="male",
                user_id=user_ids.get(name),
            )
            for name in names
        ]
        session.add_all(persons)
        await session.flush()
        session.add_all(
            Mandate(person_id=p.id, term_id=term_id, level=level, starts_on=date(2026, 10, 1)) for p in persons
        )
        await session.commit()
        return [p.id for p in persons]


async def add_station(
    code: str,
    name: str,
    *,
    kind: str = "liaison_station",
    days: list[int] | None = None,
    township_code: str | None = None,
    persons: list[uuid.UUID] = (),  # type: ignore[assignment]
    mandates: list[uuid.UUID] = (),  # type: ignore[assignment]
    active: bool = True,
) -> uuid.UUID:
    async with tenant_session(await load_tenant(code), actor=ACTOR) as session:
        station = Station(
            kind=kind,
            name=name,
            address="三原县城关街道北大街 1 号",
            township_code=township_code,
            reception_days=days or [],
            is_active=active,
        )
        session.add(station)
        await session.flush()
        session.add_all(StationAssignment(station_id=station.id, person_id=p) for p in persons)
        session.add_all(StationAssignment(station_id=station.id, directory_mandate_id=m) for m in mandates)
        await session.commit()
        return station.id


RECEPTION_TABLES = (
    "reception_rules",
    "reception_exceptions",
    "roster_entries",
    "receptions",
    "reception_deputies",
    "stations",
)


async def receptions_state(database_url: str, code: str) -> str:
    """A digest of the office's reception tables, read outside the app."""
    conn = await asyncpg.connect(_asyncpg_dsn(database_url), statement_cache_size=0)
    try:
        digest = hashlib.sha256()
        for table in RECEPTION_TABLES:
            rows = await conn.fetch(f'select * from "t_{code}"."{table}" order by id')
            digest.update(f"{table}:{[tuple(r) for r in rows]}".encode())
        return digest.hexdigest()
    finally:
        await conn.close()


async def add_directory_mandate(
    database: Database, name: str, level: str, *, recorded_by: str = CITY, organised_in: str = A
) -> uuid.UUID:
    """A deputy another office records, organised in `organised_in`, as the mandate directory lists them
    (the publish worker's row, written directly: the directory is what this module reads)."""
    from renda.modules.deputies.models import DirectoryEntry
    from renda.tenants.models import Tenant

    async with database.platform_session() as session:
        from sqlalchemy import select

        paths = dict((await session.execute(select(Tenant.code, Tenant.path))).all())
        mandate_id = uuid.uuid4()
        session.add(
            DirectoryEntry(
                mandate_id=mandate_id,
                recorded_by=recorded_by,
                recorded_path=paths[recorded_by],
                organised_in=organised_in,
                organised_path=paths[organised_in],
                person_key=f"{recorded_by}:{uuid.uuid4()}",
                person_id=uuid.uuid4(),
                person_name=name,
                name_pinyin=full_pinyin(name),
                name_initials=initials(name),
                gender="female",
                level=level,
                congress_name=f"{level}人民代表大会",
                term_number=14,
                status="active",
                starts_on=date(2023, 1, 1),
            )
        )
        await session.commit()
    return mandate_id


def api(code: str) -> str:
    return f"/api/v1/t/{code}/receptions"


async def staff_and_deputy(database: Database, code: str = A) -> tuple[Any, Any, uuid.UUID]:
    """A staff caller, and a deputy caller linked to a fresh deputy of the office (its person id)."""
    from tests.conftest import make_caller

    staff = await make_caller(database, unique("三原县接待干事"), {code: ["staff"]})
    deputy = await make_caller(database, unique("三原县代表"), {code: ["deputy"]})
    name = unique("代表")
    [person] = await add_deputies(code, name, user_ids={name: deputy.user_id})
    return staff, deputy, person


async def seed_receptions(code: str, station_id: uuid.UUID | str, person_id: uuid.UUID | str) -> dict[str, str]:
    """One object of every kind a receptions route addresses by id, in office `code` (for the isolation
    tests: `rule_id`, `exception_id`, `entry_id`, `reception_id`)."""
    from renda.modules.receptions.models import (
        Reception,
        ReceptionDeputy,
        ReceptionException,
        ReceptionRule,
        RosterEntry,
    )

    station_id, person_id = uuid.UUID(str(station_id)), uuid.UUID(str(person_id))
    async with tenant_session(await load_tenant(code), actor=ACTOR) as session:
        rule = ReceptionRule(station_id=station_id, kind="month_days", days=[10, 20, 30], valid_from=date(2026, 1, 1))
        exception = ReceptionException(station_id=station_id, day=date(YEAR, 1, 1), kind="cancelled", reason="元旦")
        entry = RosterEntry(station_id=station_id, day=date(YEAR, 1, 10), person_id=person_id, source="manual")
        reception = Reception(
            station_id=station_id,
            held_on=date(2026, 11, 10),
            visitor_name="来访群众",
            issue="反映的问题",
            category="other",
        )
        session.add_all([rule, exception, entry, reception])
        await session.flush()
        session.add(ReceptionDeputy(reception_id=reception.id, person_id=person_id))
        await session.commit()
        return {
            "rule_id": str(rule.id),
            "exception_id": str(exception.id),
            "entry_id": str(entry.id),
            "reception_id": str(reception.id),
        }
