"""Suggestion drafts (代表建议草稿): what an opinion, a contact or a reception raised, for a deputy to refine.

The suggestion loop itself (提、交、办、督、评) comes with a later issue; a draft is either being worked
on (`draft`) or given up (`withdrawn`).
"""

from __future__ import annotations

import uuid

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from renda.core.db import TenantBase, Timestamps, UUIDPrimaryKey

DRAFT_STATUSES = {"draft": "草稿", "withdrawn": "已撤回"}
DRAFT_SOURCES = {
    "opinion": "群众意见",
    "contact": "联系代表",
    "reception": "接待选民",
    "staff": "工作人员录入",
    "deputy": "代表起草",
}


class SuggestionDraft(UUIDPrimaryKey, Timestamps, TenantBase):
    __tablename__ = "suggestion_drafts"
    __table_args__ = (
        CheckConstraint("status in ('draft','withdrawn')", name="status"),
        CheckConstraint("source in ('opinion','contact','reception','staff','deputy')", name="source"),
        Index("ix_suggestion_drafts_source_id", "source_id"),
    )

    deputy_person_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("persons.id", ondelete="SET NULL"), index=True
    )
    title: Mapped[str] = mapped_column(String(200))
    content: Mapped[str] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(10))
    source_id: Mapped[uuid.UUID | None] = mapped_column()  # the opinion, contact or reception record
    status: Mapped[str] = mapped_column(String(10), default="draft")
    created_by: Mapped[str] = mapped_column(String(200))
