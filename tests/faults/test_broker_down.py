# ruff: noqa: F811  (the private brokers are fixtures imported by name)
"""The broker down: the web stays ready and takes work, which waits in the outbox; the broker back,
the work is delivered once, by the same worker process, reconnected. On a private RabbitMQ and a
private Redis (stopped and started by the test)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import dramatiq
import pytest
from litestar.testing import AsyncTestClient

import renda.core.db as db_module
from renda.workers.broker import create_broker, use_broker
from tests.conftest import ensure_tenant, make_caller, raw_fetchval
from tests.faults.private_brokers import private_broker, private_rabbitmq, private_redis  # noqa: F401
from tests.support.worker_process import export_effects, start_worker, wait_until

CITY, CODE = "650100", "650106"  # 乌鲁木齐市 头屯河区: no other test's office


@pytest.fixture
async def office(database, hierarchy) -> str:
    await ensure_tenant(database, CITY, "乌鲁木齐市人大常委会", "city", None)
    await ensure_tenant(database, CODE, "乌鲁木齐市头屯河区人大常委会", "county", CITY)
    return CODE


@pytest.fixture
async def web(private_broker, settings, database_url) -> AsyncIterator[AsyncTestClient]:
    """A web process on the private broker: its requests, its outbox relay and its /ready. create_app
    installs its database and broker process-wide; the suite's are put back afterwards."""
    from renda.app import create_app

    previous_database, previous_broker = db_module.get_database(), dramatiq.get_broker()
    app = create_app(
        replace(settings, broker_url=private_broker.url), database_url, broker=create_broker(private_broker.url)
    )
    try:
        async with AsyncTestClient(app) as client:
            yield client
    finally:
        db_module._database = previous_database
        use_broker(previous_broker)


async def unsent(database_url: str, ids: list[uuid.UUID]) -> tuple[int, int]:
    """(outbox rows of these exports not yet sent, how many of them the relay has tried and failed)."""
    args = [str(i) for i in ids]
    unsent_rows = await raw_fetchval(
        database_url,
        "select count(*) from platform.outbox where actor_name = 'build_export' and sent_at is null"
        " and args->>1 = any($1::text[])",
        args,
    )
    tried = await raw_fetchval(
        database_url,
        "select count(*) from platform.outbox where actor_name = 'build_export' and sent_at is null"
        " and args->>1 = any($1::text[]) and attempts > 0 and last_error is not null",
        args,
    )
    return int(unsent_rows), int(tried)  # type: ignore[arg-type]


async def test_broker_down_web_stays_ready_work_waits_and_is_delivered_once(
    private_broker, web, database, database_url, office, tmp_path: Path
) -> None:
    admin = await make_caller(database, "导出管理员", {office: ["office_admin"]})
    worker = start_worker(database_url, private_broker.url, tmp_path / "worker.log")
    try:
        ready = await web.get("/ready")
        assert ready.status_code == 200 and ready.json()["checks"] == {"database": "ok", "broker": "ok"}
        before = await web.post(f"/api/v1/t/{office}/exports", json={"kind": "audit_log"}, headers=admin.headers)
        assert before.status_code == 202
        first = uuid.UUID(before.json()["id"])
        await wait_until(lambda: _built(office, [first]), seconds=90, what="an export built while the broker is up")

        private_broker.stop()
        ready = await web.get("/ready")
        assert ready.status_code == 200, ready.text  # still in its Service
        assert ready.json()["status"] == "ok" and ready.json()["checks"]["database"] == "ok"
        assert ready.json()["checks"]["broker"].startswith("error: ")

        ids = []
        for _ in range(3):  # requests that queue work succeed
            response = await web.post(f"/api/v1/t/{office}/exports", json={"kind": "audit_log"}, headers=admin.headers)
            assert response.status_code == 202, response.text
            ids.append(uuid.UUID(response.json()["id"]))

        async def tried_and_kept() -> bool:
            return await unsent(database_url, ids) == (3, 3)

        await wait_until(tried_and_kept, seconds=30, what="the relays tried, failed and kept the messages")
        assert {status for status, _ in (await export_effects(office, ids)).values()} == {"pending"}

        private_broker.start()
        await wait_until(lambda: _built(office, ids), seconds=120, what="the waiting exports built")
        assert await unsent(database_url, ids) == (0, 0)
        assert await export_effects(office, [first, *ids]) == {i: ("done", 1) for i in [first, *ids]}
        assert worker.process.poll() is None  # the same worker process, reconnected
        ready = await web.get("/ready")
        assert ready.status_code == 200 and ready.json()["checks"]["broker"] == "ok"
        assert worker.terminate() == 0
    finally:
        if worker.process.poll() is None:
            worker.kill()


async def _built(office: str, ids: list[uuid.UUID]) -> bool:
    return all(status == "done" for status, _ in (await export_effects(office, ids)).values())
