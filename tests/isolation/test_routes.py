"""Every route of an office (`/api/v1/t/{code}/…` and the pages under `/t/{code}/…`), called as office
A's admin with a request that succeeds, and the same call with office B's ids in A's path.

The routes are enumerated from the app and each write needs a recipe (recipes.py), so a route added
later is either covered or fails here by name. Every call must succeed in A (or fail as its recipe
documents), show nothing of B, leave every row of B (its schema and its rows in the platform's
tables) as it was, and touch no schema but A's (the SQL guard of tests/conftest.py).
"""

from __future__ import annotations

from tests.isolation.calls import WRITES, Checker, routes_under
from tests.isolation.recipes import API, PAGES, Recipe

API_PREFIX, PAGE_PREFIX = "/api/v1/t/{code}", "/t/{code}"


def _table(prefix: str) -> dict[str, Recipe]:
    return API if prefix == API_PREFIX else PAGES


async def test_every_office_route_succeeds_in_a_and_leaves_b_alone(app, client, office_a, office_b, digest_b) -> None:
    checker = await Checker(client, office_a, digest_b, office_b.ids, office_b.marker).start()
    routes = routes_under(app, API_PREFIX, PAGE_PREFIX)
    reads = [r for r in routes if r.method not in WRITES]
    writes = [r for r in routes if r.method in WRITES]
    assert len(reads) > 50 and len(writes) > 200, (len(reads), len(writes))
    for route in reads:  # a read needs a recipe only for more than its path's objects
        await checker.run(route, _table(route.prefix).get(route.key, Recipe()))
    for route in writes:
        recipe = _table(route.prefix).get(route.key)
        if recipe is None:
            checker.problems.append(f"{route.key} ({route.prefix}): no recipe; add one to tests/isolation/recipes.py")
            continue
        await checker.run(route, recipe)
    known = {(r.prefix, r.key) for r in routes}
    stale = [f"{p}: {k}" for p in (API_PREFIX, PAGE_PREFIX) for k in _table(p) if (p, k) not in known]
    assert not checker.problems, "\n".join(checker.problems)
    # The checks ran: B's ids went into paths and bodies, and the schema recorder saw A's schema.
    counts = checker.counts
    assert counts["b_ids_in_path"] > 150 and counts["b_ids_in_body"] > 30 and counts["touching_a"] > 400, counts
    assert not stale, f"recipes for routes the app does not have: {stale}"
