"""duty points: the ranking's sums of the ledger, and the points job's debounce row

Revision ID: t0018
Revises: t0017
Create Date: 2026-12-08 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "t0018"
down_revision: str | None = "t0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

EVENT_KINDS = (
    "event_kind in ('session', 'session_leave', 'invited_attendance', 'inspection', 'research', "
    "'law_check', 'training', 'themed_action', 'group_activity', 'other_activity', 'absence', "
    "'reception', 'people', 'suggestion_lead', 'suggestion_cosign', 'motion_lead', 'key_suggestion', "
    "'award_national', 'award_provincial', 'award_city', 'award_county')"
)


def upgrade() -> None:
    op.create_table(
        "duty_point_sums",
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("category", sa.String(length=12), nullable=False),
        sa.Column("event_kind", sa.String(length=24), nullable=False),
        sa.Column("points", sa.Numeric(precision=9, scale=1), nullable=False),
        sa.CheckConstraint(
            "category in ('meetings', 'activities', 'suggestions', 'people', 'learning', 'bonus')",
            name=op.f("ck_duty_point_sums_category"),
        ),
        sa.CheckConstraint(EVENT_KINDS, name=op.f("ck_duty_point_sums_event_kind")),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.id"], name=op.f("fk_duty_point_sums_person_id_persons"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("year", "person_id", "category", "event_kind", name=op.f("pk_duty_point_sums")),
    )
    op.create_table(
        "duty_point_sum_marks",
        sa.Column("year", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("through_id", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("year", name=op.f("pk_duty_point_sum_marks")),
    )
    op.create_table(
        "duty_points_pending",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("id = 1", name=op.f("ck_duty_points_pending_single_row")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_duty_points_pending")),
    )


def downgrade() -> None:
    op.drop_table("duty_points_pending")
    op.drop_table("duty_point_sum_marks")
    op.drop_table("duty_point_sums")
