"""Calling an office's routes as its admin, and checking each call: it did what it should in A, it
left B's data as it was, and it touched no schema but A's."""

from __future__ import annotations

import re
import uuid
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import httpx
from litestar import Litestar
from litestar.handlers import HTTPRouteHandler
from litestar.routes import HTTPRoute
from litestar.testing import AsyncTestClient

from tests.conftest import schemas_touched, violations
from tests.isolation.office import Ids, Office
from tests.isolation.office_b import Digest
from tests.isolation.recipes import (
    PATHS,
    Fmt,
    Fresh,
    Main,
    NeedsRecipe,
    Recipe,
    Same,
    as_form,
    derive,
)

PARAM = re.compile(r"\{(\w+)(?::\w+)?\}")
WRITES = {"POST", "PUT", "PATCH", "DELETE"}
# Body fields naming an object by another name than its path parameter.
ALIASES = {
    "duplicate_of_id": "opinion_id",
    "deputy_person_id": "person_id",
    "leader_person_id": "person_id",
    "home_station_id": "station_id",
    "replaces_mandate_id": "mandate_id",
    "person_ids": "person_id",
    "lead_person_id": "person_id",
    "cosigner_person_ids": "person_id",
    "target_id": "suggestion_id",
    "rating_ids": "rating_id",
    "person-1": "person_id",  # a row of an activity's sign-in list
}


def bare(path: str) -> str:
    """A path with its parameters' types left out: /persons/{person_id}."""
    return PARAM.sub(lambda m: "{" + m.group(1) + "}", path)


@dataclass(frozen=True)
class Route:
    method: str
    path: str  # as the app has it: /api/v1/t/{code:str}/persons/{person_id:uuid}
    prefix: str  # /api/v1/t/{code}, /t/{code} or /p/{office}
    handler: HTTPRouteHandler

    @property
    def key(self) -> str:
        """How the recipes name it: `POST /persons/{person_id}` (relative to its prefix)."""
        return f"{self.method} {bare(self.path).removeprefix(self.prefix) or '/'}"

    @property
    def params(self) -> tuple[str, ...]:
        return tuple(p for p in PARAM.findall(self.path) if p not in ("code", "office"))

    @property
    def is_page(self) -> bool:
        return not self.prefix.startswith("/api/")

    def url(self, office: str, ids: Mapping[str, str]) -> str:
        values = {"code": office, "office": office, **ids}
        return PARAM.sub(lambda m: values[m.group(1)], self.path)


def routes_under(app: Litestar, *prefixes: str) -> list[Route]:
    """Every route (method and path) under the prefixes (written with bare parameters)."""
    found = []
    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        prefix = next((p for p in prefixes if bare(route.path) == p or bare(route.path).startswith(p + "/")), None)
        if prefix is None:
            continue
        for handler in route.route_handlers:
            for method in sorted(handler.http_methods - {"OPTIONS", "HEAD"}):
                found.append(Route(method, route.path, prefix, handler))
    return found


def plan(
    routes: list[Route], tables: Mapping[str, Mapping[str, Recipe]]
) -> tuple[list[tuple[Route, Recipe]], list[str]]:
    """Each route with its recipe (from the table of its prefix), reads first; and the problems: a
    write without a recipe, a recipe for a route the app does not have."""
    planned, problems = [], []
    for route in sorted(routes, key=lambda r: r.method in WRITES):
        recipe = tables[route.prefix].get(route.key)
        if recipe is None and route.method in WRITES:
            problems.append(f"{route.key} ({route.prefix}): no recipe; add one to tests/isolation/recipes.py")
        else:
            planned.append((route, recipe or Recipe()))  # a read needs one only for more than its path's objects
    known = {(r.prefix, r.key) for r in routes}
    problems += [
        f"{p}: {k}: a recipe for a route the app does not have"
        for p in tables
        for k in tables[p]
        if (p, k) not in known
    ]
    return planned, problems


ALERT = re.compile(r'role="alert">(.*?)<', re.S)


def summary(text: str) -> str:
    """What a refusal says: a JSON error, or the alert of an error page."""
    if text.lstrip().startswith("<"):
        found = ALERT.search(text)
        return f"page: {found.group(1).strip() if found else text[:200]}"
    return text[:400]


def pick(made: Ids, name: str) -> str:
    """Of the ids a maker returned, the one a field or parameter called `name` wants."""
    for key in (name, name.removesuffix("s")):
        if key in made:
            return made[key]
    return next(iter(made.values()))


@dataclass
class Prepared:
    """One prepared call: the path's ids in A, and what to send."""

    ids: Ids
    kwargs: dict[str, Any] = field(default_factory=dict)


async def prepare(office: Office, route: Route, recipe: Recipe, shared: dict[str, Ids] | None = None) -> Prepared:
    """Make the path's objects in A and build the request (raises NeedsRecipe when it cannot). Reads
    pass `shared`: objects made for one read serve the next."""
    maker = recipe.on or PATHS.get(route.params)
    if route.params and maker is None:
        raise NeedsRecipe(f"no maker for the path parameters {route.params}: add them to PATHS")
    ids: Ids = {}
    if maker and shared is not None and maker in shared:
        ids = shared[maker]
    elif maker:
        ids = await office.make(maker)
        if shared is not None:
            shared[maker] = ids
    missing = set(route.params) - set(ids)
    if missing:
        raise NeedsRecipe(f"maker {maker!r} gives no {sorted(missing)}")

    made: dict[str, Ids] = {}  # one object per kind and route: `new.x` in two fields is the same x

    async def resolve(value: Any, name: str) -> Any:
        if isinstance(value, Fresh):
            if value.kind not in made:
                made[value.kind] = await office.make(value.kind)
            return made[value.kind][value.key] if value.key else pick(made[value.kind], name)
        if isinstance(value, Same):
            return ids[value.param]
        if isinstance(value, Main):
            return getattr(office, value.attr)
        if callable(value):
            return value()
        if isinstance(value, Fmt):
            return value.template.format(*[await resolve(v, name) for v in value.values])
        if isinstance(value, list):
            return [await resolve(v, name) for v in value]
        if isinstance(value, dict):
            return {k: await resolve(v, k) for k, v in value.items()}
        if isinstance(value, date):
            return value.isoformat()
        return value

    kwargs: dict[str, Any] = {"params": {k: await resolve(v, k) for k, v in (recipe.query or {}).items()}}
    data_field = route.handler.parsed_data_field
    if route.is_page:
        fields: dict[str, Any] = {}
        if recipe.struct is not None:
            fields = await derive(recipe.struct, recipe.fields, resolve, strict=False)
        fields |= {k: await resolve(v, k) for k, v in recipe.fields.items() if k not in fields}
        if route.method in WRITES:
            kwargs["data"] = {"_csrf": office.csrf, **as_form(fields)} if not office.visitor else as_form(fields)
    else:
        kwargs["headers"] = office.admin.headers
        if recipe.files is not None:
            kwargs["data"] = {k: await resolve(v, k) for k, v in recipe.fields.items()}
        elif data_field is not None and route.method in WRITES:
            kwargs["json"] = await derive(data_field.annotation, recipe.fields, resolve)
        elif recipe.fields:
            kwargs["json"] = {k: await resolve(v, k) for k, v in recipe.fields.items()}
    if recipe.files is not None:
        kwargs["files"] = {
            key: (filename, content(office) if callable(content) else content, media_type)
            for key, (filename, content, media_type) in recipe.files.items()
        }
    return Prepared(ids, kwargs)


def with_b_ids_in_body(
    kwargs: dict[str, Any], b_ids: Mapping[str, str]
) -> list[tuple[str, dict[str, Any], frozenset[str]]]:
    """The request again with each id field of its body (JSON or form, and the objects in it: a
    reception's deputies) naming B's object of that kind."""
    key = "json" if isinstance(kwargs.get("json"), dict) else "data" if isinstance(kwargs.get("data"), dict) else None
    if key is None:
        return []
    return [(name, {**kwargs, key: changed}, sent) for name, changed, sent in _with_b_ids(kwargs[key], b_ids)]


def _with_b_ids(body: dict[str, Any], b_ids: Mapping[str, str]) -> list[tuple[str, dict[str, Any], frozenset[str]]]:
    variants = []
    for name, value in body.items():
        theirs = b_ids.get(ALIASES.get(name, name))
        if theirs is not None and _is_id(value):
            variants.append((name, {**body, name: theirs}, frozenset({theirs})))
        elif theirs is not None and isinstance(value, list) and value and all(map(_is_id, value)):
            variants.append((name, {**body, name: [theirs]}, frozenset({theirs})))
        elif isinstance(value, dict):
            for inner, changed, sent in _with_b_ids(value, b_ids):
                variants.append((f"{name}.{inner}", {**body, name: changed}, sent))
        elif isinstance(value, list) and value and isinstance(value[0], dict):
            for inner, changed, sent in _with_b_ids(value[0], b_ids):
                variants.append((f"{name}[0].{inner}", {**body, name: [changed, *value[1:]]}, sent))
    return variants


def _is_id(value: Any) -> bool:
    try:
        return isinstance(value, str) and uuid.UUID(value) is not None
    except ValueError:
        return False


@dataclass
class Checker:
    """Calls routes of A and collects every way a call went wrong, named by its route."""

    client: AsyncTestClient
    office: Office
    digest: Digest
    b_ids: Mapping[str, str]
    b_marker: str
    problems: list[str] = field(default_factory=list)
    baseline: dict[str, str] = field(default_factory=dict)
    shared: dict[str, Ids] = field(default_factory=dict)  # the path objects of reads
    counts: Counter[str] = field(default_factory=Counter)  # calls made, by kind: the checks did run

    async def start(self) -> Checker:
        self.baseline = await self.digest.take()
        violations.clear()
        return self

    async def run(self, route: Route, recipe: Recipe) -> None:
        try:
            shared = self.shared if route.method not in WRITES else None
            request = await prepare(self.office, route, recipe, shared)
        except Exception as error:  # a recipe or maker that does not work: named, and the others go on
            self.problems.append(f"{route.key}: preparing: {type(error).__name__}: {str(error)[:400]}")
            return
        url = route.url(self.office.code, request.ids)
        for field_name, kwargs, sent in with_b_ids_in_body(request.kwargs, self.b_ids):
            # B's object named in the body of a call in A: refused as unknown, before the call that succeeds
            response = await self.call(route, url, kwargs, sent)
            self.counts["b_ids_in_body"] += 1
            if response is not None and not 400 <= response.status_code < 500:
                self.problems.append(f"{route.key} with B's {field_name} in the body: {response.status_code}")
        response = await self.call(route, url, request.kwargs)
        if response is not None:
            self.check_success(route, recipe, response)
        if route.params:  # the same call with B's ids in A's path: not found
            theirs = route.url(self.office.code, self.b_ids)
            sent = frozenset(self.b_ids[p] for p in route.params)
            response = await self.call(route, theirs, request.kwargs, sent)
            self.counts["b_ids_in_path"] += 1
            if response is not None and response.status_code != 404:
                self.problems.append(f"{route.key} with B's ids in the path: {response.status_code}, not 404")
        await self.check_b(route)

    async def run_refused(self, route: Route, recipe: Recipe, expected: int) -> None:
        """A call in A that names B's objects (in its query): answered `expected`, and B unchanged."""
        request = await prepare(self.office, route, recipe)
        sent = frozenset(str(v) for v in request.kwargs["params"].values())
        response = await self.call(route, route.url(self.office.code, request.ids), request.kwargs, sent)
        self.counts["refused"] += 1
        if response is not None and response.status_code != expected:
            self.problems.append(f"{route.key} with B's {request.kwargs['params']}: {response.status_code}")
        await self.check_b(route)

    async def check_b(self, route: Route) -> None:
        changed = [t for t, h in (await self.digest.take()).items() if self.baseline.get(t) != h]
        if changed:
            self.problems.append(f"{route.key} changed B's {changed}")
            self.baseline = await self.digest.take()

    async def call(
        self, route: Route, url: str, kwargs: dict[str, Any], sent: frozenset[str] = frozenset()
    ) -> httpx.Response | None:
        """Make the call; note a 500 (and answer None), a schema other than A's, and B's data in the
        answer (but for ids of B's that the call itself `sent`)."""
        with schemas_touched() as touched:
            response = await self.client.request(route.method, url, follow_redirects=False, **kwargs)
        self.counts["touching_a"] += f"t_{self.office.code}" in touched
        if touched - {f"t_{self.office.code}"}:
            self.problems.append(f"{route.method} {url} touched {sorted(touched)}")
        if violations:
            self.problems.append(f"{route.method} {url}: SQL guard: {[v.reason for v in violations]}")
            violations.clear()
        text = response.content.decode("utf-8", "replace")
        leaked = [v for v in (self.b_marker, *self.b_ids.values()) if v in text and v not in sent]
        if leaked:
            self.problems.append(f"{route.method} {url} shows B's {leaked}")
        if response.status_code >= 500:
            self.problems.append(f"{route.method} {url}: {response.status_code} {text[:300]}")
            return None
        return response

    def check_success(self, route: Route, recipe: Recipe, response: httpx.Response) -> None:
        status = response.status_code
        if recipe.expect is not None:
            ok = status == recipe.expect
            if recipe.expect >= 400 and not recipe.why:
                self.problems.append(f"{route.key}: expecting {recipe.expect} needs a reason (`why=`)")
        elif route.is_page and route.method in WRITES:
            ok = 300 <= status < 400  # a form that did its work redirects; a refused one shows the page again
        else:
            ok = 200 <= status < 400  # a read may redirect (a notification opens its link)
        if not ok:
            self.problems.append(f"{route.key}: {status} {summary(response.text)}")
