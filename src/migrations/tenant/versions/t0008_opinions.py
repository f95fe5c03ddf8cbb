"""opinions: The people's opinions (closed loop), handling units and suggestion drafts.

Revision ID: t0008
Revises: t0007
Create Date: 2026-11-23 22:00:00.000000
"""

from collections.abc import Sequence

revision: str = "t0008"
down_revision: str | None = "t0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
