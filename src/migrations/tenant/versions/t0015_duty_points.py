"""duty points: the points job's debounce row

Revision ID: t0015
Revises: t0014
Create Date: 2026-12-08 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "t0015"
down_revision: str | None = "t0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "duty_points_pending",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("id = 1", name=op.f("ck_duty_points_pending_single_row")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_duty_points_pending")),
    )


def downgrade() -> None:
    op.drop_table("duty_points_pending")
