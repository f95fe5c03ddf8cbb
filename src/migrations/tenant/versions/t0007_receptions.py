"""receptions: Reception calendar rules, rosters and reception records of stations.

Revision ID: t0007
Revises: t0006
Create Date: 2026-11-23 22:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "t0007"
down_revision: str | None = "t0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _timestamps() -> list[sa.Column]:
    return [
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "reception_rules",
        sa.Column("station_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("days", postgresql.ARRAY(sa.Integer()), nullable=False),
        sa.Column("per_month", sa.Integer(), nullable=False),
        sa.Column("per_quarter_home", sa.Integer(), nullable=False),
        sa.Column("home_station_id", sa.Uuid(), nullable=True),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.Column("note", sa.String(length=200), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        *_timestamps(),
        sa.CheckConstraint("kind in ('month_days','weekdays','duty_rhythm')", name=op.f("ck_reception_rules_kind")),
        sa.CheckConstraint("valid_to is null or valid_to >= valid_from", name=op.f("ck_reception_rules_dates")),
        sa.CheckConstraint("per_month >= 0 and per_quarter_home >= 0", name=op.f("ck_reception_rules_counts")),
        sa.ForeignKeyConstraint(
            ["station_id"], ["stations.id"], name=op.f("fk_reception_rules_station_id_stations"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["home_station_id"],
            ["stations.id"],
            name=op.f("fk_reception_rules_home_station_id_stations"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reception_rules")),
    )
    op.create_index(op.f("ix_reception_rules_station_id"), "reception_rules", ["station_id"], unique=False)

    op.create_table(
        "reception_exceptions",
        sa.Column("station_id", sa.Uuid(), nullable=True),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        *_timestamps(),
        sa.CheckConstraint("kind in ('cancelled','extra')", name=op.f("ck_reception_exceptions_kind")),
        sa.ForeignKeyConstraint(
            ["station_id"],
            ["stations.id"],
            name=op.f("fk_reception_exceptions_station_id_stations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reception_exceptions")),
    )
    op.create_index(op.f("ix_reception_exceptions_station_id"), "reception_exceptions", ["station_id"], unique=False)
    op.create_index(
        "uq_reception_exceptions_station_day",
        "reception_exceptions",
        ["station_id", "day"],
        unique=True,
        postgresql_where=sa.text("station_id is not null"),
    )
    op.create_index(
        "uq_reception_exceptions_office_day",
        "reception_exceptions",
        ["day"],
        unique=True,
        postgresql_where=sa.text("station_id is null"),
    )

    op.create_table(
        "roster_entries",
        sa.Column("station_id", sa.Uuid(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=True),
        sa.Column("directory_mandate_id", sa.Uuid(), nullable=True),
        sa.Column("source", sa.String(length=10), nullable=False),
        sa.Column("reminder_status", sa.String(length=12), nullable=True),
        sa.Column("reminded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        *_timestamps(),
        sa.CheckConstraint(
            "(person_id is null) <> (directory_mandate_id is null)", name=op.f("ck_roster_entries_one_deputy")
        ),
        sa.CheckConstraint("source in ('generated','manual')", name=op.f("ck_roster_entries_source")),
        sa.CheckConstraint(
            "reminder_status is null or reminder_status in ('sent','unreachable')",
            name=op.f("ck_roster_entries_reminder"),
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.id"], name=op.f("fk_roster_entries_person_id_persons"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["station_id"], ["stations.id"], name=op.f("fk_roster_entries_station_id_stations"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_roster_entries")),
        sa.UniqueConstraint("station_id", "day", "person_id", name="uq_roster_entries_station_day_person"),
        sa.UniqueConstraint("station_id", "day", "directory_mandate_id", name="uq_roster_entries_station_day_external"),
    )
    op.create_index("ix_roster_entries_day", "roster_entries", ["day"], unique=False)
    op.create_index(op.f("ix_roster_entries_station_id"), "roster_entries", ["station_id"], unique=False)
    op.create_index(op.f("ix_roster_entries_person_id"), "roster_entries", ["person_id"], unique=False)
    op.create_index(
        op.f("ix_roster_entries_directory_mandate_id"), "roster_entries", ["directory_mandate_id"], unique=False
    )

    op.create_table(
        "receptions",
        sa.Column("station_id", sa.Uuid(), nullable=False),
        sa.Column("held_on", sa.Date(), nullable=False),
        sa.Column("off_schedule", sa.Boolean(), nullable=False),
        sa.Column("visitor_name", sa.String(length=50), nullable=False),
        sa.Column("visitor_count", sa.Integer(), nullable=False),
        sa.Column("visitor_phone_encrypted", sa.Text(), nullable=True),
        sa.Column("visitor_phone_hash", sa.String(length=64), nullable=True),
        sa.Column("visitor_phone_masked", sa.String(length=20), nullable=True),
        sa.Column("issue", sa.Text(), nullable=False),
        sa.Column("category", sa.String(length=20), nullable=False),
        sa.Column("place", sa.String(length=200), nullable=True),
        sa.Column("handling", sa.Text(), nullable=True),
        sa.Column("opinion_id", sa.Uuid(), nullable=True),
        sa.Column("opinion_ticket", sa.String(length=40), nullable=True),
        sa.Column("recorded_by", sa.Uuid(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        *_timestamps(),
        sa.CheckConstraint("visitor_count >= 1", name=op.f("ck_receptions_visitor_count")),
        sa.ForeignKeyConstraint(
            ["station_id"], ["stations.id"], name=op.f("fk_receptions_station_id_stations"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_receptions")),
    )
    op.create_index("ix_receptions_station_held_on", "receptions", ["station_id", "held_on"], unique=False)
    op.create_index("ix_receptions_held_on", "receptions", ["held_on"], unique=False)
    op.create_index(op.f("ix_receptions_station_id"), "receptions", ["station_id"], unique=False)
    op.create_index(op.f("ix_receptions_category"), "receptions", ["category"], unique=False)
    op.create_index(op.f("ix_receptions_visitor_phone_hash"), "receptions", ["visitor_phone_hash"], unique=False)

    op.create_table(
        "reception_deputies",
        sa.Column("reception_id", sa.Uuid(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=True),
        sa.Column("directory_mandate_id", sa.Uuid(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.CheckConstraint(
            "(person_id is null) <> (directory_mandate_id is null)", name=op.f("ck_reception_deputies_one_deputy")
        ),
        sa.ForeignKeyConstraint(
            ["reception_id"],
            ["receptions.id"],
            name=op.f("fk_reception_deputies_reception_id_receptions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.id"], name=op.f("fk_reception_deputies_person_id_persons"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reception_deputies")),
        sa.UniqueConstraint("reception_id", "person_id", name="uq_reception_deputies_reception_person"),
        sa.UniqueConstraint("reception_id", "directory_mandate_id", name="uq_reception_deputies_reception_external"),
    )
    op.create_index(op.f("ix_reception_deputies_reception_id"), "reception_deputies", ["reception_id"], unique=False)
    op.create_index(op.f("ix_reception_deputies_person_id"), "reception_deputies", ["person_id"], unique=False)
    op.create_index(
        op.f("ix_reception_deputies_directory_mandate_id"),
        "reception_deputies",
        ["directory_mandate_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_table("reception_deputies")
    op.drop_table("receptions")
    op.drop_table("roster_entries")
    op.drop_table("reception_exceptions")
    op.drop_table("reception_rules")
