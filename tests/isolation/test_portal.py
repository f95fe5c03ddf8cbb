"""The public portal (`/p/{office}/…`): every route called for office A by a visitor, with requests that
succeed (a deputy's page and codes, an opinion sent from a deputy's code page, the ticket lookup, the
rating link), and with office B's ids in A's path, query and body. B must stay as it was, and only
A's schema may be touched (the portal resolves the office itself, outside the tenant routes' guard)."""

from __future__ import annotations

from tests.isolation.calls import Checker, bare, plan, routes_under
from tests.isolation.recipes import PORTAL, form

PORTAL_PREFIX = "/p/{office}"
# Routes that name an office in their path and are not an office's own routes: the platform's.
PLATFORM_PREFIX = "/api/v1/platform/"


def test_every_route_naming_an_office_is_covered(app) -> None:
    """An office in the path is either an office's own route (test_routes), the portal (here), or
    the platform admin's registry: a new kind of route naming an office must be added to these tests."""
    covered = ("/api/v1/t/{code}", "/t/{code}", PORTAL_PREFIX, PLATFORM_PREFIX)
    for route in app.routes:
        path = bare(route.path)
        if any(p in path for p in ("{code}", "{office}", "{tenant_code}")):
            assert path.startswith(covered), f"{path} names an office: cover it in tests/isolation"


async def test_the_portal_of_a_leaves_b_alone(app, client, office_a, office_b, digest_b) -> None:
    office_a.sign_out()  # a visitor
    checker = await Checker(client, office_a, digest_b, office_b.ids, office_b.marker).start()
    routes = routes_under(app, PORTAL_PREFIX)
    assert len(routes) >= 15, [r.key for r in routes]
    planned, checker.problems = plan(routes, {PORTAL_PREFIX: PORTAL})
    for route, recipe in planned:
        await checker.run(route, recipe)
    # B's objects named in A's query: a deputy's or a station's form, a ticket.
    theirs = {
        "GET /opinions/new": [{"deputy": office_b.ids["person_id"]}, {"station": office_b.ids["station_id"]}],
        "POST /opinions/new": [{"deputy": office_b.ids["person_id"]}],
        "GET /opinions/status": [{"ticket": office_b.ids["ticket"]}],
    }
    by_key = {r.key: r for r in routes}
    for key, queries in theirs.items():
        for query in queries:
            recipe = PORTAL[key]
            await checker.run_refused(by_key[key], form(query=query, **recipe.fields), 404)
    assert not checker.problems, "\n".join(checker.problems)
    counts = checker.counts
    assert counts["b_ids_in_path"] >= 7 and counts["refused"] == 4 and counts["touching_a"] >= 15, counts
