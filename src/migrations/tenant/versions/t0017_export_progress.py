"""exports: the progress of a long export (the yearly archives of a group or station as PDFs), so its
page shows how far the job has come

Revision ID: t0017
Revises: t0016
Create Date: 2026-12-05 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "t0017"
down_revision: str | None = "t0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("exports", sa.Column("progress_done", sa.Integer(), nullable=True))
    op.add_column("exports", sa.Column("progress_total", sa.Integer(), nullable=True))


def downgrade() -> None:
    op.drop_column("exports", "progress_total")
    op.drop_column("exports", "progress_done")
