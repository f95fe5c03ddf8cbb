"""The demo mailbox: in demo mode (`renda demo`) email is not sent to a mail server but kept, whole, in a
local file that `/demo/mailbox` lists, so a visitor sees what each notification email would say.

One JSON line per message (recipient, subject, body, time, Message-ID), appended with one `write`, so
the web process and the in-process workers never interleave lines. The file holds made-up demo
addresses only: demo mode is refused in production (`Settings.validate`).
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from email.header import decode_header, make_header
from email.message import Message
from pathlib import Path

SHOWN = 200  # the newest messages the page lists


@dataclass(frozen=True)
class MailboxMessage:
    key: str
    to: str
    subject: str
    body: str
    sent_at: datetime


class DemoMailbox:
    """An email transport that keeps every message in the demo mailbox file."""

    def __init__(self, path: Path) -> None:
        self.path = path

    async def send(self, message: Message) -> None:
        payload = message.get_payload(decode=True)
        body = payload.decode("utf-8", "replace") if isinstance(payload, bytes) else str(payload)
        record = {
            "key": str(message["Message-ID"]),
            "to": str(message["To"]),
            "subject": str(make_header(decode_header(str(message["Subject"])))),
            "body": body,
            "at": time.time(),
        }
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, (json.dumps(record, ensure_ascii=False) + "\n").encode())
        finally:
            os.close(fd)

    async def accepted(self, key: str) -> bool:
        """Whether the mailbox already holds this Message-ID (asked after a worker died mid-send)."""
        return any(m.key == key for m in read_mailbox(self.path, limit=None))


def read_mailbox(path: Path, limit: int | None = SHOWN) -> list[MailboxMessage]:
    """The messages, newest first; a line cut off by a crash is left out."""
    if not path.exists():
        return []
    found = []
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        try:
            record = json.loads(line)
            found.append(
                MailboxMessage(
                    str(record["key"]),
                    str(record["to"]),
                    str(record["subject"]),
                    str(record["body"]),
                    datetime.fromtimestamp(float(record["at"]), UTC),
                )
            )
        except (ValueError, KeyError, TypeError):
            continue
    found.reverse()
    return found if limit is None else found[:limit]
