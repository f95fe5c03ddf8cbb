"""Handing a delivery or a digest to its channel, at most once per attempt and never after success.

1. Lock the row. Sent, failed, skipped or digest rows are left alone (a duplicate message); a row
   held by quiet hours waits; a row another worker is sending (lease still running) is retried later.
2. Mark it `sending` with a lease under the current broker message, count the attempt, commit.
3. Lock the row again, check it is still ours and `sending`, send, record the outcome and commit,
   all in that one transaction: the row's lock is held during the send, so a second copy of the
   same message waits and then finds it sent. A transport error is recorded with the attempt; the
   caller retries with backoff, and the last attempt (or a permanent refusal such as SMTP 5xx)
   marks it `failed`, which the office's staff see and can resend.

A `sending` row whose lease has expired belongs to a worker that died between steps 2 and 3: the
message may or may not have gone out. So does a `sending` row leased under the very message now
being handled: the broker hands a message out again only when the worker holding it is gone
(RabbitMQ: its connection closed; Redis: its heartbeat stopped), so its deliveries are taken over
at once instead of after the lease. Either way the transport is asked first whether it already
took the message's key, where it can tell (`Channel.accepted`); otherwise it is sent again under
the same key (the email's Message-ID, the gateways' idempotency key), so a receiver that got the
first copy drops the second; that is the best a transport without two-phase commit allows. The
doubt covers at most the one message a worker was sending when it died.

A `deliver` message carries up to `BATCH` deliveries: each follows the rules above on its own, but
they share the first lock and lease commit; each send then has its own short transaction. A
batch that has sent for `SEND_BUDGET` hands the rest back for its retry, so a slow mail server can't
outlast the leases or the actor's time limit. The worker writes statuses as bulk
statements, past the ORM's unit of work and so past the audit log: a delivery row is its own log
(status, attempts, address, last error and times), and the staff's resend is audited as usual.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from dramatiq.middleware import CurrentMessage
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from renda.core.db import get_database, utcnow
from renda.modules.accounts.service import contacts_of
from renda.modules.notifications.channels import (
    Channel,
    ChannelSetup,
    ChannelUnavailable,
    Outgoing,
    TransportError,
    channel_setup,
)
from renda.modules.notifications.models import (
    CHANNEL_LABELS,
    Notification,
    NotificationDelivery,
    NotificationDigest,
    Status,
)
from renda.tenants.scoping import TenantRef, tenant_session

log = logging.getLogger("renda.notifications")
WORKER_ACTOR = "system:worker:通知服务"
LEASE = timedelta(minutes=5)  # well above the SMTP timeout
MAX_ATTEMPTS = 6
DONE = (Status.SENT, Status.FAILED, Status.SKIPPED, Status.DIGEST)
FREQUENCY_LABELS = {"daily": "每日", "weekly": "每周"}

Row = NotificationDelivery | NotificationDigest
# (session, the rows to send with their addresses, setup) → what to send per row id (None: nothing)
Compose = Callable[[AsyncSession, list[tuple[Row, str]], ChannelSetup], Awaitable[dict[uuid.UUID, Outgoing | None]]]
BATCH = 100  # deliveries per `deliver` message: one lock and one lease commit for all
SEND_BUDGET = timedelta(minutes=2)  # a batch stops sending after this; well inside LEASE and the time limit


class SendLater(Exception):
    """Raised for the message broker to try again with backoff."""


async def send_delivery(
    tenant: TenantRef, delivery_id: uuid.UUID, *, last_try: bool, now: datetime | None = None
) -> str:
    return (await send_deliveries(tenant, [delivery_id], last_try=last_try, now=now))[delivery_id]


async def send_deliveries(
    tenant: TenantRef, delivery_ids: Sequence[uuid.UUID], *, last_try: bool, now: datetime | None = None
) -> dict[uuid.UUID, str]:
    return await _send(tenant, NotificationDelivery, delivery_ids, _compose_deliveries, last_try, now)


async def send_digest(tenant: TenantRef, digest_id: uuid.UUID, *, last_try: bool, now: datetime | None = None) -> str:
    return (await _send(tenant, NotificationDigest, [digest_id], _compose_digests, last_try, now))[digest_id]


@dataclass
class _Leased:
    row_id: uuid.UUID
    outgoing: Outgoing
    attempts: int
    channel: Channel
    in_doubt: bool  # an earlier hand-over was cut off: it may have gone out


def _holder() -> str | None:
    """The broker message this runs for: a lease taken under it is this message's."""
    message = CurrentMessage.get_current_message()
    return message.message_id if message is not None else None


async def _send(
    tenant: TenantRef,
    model: type[Row],
    row_ids: Sequence[uuid.UUID],
    compose: Compose,
    last_try: bool,
    now: datetime | None,
) -> dict[uuid.UUID, str]:
    """Each row's status afterwards (or `held`, `missing`). Every row follows the rules above on its
    own; the batch only shares the transactions. Raises SendLater, after recording what was done,
    when any row must be tried again: the retried message finds the others done and skips them."""
    setup = channel_setup()
    holder = _holder()
    outcome: dict[uuid.UUID, str] = {row_id: "missing" for row_id in row_ids}
    later: list[str] = []
    leased: list[_Leased] = []
    async with tenant_session(tenant, actor=WORKER_ACTOR) as session:
        now = now or utcnow()
        due: list[Row] = []
        for row in await _locked(session, model, row_ids):
            if row.status in DONE:
                outcome[row.id] = row.status
            elif row.status == Status.DEFERRED and row.not_before is not None and row.not_before > now:
                outcome[row.id] = "held"
            elif (
                row.status == Status.SENDING
                and row.lease_until is not None
                and row.lease_until > now
                and (holder is None or row.lease_holder != holder)
            ):
                outcome[row.id] = Status.SENDING
                later.append("another worker is sending this message")
            else:  # pending, held until now, or sending for a worker that is gone
                due.append(row)
        async with get_database().platform_session() as platform:
            found = await contacts_of(platform, list({row.user_id for row in due}), reveal=True)
        skipped: dict[uuid.UUID, tuple[str, str | None]] = {}
        addressed: list[tuple[Row, str]] = []
        for row in due:
            contacts = found.get(row.user_id)
            address = setup.channels[row.channel].address(contacts) if contacts else None
            if address is None:
                reason = "用户不存在" if contacts is None else f"用户未填写{CHANNEL_LABELS[row.channel]}地址"
                skipped[row.id] = (Status.SKIPPED, reason)
            else:
                addressed.append((row, address))
        composed = await compose(session, addressed, setup) if addressed else {}
        leases: list[dict[str, Any]] = []
        for row, address in addressed:
            outgoing = composed.get(row.id)
            if outgoing is None:
                skipped[row.id] = (Status.SKIPPED, "没有需要发送的内容")
                continue
            channel = setup.channels[row.channel]
            leased.append(_Leased(row.id, outgoing, row.attempts + 1, channel, row.status == Status.SENDING))
            leases.append(
                {
                    "id": row.id,
                    "status": Status.SENDING,
                    "lease_until": now + LEASE,
                    "lease_holder": holder,
                    "attempts": row.attempts + 1,
                    "address_masked": channel.mask(address),
                    "updated_at": now,
                }
            )
        if leases:
            await session.execute(update(model), leases)
        outcome |= await _finish(session, model, skipped)
        await session.commit()

    outcome |= await _transmit(tenant, model, leased, last_try, later, holder)
    if later:
        raise SendLater(later[0])
    return outcome


async def _transmit(
    tenant: TenantRef, model: type[Row], leased: list[_Leased], last_try: bool, later: list[str], holder: str | None
) -> dict[uuid.UUID, str]:
    """Hand the leased rows to their channels one at a time, each inside a transaction that holds
    the row's lock from before the send until its outcome is committed: a second copy of the same
    message (a relay that died after publishing sends it again) waits for that lock and then finds
    the row sent; a worker that dies mid-send releases the lock with its connection, leaving the
    row `sending` for the message's next delivery. What must be tried again is noted in `later`."""
    outcome: dict[uuid.UUID, str] = {}
    started = time.monotonic()
    for index, item in enumerate(leased):
        if index and time.monotonic() - started > SEND_BUDGET.total_seconds():
            # A slow transport: hand the rest back for the retry, long before their leases (and
            # the actor's time limit) run out.
            rest = {r.row_id: (Status.PENDING, "本批发送较慢,稍后继续") for r in leased[index:]}
            outcome |= await _record(tenant, model, rest, holder)
            later.append("batch send budget used up")
            break
        async with tenant_session(tenant, actor=WORKER_ACTOR) as session:
            rows = await _locked(session, model, [item.row_id])
            if not rows or rows[0].status != Status.SENDING or rows[0].lease_holder != holder:
                # Done (or taken over after our lease ran out) by another delivery of the work.
                outcome[item.row_id] = rows[0].status if rows else "missing"
                continue
            result = await _hand_over(tenant, item, last_try, later)
            outcome |= await _finish(session, model, {item.row_id: result})
            await session.commit()
    return outcome


async def _hand_over(tenant: TenantRef, item: _Leased, last_try: bool, later: list[str]) -> tuple[str, str | None]:
    """Send one message; its outcome as (status, error)."""
    try:
        if item.in_doubt and await item.channel.accepted(item.outgoing.key):
            log.info(
                "notification already taken by its transport before a worker stopped; not sent again",
                extra={"tenant": tenant.code, "id": str(item.row_id), "channel": item.channel.name},
            )
        else:
            await item.channel.send(item.outgoing)
    except ChannelUnavailable as exc:
        return Status.SKIPPED, str(exc)
    except TransportError as exc:
        final = exc.permanent or last_try or item.attempts >= MAX_ATTEMPTS
        log.warning(
            "notification not sent",
            extra={"tenant": tenant.code, "id": str(item.row_id), "channel": item.channel.name, "final": final},
        )
        if not final:
            later.append(str(exc))
        return (Status.FAILED if final else Status.PENDING), str(exc)
    return Status.SENT, None


async def _locked(session: AsyncSession, model: type[Row], row_ids: Sequence[uuid.UUID]) -> list[Row]:
    # In id order, so two workers holding overlapping batches can't deadlock.
    query = select(model).where(model.id.in_(row_ids)).order_by(model.id).with_for_update()
    return list((await session.execute(query)).scalars())


async def _record(
    tenant: TenantRef, model: type[Row], results: dict[uuid.UUID, tuple[str, str | None]], holder: str | None
) -> dict[uuid.UUID, str]:
    """Record outcomes of rows still leased under `holder`; others are left as another delivery left them."""
    async with tenant_session(tenant, actor=WORKER_ACTOR) as session:
        rows = await _locked(session, model, list(results))
        recorded = {row.id: row.status for row in rows}
        ours = {r.id: results[r.id] for r in rows if r.status == Status.SENDING and r.lease_holder == holder}
        recorded |= await _finish(session, model, ours)
        await session.commit()
    return {row_id: recorded.get(row_id, "missing") for row_id in results}


async def _finish(
    session: AsyncSession, model: type[Row], outcomes: dict[uuid.UUID, tuple[str, str | None]]
) -> dict[uuid.UUID, str]:
    """Set the rows' outcomes in one statement; a digest passes its outcome on to the deliveries it carries."""
    if not outcomes:
        return {}
    now = utcnow()
    await session.execute(
        update(model),
        [
            {
                "id": row_id,
                "status": status,
                "last_error": (error or None) and error[:1000],
                "lease_until": None,
                "lease_holder": None,
                "sent_at": now if status == Status.SENT else None,
                "updated_at": now,
            }
            for row_id, (status, error) in outcomes.items()
        ],
    )
    if model is NotificationDigest:
        for digest_id, (status, _) in outcomes.items():
            if status in (Status.SENT, Status.FAILED, Status.SKIPPED):
                await session.execute(
                    update(NotificationDelivery)
                    .where(NotificationDelivery.digest_id == NotificationDigest.id)
                    .values(
                        status=status,
                        last_error=NotificationDigest.last_error,
                        sent_at=now if status == Status.SENT else None,
                        address_masked=NotificationDigest.address_masked,
                        updated_at=now,
                    )
                    .where(NotificationDigest.id == digest_id)
                )
    return {row_id: status for row_id, (status, _) in outcomes.items()}


async def _compose_deliveries(
    session: AsyncSession, rows: list[tuple[Row, str]], setup: ChannelSetup
) -> dict[uuid.UUID, Outgoing | None]:
    wanted = {row.notification_id for row, _ in rows if isinstance(row, NotificationDelivery)}
    if not wanted:
        return {}
    items = {
        n.id: n for n in (await session.execute(select(Notification).where(Notification.id.in_(wanted)))).scalars()
    }
    composed: dict[uuid.UUID, Outgoing | None] = {}
    for row, address in rows:
        assert isinstance(row, NotificationDelivery)
        item = items.get(row.notification_id)
        link = setup.public_url + item.link if item and item.link else None
        composed[row.id] = Outgoing(str(row.id), address, item.title, item.body, link) if item else None
    return composed


async def _compose_digests(
    session: AsyncSession, rows: list[tuple[Row, str]], setup: ChannelSetup
) -> dict[uuid.UUID, Outgoing | None]:
    return {row.id: await _compose_digest(session, row, address, setup) for row, address in rows}


async def _compose_digest(session: AsyncSession, row: Row, address: str, setup: ChannelSetup) -> Outgoing | None:
    assert isinstance(row, NotificationDigest)
    items = (
        (
            await session.execute(
                select(Notification)
                .join(NotificationDelivery, NotificationDelivery.notification_id == Notification.id)
                .where(NotificationDelivery.digest_id == row.id)
                .order_by(Notification.created_at, Notification.id)
            )
        )
        .scalars()
        .all()
    )
    if not items:
        return None
    lines = []
    for number, item in enumerate(items, 1):
        lines.append(f"{number}. {item.title}\n{item.body}")
        if item.link:
            lines.append(f"查看详情:{setup.public_url}{item.link}")
    title = f"{FREQUENCY_LABELS[row.frequency]}通知汇总:您有 {len(items)} 条新通知"
    return Outgoing(f"digest-{row.id}", address, title, "\n\n".join(lines), None)
