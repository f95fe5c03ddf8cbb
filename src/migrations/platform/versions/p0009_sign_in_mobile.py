"""sign-in mobile: the mobile number the identity provider vouches for, beside the user's own

Revision ID: p0009
Revises: p0008
Create Date: 2026-12-04 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "p0009"
down_revision: str | None = "p0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("users", sa.Column("signin_mobile_encrypted", sa.Text(), nullable=True), schema="platform")
    op.add_column("users", sa.Column("signin_mobile_masked", sa.String(length=20), nullable=True), schema="platform")


def downgrade() -> None:
    op.drop_column("users", "signin_mobile_masked", schema="platform")
    op.drop_column("users", "signin_mobile_encrypted", schema="platform")
