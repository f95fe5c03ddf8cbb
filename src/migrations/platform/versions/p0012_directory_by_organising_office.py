"""directory by organising office: the register's figures of one office read its mandates by index

Revision ID: p0012
Revises: p0011
Create Date: 2026-12-04 17:30:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "p0012"
down_revision: str | None = "p0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_mandate_directory_organised_in", "mandate_directory", ["organised_in"], unique=False, schema="platform"
    )


def downgrade() -> None:
    op.drop_index("ix_mandate_directory_organised_in", table_name="mandate_directory", schema="platform")
