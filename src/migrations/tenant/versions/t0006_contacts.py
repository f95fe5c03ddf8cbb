"""contacts: Contact assignments, contact records and invited attendance (两个联系, committee side).

Revision ID: t0006
Revises: t0005
Create Date: 2026-11-23 22:00:00.000000
"""

from collections.abc import Sequence

revision: str = "t0006"
down_revision: str | None = "t0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
