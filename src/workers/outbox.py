"""The transactional outbox.

`enqueue` writes the message into `platform.outbox` inside the caller's transaction, so it exists
exactly when the change that caused it has committed. The relay sends unsent rows to the broker and
marks them sent. A process that dies between commit and send leaves the row unsent and the next
relay pass sends it; one that dies between send and marking sends it again, and `claim_message`
makes that second delivery a no-op for the actor.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import Collection
from datetime import datetime, timedelta
from typing import Any

import asyncpg
import dramatiq
from dramatiq.middleware import CurrentMessage
from sqlalchemy import event, exists, make_url, or_, select, text, true, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from renda.core.db import CONNECT_TIMEOUT_SECONDS, Database, database_unavailable, root_cause, utcnow
from renda.workers.models import DeadJob, OutboxMessage, ProcessedMessage

log = logging.getLogger("renda.outbox")
NOTIFY_CHANNEL = "renda_outbox"
BATCH_SIZE = 200
LISTEN_CHECK_SECONDS = 30.0  # how often a quiet LISTEN connection is checked
LISTEN_RETRY_FIRST, LISTEN_RETRY_MAX = 0.5, 10.0  # backoff between attempts to LISTEN again


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


async def resend_unclaimed(
    database: Database,
    actor_names: set[str],
    *,
    after: timedelta,
    within: timedelta,
    now: datetime | None = None,
    offices: Collection[str] | None = None,
) -> list[str]:
    """Send again the messages of `actor_names` (actors that claim what they act on) that were sent
    more than `after` ago, less than `within` ago, and still have no claim: the broker lost them (a
    Redis restart without persistence), or they are still waiting behind a long queue, in which case
    the copy's claim finds the original's and does nothing. Same message id, so either way the
    effect happens once. Dead-lettered messages are left to `renda jobs`. `offices`: only their
    messages (default: every office's and the platform's). Returns their ids."""
    now = now or utcnow()
    if not actor_names:
        return []
    office_filter = OutboxMessage.tenant_code.in_(sorted(offices)) if offices is not None else true()
    async with database.platform_session() as session:
        resent = await session.execute(
            update(OutboxMessage)
            .where(
                office_filter,
                OutboxMessage.actor_name.in_(sorted(actor_names)),
                OutboxMessage.sent_at < now - after,
                OutboxMessage.created_at > now - within,
                or_(OutboxMessage.not_before.is_(None), OutboxMessage.not_before < now - after),
                ~exists().where(ProcessedMessage.message_id == OutboxMessage.message_id),
                ~exists().where(DeadJob.message_id == OutboxMessage.message_id),
            )
            .values(sent_at=None)
            .returning(OutboxMessage.message_id)
        )
        ids = list(resent.scalars())
        if ids:
            session.info["outbox_dirty"] = True  # wake the relays
        await session.commit()
    return ids


class OutboxRelay:
    """Moves committed outbox rows to the broker; several relays may run at once."""

    def __init__(self, database: Database, broker: dramatiq.Broker, poll_seconds: float = 2.0) -> None:
        self.database = database
        self.broker = broker
        self.poll_seconds = poll_seconds
        self._wake = asyncio.Event()
        self._stopping = False
        self._stopped = asyncio.Event()
        # Set while a LISTEN connection is up (the backend's pid in `listen_pid`); else only the sweep runs.
        self.listening = asyncio.Event()
        self.listen_pid: int | None = None

    async def drain(self) -> int:
        """Send every unsent row; returns how many were sent. Stops at a batch the broker refused
        (its rows keep `last_error`; the next pass tries them again)."""
        sent = 0
        while True:
            batch, complete = await self._send_batch()
            sent += batch
            if not complete or batch < BATCH_SIZE:
                return sent

    async def _send_batch(self) -> tuple[int, bool]:
        """One batch: (rows sent, whether the broker took all of them)."""
        async with self.database.platform_session() as session:
            rows = (
                (
                    await session.execute(
                        select(OutboxMessage)
                        .where(OutboxMessage.sent_at.is_(None))
                        # Rows that failed before go last, so one the broker keeps refusing holds up no other.
                        .order_by(OutboxMessage.attempts, OutboxMessage.id)
                        .limit(BATCH_SIZE)
                        .with_for_update(skip_locked=True)
                    )
                )
                .scalars()
                .all()
            )
            if not rows:
                return 0, True
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
            sent, error = await asyncio.to_thread(self._enqueue_all, messages)
            done, failed = [row.id for row in rows[:sent]], [row.id for row in rows[sent:]]
            if done:
                await session.execute(
                    update(OutboxMessage)
                    .where(OutboxMessage.id.in_(done))
                    .values(sent_at=utcnow(), attempts=OutboxMessage.attempts + 1)
                )
            if error is not None:
                reason = f"{type(error).__name__}: {error}"[:1000]
                await session.execute(
                    update(OutboxMessage)
                    .where(OutboxMessage.id.in_(failed))
                    .values(attempts=OutboxMessage.attempts + 1, last_error=reason)
                )
                log.warning(
                    "outbox batch failed: %d of %d messages not sent, kept for the next pass: %s",
                    len(failed),
                    len(rows),
                    reason,
                    extra={"unsent": len(failed), "batch": len(rows), "first_message_id": rows[sent].message_id},
                )
            await session.commit()
            return sent, error is None

    def _enqueue_all(self, messages: list[tuple[dramatiq.Message[Any], int | None]]) -> tuple[int, Exception | None]:
        """Enqueue in order; stop at the first failure (the broker is likely down for the rest too)."""
        for index, (message, delay) in enumerate(messages):
            try:
                self.broker.enqueue(message, delay=delay or None)
            except Exception as exc:
                return index, exc
        return len(messages), None

    async def run(self) -> None:
        """Drain on every NOTIFY and at least every `poll_seconds`, until `stop()`. While the database is
        away, the log says so once when it goes and once when it is back (not a traceback a pass)."""
        listener = asyncio.create_task(self._listen())
        database_lost: float | None = None
        try:
            while not self._stopping:
                try:
                    await self.drain()
                    if database_lost is not None:
                        log.info("outbox relay: the database is back after %.0fs", time.monotonic() - database_lost)
                        database_lost = None
                except Exception as exc:
                    if not database_unavailable(exc):
                        log.exception("outbox relay pass failed; retrying")
                    elif database_lost is None:
                        database_lost = time.monotonic()
                        cause = root_cause(exc)
                        log.warning(
                            "outbox relay: database unavailable (%s); retrying every %ss",
                            f"{type(cause).__name__}: {cause}",
                            self.poll_seconds,
                        )
                try:
                    await asyncio.wait_for(self._wake.wait(), timeout=self.poll_seconds)
                except TimeoutError:
                    pass
                self._wake.clear()
        finally:
            listener.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await listener

    def stop(self) -> None:
        self._stopping = True
        self._stopped.set()
        self._wake.set()

    async def _listen(self) -> None:
        """LISTEN on a dedicated connection, and LISTEN again (with backoff) whenever it drops; the
        sweep every `poll_seconds` carries the relay meanwhile, and the log says so both ways."""
        delay, lost_since = LISTEN_RETRY_FIRST, None
        while not self._stopping:
            try:
                # Its own connection, not the pool's: pooled connections begin a transaction as they
                # are checked out, and PostgreSQL holds notifications back until a transaction ends.
                driver = await asyncpg.connect(self._listen_dsn(), timeout=CONNECT_TIMEOUT_SECONDS)
                try:
                    dropped = asyncio.Event()
                    driver.add_termination_listener(lambda _connection, event=dropped: event.set())
                    await driver.add_listener(NOTIFY_CHANNEL, self._notified)
                    self.listen_pid = driver.get_server_pid()
                    self.listening.set()
                    self._wake.set()  # catch up on what was committed while nobody listened
                    if lost_since is not None:
                        log.info(
                            "outbox LISTEN is back after %.0fs; relaying on NOTIFY again",
                            time.monotonic() - lost_since,
                            extra={"backend_pid": self.listen_pid},
                        )
                    delay, lost_since = LISTEN_RETRY_FIRST, None
                    await self._watch(driver, dropped)
                finally:
                    driver.terminate()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                self.listening.clear()
                self.listen_pid = None
                if lost_since is None:
                    lost_since = time.monotonic()
                    log.warning(
                        "outbox LISTEN unavailable (%s); relaying by polling every %ss until it is back",
                        f"{type(exc).__name__}: {exc}",
                        self.poll_seconds,
                    )
                await asyncio.sleep(delay)
                delay = min(delay * 2, LISTEN_RETRY_MAX)

    def _listen_dsn(self) -> str:
        # The server itself, not a transaction pooler: a LISTEN lives as long as its session.
        url = make_url(self.database.direct_url).set(drivername="postgresql")
        return url.render_as_string(hide_password=False)

    def _notified(self, *_: Any) -> None:
        self._wake.set()

    async def _watch(self, driver: Any, dropped: asyncio.Event) -> None:
        """Return when the relay stops; raise when the connection drops: at once through asyncpg's
        termination listener, or within `LISTEN_CHECK_SECONDS` by a query (a connection can also die
        silently)."""
        while not self._stopping:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(_first(dropped, self._stopped), timeout=LISTEN_CHECK_SECONDS)
            if self._stopping:
                return
            if dropped.is_set() or driver.is_closed():
                raise ConnectionError("the LISTEN connection was closed")
            await asyncio.wait_for(driver.execute("SELECT 1"), timeout=LISTEN_CHECK_SECONDS)


async def _first(*events: asyncio.Event) -> None:
    """Return when any of the events is set."""
    waiters = [asyncio.ensure_future(event.wait()) for event in events]
    try:
        await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()
