"""contacts: Contact assignments, contact records and invited attendance (两个联系, committee side).

Revision ID: t0006
Revises: t0005
Create Date: 2026-11-23 22:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "t0006"
down_revision: str | None = "t0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("persons", sa.Column("user_id", sa.Uuid(), nullable=True))
    op.create_index(op.f("ix_persons_user_id"), "persons", ["user_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_persons_user_id"), table_name="persons")
    op.drop_column("persons", "user_id")
