"""mandate claims: one office records a person's mandate in one congress term

Revision ID: p0008
Revises: p0007
Create Date: 2026-12-01 10:00:00.000000

The offices' existing mandates are claimed by the tenant revision t0010, which runs in each office's
schema after this one.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "p0008"
down_revision: str | None = "p0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "mandate_claims",
        sa.Column("person_key", sa.String(length=80), nullable=False),
        sa.Column("level", sa.String(length=12), nullable=False),
        sa.Column("congress_division", sa.String(length=9), nullable=False),
        sa.Column("term_number", sa.Integer(), nullable=False),
        sa.Column("recorded_by", sa.String(length=9), nullable=False),
        sa.Column("claimed_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint(
            "person_key", "level", "congress_division", "term_number", name=op.f("pk_mandate_claims")
        ),
        schema="platform",
    )
    op.create_index(
        op.f("ix_mandate_claims_recorded_by"), "mandate_claims", ["recorded_by"], unique=False, schema="platform"
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_mandate_claims_recorded_by"), table_name="mandate_claims", schema="platform")
    op.drop_table("mandate_claims", schema="platform")
