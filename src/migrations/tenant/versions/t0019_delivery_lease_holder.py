"""notifications: the broker message holding a delivery's (or digest's) sending lease, so the
message handed out again after its worker died takes the lease over at once

Revision ID: t0019
Revises: t0018
Create Date: 2026-12-10 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "t0019"
down_revision: str | None = "t0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("notification_deliveries", sa.Column("lease_holder", sa.String(length=36), nullable=True))
    op.add_column("notification_digests", sa.Column("lease_holder", sa.String(length=36), nullable=True))


def downgrade() -> None:
    op.drop_column("notification_digests", "lease_holder")
    op.drop_column("notification_deliveries", "lease_holder")
