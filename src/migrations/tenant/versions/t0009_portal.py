"""portal: Public deputy pages: deputies' commitments and the office's public contact.

Revision ID: t0009
Revises: t0008
Create Date: 2026-11-23 22:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "t0009"
down_revision: str | None = "t0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _timestamps() -> list[sa.Column]:
    return [
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "deputy_commitments",
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("term_id", sa.Uuid(), nullable=True),
        sa.Column("year", sa.Integer(), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("is_public", sa.Boolean(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        *_timestamps(),
        sa.CheckConstraint("year is not null or term_id is not null", name=op.f("ck_deputy_commitments_period")),
        sa.CheckConstraint("year is null or year between 1954 and 2200", name=op.f("ck_deputy_commitments_year")),
        sa.CheckConstraint("length(text) between 1 and 500", name=op.f("ck_deputy_commitments_text")),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.id"], name=op.f("fk_deputy_commitments_person_id_persons"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["term_id"], ["terms.id"], name=op.f("fk_deputy_commitments_term_id_terms"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deputy_commitments")),
    )
    op.create_index("ix_deputy_commitments_person_order", "deputy_commitments", ["person_id", "position"], unique=False)
    op.create_index(op.f("ix_deputy_commitments_term_id"), "deputy_commitments", ["term_id"], unique=False)

    op.create_table(
        "portal_settings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("contact_phone", sa.String(length=40), nullable=True),
        sa.Column("contact_address", sa.String(length=200), nullable=True),
        sa.Column("contact_hours", sa.String(length=100), nullable=True),
        sa.Column("notice", sa.String(length=500), nullable=True),
        *_timestamps(),
        sa.CheckConstraint("id = 1", name=op.f("ck_portal_settings_single_row")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_portal_settings")),
    )


def downgrade() -> None:
    op.drop_table("portal_settings")
    op.drop_index(op.f("ix_deputy_commitments_term_id"), table_name="deputy_commitments")
    op.drop_index("ix_deputy_commitments_person_order", table_name="deputy_commitments")
    op.drop_table("deputy_commitments")
