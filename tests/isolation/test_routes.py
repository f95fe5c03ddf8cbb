"""Every route of an office (`/api/v1/t/{code}/…` and the pages under `/t/{code}/…`), called as office
A's admin with a request that succeeds; before it, the same call with each id in its body naming B's
object (refused), and after it, with B's ids in A's path (404).

The routes are enumerated from the app and each write needs a recipe (recipes.py), so a route added
later is either covered or fails here by name. Every call must succeed in A (or fail as its recipe
documents), show nothing of B, leave every row of B (its schema and its rows in the platform's
tables) as it was, and touch no schema but A's (the SQL guard of tests/conftest.py).
"""

from __future__ import annotations

from tests.isolation.calls import WRITES, Checker, plan, routes_under, with_b_ids_in_body
from tests.isolation.recipes import API, PAGES
from tests.support.platform_writes import platform_writes
from tests.test_schema_boundaries import undocumented

API_PREFIX, PAGE_PREFIX = "/api/v1/t/{code}", "/t/{code}"
TABLES = {API_PREFIX: API, PAGE_PREFIX: PAGES}


async def test_every_office_route_succeeds_in_a_and_leaves_b_alone(app, client, office_a, office_b, digest_b) -> None:
    checker = await Checker(client, office_a, digest_b, office_b.ids, office_b.marker).start()
    routes = routes_under(app, API_PREFIX, PAGE_PREFIX)
    assert sum(r.method in WRITES for r in routes) > 200 and sum(r.method not in WRITES for r in routes) > 100
    planned, checker.problems = plan(routes, TABLES)
    with platform_writes() as written:
        for route, recipe in planned:
            await checker.run(route, recipe)
    assert not checker.problems, "\n".join(checker.problems)
    assert not undocumented(written.joined), undocumented(written.joined)
    # What an office's requests write in `platform` is known and documented (the Citus boundary).
    assert not undocumented(written.requests, requests=True), undocumented(written.requests, requests=True)
    # The checks ran: B's ids went into paths and bodies, and the schema recorder saw A's schema.
    counts = checker.counts
    assert counts["b_ids_in_path"] > 150 and counts["b_ids_in_body"] > 30 and counts["touching_a"] > 400, counts


def test_a_write_route_without_a_recipe_fails_by_its_name(app, monkeypatch) -> None:
    monkeypatch.delitem(API, "POST /organisation/stations")
    monkeypatch.setitem(PAGES, "POST /organisation/stations/{station_id}/paint", PAGES["POST /organisation/stations"])
    _, problems = plan(routes_under(app, API_PREFIX, PAGE_PREFIX), TABLES)
    assert (
        "POST /organisation/stations (/api/v1/t/{code}): no recipe; add one to tests/isolation/recipes.py" in problems
    )
    assert (
        "/t/{code}: POST /organisation/stations/{station_id}/paint: a recipe for a route the app does not have"
        in problems
    )


def test_b_ids_go_into_every_id_field_of_a_body() -> None:
    b = {"station_id": "00000000-0000-0000-0000-00000000000b", "person_id": "00000000-0000-0000-0000-0000000000b0"}
    ours = "00000000-0000-0000-0000-00000000000a"
    body = {"station_id": ours, "visitor_name": "来访群众", "deputies": [{"person_id": ours}], "person_ids": [ours]}
    variants = {name: sent for name, _, sent in with_b_ids_in_body({"json": body}, b)}
    assert variants == {
        "station_id": {b["station_id"]},
        "deputies[0].person_id": {b["person_id"]},
        "person_ids": {b["person_id"]},
    }
