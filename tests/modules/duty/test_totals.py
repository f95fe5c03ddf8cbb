"""The ledger's read side: sums capped by rule and category, and the ledger refusing edits."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import delete, update
from sqlalchemy.exc import DBAPIError

from renda.modules.duty.models import PointEntry
from renda.modules.duty.totals import points_of
from renda.tenants.scoping import load_tenant, tenant_session
from tests.modules.duty.support import ACTOR, duty_office


def entry(person_id: uuid.UUID, kind: str, category: str, points: int, year: int = 2026) -> PointEntry:
    return PointEntry(
        year=year,
        person_id=person_id,
        category=category,
        event_kind=kind,
        source="duty_activity",
        source_id=uuid.uuid4(),
        source_label="测试",
        occurred_on=date(year, 5, 1),
        points=Decimal(points),
        created_by=ACTOR,
    )


async def test_points_are_capped_by_rule_and_category(database, offices) -> None:
    office = await duty_office(database, offices["a"], "远安", deputies=2)
    person, other = office.persons
    async with tenant_session(await load_tenant(office.code), actor=ACTOR) as session:
        # Training: 1 a hour, capped at the learning category's 10.
        session.add_all(entry(person, "training", "learning", 4) for _ in range(4))
        # Two sessions (20 each) in meetings, capped at 30; a key suggestion's bonus of 5.
        session.add_all([entry(person, "session", "meetings", 20), entry(person, "session", "meetings", 20)])
        session.add(entry(person, "key_suggestion", "bonus", 5))
        session.add(entry(person, "inspection", "activities", 5, year=2025))  # another year's
        await session.commit()
        found = await points_of(session, 2026, [person, other])
    mine = {c.code: (c.earned, c.counted) for c in found[person].categories}
    assert mine["learning"] == (Decimal(16), Decimal(10))
    assert mine["meetings"] == (Decimal(40), Decimal(30))
    assert mine["activities"] == (Decimal(0), Decimal(0))
    assert (found[person].base, found[person].bonus, found[person].total) == (Decimal(40), Decimal(5), Decimal(45))
    assert found[other].total == 0


@pytest.mark.parametrize("change", ["update", "delete"])
async def test_the_ledger_refuses_edits(database, offices, change: str) -> None:
    office = await duty_office(database, offices["a"], "远安", deputies=1)
    tenant = await load_tenant(office.code)
    async with tenant_session(tenant, actor=ACTOR) as session:
        session.add(entry(office.person, "session", "meetings", 20))
        await session.commit()
    async with tenant_session(tenant, actor=ACTOR) as session:
        where = PointEntry.person_id == office.person
        statement = (
            update(PointEntry).where(where).values(points=99) if change == "update" else delete(PointEntry).where(where)
        )
        with pytest.raises(DBAPIError, match="append-only"):
            await session.execute(statement)
