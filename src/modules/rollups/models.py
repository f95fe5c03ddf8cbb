"""Platform tables of the rollups: every office's figures, where its ancestors read them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, DateTime, String
from sqlalchemy.orm import Mapped, mapped_column

from renda.core.db import PlatformBase, utcnow


class Scope:
    OWN = "own"  # what the office's own data gives
    TOTAL = "total"  # the office and every office beneath it


class RollupFigure(PlatformBase):
    """One number: a metric of an office in a period, optionally broken down by one dimension.

    `dimension` and `member` are "" for the metric's overall figure. Every figure is additive (a
    count or a sum), so an office's total is its own figure plus its children's totals.
    """

    __tablename__ = "rollup_figures"
    __audit__ = False

    office_code: Mapped[str] = mapped_column(String(9), primary_key=True)
    metric: Mapped[str] = mapped_column(String(60), primary_key=True)
    period: Mapped[str] = mapped_column(String(10), primary_key=True)  # 2026 | 2026-Q4 | 2026-11
    scope: Mapped[str] = mapped_column(String(5), primary_key=True)
    dimension: Mapped[str] = mapped_column(String(30), primary_key=True, default="")
    member: Mapped[str] = mapped_column(String(80), primary_key=True, default="")
    value: Mapped[int] = mapped_column(BigInteger)
    computed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class RollupPending(PlatformBase):
    """Offices whose figures are stale: one row and one debounced message per burst of changes."""

    __tablename__ = "rollup_pending"
    __audit__ = False

    office_code: Mapped[str] = mapped_column(String(9), primary_key=True)
    requested_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
