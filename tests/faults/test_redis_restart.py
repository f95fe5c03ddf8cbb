# ruff: noqa: F811  (the private brokers are fixtures imported by name)
"""A Redis restart without persistence loses every queued message. What the outbox had handed over
and whose effect never happened is found by the recovery passes (every 2 minutes, anything 5
minutes overdue) and sent again through a real worker on the restarted Redis: every delivery and
every export once, none twice. The passes run here for the test's own office with the clock moved
past the 5 minutes, as the periodic jobs do for every office."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from datetime import timedelta
from pathlib import Path

import dramatiq
import pytest
from sqlalchemy import select

from renda.core.db import utcnow
from renda.modules.notifications.channels import RecordingTransport
from renda.modules.notifications.models import NotificationDelivery
from renda.modules.notifications.service import STALE_AFTER
from renda.modules.notifications.tasks import RECOVER_EVERY_MINUTES, recover_office
from renda.tenants.scoping import load_tenant, tenant_session
from renda.workers import maintenance
from renda.workers.broker import create_broker, recoverable_actors, use_broker
from renda.workers.outbox import OutboxRelay, resend_unclaimed
from renda.workers.scheduler import Every, registered_jobs
from tests.conftest import ensure_tenant, raw_fetchval
from tests.faults.private_brokers import private_redis  # noqa: F401
from tests.modules.notifications.conftest import new_user, notify
from tests.support.worker_process import export_effects, request_exports, start_worker, wait_until

CITY, CODE = "650100", "650105"  # 乌鲁木齐市 水磨沟区: no other test's office


@pytest.fixture
async def office(database, hierarchy) -> str:
    await ensure_tenant(database, CITY, "乌鲁木齐市人大常委会", "city", None)
    await ensure_tenant(database, CODE, "乌鲁木齐市水磨沟区人大常委会", "county", CITY)
    return CODE


@pytest.fixture
def on_private_redis(private_redis):
    """The actors' broker is the private Redis for the test's own relay; the suite's afterwards."""
    previous = dramatiq.get_broker()
    broker = use_broker(create_broker(private_redis.url))
    try:
        yield broker
    finally:
        broker.close()
        use_broker(previous)


def test_the_recovery_passes_are_periodic_every_two_minutes() -> None:
    jobs = registered_jobs()
    assert jobs["notifications.recover"].schedule == Every(minutes=RECOVER_EVERY_MINUTES) == Every(minutes=2)
    assert jobs["maintenance.resend_lost"].schedule == Every(minutes=maintenance.RESEND_EVERY_MINUTES) == Every(2)
    assert STALE_AFTER == maintenance.RESEND_AFTER == timedelta(minutes=5)
    assert {"build_export", "fan_out", "term_changed"} <= recoverable_actors()


async def email_deliveries(code: str, user_ids: list[uuid.UUID]) -> dict[uuid.UUID, tuple[uuid.UUID, str]]:
    """Per email delivery of these users: (user, status)."""
    async with tenant_session(await load_tenant(code), actor="test") as session:
        rows = await session.execute(
            select(NotificationDelivery.id, NotificationDelivery.user_id, NotificationDelivery.status).where(
                NotificationDelivery.user_id.in_(user_ids), NotificationDelivery.channel == "email"
            )
        )
        return {row.id: (row.user_id, row.status) for row in rows}


def sends_per_delivery(record: Path) -> Counter[str]:
    """How many times each delivery id was handed to the email transport (Message-ID <id@domain>)."""
    return Counter(r["key"][1:].split("@")[0] for r in RecordingTransport(record).records() if r["channel"] == "email")


async def test_redis_restart_without_persistence_loses_no_delivery_and_no_export(
    private_redis, on_private_redis, database, database_url, office, tmp_path: Path
) -> None:
    users = [await new_user(database, office, f"收件人{i}") for i in range(40)]
    user_ids = [u.user_id for u in users]
    await notify(office, users, f"redis-restart:{uuid.uuid4()}")
    exports = await request_exports(office, 3)
    deliveries = await email_deliveries(office, user_ids)
    assert len(deliveries) == len(users) and {s for _, s in deliveries.values()} == {"pending"}

    # The relay hands everything to Redis and marks it sent; no worker is running yet.
    assert await OutboxRelay(database, on_private_redis).drain() >= 1 + 3
    unsent = await raw_fetchval(
        database_url, "select count(*) from platform.outbox where tenant_code = $1 and sent_at is null", office
    )
    assert unsent == 0
    private_redis.restart()  # nothing on disk: every queued message is gone

    record = tmp_path / "sent.jsonl"
    worker = start_worker(
        database_url, private_redis.url, tmp_path / "worker.log", RENDA_NOTIFY_RECORD_FILE=str(record)
    )
    try:
        await wait_until(lambda: _ready(worker.log_path), seconds=60, what="the worker up")
        await asyncio.sleep(3)  # its relay and consumers had every chance: the messages are gone
        assert not sends_per_delivery(record)
        assert {s for _, s in (await email_deliveries(office, user_ids)).values()} == {"pending"}
        assert {s for s, _ in (await export_effects(office, exports)).values()} == {"pending"}

        tenant = await load_tenant(office)
        # Not yet overdue: the passes leave them alone.
        assert await recover_office(tenant) == 0
        assert await resend_unclaimed(database, recoverable_actors(), **_window(), offices={office}) == []

        # A pass after the 5 minutes: each office's deliveries, and the claiming actors' messages.
        later = utcnow() + STALE_AFTER + timedelta(seconds=RECOVER_EVERY_MINUTES * 60)
        assert await recover_office(tenant, later) >= len(users)
        resent = await resend_unclaimed(database, recoverable_actors(), **_window(), now=later, offices={office})
        assert len(resent) == 3

        async def all_done() -> bool:
            statuses = {s for _, s in (await email_deliveries(office, user_ids)).values()}
            built = {s for s, _ in (await export_effects(office, exports)).values()}
            return statuses == {"sent"} and built == {"done"}

        await wait_until(all_done, seconds=90, what="every delivery sent and every export built")
        # A later pass finds nothing more to do, and nothing was done twice.
        even_later = later + STALE_AFTER + timedelta(minutes=1)
        assert (
            await resend_unclaimed(database, recoverable_actors(), **_window(), now=even_later, offices={office}) == []
        )
        await asyncio.sleep(2)
        sends = sends_per_delivery(record)
        assert sends == Counter({str(delivery_id): 1 for delivery_id in deliveries})
        assert await export_effects(office, exports) == {i: ("done", 1) for i in exports}
        assert worker.terminate() == 0
    finally:
        if worker.process.poll() is None:
            worker.kill()


def _window() -> dict[str, timedelta]:
    return {"after": maintenance.RESEND_AFTER, "within": maintenance.RESEND_WITHIN}


async def _ready(log_path: Path) -> bool:
    return await asyncio.to_thread(lambda: log_path.exists() and '"worker started"' in log_path.read_text("utf-8"))
