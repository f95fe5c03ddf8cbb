"""Round trips to PostgreSQL per request, counted on the wire (tests/support/pg_proxy.py).

A request uses one connection and one transaction: BEGIN as the connection leaves the pool, the
caller with the office and roles in one statement, the handler's own statements, COMMIT. These
budgets are what the main routes take today; a change that adds a round trip fails here and has to
say why it is worth it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager

import httpx
import pytest
from sqlalchemy import event
from sqlalchemy.engine import Engine

from renda.core.db import get_database
from tests.conftest import make_caller
from tests.modules.deputies.helpers import add_mandate, add_person, township_term
from tests.support.pg_proxy import PostgresProxy

# route → round trips (BEGIN and COMMIT included), with warm statement caches.
# Before one connection per request they were 12, 35, 28, 28, 50 and 22.
BUDGET = {
    "GET /api/v1/me": 4,
    "GET /api/v1/t/{a}/deputies": 6,
    "GET /api/v1/t/{a}/persons/{person}": 8,
    "POST /api/v1/t/{a}/persons": 8,
    "GET /t/{a}/deputies": 14,
    "GET /t/{a}/": 24,  # the workbench (a statement per card), the recent activity and a name lookup per kind in it
    "GET /p/{a}/deputies": 7,
    "GET /api/v1/t/{a}/suggestions/items": 4,  # the caller, then the page with its window count
}


@pytest.fixture
async def proxy(app) -> AsyncIterator[PostgresProxy]:
    """The app's database reached through the counting proxy, for this test only."""
    database = get_database()
    original = database.url
    async with PostgresProxy(original) as running:
        await database.dispose()
        database.url = running.url
        try:
            yield running
        finally:
            await database.dispose()
            database.url = original


async def test_main_routes_stay_within_their_round_trips(app, hierarchy, database, proxy, settings) -> None:
    from tests.test_sessions_and_tokens import sign_in

    code = hierarchy["a"]
    clerk = await make_caller(database, "名册管理员", {code: ["staff"]})
    browser = await sign_in(database, settings, {code: ["staff"]})
    # No lifespan: the outbox relay's polling would share the proxy's count.
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver.local") as client:
        _, term = await township_term(client, clerk, code)
        person = await add_person(client, clerk, code, "往返测试")
        await add_mandate(client, clerk, code, person["id"], term)

        async def call(route: str) -> httpx.Response:
            method, path = route.split(" ")
            path = path.format(a=code, person=person["id"])
            if method == "POST":
                return await client.post(path, json={"name": "往返新建", "gender": "female"}, headers=clerk.headers)
            headers = browser.cookie if path.startswith("/t/") else {} if path.startswith("/p/") else clerk.headers
            return await client.get(path, headers=headers)

        measured, statements = {}, {}
        for route in BUDGET:
            await call(route)  # warm: connections open, statements prepared
            before = proxy.counter.round_trips
            with recorded_statements() as statements[route]:
                response = await call(route)
            measured[route] = proxy.counter.round_trips - before
            assert response.status_code in (200, 201), f"{route}: {response.status_code} {response.text[:300]}"
    print("round trips:", measured)
    over = {route: (n, BUDGET[route], statements[route]) for route, n in measured.items() if n > BUDGET[route]}
    assert not over, f"round trips over budget (measured, budget, statements): {over}"


@contextmanager
def recorded_statements() -> Iterator[list[str]]:
    """The first line of each statement sent meanwhile, to say where new round trips come from."""
    seen: list[str] = []

    def record(conn, cursor, statement: str, *args: object) -> None:
        seen.append(statement.strip().splitlines()[0][:100])

    event.listen(Engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(Engine, "before_cursor_execute", record)
