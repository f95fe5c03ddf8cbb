"""duty rating: a rating staff start for a deputy before the deputy's self-assessment (step `opened`),
and the office's choice to publish the year's list of grades on its portal

Revision ID: t0016
Revises: t0015
Create Date: 2026-12-05 09:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "t0016"
down_revision: str | None = "t0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STEPS = "'self', 'group', 'township', 'committee', 'published'"
TABLES = (("duty_ratings", "ck_duty_ratings_step"), ("duty_rating_steps", "ck_duty_rating_steps_step"))


def _steps(steps: str) -> None:
    for table, name in TABLES:
        op.drop_constraint(op.f(name), table, type_="check")
        op.create_check_constraint(op.f(name), table, f"step in ({steps})")


def upgrade() -> None:
    _steps(f"'opened', {STEPS}")
    op.add_column(
        "duty_rating_windows", sa.Column("public_list", sa.Boolean(), server_default=sa.false(), nullable=False)
    )
    op.alter_column("duty_rating_windows", "public_list", server_default=None)


def downgrade() -> None:
    op.drop_column("duty_rating_windows", "public_list")
    op.execute("DELETE FROM duty_rating_steps WHERE step = 'opened'")
    op.execute("DELETE FROM duty_ratings WHERE step = 'opened'")
    _steps(STEPS)
