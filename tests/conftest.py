"""Test fixtures: a real PostgreSQL (RENDA_TEST_DATABASE_URL, else the embedded one), real brokers
where configured (RENDA_TEST_REDIS_URL, RENDA_TEST_RABBITMQ_URL), and a guard on every SQL statement."""

from __future__ import annotations

import dataclasses
import os
import re
import uuid
import zlib
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path

import asyncpg
import dramatiq
import pytest
import time_machine
from litestar.testing import AsyncTestClient
from sqlalchemy import event
from sqlalchemy.engine import Engine

from renda.config import Settings, normalize_database_url
from renda.core.crypto import configure_secrets
from renda.core.db import Database, configure_database
from renda.core.logging import tenant_code_var
from renda.core.timezone import LOCAL_TZ
from renda.workers.broker import create_broker, use_broker

ROOT = Path(__file__).resolve().parent.parent
TENANT_SCHEMA = re.compile(r'"?\b(t_\d{6,9})\b"?\s*\.')
ALLOWED_DDL = re.compile(r"^\s*(CREATE|DROP) SCHEMA", re.I)


# --- the clock ---------------------------------------------------------------------------------
def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--clock",
        default=os.environ.get("RENDA_TEST_CLOCK"),
        help="start the clock at this Asia/Shanghai time (2028-02-29 or 2027-01-01T00:30); it runs on from there",
    )


def pinned_start(value: str) -> datetime:
    """`2028-02-29` is 09:00 that day; a time without a zone is Asia/Shanghai."""
    start = datetime.fromisoformat(value)
    if len(value) == 10:
        start = datetime.combine(start.date(), time(9, 0))
    return start if start.tzinfo else start.replace(tzinfo=LOCAL_TZ)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "date_sensitive: behaviour depends on the date; CI runs these again at pinned dates (--clock)"
    )
    config.addinivalue_line(
        "markers",
        "smoke: end-to-end tests CI runs again behind PgBouncer in transaction mode (tests/support/pgbouncer.py)",
    )
    clock = config.getoption("--clock")
    if clock:
        # Python's clock only: PostgreSQL keeps its own, so the code takes "now" from Python.
        config.stash[_CLOCK] = time_machine.travel(pinned_start(clock), tick=True)
        config.stash[_CLOCK].start()


# Suites whose behaviour depends on the date (periods, quarters, reception days, deadlines): CI runs
# them again with the clock pinned at month, quarter and year ends and on 29 February (scripts/test).
# Where only some files or tests of a suite depend on it, they carry the marker themselves
# (`pytestmark = pytest.mark.date_sensitive`, as in tests/modules/suggestions).
DATE_SENSITIVE = (
    "tests/modules/contacts/",
    "tests/modules/opinions/",
    "tests/modules/portal/",
    "tests/modules/receptions/",
    "tests/modules/rollups/",
    "tests/modules/notifications/",
    "tests/scenarios/",
    "tests/test_scheduler.py",
)


# Tests that empty or drain the machine's real brokers (and the benchmarks, which use Redis databases
# of their own): under xdist (`scripts/test` runs the suite in two processes when services are
# configured) they all run in one process, so one test's flush never empties another's queue.
REAL_BROKER_FILES = (
    "tests/test_worker_ops.py",
    "tests/test_package.py",
    "tests/test_benchmarks.py",
    "tests/modules/register/test_scenario.py",  # on the last configured broker
)
REAL_BROKER_FIXTURES = {"last_broker_worker"}


def _uses_real_broker(item: pytest.Item) -> bool:
    params = getattr(getattr(item, "callspec", None), "params", {})
    return (
        item.nodeid.startswith(REAL_BROKER_FILES)
        or not REAL_BROKER_FIXTURES.isdisjoint(getattr(item, "fixturenames", ()))
        or any(value in ("rabbitmq", "redis") for value in params.values())
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if _uses_real_broker(item):
            item.add_marker(pytest.mark.xdist_group("real_brokers"))
        # The test identity provider is a process of its own on the real clock: its cookies and
        # tokens cannot meet a pinned one, so the tests that sign in through it run on the real date.
        if item.nodeid.startswith(DATE_SENSITIVE) and "provider" not in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.date_sensitive)
    shard = os.environ.get("RENDA_TEST_SHARD")  # "k/n": this run keeps one n-th of the tests (scripts/test)
    if shard:
        k, n = (int(part) for part in shard.split("/"))
        kept = [item for item in items if zlib.crc32(item.nodeid.encode()) % n == k]
        config.hook.pytest_deselected(items=[item for item in items if item not in kept])
        items[:] = kept


def pytest_unconfigure(config: pytest.Config) -> None:
    if _CLOCK in config.stash:
        config.stash[_CLOCK].stop()


def pytest_report_header(config: pytest.Config) -> str | None:
    clock = config.getoption("--clock")
    return f"clock pinned at {pinned_start(clock).isoformat()}" if clock else None


_CLOCK = pytest.StashKey[time_machine.travel]()


def real_local_today() -> date:
    """Today on the machine's own clock, even when the tests' clock is pinned: the date a `renda`
    subprocess lives in."""
    hatch = time_machine.escape_hatch
    now = hatch.time.time() if hatch.is_travelling() else datetime.now().timestamp()
    return datetime.fromtimestamp(now, LOCAL_TZ).date()


# --- the SQL guard -------------------------------------------------------------------------------
@dataclass
class GuardViolation:
    statement: str
    reason: str


violations: list[GuardViolation] = []
# Sets collecting the tenant schemas that statements touch (see `schemas_touched`).
_touched_here: ContextVar[set[str] | None] = ContextVar("touched_here", default=None)
_touched_anywhere: list[set[str]] = []


@contextmanager
def schemas_touched(*, any_thread: bool = False) -> Iterator[set[str]]:
    """The tenant schemas every statement run inside the block touches: of this task and the code it
    awaits (a request through the test client), or with `any_thread` of every thread (a worker's actors)."""
    found: set[str] = set()
    if any_thread:
        _touched_anywhere.append(found)
    token = _touched_here.set(found)
    try:
        yield found
    finally:
        _touched_here.reset(token)
        if any_thread:
            _touched_anywhere.remove(found)


def _guard(conn, cursor, statement, parameters, context, executemany) -> None:
    """Fail any statement touching two tenant schemas, or one other than its session's tenant,
    or (in a request) one other than the request's tenant."""
    if ALLOWED_DDL.match(statement):
        return
    touched = set(TENANT_SCHEMA.findall(statement))
    if not touched:
        return
    for found in [_touched_here.get(), *_touched_anywhere]:
        if found is not None:
            found |= touched
    # A COPY (renda.core.db.copy_records) comes without an execution context: its connection's options.
    options = context.execution_options if context is not None else conn.get_execution_options()
    translate = options.get("schema_translate_map") or {}
    intended = translate.get(None)
    if len(touched) > 1:
        violations.append(GuardViolation(statement, f"touches several tenant schemas {sorted(touched)}"))
    elif intended not in touched:
        violations.append(GuardViolation(statement, f"touches {touched} from a session for {intended}"))
    request_tenant = tenant_code_var.get()
    if request_tenant is not None and touched != {f"t_{request_tenant}"}:
        violations.append(GuardViolation(statement, f"touches {touched} in a request for {request_tenant}"))


event.listen(Engine, "before_cursor_execute", _guard)


@pytest.fixture(autouse=True)
def sql_guard() -> Iterator[None]:
    violations.clear()
    yield
    found = list(violations)
    violations.clear()
    assert not found, "SQL guard: " + "; ".join(f"{v.reason}: {v.statement[:200]}" for v in found)


# --- the database --------------------------------------------------------------------------------
def _server_url() -> str:
    url = os.environ.get("RENDA_TEST_DATABASE_URL")
    if url:
        return normalize_database_url(url)
    from renda.core.embedded import start_embedded_postgres

    return start_embedded_postgres(Path(os.environ.get("RENDA_TEST_PGDATA", ROOT / "var" / "test-pgdata")))


def _direct_server_url() -> str:
    """The server itself: RENDA_TEST_DATABASE_URL is a transaction pooler's address when
    RENDA_TEST_DATABASE_DIRECT_URL is set (tests/support/pgbouncer.py)."""
    direct = os.environ.get("RENDA_TEST_DATABASE_DIRECT_URL")
    return normalize_database_url(direct) if direct else _server_url()


def behind_transaction_pooler() -> bool:
    return bool(os.environ.get("RENDA_TEST_DATABASE_DIRECT_URL"))


def _asyncpg_dsn(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://")


def _with_database(url: str, name: str) -> str:
    base, _, query = url.partition("?")
    base = base.rsplit("/", 1)[0] + "/" + name
    return f"{base}?{query}" if query else base


_session_database = f"renda_test_{uuid.uuid4().hex[:10]}"


@pytest.fixture(scope="session")
async def database_url() -> AsyncIterator[str]:
    """The session's database (through the transaction pooler when there is one)."""
    direct = _direct_server_url()
    admin = await asyncpg.connect(_asyncpg_dsn(direct))
    await admin.execute(f'CREATE DATABASE "{_session_database}"')
    await admin.close()
    yield _with_database(_server_url(), _session_database)
    admin = await asyncpg.connect(_asyncpg_dsn(direct))
    await admin.execute(f'DROP DATABASE IF EXISTS "{_session_database}" WITH (FORCE)')
    await admin.close()


@pytest.fixture(scope="session")
def database_direct_url(database_url: str) -> str:
    """The session's database on the server itself (the same as `database_url` without a pooler)."""
    return _with_database(_direct_server_url(), _session_database)


def database_options(database_direct_url: str) -> dict[str, object]:
    """How the app reaches the test database: behind a transaction pooler as in production with
    RENDA_DATABASE_TRANSACTION_POOLER and RENDA_DATABASE_DIRECT_URL."""
    if not behind_transaction_pooler():
        return {}
    return {"transaction_pooler": True, "direct_url": database_direct_url}


@pytest.fixture(scope="session")
async def database(database_url: str, database_direct_url: str) -> AsyncIterator[Database]:
    from renda.modules.audit.recorder import install_audit_recorder
    from renda.modules.duty.points_watch import install_points_watch
    from renda.modules.rollups.service import install_rollup_watch
    from renda.tenants.migrations import upgrade_platform
    from renda.workers.outbox import install_outbox_notify

    install_audit_recorder()
    install_rollup_watch()
    install_points_watch()
    install_outbox_notify()
    configure_secrets("test-secret")  # the settings fixture's key, for code that runs before any app
    db = configure_database(database_url, **database_options(database_direct_url))  # type: ignore[arg-type]
    await upgrade_platform(db)
    yield db
    await db.dispose()


# --- brokers -------------------------------------------------------------------------------------
def _own_brokers_per_test_process() -> None:
    """Under xdist each test process gets a Redis database and a RabbitMQ vhost of its own (set in
    the environment, which worker subprocesses inherit), so one process's flush never empties the
    other's queues."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    if not worker.startswith("gw") or worker == "gw0":
        return
    number = int(worker[2:])
    redis = os.environ.get("RENDA_TEST_REDIS_URL")
    if redis:
        os.environ["RENDA_TEST_REDIS_URL"] = f"{redis.rsplit('/', 1)[0]}/{number}"
    rabbitmq = os.environ.get("RENDA_TEST_RABBITMQ_URL")
    if rabbitmq:
        import subprocess
        from urllib.parse import urlsplit

        vhost = f"renda_test_{worker}"
        subprocess.run(["rabbitmqctl", "add_vhost", vhost], capture_output=True, check=False)
        subprocess.run(
            ["rabbitmqctl", "set_permissions", "-p", vhost, "guest", ".*", ".*", ".*"], check=True, capture_output=True
        )
        os.environ["RENDA_TEST_RABBITMQ_URL"] = urlsplit(rabbitmq)._replace(path=f"/{vhost}").geturl()


_own_brokers_per_test_process()


def broker_params() -> list[str]:
    """Always the in-process broker; RabbitMQ and Redis wherever they are configured (CI)."""
    params = ["stub"]
    if os.environ.get("RENDA_TEST_CLOCK"):
        return params  # the runs at pinned dates test dates; the full run tests the brokers
    if os.environ.get("RENDA_TEST_RABBITMQ_URL"):
        params.append("rabbitmq")
    if os.environ.get("RENDA_TEST_REDIS_URL"):
        params.append("redis")
    if os.environ.get("CI") and len(params) < 3:
        raise RuntimeError("CI must set RENDA_TEST_RABBITMQ_URL and RENDA_TEST_REDIS_URL")
    return params


def make_broker(kind: str):
    if kind == "stub":
        return create_broker(None)
    url = os.environ["RENDA_TEST_RABBITMQ_URL" if kind == "rabbitmq" else "RENDA_TEST_REDIS_URL"]
    return create_broker(url)


@contextmanager
def running_worker(kind: str) -> Iterator[dramatiq.Broker]:
    """A dramatiq worker on a fresh, emptied broker of `kind` (one of `broker_params()`), made the actors' broker."""
    broker = use_broker(make_broker(kind))
    broker.flush_all()
    worker = dramatiq.Worker(broker, worker_threads=2, worker_timeout=100)
    worker.start()
    try:
        yield broker
    finally:
        worker.stop()
        broker.close()


# --- the app and its callers ---------------------------------------------------------------------
@pytest.fixture(scope="session")
def settings() -> Settings:
    # The ASGI test client's address, so the OIDC redirect URI points back at it.
    # A small pool: several test processes (the pinned-date runs, worker subprocesses) share one server.
    return Settings(
        environment="test", secret_key="test-secret", public_url="http://testserver.local", database_pool_size=5
    )


@pytest.fixture(scope="session")
async def app(database: Database, database_url: str, database_direct_url: str, settings: Settings):
    from renda.app import create_app

    if behind_transaction_pooler():
        settings = dataclasses.replace(
            settings, database_transaction_pooler=True, database_direct_url=database_direct_url
        )
    return create_app(settings, database_url, broker=create_broker(None))


@pytest.fixture
async def client(app) -> AsyncIterator[AsyncTestClient]:
    async with AsyncTestClient(app) as test_client:
        yield test_client


@dataclass
class Caller:
    user_id: uuid.UUID
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


async def make_caller(database: Database, name: str, memberships: dict[str, list[str]], admin: bool = False) -> Caller:
    from renda.modules.accounts import service

    async with database.platform_session() as session:
        session.info["actor"] = "system:test"
        user = await service.create_user(session, name, platform_admin=admin)
        for code, roles in memberships.items():
            await service.grant_membership(session, user, code, roles)
        token = await service.issue_api_token(session, user, "test")
        await session.commit()
    return Caller(user.id, token)


@pytest.fixture(scope="session")
async def platform_admin(database: Database) -> Caller:
    return await make_caller(database, "平台管理员", {}, admin=True)


async def ensure_tenant(database: Database, code: str, name: str, level: str, parent: str | None) -> None:
    from renda.core.errors import Conflict
    from renda.tenants.divisions import Level
    from renda.tenants.schemas import TenantCreate
    from renda.tenants.service import create_tenant

    try:
        await create_tenant(database, TenantCreate(code, name, Level(level), parent), actor="system:test")
    except Conflict:
        from renda.tenants.service import get_by_code

        async with database.platform_session() as session:  # already there; a clash of names is a test bug
            await get_by_code(session, code)


@pytest.fixture(scope="session")
async def hierarchy(database: Database) -> dict[str, str]:
    """安康市 → 石泉县 (A) → 城关镇, and 汉阴县 (B) beside it."""
    offices = [
        ("610900", "安康市人大常委会", "city", None),
        ("610922", "石泉县人大常委会", "county", "610900"),
        ("610922100", "石泉县城关镇人大主席团", "township", "610922"),
        ("610921", "汉阴县人大常委会", "county", "610900"),
    ]
    for office in offices:
        await ensure_tenant(database, *office)
    return {"city": "610900", "a": "610922", "a_township": "610922100", "b": "610921"}


async def raw_fetchval(database_url: str, sql: str, *args: object) -> object:
    """Inspect the database outside the app (and outside the SQL guard). Without asyncpg's statement
    cache, as every such connection of the tests: `database_url` may be a transaction pooler's, where a
    statement prepared on one server connection is not there on the next."""
    conn = await asyncpg.connect(_asyncpg_dsn(database_url), statement_cache_size=0)
    try:
        return await conn.fetchval(sql, *args)
    finally:
        await conn.close()
