from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, DateTime, Integer, LargeBinary, String, Text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, deferred, mapped_column

from renda.core.db import TenantBase, Timestamps, UUIDPrimaryKey


class ExportStatus:
    PENDING = "pending"
    DONE = "done"
    FAILED = "failed"


STATUS_LABELS = {ExportStatus.PENDING: "生成中", ExportStatus.DONE: "已完成", ExportStatus.FAILED: "失败"}


class Export(UUIDPrimaryKey, Timestamps, TenantBase):
    __tablename__ = "exports"
    __table_args__ = (CheckConstraint("status in ('pending','done','failed')", name="status"),)

    kind: Mapped[str] = mapped_column(String(60))
    params: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    status: Mapped[str] = mapped_column(String(10), default=ExportStatus.PENDING)
    requested_by: Mapped[str] = mapped_column(String(200))
    filename: Mapped[str | None] = mapped_column(String(200))
    row_count: Mapped[int | None] = mapped_column(Integer)
    content: Mapped[bytes | None] = deferred(mapped_column(LargeBinary))
    error: Mapped[str | None] = mapped_column(Text)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # A kind that builds its file item by item (see `registry.FileBuilder`) reports how far it is.
    progress_done: Mapped[int | None] = mapped_column(Integer)
    progress_total: Mapped[int | None] = mapped_column(Integer)
