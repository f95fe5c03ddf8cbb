"""What the public portal shows beyond the register: deputies' commitments (亮承诺) and the office's
public contact details."""

from __future__ import annotations

import uuid

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from renda.core.db import TenantBase, Timestamps, UUIDPrimaryKey


class DeputyCommitment(UUIDPrimaryKey, Timestamps, TenantBase):
    """履职承诺: what a deputy publicly promises for a year or for a term, shown on their 代表码 page.

    A commitment names a year, a term of this office's register, or both; staff decide whether it
    is published and in which order it is listed.
    """

    __tablename__ = "deputy_commitments"
    __table_args__ = (
        CheckConstraint("year is not null or term_id is not null", name="period"),
        CheckConstraint("year is null or year between 1954 and 2200", name="year"),
        CheckConstraint("length(text) between 1 and 500", name="text"),
        Index("ix_deputy_commitments_person_order", "person_id", "position"),
    )

    person_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("persons.id", ondelete="CASCADE"))
    term_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("terms.id", ondelete="CASCADE"), index=True)
    year: Mapped[int | None] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    is_public: Mapped[bool] = mapped_column(Boolean, default=True)
    position: Mapped[int] = mapped_column(Integer, default=0)  # listed in ascending order


class PortalSettings(Timestamps, TenantBase):
    """The office's public contact, shown on every portal page (one row per office)."""

    __tablename__ = "portal_settings"
    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)

    # A serial column, as its revision created it; the one row is always written with id 1.
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # An office telephone (not a person's mobile), its address and hours, and a short notice.
    contact_phone: Mapped[str | None] = mapped_column(String(40))
    contact_address: Mapped[str | None] = mapped_column(String(200))
    contact_hours: Mapped[str | None] = mapped_column(String(100))
    notice: Mapped[str | None] = mapped_column(String(500))
