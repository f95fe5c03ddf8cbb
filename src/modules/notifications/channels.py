"""Channels behind one interface: email over SMTP, SMS and WeChat template messages.

Each channel finds the user's address, masks it for logs and the staff page, and hands the message
to a pluggable transport. Every message carries a key derived from its delivery (or digest) id:
the email's Message-ID and the idempotency key of SMS and WeChat gateways, so a message sent again
after a crash is recognised by the receiving side.

Without a configured transport, development logs the messages (masked addresses only) and
production reports the channel unavailable, so its deliveries are skipped instead of faked.
`RENDA_NOTIFY_RECORD_FILE` instead writes every message handed over as a line of that file. In demo
mode email goes to the demo mailbox (`mailbox.py`), whatever else is configured.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import smtplib
import ssl
import time
from abc import ABC, abstractmethod
from dataclasses import dataclass
from email.header import Header, decode_header, make_header
from email.message import Message
from email.mime.text import MIMEText
from email.utils import formataddr, formatdate, parseaddr
from pathlib import Path
from typing import Protocol

from renda.config import Settings
from renda.core.crypto import mask_email, mask_phone
from renda.modules.accounts.service import Contacts

log = logging.getLogger("renda.notifications")
SMTP_TIMEOUT_SECONDS = 30
SMS_MAX_CHARS = 300


@dataclass(frozen=True)
class Outgoing:
    key: str  # delivery or digest id: Message-ID and idempotency key
    address: str
    title: str
    body: str
    link: str | None  # absolute URL of the item, when there is one


class TransportError(Exception):
    """The transport did not take the message. `permanent`: trying again cannot help (SMTP 5xx)."""

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


class ChannelUnavailable(Exception):
    """The channel has no transport here; its deliveries are skipped with this reason."""


class Channel(ABC):
    name: str
    label: str

    @abstractmethod
    def address(self, contacts: Contacts) -> str | None: ...

    @abstractmethod
    def mask(self, address: str) -> str: ...

    @abstractmethod
    async def send(self, message: Outgoing) -> None: ...

    async def accepted(self, key: str) -> bool:
        """Whether the transport already took the message with this key (asked after a worker died
        while sending it). False where the transport cannot tell: it is then sent again under the
        same key, for the receiver to drop."""
        ask = getattr(getattr(self, "transport", None), "accepted", None)
        return bool(ask and await ask(self.transport_key(key)))

    def transport_key(self, key: str) -> str:
        return key


# --- email ---------------------------------------------------------------------------------------
class EmailTransport(Protocol):
    async def send(self, message: Message) -> None: ...


class SmtpTransport:
    """smtplib in a worker thread: no extra dependency, and a blocking client is fine off the loop."""

    def __init__(
        self,
        host: str,
        port: int = 25,
        *,
        username: str | None = None,
        password: str | None = None,
        starttls: bool = False,
        timeout: float = SMTP_TIMEOUT_SECONDS,
    ) -> None:
        self.host, self.port, self.username, self.password = host, port, username, password
        self.starttls, self.timeout = starttls, timeout

    async def send(self, message: Message) -> None:
        await asyncio.to_thread(self._send, message)

    def _send(self, message: Message) -> None:
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
                if self.starttls:
                    smtp.starttls(context=ssl.create_default_context())
                if self.username:
                    smtp.login(self.username, self.password or "")
                smtp.send_message(message)
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            raise TransportError(f"收件地址被拒绝({_reply(exc.recipients)})", permanent=min(codes) >= 500) from None
        except smtplib.SMTPResponseException as exc:
            text = exc.smtp_error.decode("utf-8", "replace") if isinstance(exc.smtp_error, bytes) else exc.smtp_error
            raise TransportError(f"邮件服务器拒收:{exc.smtp_code} {text}", permanent=exc.smtp_code >= 500) from None
        except (smtplib.SMTPException, OSError) as exc:
            raise TransportError(f"无法连接邮件服务器:{type(exc).__name__} {exc}") from None


def _reply(recipients: dict[str, tuple[int, bytes]]) -> str:
    return "; ".join(f"{code} {text.decode('utf-8', 'replace')}" for code, text in recipients.values())


class LoggingEmailTransport:
    async def send(self, message: Message) -> None:
        log.info(
            "email (development: logged, not sent)",
            extra={"to": mask_email(str(message["To"])), "subject": str(message["Subject"])},
        )


EMAIL_FOOTER = "\n\n——\n此邮件由人大代表工作平台自动发送,可在“通知设置”中调整接收方式。\n"


class EmailChannel(Channel):
    name, label = "email", "电子邮件"

    def __init__(self, transport: EmailTransport | None, sender: str) -> None:
        self.transport, self.sender = transport, sender
        name, address = parseaddr(sender)
        self.domain = address.rpartition("@")[2] or "renda.local"
        self.from_header = formataddr((Header(name, "utf-8").encode(), address)) if name else address

    def address(self, contacts: Contacts) -> str | None:
        return contacts.email

    def mask(self, address: str) -> str:
        return mask_email(address)

    def message_id(self, key: str) -> str:
        return f"<{key}@{self.domain}>"

    def transport_key(self, key: str) -> str:
        return self.message_id(key)

    def build(self, message: Outgoing) -> Message:
        # The compat32 classes with explicit encoded words: the modern EmailMessage parses every
        # header it is given and cost most of a delivery's time.
        text = message.body + (f"\n\n查看详情:{message.link}" if message.link else "")
        email = MIMEText(text + EMAIL_FOOTER, "plain", "utf-8")
        email["From"] = self.from_header
        email["To"] = message.address
        email["Subject"] = Header(message.title, "utf-8").encode()
        email["Message-ID"] = self.message_id(message.key)
        email["Date"] = formatdate(localtime=False, usegmt=True)
        email["Auto-Submitted"] = "auto-generated"
        return email

    async def send(self, message: Outgoing) -> None:
        if self.transport is None:
            raise ChannelUnavailable("未配置邮件服务器")
        await self.transport.send(self.build(message))


# --- SMS -----------------------------------------------------------------------------------------
class SmsTransport(Protocol):
    async def send(self, mobile: str, text: str, idempotency_key: str) -> None: ...


class LoggingSmsTransport:
    async def send(self, mobile: str, text: str, idempotency_key: str) -> None:
        log.info("sms (development: logged, not sent)", extra={"to": mask_phone(mobile), "key": idempotency_key})


class SmsChannel(Channel):
    name, label = "sms", "短信"

    def __init__(self, transport: SmsTransport | None) -> None:
        self.transport = transport

    def address(self, contacts: Contacts) -> str | None:
        return contacts.mobile

    def mask(self, address: str) -> str:
        return mask_phone(address)

    @staticmethod
    def text(message: Outgoing) -> str:
        text = f"【人大代表工作平台】{message.title}:{message.body}"
        return text if len(text) <= SMS_MAX_CHARS else text[: SMS_MAX_CHARS - 1] + "…"

    async def send(self, message: Outgoing) -> None:
        if self.transport is None:
            raise ChannelUnavailable("未配置短信网关")
        await self.transport.send(message.address, self.text(message), message.key)


# --- WeChat template messages --------------------------------------------------------------------
class WechatTransport(Protocol):
    async def send(self, openid: str, title: str, body: str, url: str | None, idempotency_key: str) -> None: ...


def mask_openid(openid: str) -> str:
    return openid[:4] + "****" if len(openid) > 8 else "****"


class LoggingWechatTransport:
    async def send(self, openid: str, title: str, body: str, url: str | None, idempotency_key: str) -> None:
        log.info(
            "wechat template message (development: logged, not sent)",
            extra={"to": mask_openid(openid), "title": title, "key": idempotency_key},
        )


class WechatChannel(Channel):
    name, label = "wechat", "微信"

    def __init__(self, transport: WechatTransport | None) -> None:
        self.transport = transport

    def address(self, contacts: Contacts) -> str | None:
        return contacts.wechat_openid

    def mask(self, address: str) -> str:
        return mask_openid(address)

    async def send(self, message: Outgoing) -> None:
        if self.transport is None:
            raise ChannelUnavailable("未配置微信公众号消息接口")
        await self.transport.send(message.address, message.title, message.body, message.link, message.key)


# --- recording -----------------------------------------------------------------------------------
class RecordingTransport:
    """Every channel's stand-in that writes what it is handed, one JSON line per message (channel,
    key, masked address, title), to a file instead of sending it: development without a mail server
    or gateway, and tests whose workers are processes of their own. Like a gateway with a status
    query, it can tell whether it took a key (`accepted`). One `write` per line in append mode, so
    the lines of several processes never interleave; a line cut off by a crash does not count."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def _append(self, channel: str, key: str, masked: str, title: str) -> None:
        record = {"channel": channel, "key": key, "to": masked, "title": title, "pid": os.getpid(), "at": time.time()}
        line = json.dumps(record, ensure_ascii=False)
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, (line + "\n").encode())
        finally:
            os.close(fd)

    def records(self) -> list[dict[str, str]]:
        if not self.path.exists():
            return []
        found = []
        for line in self.path.read_text(encoding="utf-8", errors="replace").splitlines():
            try:
                found.append(json.loads(line))
            except ValueError:
                continue
        return found

    async def accepted(self, key: str) -> bool:
        return any(record.get("key") == key for record in self.records())


class RecordingEmail(RecordingTransport):
    async def send(self, message: Message) -> None:
        title = str(make_header(decode_header(str(message["Subject"]))))
        self._append("email", str(message["Message-ID"]), mask_email(str(message["To"])), title)


class RecordingSms(RecordingTransport):
    async def send(self, mobile: str, text: str, idempotency_key: str) -> None:
        self._append("sms", idempotency_key, mask_phone(mobile), text)


class RecordingWechat(RecordingTransport):
    async def send(self, openid: str, title: str, body: str, url: str | None, idempotency_key: str) -> None:
        self._append("wechat", idempotency_key, mask_openid(openid), title)


# --- configuration -------------------------------------------------------------------------------
@dataclass
class ChannelSetup:
    channels: dict[str, Channel]
    public_url: str


_setup: ChannelSetup | None = None


def configure_channels(
    settings: Settings,
    *,
    email: EmailTransport | None = None,
    sms: SmsTransport | None = None,
    wechat: WechatTransport | None = None,
) -> ChannelSetup:
    """Channels from settings; a transport passed here (a gateway adapter, a test's) wins."""
    global _setup
    development = not settings.is_production
    if settings.demo_mode:  # the demo never mails anyone: its email goes to the demo mailbox page
        from renda.modules.notifications.mailbox import DemoMailbox

        email = email or DemoMailbox(settings.mailbox_path)
    if settings.notify_record_file is not None:
        email = email or RecordingEmail(settings.notify_record_file)
        sms = sms or RecordingSms(settings.notify_record_file)
        wechat = wechat or RecordingWechat(settings.notify_record_file)
    if email is None and settings.smtp_host:
        email = SmtpTransport(
            settings.smtp_host,
            settings.smtp_port,
            username=settings.smtp_username,
            password=settings.smtp_password,
            starttls=settings.smtp_starttls,
        )
    _setup = ChannelSetup(
        {
            "email": EmailChannel(email or (LoggingEmailTransport() if development else None), settings.smtp_from),
            "sms": SmsChannel(sms or (LoggingSmsTransport() if development else None)),
            "wechat": WechatChannel(wechat or (LoggingWechatTransport() if development else None)),
        },
        settings.public_url.rstrip("/"),
    )
    return _setup


def channel_setup() -> ChannelSetup:
    """The configured channels; a worker process that configured none reads the environment."""
    return _setup or configure_channels(Settings.from_env())
