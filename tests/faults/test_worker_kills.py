# ruff: noqa: F811  (the private brokers are fixtures imported by name)
"""Workers SIGKILLed during a fan-out, on a private RabbitMQ and a private Redis with the production
broker settings (Redis: heartbeat 30 s, sweep 5 s): 100 kills, each worker replaced at once, while
fan-outs of 300 recipients keep coming. Afterwards every delivery is done within the documented
bound (docs/operations.md, "When the broker fails"), and each recipient's transport was handed each
message exactly once: none lost, none doubled.

The transport is the recording one (RENDA_NOTIFY_RECORD_FILE): every worker process appends what it
hands over to one file, which this test counts per delivery id (the email's Message-ID).
"""

from __future__ import annotations

import asyncio
import random
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import func, select

from renda.modules.accounts import service as accounts
from renda.modules.notifications.channels import RecordingTransport
from renda.modules.notifications.models import NotificationDelivery
from renda.tenants.scoping import load_tenant, tenant_session
from tests.conftest import ensure_tenant, raw_fetchval
from tests.faults.private_brokers import PrivateRedis, private_broker, private_rabbitmq, private_redis  # noqa: F401
from tests.modules.notifications.conftest import notify
from tests.support.worker_process import ForkedWorker, WorkerLauncher, worker_env

CITY, CODE = "650100", "650104"  # 乌鲁木齐市 新市区: no other test's offices
KILLS = 100
WORKERS = 3
RECIPIENTS = 300
FAN_OUT_EVERY = 20  # kills
# The documented bound after the last kill (docs/operations.md): a dead worker's messages are back at
# once on RabbitMQ (its connection closes) and within heartbeat 30 s + sweep 5 s on Redis; the
# redelivered message takes its deliveries over at once; then what is left is sent at the workers'
# pace. The wait allows two minutes for that on a busy two-core machine (a time-out, not a measure).
BOUND_SECONDS = {"rabbitmq": 0, "redis": 35}
SLACK_SECONDS = 120
_users: dict[str, list[Recipient]] = {}


@dataclass
class Recipient:
    user_id: uuid.UUID


@pytest.fixture
async def recipients(database, hierarchy) -> list[Recipient]:
    """The same 300 people with an email address for both brokers (each run notifies them of
    events of its own), made in one transaction."""
    if CODE not in _users:
        await ensure_tenant(database, CITY, "乌鲁木齐市人大常委会", "city", None)
        await ensure_tenant(database, CODE, "乌鲁木齐市新市区人大常委会", "county", CITY)
        async with database.platform_session() as session:
            session.info["actor"] = "system:test"
            people = []
            for i in range(RECIPIENTS):
                user = await accounts.create_user(session, f"受众{i}")
                await accounts.set_contacts(
                    session, user.id, email=f"k{uuid.uuid4().hex[:10]}@example.gov.cn", mobile=None, wechat_openid=None
                )
                people.append(Recipient(user.id))
            await session.commit()
        _users[CODE] = people
    return _users[CODE]


async def open_deliveries(event_keys: list[str]) -> int:
    """Email deliveries of these events not yet done (pending, held or being sent)."""
    async with tenant_session(await load_tenant(CODE), actor="test") as session:
        query = (
            select(func.count())
            .select_from(NotificationDelivery)
            .where(NotificationDelivery.status.in_(("pending", "deferred", "sending")))
            .where(NotificationDelivery.notification_id.in_(_notifications(event_keys)))
        )
        return int((await session.execute(query)).scalar_one())


def _notifications(event_keys: list[str]):
    from renda.modules.notifications.models import Notification

    return select(Notification.id).where(Notification.event_key.in_(event_keys))


async def deliveries_of(event_keys: list[str]) -> dict[str, str]:
    async with tenant_session(await load_tenant(CODE), actor="test") as session:
        rows = await session.execute(
            select(NotificationDelivery.id, NotificationDelivery.status).where(
                NotificationDelivery.notification_id.in_(_notifications(event_keys))
            )
        )
        return {str(row.id): row.status for row in rows}


def _ready(worker: ForkedWorker) -> bool:
    return worker.ready()


async def test_fan_out_survives_a_hundred_worker_kills(
    private_broker, recipients, database, database_url, tmp_path: Path
) -> None:
    kind = "redis" if isinstance(private_broker, PrivateRedis) else "rabbitmq"
    record = tmp_path / "sent.jsonl"
    env = worker_env(
        database_url,
        private_broker.url,
        production=True,
        RENDA_NOTIFY_RECORD_FILE=str(record),
        RENDA_DATABASE_POOL_SIZE="6",
    )
    launcher = WorkerLauncher(env, tmp_path)
    rng = random.Random(20261204)
    events: list[str] = []
    try:
        workers = [launcher.start() for _ in range(WORKERS)]
        kills = 0
        while kills < KILLS:
            # Keep fan-outs going: a new event for everyone every FAN_OUT_EVERY kills, and whenever
            # the others are done (so the kills always meet work: on Redis a dead worker's messages
            # wait out the heartbeat before anyone takes them up again).
            if len(events) <= kills // FAN_OUT_EVERY or not await open_deliveries(events):
                events.append(f"kills:{kind}:{uuid.uuid4()}")
                await notify(CODE, recipients, events[-1], subject=f"第{len(events)}次通知")
            await asyncio.sleep(rng.uniform(0.05, 0.35))
            ready = [w for w in workers if await asyncio.to_thread(_ready, w)]
            if not ready:
                continue
            victim = rng.choice(ready)
            victim.kill()
            workers.remove(victim)
            workers.append(launcher.start())
            kills += 1
        last_kill = time.monotonic()

        deadline = BOUND_SECONDS[kind] + SLACK_SECONDS
        for _ in range(int(deadline / 0.2)):
            if not await open_deliveries(events):
                break
            await asyncio.sleep(0.2)
        elapsed = time.monotonic() - last_kill
        print(f"\n{kind}: {KILLS} kills over {len(events)} fan-outs; all done {elapsed:.1f} s after the last kill")
        assert await open_deliveries(events) == 0, f"deliveries still open {deadline} s after the last kill"
    finally:
        launcher.close()

    deliveries = await deliveries_of(events)
    assert len(deliveries) == len(events) * len(recipients)
    assert Counter(deliveries.values()) == {"sent": len(deliveries)}
    handed = Counter(r["key"][1:].split("@")[0] for r in RecordingTransport(record).records())
    doubled = {key: n for key, n in handed.items() if n > 1}
    assert not doubled, f"{len(doubled)} messages handed over more than once"
    assert set(handed) == set(deliveries)  # none lost, none foreign
    dead = await raw_fetchval(database_url, "select count(*) from platform.dead_jobs where tenant_code = $1", CODE)
    assert dead == 0
