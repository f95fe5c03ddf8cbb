"""receptions: Reception calendar rules, rosters and reception records of stations.

Revision ID: t0007
Revises: t0006
Create Date: 2026-11-23 22:00:00.000000
"""

from collections.abc import Sequence

revision: str = "t0007"
down_revision: str | None = "t0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
