"""Handing a delivery or a digest to its channel, at most once per attempt and never after success.

1. Lock the row. Sent, failed, skipped or digest rows are left alone (a duplicate message); a row
   held by quiet hours waits; a row another worker is sending (lease still running) is retried later.
2. Mark it `sending` with a lease, count the attempt, commit: the external send happens outside any
   transaction.
3. Send, then record `sent` and commit. A transport error is recorded with the attempt; the caller
   retries with backoff, and the last attempt (or a permanent refusal such as SMTP 5xx) marks it
   `failed`, which the office's staff see and can resend.

A `sending` row whose lease has expired belongs to a worker that died between steps 2 and 3: the
message may or may not have gone out. It is sent again under the same key (the email's Message-ID,
the gateways' idempotency key), so a receiver that got the first copy drops the second; that is
the best a transport without two-phase commit allows.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from renda.core.db import get_database, utcnow
from renda.modules.accounts.service import contacts_of
from renda.modules.notifications.channels import (
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
Compose = Callable[[AsyncSession, Row, str, ChannelSetup], Awaitable[Outgoing | None]]


class SendLater(Exception):
    """Raised for the message broker to try again with backoff."""


async def send_delivery(
    tenant: TenantRef, delivery_id: uuid.UUID, *, last_try: bool, now: datetime | None = None
) -> str:
    return await _send(tenant, NotificationDelivery, delivery_id, _compose_delivery, last_try, now)


async def send_digest(tenant: TenantRef, digest_id: uuid.UUID, *, last_try: bool, now: datetime | None = None) -> str:
    return await _send(tenant, NotificationDigest, digest_id, _compose_digest, last_try, now)


async def _send(
    tenant: TenantRef,
    model: type[Row],
    row_id: uuid.UUID,
    compose: Compose,
    last_try: bool,
    now: datetime | None,
) -> str:
    """Returns the row's status afterwards (or `held`, `missing`); raises SendLater to be retried."""
    setup = channel_setup()
    async with tenant_session(tenant, actor=WORKER_ACTOR) as session:
        row = await session.get(model, row_id, with_for_update=True)
        if row is None:
            return "missing"
        now = now or utcnow()
        if row.status in DONE:
            return row.status
        if row.status == Status.DEFERRED and row.not_before is not None and row.not_before > now:
            return "held"
        if row.status == Status.SENDING and row.lease_until is not None and row.lease_until > now:
            raise SendLater("another worker is sending this message")
        channel = setup.channels[row.channel]
        async with get_database().platform_session() as platform:
            found = (await contacts_of(platform, [row.user_id], reveal=True)).get(row.user_id)
        address = channel.address(found) if found else None
        if address is None:
            reason = "用户不存在" if found is None else f"用户未填写{CHANNEL_LABELS[row.channel]}地址"
            await _finish(session, row, Status.SKIPPED, reason)
            await session.commit()
            return Status.SKIPPED
        outgoing = await compose(session, row, address, setup)
        if outgoing is None:
            await _finish(session, row, Status.SKIPPED, "没有需要发送的内容")
            await session.commit()
            return Status.SKIPPED
        row.status, row.lease_until = Status.SENDING, now + LEASE
        row.attempts += 1
        row.address_masked = channel.mask(address)
        attempts = row.attempts
        await session.commit()

    try:
        await channel.send(outgoing)
    except ChannelUnavailable as exc:
        return await _record(tenant, model, row_id, Status.SKIPPED, str(exc))
    except TransportError as exc:
        final = exc.permanent or last_try or attempts >= MAX_ATTEMPTS
        status = await _record(tenant, model, row_id, Status.FAILED if final else Status.PENDING, str(exc))
        log.warning(
            "notification not sent",
            extra={"tenant": tenant.code, "id": str(row_id), "channel": channel.name, "final": final},
        )
        if not final:
            raise SendLater(str(exc)) from None
        return status
    return await _record(tenant, model, row_id, Status.SENT, None)


async def _record(tenant: TenantRef, model: type[Row], row_id: uuid.UUID, status: str, error: str | None) -> str:
    async with tenant_session(tenant, actor=WORKER_ACTOR) as session:
        row = await session.get(model, row_id, with_for_update=True)
        if row is None or row.status != Status.SENDING:
            return row.status if row else "missing"
        await _finish(session, row, status, error)
        await session.commit()
        return status


async def _finish(session: AsyncSession, row: Row, status: str, error: str | None) -> None:
    """Set the outcome; a digest passes it on to the deliveries it carries."""
    now = utcnow()
    row.status, row.last_error, row.lease_until = status, (error or None) and error[:1000], None
    if status == Status.SENT:
        row.sent_at = now
    if isinstance(row, NotificationDigest) and status in (Status.SENT, Status.FAILED, Status.SKIPPED):
        await session.execute(
            update(NotificationDelivery)
            .where(NotificationDelivery.digest_id == row.id)
            .values(
                status=status,
                last_error=row.last_error,
                sent_at=now if status == Status.SENT else None,
                address_masked=row.address_masked,
                updated_at=now,
            )
        )
    await session.flush()


async def _compose_delivery(session: AsyncSession, row: Row, address: str, setup: ChannelSetup) -> Outgoing | None:
    assert isinstance(row, NotificationDelivery)
    item = await session.get(Notification, row.notification_id)
    if item is None:
        return None
    link = setup.public_url + item.link if item.link else None
    return Outgoing(str(row.id), address, item.title, item.body, link)


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
