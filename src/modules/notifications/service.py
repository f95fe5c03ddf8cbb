"""The rules of notifications: `notify` for other modules, the inbox, preferences, templates, digests.

`notify` runs inside the caller's transaction: inbox items, deliveries and their messages (through
the outbox) exist exactly when the caller's change commits. The sending itself is in `sending.py`.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from renda.core.db import get_database, utcnow
from renda.core.errors import Conflict, InvalidInput, NotFound
from renda.core.pagination import Page, check_paging, paginate
from renda.core.timezone import LOCAL_TZ, to_local
from renda.modules.accounts import service as accounts
from renda.modules.notifications.channels import ChannelUnavailable, Outgoing, TransportError, channel_setup  # noqa: F401
from renda.modules.notifications.models import (
    CHANNELS,
    FREQUENCIES,
    MODES,
    STATUSES,
    Notification,
    NotificationDelivery,
    NotificationDigest,
    NotificationPreference,
    NotificationSettings,
    NotificationTemplate,
    Status,
)
from renda.modules.notifications.registry import (  # register_kind: re-exported for the modules' notification_kinds
    NotificationKind,
    check_template,
    get_kind,
    kinds,
    register_kind,  # noqa: F401
    render,
)
from renda.workers.outbox import enqueue, enqueue_later

MAX_EVENT_KEY = 200
MAX_LINK = 500
INSERT_CHUNK = 1000  # inbox rows per statement
# A row the sweep finds still unsent this long after it was due (or last tried) has lost its
# message; the sweep runs every tasks.RECOVER_EVERY_MINUTES (2), so a delivery whose message the
# broker lost is sent again within about seven minutes of when it was due.
STALE_AFTER = timedelta(minutes=5)
SWEEP_LIMIT = 5000  # rows per office and pass; the next pass takes the rest


# --- the API for other modules -------------------------------------------------------------------
async def notify(
    session: AsyncSession,
    *,
    kind: str,
    event_key: str,
    recipients: Iterable[uuid.UUID],
    variables: Mapping[str, Any],
    link: str | None = None,
    now: datetime | None = None,
) -> list[Notification]:
    """Tell `recipients` (platform user ids) about one event, in the caller's transaction.

    `event_key` names the event (e.g. `reception:<station>:<date>`): the same key notified again
    gives nobody a second item or message. `link` is a path on this site. Returns the new items.
    """
    spec = get_kind(kind)
    if not 1 <= len(event_key) <= MAX_EVENT_KEY:
        raise ValueError(f"event_key must have 1 to {MAX_EVENT_KEY} characters")
    if link is not None and (not link.startswith("/") or link.startswith("//") or len(link) > MAX_LINK):
        raise ValueError("link must be a path on this site")
    users = list(dict.fromkeys(recipients))
    if not users:
        return []
    title_template, body_template = await _templates_of(session, spec)
    title = render(title_template, variables)[:200]
    body = render(body_template, variables)
    now = now or utcnow()
    new: dict[uuid.UUID, uuid.UUID] = {}
    for start in range(0, len(users), INSERT_CHUNK):  # PostgreSQL takes at most 32,767 parameters
        inserted = await session.execute(
            insert(Notification)
            .values(
                [
                    {
                        "id": uuid.uuid4(),
                        "user_id": user,
                        "kind": spec.name,
                        "event_key": event_key,
                        "title": title,
                        "body": body,
                        "link": link,
                        "created_at": now,
                    }
                    for user in users[start : start + INSERT_CHUNK]
                ]
            )
            .on_conflict_do_nothing(index_elements=["event_key", "user_id"])
            .returning(Notification.id, Notification.user_id)
        )
        new |= {user_id: notification_id for notification_id, user_id in inserted.all()}
    if not new:
        return []
    modes = await _modes(session, list(new), spec)
    quiet = await _quiet_hours(session, list(new))
    tenant_code = session.info["tenant_code"]
    from renda.modules.notifications.sending import BATCH
    from renda.modules.notifications.tasks import deliver

    due: dict[datetime | None, list[str]] = {}  # when to send → deliveries; None: now
    for user_id, notification_id in new.items():
        held_until = quiet_until(*quiet[user_id], now) if user_id in quiet else None
        for channel in CHANNELS:
            mode = modes[(user_id, channel)]
            if mode == "off":
                continue
            delivery = NotificationDelivery(
                id=uuid.uuid4(), notification_id=notification_id, user_id=user_id, channel=channel
            )
            if mode in FREQUENCIES:
                delivery.status, delivery.frequency = Status.DIGEST, mode
            elif held_until is not None:
                delivery.status, delivery.not_before = Status.DEFERRED, held_until
                due.setdefault(held_until, []).append(str(delivery.id))
            else:
                delivery.status = Status.PENDING
                due.setdefault(None, []).append(str(delivery.id))
            session.add(delivery)
    # One message per batch of deliveries due at the same time: a large event is a few hundred jobs.
    for when, ids in due.items():
        for start in range(0, len(ids), BATCH):
            batch = ids[start : start + BATCH]
            if when is None:
                enqueue(session, deliver, tenant_code, batch)
            else:
                enqueue_later(session, when - now, deliver, tenant_code, batch)
    await session.flush()
    rows = await session.execute(select(Notification).where(Notification.id.in_(new.values())))
    return list(rows.scalars())


async def withdraw(session: AsyncSession, event_key_prefix: str, reason: str) -> int:
    """Messages of events whose key starts with `event_key_prefix` that have not gone out yet (waiting,
    held by quiet hours or for a digest) are not sent: the event no longer holds (a reception day
    cancelled after its reminder). The inbox keeps the items. Returns how many were withdrawn."""
    notified = select(Notification.id).where(Notification.event_key.startswith(event_key_prefix, autoescape=True))
    withdrawn = await session.execute(
        update(NotificationDelivery)
        .where(
            NotificationDelivery.notification_id.in_(notified),
            NotificationDelivery.status.in_((Status.PENDING, Status.DEFERRED, Status.DIGEST)),
        )
        .values(status=Status.SKIPPED, last_error=f"已撤回:{reason}")
    )
    return withdrawn.rowcount or 0


async def _templates_of(session: AsyncSession, spec: NotificationKind) -> tuple[str, str]:
    override = (
        await session.execute(select(NotificationTemplate).where(NotificationTemplate.kind == spec.name))
    ).scalar_one_or_none()
    if override is None:
        return spec.title_template, spec.body_template
    return override.title_template, override.body_template


async def _modes(
    session: AsyncSession, users: Sequence[uuid.UUID], spec: NotificationKind
) -> dict[tuple[uuid.UUID, str], str]:
    modes = {(u, c): ("now" if c in spec.default_channels else "off") for u in users for c in CHANNELS}
    rows = await session.execute(
        select(NotificationPreference.user_id, NotificationPreference.channel, NotificationPreference.mode).where(
            NotificationPreference.user_id.in_(users), NotificationPreference.kind == spec.name
        )
    )
    for user_id, channel, mode in rows:
        modes[(user_id, channel)] = mode
    return modes


async def _quiet_hours(session: AsyncSession, users: Sequence[uuid.UUID]) -> dict[uuid.UUID, tuple[time, time]]:
    rows = await session.execute(
        select(NotificationSettings).where(
            NotificationSettings.user_id.in_(users), NotificationSettings.quiet_start.is_not(None)
        )
    )
    return {s.user_id: (s.quiet_start, s.quiet_end) for s in rows.scalars() if s.quiet_start and s.quiet_end}


def quiet_until(start: time, end: time, now: datetime) -> datetime | None:
    """When the quiet hours around `now` end (local times; start after end spans midnight), or None
    when `now` is outside them."""
    local = to_local(now)
    moment = local.time().replace(tzinfo=None)
    if start == end:
        return None
    if start < end:
        inside = start <= moment < end
        day = local.date()
    else:
        inside = moment >= start or moment < end
        day = local.date() if moment < end else local.date() + timedelta(days=1)
    return datetime.combine(day, end, tzinfo=LOCAL_TZ) if inside else None


# --- the inbox -----------------------------------------------------------------------------------
async def list_inbox(
    session: AsyncSession, user_id: uuid.UUID, *, unread_only: bool, page: int, page_size: int
) -> Page[Notification]:
    query = select(Notification).where(Notification.user_id == user_id)
    if unread_only:
        query = query.where(Notification.read_at.is_(None))
    return await paginate(session, query.order_by(Notification.created_at.desc(), Notification.id), page, page_size)


async def unread_count(session: AsyncSession, user_id: uuid.UUID) -> int:
    query = select(func.count()).where(Notification.user_id == user_id, Notification.read_at.is_(None))
    return (await session.execute(query)).scalar_one()


async def get_own(session: AsyncSession, user_id: uuid.UUID, notification_id: uuid.UUID) -> Notification:
    """The user's own item; another user's is as absent as a missing one."""
    item = (
        await session.execute(
            select(Notification).where(Notification.id == notification_id, Notification.user_id == user_id)
        )
    ).scalar_one_or_none()
    if item is None:
        raise NotFound("通知不存在", code="notification_not_found")
    return item


async def mark_read(session: AsyncSession, user_id: uuid.UUID, notification_id: uuid.UUID) -> Notification:
    item = await get_own(session, user_id, notification_id)
    if item.read_at is None:
        item.read_at = utcnow()
        await session.flush()
    return item


async def mark_all_read(session: AsyncSession, user_id: uuid.UUID) -> int:
    unread = (
        await session.execute(
            select(Notification).where(Notification.user_id == user_id, Notification.read_at.is_(None))
        )
    ).scalars()
    now = utcnow()
    count = 0
    for item in unread:
        item.read_at = now
        count += 1
    await session.flush()
    return count


# --- preferences ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class PreferenceChoice:
    kind: str
    channel: str
    mode: str


async def preferences_of(session: AsyncSession, user_id: uuid.UUID) -> dict[tuple[str, str], str]:
    """(kind, channel) → mode for every kind and channel, defaults filled in."""
    result = {(k.name, c): ("now" if c in k.default_channels else "off") for k in kinds().values() for c in CHANNELS}
    rows = await session.execute(
        select(NotificationPreference.kind, NotificationPreference.channel, NotificationPreference.mode).where(
            NotificationPreference.user_id == user_id
        )
    )
    for kind, channel, mode in rows:
        if (kind, channel) in result:
            result[(kind, channel)] = mode
    return result


def check_choice(choice: PreferenceChoice) -> None:
    get_kind(choice.kind)
    if choice.channel not in CHANNELS:
        raise InvalidInput(f"不支持的通知渠道“{choice.channel}”", code="unknown_channel")
    if choice.mode not in MODES:
        raise InvalidInput(f"不支持的接收方式“{choice.mode}”", code="unknown_mode")


async def set_preferences(session: AsyncSession, user_id: uuid.UUID, choices: Sequence[PreferenceChoice]) -> None:
    for choice in choices:  # all checked before anything is written
        check_choice(choice)
    existing = {
        (p.kind, p.channel): p
        for p in (
            await session.execute(select(NotificationPreference).where(NotificationPreference.user_id == user_id))
        ).scalars()
    }
    for choice in choices:
        row = existing.get((choice.kind, choice.channel))
        if row is None:
            row = NotificationPreference(user_id=user_id, kind=choice.kind, channel=choice.channel, mode=choice.mode)
            session.add(row)
            existing[(choice.kind, choice.channel)] = row
        else:
            row.mode = choice.mode
    await session.flush()


async def quiet_hours_of(session: AsyncSession, user_id: uuid.UUID) -> tuple[time, time] | None:
    row = await session.get(NotificationSettings, user_id)
    return (row.quiet_start, row.quiet_end) if row and row.quiet_start and row.quiet_end else None


async def set_quiet_hours(session: AsyncSession, user_id: uuid.UUID, start: time | None, end: time | None) -> None:
    if (start is None) != (end is None):
        raise InvalidInput("免打扰时段需同时填写开始和结束时间", code="invalid_quiet_hours")
    if start is not None and start == end:
        raise InvalidInput("免打扰时段的开始和结束时间不能相同", code="invalid_quiet_hours")
    row = await session.get(NotificationSettings, user_id)
    if row is None:
        session.add(NotificationSettings(user_id=user_id, quiet_start=start, quiet_end=end))
    else:
        row.quiet_start, row.quiet_end = start, end
    await session.flush()


async def contacts(user_id: uuid.UUID) -> accounts.Contacts:
    async with get_database().platform_session() as session:
        return (await accounts.contacts_of(session, [user_id]))[user_id]


async def update_contacts(
    user_id: uuid.UUID,
    actor: str,
    *,
    email: str | None,
    mobile: str | None,
    wechat_openid: str | None,
    keep_mobile: bool = False,
) -> accounts.Contacts:
    """The user's own addresses live on the platform user, shared by all of their offices."""
    async with get_database().platform_session() as session:
        session.info["actor"] = actor
        result = await accounts.set_contacts(
            session, user_id, email=email, mobile=mobile, wechat_openid=wechat_openid, keep_mobile=keep_mobile
        )
        await session.commit()
        return result


# --- templates -----------------------------------------------------------------------------------
async def templates(session: AsyncSession) -> list[tuple[NotificationKind, NotificationTemplate | None]]:
    overrides = {t.kind: t for t in (await session.execute(select(NotificationTemplate))).scalars()}
    return [(k, overrides.get(k.name)) for k in sorted(kinds().values(), key=lambda k: k.name)]


async def save_template(
    session: AsyncSession, kind: str, title: str, body: str, actor: str
) -> tuple[NotificationKind, NotificationTemplate]:
    spec = get_kind(kind)
    check_template(spec, title, body)
    row = (
        await session.execute(select(NotificationTemplate).where(NotificationTemplate.kind == spec.name))
    ).scalar_one_or_none()
    if row is None:
        row = NotificationTemplate(kind=spec.name, title_template=title, body_template=body, updated_by=actor)
        session.add(row)
    else:
        row.title_template, row.body_template, row.updated_by = title, body, actor
    await session.flush()
    return spec, row


async def reset_template(session: AsyncSession, kind: str) -> NotificationKind:
    spec = get_kind(kind)
    await session.execute(delete(NotificationTemplate).where(NotificationTemplate.kind == spec.name))
    return spec


# --- deliveries, for the office's staff ----------------------------------------------------------
async def list_deliveries(
    session: AsyncSession, status: str | None, page: int, page_size: int
) -> tuple[Page[NotificationDelivery], dict[uuid.UUID, Notification]]:
    if status is not None and status not in STATUSES:
        raise InvalidInput(f"不支持的发送状态“{status}”", code="unknown_status")
    check_paging(page, page_size)
    query = select(NotificationDelivery)
    if status:
        query = query.where(NotificationDelivery.status == status)
    result = await paginate(
        session, query.order_by(NotificationDelivery.created_at.desc(), NotificationDelivery.id), page, page_size
    )
    ids = {d.notification_id for d in result.items}
    notifications = (await session.execute(select(Notification).where(Notification.id.in_(ids)))).scalars()
    return result, {n.id: n for n in notifications}


async def get_delivery(session: AsyncSession, delivery_id: uuid.UUID, *, lock: bool = False) -> NotificationDelivery:
    delivery = await session.get(NotificationDelivery, delivery_id, with_for_update=lock or None)
    if delivery is None:
        raise NotFound("发送记录不存在", code="delivery_not_found")
    return delivery


async def resend(session: AsyncSession, delivery_id: uuid.UUID) -> NotificationDelivery:
    """Send a failed or skipped delivery again, now (outside any digest)."""
    delivery = await get_delivery(session, delivery_id, lock=True)
    if delivery.status not in (Status.FAILED, Status.SKIPPED):
        raise Conflict("只有发送失败或未发送的通知可以重发", code="delivery_not_resendable")
    from renda.modules.notifications.tasks import deliver

    delivery.status, delivery.attempts, delivery.last_error = Status.PENDING, 0, None
    delivery.digest_id = delivery.frequency = delivery.not_before = delivery.lease_until = None
    await session.flush()
    enqueue(session, deliver, session.info["tenant_code"], str(delivery.id))
    return delivery


async def recipient_names(user_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, str]:
    async with get_database().platform_session() as session:
        found = await accounts.contacts_of(session, list(set(user_ids)))
    return {user_id: c.display_name for user_id, c in found.items()}


# --- digests and the sweep -----------------------------------------------------------------------
async def build_digests(
    session: AsyncSession, frequency: str, period: str, now: datetime | None = None
) -> list[uuid.UUID]:
    """Gather every user's waiting `frequency` deliveries into one digest per user and channel for
    `period`. A digest that exists already for the period is left alone (a repeated job message), so
    items that arrived since wait for the next period."""
    from renda.modules.notifications.tasks import deliver_digest

    now = now or utcnow()
    waiting = (
        await session.execute(
            select(NotificationDelivery.user_id, NotificationDelivery.channel)
            .where(
                NotificationDelivery.status == Status.DIGEST,
                NotificationDelivery.frequency == frequency,
                NotificationDelivery.digest_id.is_(None),
            )
            .distinct()
        )
    ).all()
    quiet = await _quiet_hours(session, list({user_id for user_id, _ in waiting}))
    created: list[uuid.UUID] = []
    for user_id, channel in waiting:
        held_until = quiet_until(*quiet[user_id], now) if user_id in quiet else None
        digest_id = (
            await session.execute(
                insert(NotificationDigest)
                .values(
                    id=uuid.uuid4(),
                    user_id=user_id,
                    channel=channel,
                    frequency=frequency,
                    period=period,
                    status=Status.DEFERRED if held_until else Status.PENDING,
                    not_before=held_until,
                    attempts=0,
                    created_at=now,
                    updated_at=now,
                )
                .on_conflict_do_nothing()
                .returning(NotificationDigest.id)
            )
        ).scalar_one_or_none()
        if digest_id is None:
            continue
        await session.execute(
            update(NotificationDelivery)
            .where(
                NotificationDelivery.user_id == user_id,
                NotificationDelivery.channel == channel,
                NotificationDelivery.status == Status.DIGEST,
                NotificationDelivery.frequency == frequency,
                NotificationDelivery.digest_id.is_(None),
            )
            .values(digest_id=digest_id)
        )
        tenant_code = session.info["tenant_code"]
        if held_until:
            enqueue_later(session, held_until - now, deliver_digest, tenant_code, str(digest_id))
        else:
            enqueue(session, deliver_digest, tenant_code, str(digest_id))
        created.append(digest_id)
    return created


async def sweep(session: AsyncSession, now: datetime | None = None) -> int:
    """Send again what lost its message: pending or held rows long past due, and rows whose sending
    lease ran out (a worker died mid-send and its message is gone too). A row sent again is marked
    (`updated_at`), so the next pass leaves it alone for another STALE_AFTER. Delivering claims each
    row by its status, so a spare message (the original was only slow) sends nothing twice.
    Returns how many rows were sent again."""
    from renda.modules.notifications.sending import BATCH
    from renda.modules.notifications.tasks import deliver, deliver_digest

    now = now or utcnow()
    stale_before = now - STALE_AFTER
    count = 0
    for model, actor, batch in ((NotificationDelivery, deliver, BATCH), (NotificationDigest, deliver_digest, 1)):
        stale = list(
            (
                await session.execute(
                    select(model.id)
                    .where(
                        ((model.status == Status.PENDING) & (model.updated_at < stale_before))
                        | (
                            (model.status == Status.DEFERRED)
                            & (model.not_before < stale_before)
                            & (model.updated_at < stale_before)
                        )
                        | (
                            (model.status == Status.SENDING)
                            & (model.lease_until < now)
                            & (model.updated_at < stale_before)
                        )
                    )
                    .order_by(model.id)
                    .limit(SWEEP_LIMIT)
                )
            ).scalars()
        )
        if not stale:
            continue
        # Past the ORM and its audit log, as the sending itself: a row is its own record.
        await session.execute(update(model).where(model.id.in_(stale)).values(updated_at=now))
        for start in range(0, len(stale), batch):
            ids = [str(row_id) for row_id in stale[start : start + batch]]
            enqueue(session, actor, session.info["tenant_code"], ids if batch > 1 else ids[0])
        count += len(stale)
    return count
