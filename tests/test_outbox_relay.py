"""The outbox relay when things go wrong: a broker that refuses messages leaves them unsent with the
reason recorded, and they go out once it works again; a LISTEN connection that PostgreSQL terminates is
re-established, so a commit is relayed on its NOTIFY without waiting for the sweep."""

from __future__ import annotations

import asyncio
import logging
import uuid
from typing import Any

import asyncpg
import dramatiq
from dramatiq.brokers.stub import StubBroker
from sqlalchemy import select

from renda.workers.models import OutboxMessage
from renda.workers.outbox import OutboxRelay, enqueue

QUEUE = "outbox_probe"


class FlakyBroker(StubBroker):
    """An in-process broker that can be taken down: while `down`, every enqueue fails."""

    def __init__(self) -> None:
        super().__init__()
        self.down = False
        self.received: list[str] = []

    def enqueue(self, message: dramatiq.Message[Any], *, delay: int | None = None) -> dramatiq.Message[Any]:
        if self.down:
            raise ConnectionError("broker unreachable")
        if message.queue_name not in self.queues:  # rows left unsent by other tests go anywhere
            self.declare_queue(message.queue_name)
        self.received.append(message.message_id)
        return super().enqueue(message, delay=delay)


def probe_actor(broker: FlakyBroker) -> dramatiq.Actor[Any, Any]:
    return dramatiq.actor(lambda n: None, broker=broker, actor_name=f"probe_{uuid.uuid4().hex[:8]}", queue_name=QUEUE)


async def write_messages(database, actor, count: int) -> list[str]:
    async with database.platform_session() as session:
        ids = [enqueue(session, actor, n).message_id for n in range(count)]
        await session.commit()
    return ids


async def rows_of(database, message_ids: list[str]) -> list[OutboxMessage]:
    async with database.platform_session() as session:
        query = select(OutboxMessage).where(OutboxMessage.message_id.in_(message_ids)).order_by(OutboxMessage.id)
        return list((await session.execute(query)).scalars())


async def test_a_failing_broker_leaves_the_reason_and_the_rows_go_out_later(database, caplog) -> None:
    broker = FlakyBroker()
    actor = probe_actor(broker)
    relay = OutboxRelay(database, broker)
    await relay.drain()  # what other tests left unsent
    ids = await write_messages(database, actor, 3)

    broker.down = True
    with caplog.at_level(logging.WARNING, logger="renda.outbox"):
        assert await relay.drain() == 0
    assert any(
        "outbox batch failed" in r.getMessage() and "broker unreachable" in r.getMessage() for r in caplog.records
    )
    for row in await rows_of(database, ids):
        assert row.sent_at is None and row.attempts == 1
        assert row.last_error == "ConnectionError: broker unreachable"
    assert await relay.drain() == 0  # still down: a second attempt, recorded
    assert {row.attempts for row in await rows_of(database, ids)} == {2}

    broker.down = False
    assert await relay.drain() == 3
    rows = await rows_of(database, ids)
    assert all(row.sent_at is not None and row.attempts == 3 for row in rows)
    assert [i for i in broker.received if i in ids] == ids  # once each, in order


async def listening_backends(database_url: str) -> set[int]:
    """The backends of this database whose last statement was the relay's LISTEN."""
    admin = await asyncpg.connect(database_url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        rows = await admin.fetch(
            "select pid from pg_stat_activity where datname = current_database() and query ilike 'LISTEN%renda_outbox%'"
        )
        return {row["pid"] for row in rows}
    finally:
        await admin.close()


async def terminate(database_url: str, pid: int) -> None:
    admin = await asyncpg.connect(database_url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        assert await admin.fetchval("select pg_terminate_backend($1)", pid)
    finally:
        await admin.close()


async def test_the_relay_listens_again_after_postgresql_drops_its_connection(database, database_url, caplog) -> None:
    broker = FlakyBroker()
    actor = probe_actor(broker)
    relay = OutboxRelay(database, broker, poll_seconds=3600)  # the sweep would come far too late
    caplog.set_level(logging.INFO, logger="renda.outbox")
    others = await listening_backends(database_url)  # idle pooled connections of earlier relays, if any

    async def ours() -> set[int]:
        return await listening_backends(database_url) - others

    task = asyncio.create_task(relay.run())
    try:
        [first] = await eventually(ours)
        [before] = await write_messages(database, actor, 1)
        await eventually(lambda: _true(before in broker.received))  # relayed on its NOTIFY

        await terminate(database_url, first)
        [second] = await eventually(ours)
        assert second != first
        [after] = await write_messages(database, actor, 1)
        await eventually(lambda: _true(after in broker.received))  # on its NOTIFY, not an hour later
        messages = [r.getMessage() for r in caplog.records]
        assert any("relaying by polling every 3600" in m for m in messages)
        assert any("outbox LISTEN is back" in m for m in messages)
    finally:
        relay.stop()
        await asyncio.wait_for(task, timeout=10)


async def _true(value: bool) -> bool:
    return value


async def eventually(probe, seconds: float = 10.0):
    """The first truthy result of `probe()`, polled for up to `seconds`."""
    for _ in range(int(seconds / 0.05)):
        found = await probe()
        if found:
            return found
        await asyncio.sleep(0.05)
    raise AssertionError("not within the time allowed")
