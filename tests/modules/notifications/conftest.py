"""A real SMTP server (aiosmtpd) for the notification tests, and helpers to notify and inspect."""

from __future__ import annotations

import email
import email.policy
import socket
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import Message

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from renda.modules.accounts import service as accounts
from renda.modules.notifications import service
from renda.modules.notifications.channels import SmtpTransport, configure_channels
from renda.modules.notifications.models import Notification, NotificationDelivery
from renda.tenants.scoping import load_tenant, tenant_session
from tests.conftest import ensure_tenant, make_caller


@dataclass
class Mailbox:
    """What the SMTP server received; `refuse_rcpt` / `refuse_data` make it answer with that reply."""

    messages: list[Message] = field(default_factory=list)
    refuse_rcpt: str | None = None
    refuse_data: str | None = None
    busy: set[str] = field(default_factory=set)  # addresses answered "450 mailbox busy"
    refusals: int = 0
    port: int = 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.refuse_rcpt or address in self.busy:
            self.refusals += 1
            return self.refuse_rcpt or "450 4.2.1 邮箱忙,请稍后再试"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.refuse_data:
            self.refusals += 1
            return self.refuse_data
        raw = envelope.original_content or envelope.content
        self.messages.append(email.message_from_bytes(raw, policy=email.policy.default))
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[Message]:
        return [m for m in self.messages if m["To"] == address]


class RecordingSms:
    """Stands in for an SMS gateway (outside the platform): records what it was given."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str, str]] = []

    async def send(self, mobile: str, text: str, idempotency_key: str) -> None:
        self.sent.append((mobile, text, idempotency_key))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def mailbox(settings) -> Iterator[Mailbox]:
    box = Mailbox()
    box.port = _free_port()
    controller = Controller(box, hostname="127.0.0.1", port=box.port)
    controller.start()
    configure_channels(settings, email=SmtpTransport("127.0.0.1", box.port, timeout=10))
    try:
        yield box
    finally:
        controller.stop()
        configure_channels(settings)


@pytest.fixture
def sms(settings, mailbox) -> RecordingSms:
    recorder = RecordingSms()
    configure_channels(settings, email=SmtpTransport("127.0.0.1", mailbox.port, timeout=10), sms=recorder)
    return recorder


async def new_user(database, code: str, name: str, roles: list[str] | None = None, **contacts):
    """A member of the office with a unique email (so tests never see each other's mail)."""
    caller = await make_caller(database, name, {code: roles or ["deputy"]})
    address = contacts.pop("email", f"u{uuid.uuid4().hex[:10]}@example.gov.cn")
    async with database.platform_session() as session:
        session.info["actor"] = "system:test"
        await accounts.set_contacts(
            session,
            caller.user_id,
            email=address,
            mobile=contacts.get("mobile"),
            wechat_openid=contacts.get("wechat_openid"),
        )
        await session.commit()
    caller.email = address  # type: ignore[attr-defined]
    return caller


async def notify(code: str, users, event_key: str, *, kind: str = "office_notice", now=None, **variables):
    values = {"office": "石泉县人大常委会", "subject": "测试通知", "content": "请按时参加会议", **variables}
    async with tenant_session(await load_tenant(code), actor="system:test") as session:
        created = await service.notify(
            session,
            kind=kind,
            event_key=event_key,
            recipients=[u.user_id for u in users],
            variables=values,
            link=f"/t/{code}/",
            now=now,
        )
        await session.commit()
        return created


async def deliveries_of(code: str, user_id: uuid.UUID) -> list[NotificationDelivery]:
    async with tenant_session(await load_tenant(code), actor="test") as session:
        query = select(NotificationDelivery).where(NotificationDelivery.user_id == user_id)
        return list((await session.execute(query.order_by(NotificationDelivery.created_at))).scalars())


async def inbox_of(code: str, user_id: uuid.UUID) -> list[Notification]:
    async with tenant_session(await load_tenant(code), actor="test") as session:
        query = select(Notification).where(Notification.user_id == user_id).order_by(Notification.created_at)
        return list((await session.execute(query)).scalars())


@pytest.fixture
async def hierarchy(hierarchy, database) -> dict[str, str]:
    """The notification tests work in 汉滨区 of their own: a retry they leave in the in-process
    broker must not write into the offices whose tables other tests compare before and after."""
    await ensure_tenant(database, "610902", "汉滨区人大常委会", "county", hierarchy["city"])
    await ensure_tenant(database, "610902100", "汉滨区老城街道人大工委", "township", "610902")
    return {**hierarchy, "a": "610902", "a_township": "610902100"}
