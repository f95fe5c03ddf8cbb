"""The demo's seeded deployment (`renda demo`), in a database of its own: the register in 石泉县's
proportions, a year of contacts, receptions and opinions with their rollups, demo users who all have an
email address, and work on the first page of every demo user."""

from __future__ import annotations

import re
import time
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import date, timedelta

import asyncpg
import dramatiq
import pytest
from litestar.testing import AsyncTestClient

import renda.core.db as db_module
from renda.app import create_app
from renda.core.timezone import local_today
from renda.demo import DEMO_USERS
from renda.demo_people import LEVEL_COUNTS, RESERVED, generate
from renda.modules.accounts.routes import demo_login_limiter
from renda.modules.notifications.channels import configure_channels
from renda.workers.broker import create_broker, use_broker
from tests.conftest import _asyncpg_dsn
from tests.support.demo_database import configured, throwaway_database

SHIQUAN = "610900/610922"


@pytest.fixture(scope="module")
async def demo_url(database) -> AsyncIterator[str]:
    from renda.demo import seed_demo
    from renda.tenants.migrations import load_all_models, migrate_all

    await load_all_models()
    async with throwaway_database("demo_seed") as url, configured(url) as db:
        await migrate_all(db)
        started = time.perf_counter()
        assert await seed_demo(db)
        print(f"demo seeded in {time.perf_counter() - started:.1f} s")
        started = time.perf_counter()
        assert not await seed_demo(db)  # a second start adds nothing
        print(f"second start in {time.perf_counter() - started:.1f} s")
        yield url


async def fetch(url: str, query: str, *args: object) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(_asyncpg_dsn(url))
    try:
        return await conn.fetch(query, *args)
    finally:
        await conn.close()


def test_the_generated_register_is_the_same_on_every_start() -> None:
    people = generate()
    assert people == generate()  # a fixed seed: every start and every test sees the same register
    names = [p.name for p in people]
    assert len(set(names)) == len(names) and not any(r in n for n in names for r in RESERVED)
    mobiles = [p.mobile for p in people]
    assert len(set(mobiles)) == len(mobiles) and all(re.fullmatch(r"1380000\d{4}", m) for m in mobiles)
    seats = [s.level for p in people for s in p.seats]
    assert {level: seats.count(level) for level in LEVEL_COUNTS} == {**LEVEL_COUNTS, "county": 152 - 12}


async def test_the_register_has_shiquans_five_levels(demo_url) -> None:
    territory = "(recorded_path like $1 || '%' or organised_path like $1 || '%') and status = 'active'"
    rows = await fetch(
        demo_url, f"select level, count(distinct mandate_id) from platform.mandate_directory where {territory} "
        "group by level", SHIQUAN
    )  # fmt: skip
    assert dict(rows) == LEVEL_COUNTS == {"national": 1, "provincial": 2, "city": 30, "county": 152, "township": 562}
    persons = await fetch(
        demo_url,
        f"select person_key, count(*) as seats from platform.mandate_directory where {territory} group by person_key",
        SHIQUAN,
    )
    several = [r for r in persons if r["seats"] > 1]
    assert len(persons) == 747 - len(several) and len(several) == 57
    # Who records what: the city the higher levels, each township office on the platform its own.
    recorded = dict(
        await fetch(
            demo_url,
            f"select recorded_by, count(*) from platform.mandate_directory where {territory} group by recorded_by",
            SHIQUAN,
        )
    )
    assert recorded == {"610900": 33, "610922": 594, "610922100": 70, "610922101": 50}


async def test_deputies_have_work_units_phones_and_sectors(demo_url) -> None:
    (row,) = await fetch(
        demo_url,
        "select count(*) as persons, count(workplace) as workplace, count(position) as position, "
        "count(mobile_masked) as mobile, count(sector) as sector, count(distinct name) as names, "
        "count(distinct party) as parties from t_610922.persons",
    )
    assert row["persons"] > 500
    assert row["workplace"] == row["position"] == row["mobile"] == row["sector"] == row["names"] == row["persons"]
    assert row["parties"] >= 5
    masked = await fetch(demo_url, "select mobile_masked from t_610922.persons")
    assert all(re.fullmatch(r"138\*{4}\d{4}", m["mobile_masked"]) for m in masked), masked[:3]


def _months_back(today: date, count: int) -> list[str]:
    months, day = [], today.replace(day=1)
    for _ in range(count):
        day = (day - timedelta(days=1)).replace(day=1)
        months.append(f"{day:%Y-%m}")
    return months


async def test_a_year_of_contacts_receptions_and_opinions_with_their_figures(demo_url) -> None:
    last_year = _months_back(local_today(), 11)  # the eleven whole months before this one
    for table, column in (
        ("contact_records", "contacted_on"),
        ("receptions", "held_on"),
        ("opinions", "(created_at at time zone 'Asia/Shanghai')::date"),
    ):
        rows = await fetch(
            demo_url, f"select to_char({column}, 'YYYY-MM') as month, count(*) from t_610922.{table} group by 1"
        )
        by_month = dict(rows)
        wanted = last_year[:-1] if table == "receptions" else last_year  # a year's receptions: 11 months ago...
        if table == "opinions":  # ... the history's opinions close a month and a half before today
            wanted = last_year[1:]
        assert all(by_month.get(m, 0) > 0 for m in wanted), (table, by_month)
    (contacts,) = await fetch(demo_url, "select count(*) from t_610922.contact_records")
    assert contacts[0] > 300
    # The rollups: the monthly figures of the last twelve months are there for the reports.
    for metric in ("contacts.records", "receptions.held", "opinions.received", "suggestions.assigned"):
        periods = await fetch(
            demo_url,
            "select period, sum(value) as value from platform.rollup_figures where office_code = '610922' "
            "and metric = $1 and period ~ '^\\d{4}-\\d{2}$' and dimension = '' group by period",
            metric,
        )
        filled = {p["period"] for p in periods if p["value"]}
        # Suggestions: answered and rated ones, so assigned three months ago and earlier.
        assert len(filled & set(last_year[1:])) >= (7 if metric.startswith("suggestions") else 9), (metric, filled)


async def test_a_year_of_suggestions_answered_and_rated(demo_url) -> None:
    (row,) = await fetch(
        demo_url,
        "select count(*) as closed, count(*) filter (where replied_on_time) as on_time, "
        "count(*) filter (where rating in ('satisfied', 'basic')) as satisfied, "
        "count(distinct to_char(assigned_at, 'YYYY-MM')) as months "
        "from t_610922.suggestions where status = 'closed'",
    )
    assert row["closed"] >= 30 and row["months"] >= 9
    assert row["closed"] > row["on_time"] > row["closed"] * 0.6  # a few answered late
    assert row["satisfied"] == row["closed"]
    rates = dict(
        await fetch(
            demo_url,
            "select metric, sum(value) from platform.rollup_figures where office_code = '610922' "
            "and metric in ('suggestions.assigned', 'suggestions.answered') and period ~ '^\\d{4}$' "
            "and dimension = '' and scope = 'own' group by metric",
        )
    )
    assert rates.get("suggestions.assigned", 0) >= 20 and rates.get("suggestions.answered", 0) >= 20, rates


async def test_a_year_of_duty_activities_gives_deputies_points(demo_url) -> None:
    months = dict(
        await fetch(
            demo_url,
            "select to_char((starts_at at time zone 'Asia/Shanghai')::date, 'YYYY-MM'), count(*) "
            "from t_610922.duty_activities group by 1",
        )
    )
    assert all(months.get(m, 0) > 0 for m in _months_back(local_today(), 11)), months
    (row,) = await fetch(
        demo_url,
        "select count(distinct person_id) as deputies, count(distinct year) as years from t_610922.duty_point_entries",
    )
    assert row["deputies"] > 100 and row["years"] >= 1  # points reset each year: early January has none yet


async def test_every_demo_user_has_an_email_address(demo_url) -> None:
    rows = await fetch(
        demo_url, "select display_name, coalesce(contact_email, email) from platform.users where is_demo"
    )
    assert {name for name, _ in rows} == {name for name, _, _ in DEMO_USERS}
    assert all(address and address.endswith("example.cn") for _, address in rows), rows


async def test_the_first_page_of_every_demo_user_has_work_on_it(demo_url, settings) -> None:
    previous_database, previous_broker = db_module.get_database(), dramatiq.get_broker()
    app = create_app(replace(settings, demo_login=True, demo=True), demo_url, broker=create_broker(None))
    users = dict(await fetch(demo_url, "select display_name, id from platform.users where is_demo"))
    try:
        async with AsyncTestClient(app, base_url=settings.public_url) as client:
            login = (await client.get("/login")).text
            preselected = re.search(r'<option value="([^"]+)" selected>([^<]+)</option>', login)
            assert preselected is not None and preselected.group(2) == "石泉县 代表工委 李强(演示)"
            for name, _, _ in DEMO_USERS:
                client.cookies.clear()
                signed_in = await client.post("/login/demo", data={"user_id": str(users[name])})
                assert signed_in.status_code == 200, name
                page = signed_in.text
                counts = [int(n) for n in re.findall(r'<strong class="wb-count">(\d+)</strong>', page)]
                work = any(counts) or '<ol class="wb-items">' in page or '<table class="wb-table">' in page
                assert work, (name, str(signed_in.url), counts)
    finally:
        demo_login_limiter.hits.clear()
        db_module._database = previous_database
        use_broker(previous_broker)
        configure_channels(settings)
