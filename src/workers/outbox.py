"""The transactional outbox.

`enqueue` writes the message into `platform.outbox` inside the caller's transaction, so it exists
exactly when the change that caused it has committed. The relay sends unsent rows to the broker and
marks them sent. A process that dies between commit and send leaves the row unsent and the next
relay pass sends it; one that dies between send and marking sends it again, and `claim_message`
makes that second delivery a no-op for the actor.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from datetime import timedelta
from typing import Any

import dramatiq
from dramatiq.middleware import CurrentMessage
from sqlalchemy import event, select, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from renda.core.db import Database, utcnow
from renda.workers.models import OutboxMessage, ProcessedMessage

log = logging.getLogger("renda.outbox")
NOTIFY_CHANNEL = "renda_outbox"
BATCH_SIZE = 200


def enqueue(session: AsyncSession, actor: dramatiq.Actor[Any, Any], *args: Any, **kwargs: Any) -> OutboxMessage:
    """Send `actor(*args, **kwargs)` once the session's transaction commits."""
    return enqueue_later(session, None, actor, *args, **kwargs)


def enqueue_later(
    session: AsyncSession | Session, delay: timedelta | None, actor: dramatiq.Actor[Any, Any], *args: Any, **kwargs: Any
) -> OutboxMessage:
    """Like `enqueue`, but the broker holds the message until `delay` after the commit has passed."""
    message = OutboxMessage(
        message_id=str(uuid.uuid4()),
        queue_name=actor.queue_name,
        actor_name=actor.actor_name,
        args=list(args),
        kwargs=kwargs,
        tenant_code=session.info.get("tenant_code"),
        not_before=utcnow() + delay if delay else None,
    )
    session.add(message)
    session.info["outbox_dirty"] = True
    return message


def _notify_before_commit(session: Session) -> None:
    """Wake the relays: PostgreSQL delivers a NOTIFY only if its transaction commits."""
    if session.info.pop("outbox_dirty", False):
        session.connection().execute(text(f"NOTIFY {NOTIFY_CHANNEL}"))


def install_outbox_notify() -> None:
    if not event.contains(Session, "before_commit", _notify_before_commit):
        event.listen(Session, "before_commit", _notify_before_commit)


async def claim_message(session: AsyncSession) -> bool:
    """In an actor: record the current message as processed in the actor's own transaction.

    Returns False when an earlier delivery already committed its effects; the actor should then
    return without doing anything.
    """
    message = CurrentMessage.get_current_message()
    if message is None:
        raise RuntimeError("claim_message() must run inside an actor")
    inserted = await session.execute(
        insert(ProcessedMessage)
        .values(message_id=message.message_id, actor_name=message.actor_name)
        .on_conflict_do_nothing()
        .returning(ProcessedMessage.message_id)
    )
    return inserted.first() is not None


class OutboxRelay:
    """Moves committed outbox rows to the broker; several relays may run at once."""

    def __init__(self, database: Database, broker: dramatiq.Broker, poll_seconds: float = 2.0) -> None:
        self.database = database
        self.broker = broker
        self.poll_seconds = poll_seconds
        self._wake = asyncio.Event()
        self._stopping = False
        self._stopped = asyncio.Event()

    async def drain(self) -> int:
        """Send every unsent row; returns how many were sent."""
        sent = 0
        while True:
            batch = await self._send_batch()
            sent += batch
            if batch < BATCH_SIZE:
                return sent

    async def _send_batch(self) -> int:
        async with self.database.platform_session() as session:
            rows = (
                (
                    await session.execute(
                        select(OutboxMessage)
                        .where(OutboxMessage.sent_at.is_(None))
                        .order_by(OutboxMessage.id)
                        .limit(BATCH_SIZE)
                        .with_for_update(skip_locked=True)
                    )
                )
                .scalars()
                .all()
            )
            if not rows:
                return 0
            now = utcnow()
            messages = [
                (
                    dramatiq.Message(
                        queue_name=row.queue_name,
                        actor_name=row.actor_name,
                        args=tuple(row.args),
                        kwargs=row.kwargs,
                        # The office travels with the message, so a dead letter can name it.
                        options={"tenant_code": row.tenant_code} if row.tenant_code else {},
                        message_id=row.message_id,
                    ),
                    max(0, int((row.not_before - now).total_seconds() * 1000)) if row.not_before else None,
                )
                for row in rows
            ]
            await asyncio.to_thread(self._enqueue_all, messages)
            await session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id.in_([row.id for row in rows]))
                .values(sent_at=utcnow(), attempts=OutboxMessage.attempts + 1)
            )
            await session.commit()
            return len(rows)

    def _enqueue_all(self, messages: list[tuple[dramatiq.Message[Any], int | None]]) -> None:
        for message, delay in messages:
            self.broker.enqueue(message, delay=delay or None)

    async def run(self) -> None:
        """Drain on every NOTIFY and at least every `poll_seconds`, until `stop()`."""
        listener = asyncio.create_task(self._listen())
        try:
            while not self._stopping:
                try:
                    await self.drain()
                except Exception:
                    log.exception("outbox relay pass failed; retrying")
                try:
                    await asyncio.wait_for(self._wake.wait(), timeout=self.poll_seconds)
                except TimeoutError:
                    pass
                self._wake.clear()
        finally:
            listener.cancel()

    def stop(self) -> None:
        self._stopping = True
        self._stopped.set()
        self._wake.set()

    async def _listen(self) -> None:
        """LISTEN on a dedicated connection; polling covers the time it is down."""
        while not self._stopping:
            try:
                async with self.database.engine.connect() as connection:
                    raw = await connection.get_raw_connection()
                    driver = raw.driver_connection
                    await driver.add_listener(NOTIFY_CHANNEL, lambda *_: self._wake.set())
                    await self._stopped.wait()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.warning("outbox LISTEN connection lost; reconnecting")
                await asyncio.sleep(self.poll_seconds)
