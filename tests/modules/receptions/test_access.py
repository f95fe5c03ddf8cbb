"""Tenant isolation and roles for every receptions route: office B's ids through office A's URL are not
there (404) and B is unchanged; a member of A is refused in B; the routes are enumerated from the app, so a
route added later is covered. Also: the migration creates exactly what the models describe."""

from __future__ import annotations

import re

from litestar.routes import HTTPRoute
from sqlalchemy import text

from tests.conftest import make_caller
from tests.modules.receptions.support import (
    CITY,
    YEAR,
    A,
    B,
    add_deputies,
    add_station,
    receptions_state,
    seed_receptions,
    unique,
)

PARAM = re.compile(r"\{(\w+)(?::\w+)?\}")


def reception_routes(app) -> list[tuple[str, str]]:
    found = []
    for route in app.routes:
        if isinstance(route, HTTPRoute) and "/receptions" in route.path and "{code" in route.path:
            for method in sorted(route.methods - {"OPTIONS", "HEAD"}):
                found.append((method, route.path))
    return found


async def _office_b() -> dict[str, str]:
    [person] = await add_deputies(B, unique("泾阳县隔离代表"))
    station = await add_station(B, unique("泾阳县隔离联络站"), days=[10, 20, 30], persons=[person])
    return {"station_id": str(station), "person_id": str(person)} | await seed_receptions(B, station, person)


async def test_office_bs_ids_through_office_as_urls_are_not_there(app, client, database, database_url, offices) -> None:
    b_ids = await _office_b()
    staff = await make_caller(database, unique("三原县接待管理员"), {A: ["office_admin"]})
    before = await receptions_state(database_url, B)
    routes = reception_routes(app)
    assert len(routes) >= 30, routes
    with_ids = 0
    for method, path in routes:
        names = [n for n in PARAM.findall(path) if n != "code"]
        url = PARAM.sub(lambda m: A if m.group(1) == "code" else b_ids[m.group(1)], path)
        body = {"station_id": b_ids["station_id"], "year": YEAR, "month": 1} if method in {"POST", "PATCH"} else None
        response = await client.request(method, url, json=body, headers=staff.headers)
        assert response.status_code < 500, (method, url, response.text)
        assert not any(v in response.text for v in b_ids.values()), (method, url)
        if names:
            with_ids += 1
            assert response.status_code == 404, (method, url, response.status_code, response.text)
        elif method in {"POST", "PATCH"} and "/api/" in path:
            assert response.status_code in (400, 404), (method, url, response.text)  # B's station in a body
    assert with_ids >= 15
    assert await receptions_state(database_url, B) == before


async def test_a_member_of_a_is_refused_in_b(app, client, database, database_url, offices) -> None:
    b_ids = await _office_b()
    callers = [await make_caller(database, unique(f"三原县{r}"), {A: [r]}) for r in ("staff", "deputy", "viewer")]
    before = await receptions_state(database_url, B)
    for method, path in reception_routes(app):
        url = PARAM.sub(lambda m: B if m.group(1) == "code" else b_ids[m.group(1)], path)
        for caller in callers:
            response = await client.request(method, url, json={}, headers=caller.headers)
            assert response.status_code == 403 and response.json()["code"] == "not_a_member", (method, url)
    assert await receptions_state(database_url, B) == before


async def test_the_city_reads_its_countys_receptions_but_never_writes(client, database, database_url, offices) -> None:
    city = await make_caller(database, unique("咸阳市代表工委"), {CITY: ["staff"]})
    [person] = await add_deputies(A, unique("三原县代表"))
    station = await add_station(A, unique("三原县上级查看联络站"), days=[10], persons=[person])
    url = f"/api/v1/t/{A}/receptions"
    assert (await client.get(f"{url}/stations", headers=city.headers)).status_code == 200
    assert (await client.get(f"{url}/records", headers=city.headers)).status_code == 200
    before = await receptions_state(database_url, A)
    body = {"kind": "month_days", "days": [5], "valid_from": f"{YEAR}-01-01"}
    write = await client.post(f"{url}/stations/{station}/rules", json=body, headers=city.headers)
    assert write.status_code == 403 and write.json()["code"] == "read_only_access"
    record = {"station_id": str(station), "held_on": "2026-11-10", "visitor_name": "甲", "issue": "乙"}
    record |= {"category": "other", "deputies": [{"person_id": str(person)}]}
    assert (await client.post(f"{url}/records", json=record, headers=city.headers)).status_code == 403
    assert await receptions_state(database_url, A) == before


async def test_roles_reach_what_they_should(client, database, offices) -> None:
    url = f"/api/v1/t/{A}/receptions"
    station = await add_station(A, unique("三原县角色联络站"), days=[10])
    expected = {
        "staff": (200, 201),
        "office_admin": (200, 201),
        "committee_member": (200, 403),
        "viewer": (200, 403),
        "deputy": (200, 403),
        "handling_unit": (403, 403),
    }
    for index, (role, (read, write)) in enumerate(expected.items()):
        caller = await make_caller(database, unique(f"三原县角色{role}"), {A: [role]})
        got = await client.get(f"{url}/calendar", params={"year": YEAR, "month": 1}, headers=caller.headers)
        assert got.status_code == read, (role, got.text)
        day = f"{YEAR}-09-{index + 1:02d}"
        made = await client.post(
            f"{url}/exceptions", json={"day": day, "kind": "extra", "station_id": str(station)}, headers=caller.headers
        )
        assert made.status_code == write, (role, made.text)


async def test_the_migration_matches_the_models(database_url, offices) -> None:
    """t0007 creates exactly the tables, columns, indexes and constraints the models describe."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from sqlalchemy.ext.asyncio import create_async_engine

    from renda.core.db import TenantBase
    from renda.modules.receptions import models

    mine = (
        models.ReceptionRule,
        models.ReceptionException,
        models.RosterEntry,
        models.Reception,
        models.ReceptionDeputy,
    )
    tables = {m.__tablename__ for m in mine}

    def include(obj, name, kind, reflected, compare_to) -> bool:
        table = name if kind == "table" else getattr(getattr(obj, "table", None), "name", None)
        return table in tables

    def compare(connection):
        context = MigrationContext.configure(
            connection, opts={"include_object": include, "compare_type": True, "target_metadata": TenantBase.metadata}
        )
        return compare_metadata(context, TenantBase.metadata)

    engine = create_async_engine(database_url, execution_options={"schema_translate_map": {None: f"t_{A}"}})
    try:
        async with engine.connect() as conn:
            await conn.execute(text(f'SET search_path TO "t_{A}"'))
            diff = await conn.run_sync(compare)
    finally:
        await engine.dispose()
    assert diff == []
