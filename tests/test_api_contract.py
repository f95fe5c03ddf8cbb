"""The OpenAPI document against the running app: schemathesis generates valid and invalid requests
for every operation the document lists at the time the test runs (a new route is checked without
changing this file), and each answer must be no server error, a status the operation declares, and
a body and content type as declared. A fixed seed and a bounded number of examples per operation keep
it repeatable and within about four minutes on two cores.

The app runs in a thread of this process (uvicorn) on a database of its own, so the random data it
writes reaches no other test: office routes are called by an office administrator of a test office,
platform routes by a platform administrator, public ones without credentials."""

from __future__ import annotations

import asyncio
import os
import socket
import threading
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field, replace

import asyncpg
import dramatiq
import httpx
import hypothesis
import pytest
import requests
import schemathesis
import uvicorn
from hypothesis import HealthCheck, Phase
from litestar.routes import HTTPRoute
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

import renda.core.db
from renda.config import Settings
from renda.core.db import Database
from renda.core.permissions import declared_permission
from renda.workers.broker import create_broker, use_broker
from tests.conftest import _asyncpg_dsn, _server_url, _with_database, ensure_tenant, make_caller

SEED = 20261204
# About 30 ms a case here: the cases are shared out over the operations (each gets EXAMPLES_MIN to
# EXAMPLES_MAX per generation mode, valid data then invalid data), so the run stays near two minutes as
# routes are added. RENDA_CONTRACT_EXAMPLES sets the number per operation for a deeper run by hand.
CASE_BUDGET = 4000
EXAMPLES_MIN, EXAMPLES_MAX = 4, 15
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
CITY, OFFICE = "650100", "650102"


@dataclass
class Contract:
    base_url: str
    document: dict
    callers: dict[str, dict[str, str]]  # "office", "platform", "public" → headers
    public: set[tuple[str, str]]  # (METHOD, path template) of handlers guarded by `public`


@dataclass
class Findings:
    operations: int = 0
    cases: int = 0
    failures: dict[str, list[str]] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)
    # The test office's paths without other parameters: an invalid path parameter that spells one of
    # them (a draft id "requests") calls that other operation, whose answer is checked with it.
    fixed_paths: set[str] = field(default_factory=set)


async def _wait_for_health(base_url: str, thread: threading.Thread) -> None:
    async with httpx.AsyncClient(base_url=base_url, timeout=2) as client, asyncio.timeout(60):
        while thread.is_alive():
            try:
                if (await client.get("/health")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.1)
    pytest.fail("the contract test's server stopped while starting", pytrace=False)


@pytest.fixture  # torn down after its one test: while it lives, the process-wide database is its own
async def contract(database: Database, settings: Settings) -> AsyncIterator[Contract]:
    from renda.app import create_app
    from renda.tenants.migrations import upgrade_platform

    server_url = _server_url()
    name = f"renda_contract_{uuid.uuid4().hex[:10]}"
    admin = await asyncpg.connect(_asyncpg_dsn(server_url))
    await admin.execute(f'CREATE DATABASE "{name}"')
    await admin.close()
    url = _with_database(server_url, name)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    base_url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    previous_broker = dramatiq.get_broker()
    own = Database(url)
    try:
        with pytest.MonkeyPatch.context() as patch:
            # create_app repoints the process-wide database and broker at its own: put them back after.
            patch.setattr(renda.core.db, "_database", renda.core.db._database)
            # Made first: it imports every module, and with them the session events some install on import.
            app = create_app(replace(settings, public_url=base_url), url, broker=create_broker(None))
            await upgrade_platform(own)
            await ensure_tenant(own, CITY, "乌鲁木齐市人大常委会", "city", None)
            await ensure_tenant(own, OFFICE, "天山区人大常委会", "county", CITY)
            office_admin = await make_caller(own, "机关管理员", {OFFICE: ["office_admin"]})
            platform_admin = await make_caller(own, "平台管理员", {}, admin=True)
            await own.dispose()
            public = {
                (method, route.path_format)
                for route in app.routes
                if isinstance(route, HTTPRoute)
                for handler in route.route_handlers
                if declared_permission(handler) == "public"
                for method in handler.http_methods
            }
            server = uvicorn.Server(uvicorn.Config(app, log_config=None, access_log=False, lifespan="on"))
            thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name="contract", daemon=True)
            thread.start()
            try:
                await _wait_for_health(base_url, thread)
                async with httpx.AsyncClient(base_url=base_url) as client:
                    document = (await client.get("/schema/openapi.json")).json()
                yield Contract(
                    base_url,
                    document,
                    {"office": office_admin.headers, "platform": platform_admin.headers, "public": {}},
                    public,
                )
            finally:
                server.should_exit = True
                await asyncio.to_thread(thread.join, 30)
                sock.close()
                use_broker(previous_broker)
    finally:
        admin = await asyncpg.connect(_asyncpg_dsn(server_url))
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


def _caller(contract: Contract, method: str, path: str) -> dict[str, str]:
    if (method, path) in contract.public:
        return contract.callers["public"]
    return contract.callers["platform" if path.startswith("/api/v1/platform/") else "office"]


def examples_per_mode(operations: int) -> int:
    if os.environ.get("RENDA_CONTRACT_EXAMPLES"):
        return int(os.environ["RENDA_CONTRACT_EXAMPLES"])
    return max(EXAMPLES_MIN, min(EXAMPLES_MAX, CASE_BUDGET // (2 * max(operations, 1))))


def _run_operation(contract: Contract, operation, session: requests.Session, findings: Findings, examples: int) -> None:
    caller = _caller(contract, operation.method.upper(), operation.path)
    plan = [(GenerationMode.POSITIVE, caller, examples), (GenerationMode.NEGATIVE, caller, examples)]
    if caller:  # and once without credentials: a 401 as declared
        plan.append((GenerationMode.POSITIVE, {}, 1))
    for mode, headers, count in plan:
        try:
            _explore(contract, operation, session, findings, mode, headers, count)
        except (hypothesis.errors.Unsatisfiable, hypothesis.errors.FailedHealthCheck) as error:
            findings.skipped[f"{operation.label} ({mode.value})"] = type(error).__name__


def _explore(
    contract: Contract,
    operation,
    session: requests.Session,
    findings: Findings,
    mode: GenerationMode,
    headers: dict[str, str],
    count: int,
) -> None:
    fixed = {"code": OFFICE} if "{code}" in operation.path else None

    @hypothesis.seed(SEED)
    @hypothesis.settings(
        max_examples=count,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
        verbosity=hypothesis.Verbosity.quiet,
    )
    @hypothesis.given(case=operation.as_strategy(generation_mode=mode, path_parameters=fixed))
    def run(case) -> None:
        if case.formatted_path in findings.fixed_paths - {operation.path.replace("{code}", OFFICE)}:
            return
        findings.cases += 1
        try:
            case.call_and_validate(base_url=contract.base_url, session=session, headers=headers, checks=CHECKS)
        except (Exception, FailureGroup) as error:  # every failure is collected and reported at the end
            found = findings.failures.setdefault(operation.label, [])
            text = str(error).strip()
            if len(found) < 3 and text not in found:
                found.append(text[:1500])

    run()


def test_every_operation_meets_the_document(contract: Contract) -> None:
    schema = schemathesis.openapi.from_dict(contract.document)
    findings = Findings()
    started = time.monotonic()
    operations = [result.ok() for result in schema.get_all_operations()]
    findings.fixed_paths = {path for path in (o.path.replace("{code}", OFFICE) for o in operations) if "{" not in path}
    examples = examples_per_mode(len(operations))
    with requests.Session() as session:
        for operation in operations:
            findings.operations += 1
            _run_operation(contract, operation, session, findings, examples)
    elapsed = time.monotonic() - started
    summary = (
        f"{findings.operations} operations, {findings.cases} cases ({examples} per operation and mode) "
        f"in {elapsed:.0f}s; "
        f"{len(findings.failures)} operations failed"
    )
    print(summary)
    for name, reason in findings.skipped.items():
        print(f"not generated: {name}: {reason}")
    assert findings.operations >= 200, summary
    assert not findings.failures, (
        summary
        + "\n\n"
        + "\n\n".join(f"== {label}\n" + "\n--\n".join(texts) for label, texts in sorted(findings.failures.items()))
    )


async def test_the_document_declares_the_errors_as_sent(client, platform_admin) -> None:
    """Every error answer of every operation is the body web.errors sends; the statuses follow from
    the route (its guard, its path, its method); the documentation pages are not operations."""
    document = (await client.get("/schema/openapi.json")).json()
    assert not [path for path in document["paths"] if path.startswith("/schema")]
    assert document["components"]["schemas"]["ErrorBody"]["required"] == ["code", "message"]
    error_body = {"$ref": "#/components/schemas/ErrorBody"}
    for path, item in document["paths"].items():
        for method, operation in item.items():
            for status, response in operation["responses"].items():
                if int(status) >= 400 and (path, status) != ("/ready", "503"):
                    assert response["content"]["application/json"]["schema"] == error_body, (method, path, status)
    station = document["paths"]["/api/v1/t/{code}/organisation/stations/{station_id}"]
    assert sorted(station["delete"]["responses"]) == ["204", "400", "401", "403", "404", "409", "503"]
    assert sorted(station["patch"]["responses"]) == ["200", "400", "401", "403", "404", "409", "413", "503"]
    assert sorted(document["paths"]["/health"]["get"]["responses"]) == ["200", "400"]
    assert "404" in document["paths"]["/api/v1/platform/tenants"]["get"]["responses"]  # an unknown parent
    # And the app sends what it declares.
    unknown = await client.get("/api/v1/platform/tenants/619999", headers=platform_admin.headers)
    assert unknown.status_code == 404 and set(unknown.json()) <= {"code", "message", "details"}, unknown.text
