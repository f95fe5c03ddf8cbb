"""Deputies, terms and townships for the organisation tests, written straight into an office's schema.

The test database is shared by the whole run, so every helper makes its own rows (fresh names, a
fresh term) instead of relying on what other tests left behind.
"""

from __future__ import annotations

import hashlib
import random
import uuid
from datetime import date

import asyncpg
from sqlalchemy import select

from renda.modules.deputies.models import Congress, Mandate, Person, Term
from renda.modules.deputies.names import full_pinyin, initials
from renda.tenants.scoping import load_tenant, tenant_session
from tests.conftest import _asyncpg_dsn

ACTOR = "system:test:组织机构"


async def add_persons(
    code: str, *names: str, level: str | None = None, term_id: uuid.UUID | None = None
) -> list[uuid.UUID]:
    """Persons of the office's register; with `level` and `term_id`, each gets a live mandate."""
    async with tenant_session(await load_tenant(code), actor=ACTOR) as session:
        persons = [
            Person(name=name, name_pinyin=full_pinyin(name), name_initials=initials(name), gender="female")
            for name in names
        ]
        session.add_all(persons)
        await session.flush()
        if level and term_id:
            session.add_all(
                Mandate(person_id=p.id, term_id=term_id, level=level, starts_on=date(2021, 10, 1)) for p in persons
            )
        await session.commit()
        return [p.id for p in persons]


async def own_congress(code: str, level: str) -> uuid.UUID:
    async with tenant_session(await load_tenant(code), actor=ACTOR) as session:
        query = select(Congress).where(Congress.level == level, Congress.division_code == code)
        congress = (await session.execute(query)).scalar_one_or_none()
        if congress is None:
            congress = Congress(level=level, name=f"{code}人民代表大会", division_code=code)
            session.add(congress)
            await session.commit()
        return congress.id


async def fresh_term(code: str, level: str = "county", *, congress_id: uuid.UUID | None = None) -> uuid.UUID:
    """A new, not current term of the office's own congress (2021-10-01 to 2026-09-30)."""
    congress_id = congress_id or await own_congress(code, level)
    async with tenant_session(await load_tenant(code), actor=ACTOR) as session:
        taken = set((await session.execute(select(Term.number).where(Term.congress_id == congress_id))).scalars())
        # Past real numbers (第二十届 on): many tests of one office each take a term of their own.
        number = random.choice([n for n in range(20, 1000) if n not in taken])
        term = Term(
            congress_id=congress_id,
            number=number,
            starts_on=date(2021, 10, 1),
            ends_on=date(2026, 9, 30),
            is_current=False,
        )
        session.add(term)
        await session.commit()
        return term.id


async def township(code: str, township_code: str, name: str) -> None:
    """A township congress the county administers: it gives the township its name on the pages."""
    async with tenant_session(await load_tenant(code), actor=ACTOR) as session:
        query = select(Congress).where(Congress.level == "township", Congress.division_code == township_code)
        if (await session.execute(query)).scalar_one_or_none() is None:
            session.add(Congress(level="township", name=f"{name}人民代表大会", division_code=township_code))
            await session.commit()


def unique(prefix: str) -> str:
    return f"{prefix}{uuid.uuid4().hex[:6]}"


ORGANISATION_TABLES = (
    "committee_members",
    "bodies",
    "body_members",
    "deputy_groups",
    "group_memberships",
    "stations",
    "station_assignments",
    "audit_log",
)


async def organisation_state(database_url: str, code: str) -> str:
    """A digest of the office's organisation tables and its audit log, read outside the app."""
    conn = await asyncpg.connect(_asyncpg_dsn(database_url), statement_cache_size=0)
    try:
        digest = hashlib.sha256()
        for table in ORGANISATION_TABLES:
            rows = await conn.fetch(f'select * from "t_{code}"."{table}" order by id')
            digest.update(f"{table}:{[tuple(r) for r in rows]}".encode())
        return digest.hexdigest()
    finally:
        await conn.close()
