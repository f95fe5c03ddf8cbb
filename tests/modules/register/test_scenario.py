"""The scenario of issue 4, after 石泉县 (seed 000), driven through the real outbox, relay and worker.

A county with 1 national, 2 provincial, 30 city, 152 county and 562 township mandates (747) among
647 persons (714 county and township mandates); in 2018 two county deputies are transferred out,
one is advised to resign, eight resign and eleven are by-elected; then the city office takes over
recording the 30 city deputies, who stay organised in the county.
"""

from __future__ import annotations

import asyncio
import io
import uuid
from collections import defaultdict
from datetime import date

import pytest
from openpyxl import load_workbook
from sqlalchemy import delete, func, insert, select

from renda.modules.deputies import service as deputies
from renda.modules.deputies.directory import mandate_changed
from renda.modules.deputies.idcard import with_check_digit
from renda.modules.deputies.models import Congress, DirectoryEntry, Mandate, Person, Term
from renda.modules.deputies.schemas import MandateEndIn, MandateIn, PersonIn
from renda.modules.register_reports import service as reports
from renda.modules.register_reports.schemas import Statistics
from renda.tenants.scoping import load_tenant, tenant_session
from renda.workers.outbox import OutboxRelay
from tests.conftest import broker_params, ensure_tenant, make_caller, running_worker
from tests.modules.register.builder import ACTOR, FIGURES, County, MandateSpec, build, person_row, plan

COUNTY, COUNTY_NAME, CITY = "610981", "旬阳县人大常委会", "610900"
YEAR = (date(2018, 1, 1), date(2018, 12, 31))
BEFORE_CHANGES, MID_YEAR = date(2018, 3, 31), date(2018, 9, 30)
ENDINGS = [("moved_out", None)] * 2 + [("resigned", "advised")] + [("resigned", "voluntary")] * 8


@pytest.fixture
def worker_broker():
    """A dramatiq worker on the last configured broker (Redis or RabbitMQ in CI, else in-process)."""
    with running_worker(broker_params()[-1]) as broker:
        yield broker


async def wait_for(predicate, seconds: float = 120.0) -> None:
    for _ in range(int(seconds / 0.2)):
        if await predicate():
            return
        await asyncio.sleep(0.2)
    raise AssertionError("condition not met in time")


async def published(database, broker, **expected: int) -> None:
    """Relay the outbox, then wait until the worker has published what the test expects."""
    await OutboxRelay(database, broker).drain()

    async def done() -> bool:
        async with database.platform_session() as session:
            entries = DirectoryEntry
            counts = {
                "county": select(func.count()).where(entries.recorded_by == COUNTY),
                "county_ended": select(func.count()).where(entries.recorded_by == COUNTY, entries.status == "ended"),
                "county_by_elected": select(func.count()).where(entries.recorded_by == COUNTY, entries.by_election),
                "city_in_county": select(func.count()).where(
                    entries.recorded_by == CITY, entries.organised_in == COUNTY
                ),
            }
            for key, value in expected.items():
                if (await session.execute(counts[key])).scalar_one() != value:
                    return False
        return True

    await wait_for(done)


async def stats(code: str, on: date, period: tuple[date, date] = YEAR) -> Statistics:
    tenant = await load_tenant(code)
    async with tenant_session(tenant, actor="test", read_only=True) as session:
        return await reports.statistics(session, tenant, on, *period)


def figures(result: Statistics) -> dict[str, tuple[int, int]]:
    return {f.level: (f.mandates, f.persons) for f in result.levels}


def changes(result: Statistics) -> dict[str, dict[str, int]]:
    c = result.changes
    return {row.kind: row.by_level for row in (*c.ended, c.ended_total, c.by_elected, c.vacant)}


def only_county(n: int) -> dict[str, int]:
    return {level: n if level == "county" else 0 for level in FIGURES}


def expected_breakdowns(mandates: list[MandateSpec], year: int) -> dict[str, dict[str, tuple[dict[str, int], int]]]:
    """What the composition tables must say, counted here from the planned persons."""

    def age_band(born: date) -> str:
        age = year - born.year
        return next(label for label, low, high in reports.AGE_BANDS if low <= age <= high)

    dimensions = {
        "gender": lambda p: reports.GENDER_LABELS[p.gender],
        "ethnic_group": lambda p: "汉族" if p.ethnicity == "汉族" else "少数民族",
        "ethnicity": lambda p: None if p.ethnicity == "汉族" else p.ethnicity,
        "party": lambda p: p.party,
        "occupation": lambda p: p.occupation,
        "age_band": lambda p: age_band(p.birth_date),
    }
    expected: dict[str, dict[str, tuple[dict[str, int], int]]] = {}
    for key, of in dimensions.items():
        by_level: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(FIGURES, 0))
        persons: dict[str, set[int]] = defaultdict(set)
        for mandate in mandates:
            value = of(mandate.person)
            if value is not None:
                by_level[value][mandate.level] += 1
                persons[value].add(mandate.person.index)
        expected[key] = {value: (by_level[value], len(persons[value])) for value in by_level}
    return expected


def breakdowns(result: Statistics) -> dict[str, dict[str, tuple[dict[str, int], int]]]:
    return {b.key: {r.value: (r.by_level, r.persons) for r in b.rows} for b in result.breakdowns}


async def year_of_changes(county: County) -> list[uuid.UUID]:
    """The county's staff end eleven county mandates (April to June), through the register's rules."""
    county_only = [m for m in county.mandates if m.level == "county"][-len(ENDINGS) :]
    tenant = await load_tenant(COUNTY)
    async with tenant_session(tenant, actor=ACTOR) as session:
        for i, (mandate, (reason, kind)) in enumerate(zip(county_only, ENDINGS, strict=True)):
            ended_on = date(2018, 4 + i // 4, 10 + i)
            await deputies.end_mandate(session, mandate.id, MandateEndIn(ended_on, reason, kind))
        await session.commit()
    return [m.id for m in county_only]


async def by_elections(ended: list[uuid.UUID]) -> None:
    """Eleven new county deputies, each filling one vacated seat, in November."""
    tenant = await load_tenant(COUNTY)
    async with tenant_session(tenant, actor=ACTOR) as session:
        term_id = (await session.execute(select(Mandate.term_id).where(Mandate.id == ended[0]))).scalar_one()
        for i, replaced in enumerate(ended):
            number = with_check_digit(f"{COUNTY}1980{i % 12 + 1:02d}15{300 + 2 * i + 1:03d}")
            person = await deputies.create_person(session, PersonIn(name=f"补选代表{i + 1}", id_number=number))
            await deputies.create_mandate(
                session,
                MandateIn(person.id, term_id, date(2018, 11, 20), constituency="第3选区", replaces_mandate_id=replaced),
            )
        await session.commit()


async def city_takes_over(county: County) -> None:
    """The city office records the county's 30 city deputies (organised in the county); the county
    withdraws its own records of them, so each mandate is recorded once, by the city."""
    city_specs = [m for m in county.mandates if m.level == "city"]
    county_tenant, city_tenant = await load_tenant(COUNTY), await load_tenant(CITY)
    async with tenant_session(county_tenant, actor=ACTOR) as session:
        await session.execute(delete(Mandate).where(Mandate.id.in_([m.id for m in city_specs])))
        await session.execute(
            delete(Person).where(Person.id.in_([county.person_ids[m.person.index] for m in city_specs]))
        )
        for mandate in city_specs:
            await mandate_changed(session, COUNTY, mandate.id)
        await session.commit()
    async with tenant_session(city_tenant, actor=ACTOR) as session:
        query = select(Congress.id).where(Congress.level == "city", Congress.division_code == CITY)
        congress_id = (await session.execute(query)).scalar_one_or_none()
        if congress_id is None:
            congress_id = uuid.uuid4()
            await session.execute(
                insert(Congress.__table__).values(
                    id=congress_id, level="city", name="安康市人民代表大会", division_code=CITY
                )
            )
        taken = set((await session.execute(select(Term.number).where(Term.congress_id == congress_id))).scalars())
        term_id = uuid.uuid4()
        await session.execute(
            insert(Term.__table__).values(
                id=term_id,
                congress_id=congress_id,
                number=max(taken | {999}) + 1,  # a number no other test uses
                starts_on=date(2016, 10, 20),
                ends_on=date(2021, 10, 19),
                is_current=False,
            )
        )
        persons = [person_row(m.person) for m in city_specs]
        await session.execute(insert(Person.__table__), persons)
        mandates = [
            {
                "id": uuid.uuid4(),
                "person_id": person["id"],
                "term_id": term_id,
                "level": "city",
                "organised_in": COUNTY,
                "starts_on": date(2016, 10, 20),
                "status": "active",
                "by_election": False,
            }
            for person in persons
        ]
        await session.execute(insert(Mandate.__table__), mandates)
        for mandate in mandates:
            await mandate_changed(session, CITY, mandate["id"])
        await session.commit()


async def test_county_register_scenario(client, database, hierarchy, worker_broker) -> None:
    await ensure_tenant(database, COUNTY, COUNTY_NAME, "county", CITY)
    county = plan(COUNTY, COUNTY_NAME)
    await build(county)
    await published(database, worker_broker, county=747)

    # 1. The summary shows exactly the published figures.
    before = await stats(COUNTY, BEFORE_CHANGES)
    assert figures(before) == {
        "national": (1, 1),
        "provincial": (2, 2),
        "city": (30, 30),
        "county": (152, 152),
        "township": (562, 562),
    }
    assert (before.total_mandates, before.total_persons) == (747, 647)
    assert figures(before)["county"][0] + figures(before)["township"][0] == 714
    assert breakdowns(before) == expected_breakdowns(county.mandates, 2018)
    gender = {r.value: r for r in next(b for b in before.breakdowns if b.key == "gender").rows}
    assert gender["男"].persons + gender["女"].persons == 647 and gender["男"].mandates + gender["女"].mandates == 747

    # 2. A year of changes: 2 transferred out, 1 advised to resign, 8 resign (April to June) ...
    ended = await year_of_changes(county)
    await published(database, worker_broker, county=747, county_ended=11)
    mid = await stats(COUNTY, MID_YEAR, (YEAR[0], MID_YEAR))
    assert figures(mid)["county"] == (141, 141)
    assert (mid.total_mandates, mid.total_persons) == (736, 636)
    assert changes(mid) == {
        "ended:moved_out": only_county(2),
        "ended:resigned:voluntary": only_county(8),
        "ended:resigned:advised": only_county(1),
        "ended": only_county(11),
        "by_elected": only_county(0),
        "vacant": only_county(11),
    }
    assert [r.label for r in mid.changes.ended] == [
        "迁出或者调离本行政区域",
        "辞职被接受(本人辞职)",
        "辞职被接受(劝辞)",
    ]
    # ... and 11 are by-elected in November: the counts are whole again, with no vacancy left.
    await by_elections(ended)
    await published(database, worker_broker, county=758, county_ended=11, county_by_elected=11)
    after = await stats(COUNTY, YEAR[1])
    assert figures(after) == figures(before)
    assert (after.total_mandates, after.total_persons) == (747, 647)
    assert changes(after) == {**changes(mid), "by_elected": only_county(11), "vacant": only_county(0)}
    assert figures(await stats(COUNTY, BEFORE_CHANGES)) == figures(before)  # the past does not change

    # The API and the page report the same, in Chinese.
    staff = await make_caller(database, "旬阳县代表工委", {COUNTY: ["staff"]})
    period = {"on": "2018-12-31", "from": "2018-01-01", "to": "2018-12-31"}
    api = await client.get(f"/api/v1/t/{COUNTY}/register/statistics", params=period, headers=staff.headers)
    assert api.status_code == 200, api.text
    body = api.json()
    assert body["total_mandates"] == 747 and body["total_persons"] == 647
    assert body["changes"]["by_elected"]["by_level"]["county"] == 11
    page = await client.get(
        f"/t/{COUNTY}/deputies/statistics", params=period, headers={**staff.headers, "Accept": "text/html"}
    )
    assert page.status_code == 200
    for text in ("代表构成统计", "747", "647", "劝辞", "迁出或者调离本行政区域", "补选", "少数民族"):
        assert text in page.text, text

    # The statistics as an Excel file, built by the worker.
    queued = await client.post(
        f"/t/{COUNTY}/deputies/statistics/export", data=period, headers=staff.headers, follow_redirects=False
    )
    assert queued.status_code in (302, 303), queued.text
    export_id = queued.headers["location"].rsplit("export=", 1)[1]
    await OutboxRelay(database, worker_broker).drain()

    async def exported() -> bool:
        response = await client.get(f"/api/v1/t/{COUNTY}/exports/{export_id}", headers=staff.headers)
        return response.json()["status"] == "done"

    await wait_for(exported)
    download = await client.get(f"/api/v1/t/{COUNTY}/exports/{export_id}/file", headers=staff.headers)
    rows = [[c.value for c in row] for row in load_workbook(io.BytesIO(download.content)).active.iter_rows()]
    assert rows[0] == reports.EXPORT_HEADERS
    assert ["代表总数", "在任代表资格", 1, 2, 30, 152, 562, 747, 647] in rows
    assert any(row[1] == "辞职被接受(劝辞)" and row[5] == 1 for row in rows)

    # 3. The city office on the platform records the 30 city deputies organised in the county.
    city_before = figures(await stats(CITY, YEAR[1]))["city"]
    await city_takes_over(county)
    await published(database, worker_broker, county=728, city_in_county=30)
    county_now = await stats(COUNTY, YEAR[1])
    assert figures(county_now) == figures(before)  # still 30 city deputies in the county's territory
    assert (county_now.total_mandates, county_now.total_persons) == (747, 647)
    # The city's figure counts each of them once (recorded by the city and organised in the county).
    assert figures(await stats(CITY, YEAR[1]))["city"] == city_before
