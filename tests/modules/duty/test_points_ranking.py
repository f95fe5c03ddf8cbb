"""Live rankings: the SQL agrees with `totals.points_of` (caps by rule and category, never below zero),
ties share a rank, pages and name search keep each deputy's rank, and a group's and a township's
rankings hold only theirs."""

from __future__ import annotations

import random
import uuid
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import update

from renda.core.errors import InvalidInput, NotFound
from renda.modules.duty import ledger, ranking
from renda.modules.duty.models import PointCategory, PointEntry, PointRule
from renda.modules.duty.ranking import RankingFilter
from renda.modules.organisation.models import DeputyGroup
from renda.tenants.scoping import load_tenant, tenant_session
from tests.modules.duty.support import ACTOR, person_name
from tests.modules.duty.support_points import YEAR, own_office, points_office, totals

KINDS = [
    ("session", "meetings"),
    ("invited_attendance", "meetings"),
    ("inspection", "activities"),
    ("absence", "activities"),
    ("training", "learning"),
    ("reception", "people"),
    ("suggestion_lead", "suggestions"),
    ("key_suggestion", "bonus"),
    ("award_city", "bonus"),
]


def entry(person: uuid.UUID, kind: str, category: str, points: Decimal, year: int) -> PointEntry:
    return PointEntry(
        year=year,
        person_id=person,
        category=category,
        event_kind=kind,
        source="duty_activity",
        source_id=uuid.uuid4(),
        source_label="测试",
        occurred_on=date(year, 5, 1),
        points=points,
        created_by=ACTOR,
    )


async def add_entries(code: str, rows: list[PointEntry]) -> None:
    """Entries written straight into the ledger, then folded into the ranking's sums as a reconcile does."""
    async with tenant_session(await load_tenant(code), actor=ACTOR) as session:
        session.add_all(rows)
        await session.flush()
        for year in {row.year for row in rows}:
            await ledger.fold(session, year)
        await session.commit()


async def group_ranking(code: str, group_id: uuid.UUID, year: int, **kw) -> list[ranking.RankRow]:
    async with tenant_session(await load_tenant(code), actor=ACTOR, read_only=True) as session:
        page = await ranking.ranking(session, RankingFilter(year, "group", group_id, **kw), 1, 200)
    return page.items


@pytest.mark.parametrize("with_rules", [False, True], ids=["default caps", "the office's caps"])
async def test_the_ranking_agrees_with_the_totals(database, offices, with_rules: bool) -> None:
    code = await own_office(database, offices, "ranking")
    office = await points_office(database, code, "五峰", deputies=8)
    year = YEAR + (11 if with_rules else 10)
    rng = random.Random(year)
    if with_rules:  # written as rows, caps the editor would refuse included: the two sides must agree anyway
        async with tenant_session(await load_tenant(code), actor=ACTOR) as session:
            caps = {"meetings": 25, "activities": 12, "suggestions": 8, "people": 6, "learning": 4, "bonus": None}
            session.add_all(
                PointCategory(year=year, code=c, cap=None if v is None else Decimal(v), is_bonus=c == "bonus")
                for c, v in caps.items()
            )
            session.add_all(
                PointRule(
                    year=year,
                    event_kind=k,
                    category=c,
                    points=Decimal(1),
                    cap=Decimal(rng.choice([3, 7, 15])) if rng.random() < 0.5 else None,
                    created_by=ACTOR,
                )
                for k, c in KINDS
            )
            await session.commit()
    rows = []
    for person in office.persons:
        for _ in range(rng.randrange(0, 12)):
            kind, category = rng.choice(KINDS)
            points = Decimal(rng.choice([0, 1, 2.5, 5, 10, 20]))
            rows.append(entry(person, kind, category, -points if kind == "absence" else points, year))
    await add_entries(code, rows)

    ranked = await group_ranking(code, office.group_id, year)
    expected = await totals(code, office.persons, year)

    assert {r.person_id: (r.base, r.bonus, r.total) for r in ranked} == {
        p: (t.base, t.bonus, t.total) for p, t in expected.items()
    }
    assert [r.total for r in ranked] == sorted((t.total for t in expected.values()), reverse=True)


async def test_ties_share_a_rank_and_caps_hold(database, offices) -> None:
    code = await own_office(database, offices, "ranking")
    office = await points_office(database, code, "五峰", deputies=4)
    a, b, c, d = office.persons
    year = YEAR + 12
    await add_entries(
        code,
        [
            # Three sessions: 60 earned, the meetings category counts 30.
            *(entry(a, "session", "meetings", Decimal(20), year) for _ in range(3)),
            entry(b, "session", "meetings", Decimal(20), year),
            entry(b, "inspection", "activities", Decimal(5), year),
            entry(b, "reception", "people", Decimal(3), year),
            entry(b, "key_suggestion", "bonus", Decimal(2), year),  # 30 like a: base 28 + bonus 2
            entry(c, "inspection", "activities", Decimal(5), year),
            entry(c, "absence", "activities", Decimal(-8), year),  # a category never goes below zero
        ],
    )

    ranked = await group_ranking(code, office.group_id, year)

    assert [(r.person_id, r.rank, r.total) for r in ranked][:2] in (
        [(a, 1, 30), (b, 1, 30)],
        [(b, 1, 30), (a, 1, 30)],
    )
    assert [(r.rank, r.total) for r in ranked[2:]] == [(3, 0), (3, 0)]
    assert {r.person_id for r in ranked[2:]} == {c, d}
    rows = {r.person_id: r for r in ranked}
    assert (rows[a].base, rows[a].bonus) == (30, 0) and (rows[b].base, rows[b].bonus) == (28, 2)


async def test_pages_search_and_scopes(database, offices) -> None:
    code = await own_office(database, offices, "ranking")
    office = await points_office(database, code, "五峰", deputies=5)
    other = await points_office(database, code, "五峰", deputies=1)
    year = YEAR + 13
    await add_entries(
        code, [entry(p, "inspection", "activities", Decimal(5 - n), year) for n, p in enumerate(office.persons)]
    )
    await add_entries(code, [entry(other.person, "inspection", "activities", Decimal(10), year)])
    township = f"{code}{random.randrange(200, 999)}"
    async with tenant_session(await load_tenant(code), actor=ACTOR) as session:
        await session.execute(
            update(DeputyGroup).where(DeputyGroup.id == office.group_id).values(township_code=township)
        )
        await session.commit()

    async with tenant_session(await load_tenant(code), actor=ACTOR, read_only=True) as session:
        first = await ranking.ranking(session, RankingFilter(year, "group", office.group_id), 1, 2)
        second = await ranking.ranking(session, RankingFilter(year, "group", office.group_id), 2, 2)
        in_township = await ranking.ranking(session, RankingFilter(year, "township", township=township), 1, 50)
        whole = await ranking.ranking(session, RankingFilter(year), 1, 2)
        name = await person_name(code, office.persons[2])
        by_name = await ranking.ranking(session, RankingFilter(year, query=name), 1, 20)
        by_pinyin = await ranking.ranking(session, RankingFilter(year, "group", office.group_id, query="wf"), 1, 20)
        mine = await ranking.rank_of(session, year, office.persons[2])
        with pytest.raises(NotFound):
            await ranking.ranking(session, RankingFilter(year, "group", uuid.uuid4()), 1, 20)
        with pytest.raises(InvalidInput):
            await ranking.ranking(session, RankingFilter(year, "group"), 1, 20)

    assert (first.total, [r.rank for r in first.items], [r.rank for r in second.items]) == (5, [1, 2], [3, 4])
    assert [r.person_id for r in in_township.items] == office.persons
    assert whole.items[0].person_id == other.person and whole.items[0].rank == 1  # 10 points, the office's best
    # A search keeps the office's rank: the third of the group is fourth in the office.
    assert [(r.person_id, r.rank) for r in by_name.items] == [(office.persons[2], 4)]
    assert mine is not None and mine.rank == 4 and mine.ranked == whole.total
    assert len(by_pinyin.items) == 5  # 五峰代表… starts wf
