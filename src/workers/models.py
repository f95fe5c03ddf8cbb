"""Platform tables of the background machinery."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, DateTime, Identity, Integer, String, Text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from renda.core.db import PlatformBase, utcnow


class OutboxMessage(PlatformBase):
    """A message written in the transaction that caused it, sent to the broker after commit."""

    __tablename__ = "outbox"
    __audit__ = False

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    message_id: Mapped[str] = mapped_column(String(36), unique=True)
    queue_name: Mapped[str] = mapped_column(String(60))
    actor_name: Mapped[str] = mapped_column(String(100))
    args: Mapped[list[Any]] = mapped_column(JSONB, default=list)
    kwargs: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    tenant_code: Mapped[str | None] = mapped_column(String(9))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # Sent to the broker with a delay until then (debounced jobs); the relay still sends it at once.
    not_before: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)


class ProcessedMessage(PlatformBase):
    """Messages whose effects have committed: a second delivery of one of them changes nothing."""

    __tablename__ = "processed_messages"
    __audit__ = False

    message_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    actor_name: Mapped[str] = mapped_column(String(100))
    processed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ScheduledRun(PlatformBase):
    """One row per periodic job and period: the primary key makes each period run once."""

    __tablename__ = "scheduled_runs"
    __audit__ = False

    job: Mapped[str] = mapped_column(String(100), primary_key=True)
    period: Mapped[str] = mapped_column(String(40), primary_key=True)
    enqueued_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class DeadJob(PlatformBase):
    """A message that failed its last retry: kept here, whatever the broker, to be listed and retried."""

    __tablename__ = "dead_jobs"
    __audit__ = False

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    message_id: Mapped[str] = mapped_column(String(36), unique=True)
    queue_name: Mapped[str] = mapped_column(String(60))
    actor_name: Mapped[str] = mapped_column(String(100))
    args: Mapped[list[Any]] = mapped_column(JSONB, default=list)
    kwargs: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    tenant_code: Mapped[str | None] = mapped_column(String(9), index=True)
    error: Mapped[str | None] = mapped_column(Text)
    failed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # Set when `renda jobs retry` sent it again (as a new message through the outbox).
    retried_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), index=True)
