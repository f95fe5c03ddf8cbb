"""portal rate hits: per-IP and per-phone limits of the public opinion portal

Revision ID: p0007
Revises: p0006
Create Date: 2026-11-23 22:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "p0007"
down_revision: str | None = "p0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "portal_rate_hits",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("scope", sa.String(length=20), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("office_code", sa.String(length=12), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_portal_rate_hits")),
        schema="platform",
    )
    op.create_index(
        "ix_portal_rate_hits_scope_key_at",
        "portal_rate_hits",
        ["scope", "key_hash", "at"],
        unique=False,
        schema="platform",
    )


def downgrade() -> None:
    op.drop_index("ix_portal_rate_hits_scope_key_at", table_name="portal_rate_hits", schema="platform")
    op.drop_table("portal_rate_hits", schema="platform")
