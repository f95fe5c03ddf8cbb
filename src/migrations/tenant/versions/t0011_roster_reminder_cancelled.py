"""roster reminder cancelled: an entry on a day cancelled after rostering waits for no reminder

Revision ID: t0011
Revises: t0010
Create Date: 2026-12-01 11:00:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "t0011"
down_revision: str | None = "t0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_constraint(op.f("ck_roster_entries_reminder"), "roster_entries", type_="check")
    op.create_check_constraint(
        op.f("ck_roster_entries_reminder"),
        "roster_entries",
        "reminder_status is null or reminder_status in ('sent','unreachable','cancelled')",
    )
    # Entries already on a cancelled day are settled by the next calendar change or left to the
    # reminder job, which skips days that are not reception days.


def downgrade() -> None:
    op.execute("UPDATE roster_entries SET reminder_status = NULL WHERE reminder_status = 'cancelled'")
    op.drop_constraint(op.f("ck_roster_entries_reminder"), "roster_entries", type_="check")
    op.create_check_constraint(
        op.f("ck_roster_entries_reminder"),
        "roster_entries",
        "reminder_status is null or reminder_status in ('sent','unreachable')",
    )
