"""Rollups through the real workers: incremental refreshes after random register changes give
exactly what a full recompute gives, a township's change reaches the city's figure, and every
mandate counts once (the city's total equals its territory's composition statistics)."""

from __future__ import annotations

import asyncio
import random
import time
from datetime import date

from renda.core.timezone import local_today
from renda.modules.register_reports.service import statistics
from renda.modules.rollups.models import Scope
from renda.modules.rollups.periods import containing, current
from renda.modules.rollups.service import recompute_all
from renda.tenants.scoping import load_tenant
from tests.modules.rollups.support import CITY, add_deputy, build_city, random_change, settled, snapshot


def city_figure(
    figures: dict[tuple[str, ...], int], metric: str = "register.deputies", dimension: str = "", member: str = ""
) -> int:
    key = containing("year", local_today()).key
    return figures.get((CITY, metric, key, Scope.TOTAL, dimension, member), 0)


async def test_incremental_refreshes_equal_a_full_recompute(client, database, relayed_worker) -> None:
    caller, offices = await build_city(client, database)
    rng = random.Random(f"{relayed_worker.__class__.__name__}-20261123")
    for office in offices.values():
        for _ in range(3):
            await add_deputy(client, caller, office, rng)
    done = [await random_change(client, caller, offices, rng) for _ in range(40)]
    assert any(d.startswith("move") for d in done) and any(d.startswith("end") for d in done)
    # Last, a move between two townships: both the office it left and the one it joined change.
    county = offices["610522"]
    moved = await add_deputy(client, caller, county, rng, organised_in="610522100")
    await settled(database)
    response = await client.patch(
        f"/api/v1/t/610522/mandates/{moved}", json={"organised_in": "610522101"}, headers=caller.headers
    )
    assert response.status_code == 200, response.text
    await settled(database)
    codes = list(offices)
    running = {p.key for p in current(local_today())}
    incremental = {k: v for k, v in (await snapshot(database, codes)).items() if k[2] in running}
    assert city_figure(incremental) > 0

    await recompute_all(current(local_today()))
    full = await snapshot(database, codes)
    assert {k: v for k, v in full.items() if k[2] in running} == incremental

    # Each mandate once: the city's rolled-up figures are its territory's composition statistics.
    async with database.platform_session() as session:
        stats = await statistics(session, await load_tenant(CITY), local_today())
    assert city_figure(full) == stats.total_mandates
    for figure in stats.levels:
        assert city_figure(full, dimension="level", member=figure.level) == figure.mandates
    gender = {row.value: row.mandates for b in stats.breakdowns if b.key == "gender" for row in b.rows}
    for label, mandates in gender.items():
        assert city_figure(full, dimension="gender", member=label) == mandates


async def test_a_township_change_reaches_the_city(client, database, relayed_worker) -> None:
    caller, offices = await build_city(client, database)
    await settled(database)
    before = city_figure(await snapshot(database, [CITY]), dimension="level", member="township")
    township = offices["610523100"]
    started = time.monotonic()
    await add_deputy(client, caller, township, random.Random(7))
    for _ in range(120):
        after = city_figure(await snapshot(database, [CITY]), dimension="level", member="township")
        if after != before:
            break
        await asyncio.sleep(0.25)
    assert after == before + 1
    print(f"township change → city figure: {time.monotonic() - started:.2f} s")
    # The county in between and the township itself moved by one as well.
    figures = await snapshot(database, ["610523", "610523100"])
    year = containing("year", date.today()).key
    assert figures[("610523100", "register.deputies", year, Scope.OWN, "", "")] >= 1
