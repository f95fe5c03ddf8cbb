"""portal: Public deputy pages: commitments and portal abuse limits.

Revision ID: t0009
Revises: t0008
Create Date: 2026-11-23 22:00:00.000000
"""

from collections.abc import Sequence

revision: str = "t0009"
down_revision: str | None = "t0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
