"""opinions: The people's opinions (closed loop), handling units and suggestion drafts.

Revision ID: t0008
Revises: t0007
Create Date: 2026-11-23 22:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "t0008"
down_revision: str | None = "t0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _timestamps() -> list[sa.Column]:
    return [
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "handling_units",
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("contact_name", sa.String(length=50), nullable=True),
        sa.Column("note", sa.String(length=200), nullable=True),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        *_timestamps(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_handling_units")),
        sa.UniqueConstraint("name", name=op.f("uq_handling_units_name")),
    )
    op.create_table(
        "handling_unit_users",
        sa.Column("unit_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["unit_id"],
            ["handling_units.id"],
            name=op.f("fk_handling_unit_users_unit_id_handling_units"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_handling_unit_users")),
        sa.UniqueConstraint("unit_id", "user_id", name=op.f("uq_handling_unit_users_unit_id")),
    )
    op.create_index(op.f("ix_handling_unit_users_unit_id"), "handling_unit_users", ["unit_id"], unique=False)
    op.create_index(op.f("ix_handling_unit_users_user_id"), "handling_unit_users", ["user_id"], unique=False)

    op.create_table(
        "opinions",
        sa.Column("ticket", sa.String(length=12), nullable=False),
        sa.Column("source", sa.String(length=10), nullable=False),
        sa.Column("source_id", sa.Uuid(), nullable=True),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("category", sa.String(length=20), nullable=True),
        sa.Column("submitter_name", sa.String(length=50), nullable=True),
        sa.Column("submitter_phone_encrypted", sa.Text(), nullable=True),
        sa.Column("submitter_phone_hash", sa.String(length=64), nullable=True),
        sa.Column("submitter_phone_masked", sa.String(length=20), nullable=True),
        sa.Column("deputy_person_id", sa.Uuid(), nullable=True),
        sa.Column("station_id", sa.Uuid(), nullable=True),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("unit_id", sa.Uuid(), nullable=True),
        sa.Column("assigned_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("deadline", sa.Date(), nullable=True),
        sa.Column("answer", sa.Text(), nullable=True),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("rating", sa.String(length=10), nullable=True),
        sa.Column("rated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("rating_token_hash", sa.String(length=64), nullable=True),
        sa.Column("duplicate_of_id", sa.Uuid(), nullable=True),
        sa.Column("suggestion_draft_id", sa.Uuid(), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        *_timestamps(),
        sa.CheckConstraint("source in ('reception','contact','portal','staff')", name=op.f("ck_opinions_source")),
        sa.CheckConstraint(
            "status in ('received','assigned','answered','closed','duplicate','escalated')",
            name=op.f("ck_opinions_status"),
        ),
        sa.CheckConstraint(
            "rating is null or rating in ('solved','partly','unsolved')", name=op.f("ck_opinions_rating")
        ),
        sa.CheckConstraint("char_length(content) between 1 and 1000", name=op.f("ck_opinions_content_length")),
        sa.CheckConstraint(
            "(status in ('closed','duplicate','escalated')) = (closed_at is not null)",
            name=op.f("ck_opinions_closed"),
        ),
        sa.ForeignKeyConstraint(
            ["deputy_person_id"],
            ["persons.id"],
            name=op.f("fk_opinions_deputy_person_id_persons"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["station_id"], ["stations.id"], name=op.f("fk_opinions_station_id_stations"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["handling_units.id"], name=op.f("fk_opinions_unit_id_handling_units"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["duplicate_of_id"], ["opinions.id"], name=op.f("fk_opinions_duplicate_of_id_opinions"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_opinions")),
        sa.UniqueConstraint("ticket", name=op.f("uq_opinions_ticket")),
        sa.UniqueConstraint("rating_token_hash", name=op.f("uq_opinions_rating_token_hash")),
    )
    op.create_index(op.f("ix_opinions_submitter_phone_hash"), "opinions", ["submitter_phone_hash"], unique=False)
    op.create_index(op.f("ix_opinions_deputy_person_id"), "opinions", ["deputy_person_id"], unique=False)
    op.create_index(op.f("ix_opinions_station_id"), "opinions", ["station_id"], unique=False)
    op.create_index(op.f("ix_opinions_unit_id"), "opinions", ["unit_id"], unique=False)
    op.create_index("ix_opinions_status_deadline", "opinions", ["status", "deadline"], unique=False)
    op.create_index("ix_opinions_created_at", "opinions", ["created_at"], unique=False)

    op.create_table(
        "opinion_steps",
        sa.Column("opinion_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("public_note", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.CheckConstraint(
            "kind in ('intake','analysis','duplicate','assignment','escalation','reminder','answer','feedback',"
            "'rating','close')",
            name=op.f("ck_opinion_steps_kind"),
        ),
        sa.ForeignKeyConstraint(
            ["opinion_id"], ["opinions.id"], name=op.f("fk_opinion_steps_opinion_id_opinions"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_opinion_steps")),
    )
    op.create_index(
        "ix_opinion_steps_opinion_id_created_at", "opinion_steps", ["opinion_id", "created_at"], unique=False
    )

    op.create_table(
        "opinion_sms",
        sa.Column("opinion_id", sa.Uuid(), nullable=False),
        sa.Column("purpose", sa.String(length=20), nullable=False),
        sa.Column("text_encrypted", sa.Text(), nullable=False),
        sa.Column("address_masked", sa.String(length=20), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        *_timestamps(),
        sa.CheckConstraint(
            "status in ('pending','sending','sent','failed','skipped')", name=op.f("ck_opinion_sms_status")
        ),
        sa.ForeignKeyConstraint(
            ["opinion_id"], ["opinions.id"], name=op.f("fk_opinion_sms_opinion_id_opinions"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_opinion_sms")),
        sa.UniqueConstraint("opinion_id", "purpose", name=op.f("uq_opinion_sms_opinion_id")),
    )

    op.create_table(
        "suggestion_drafts",
        sa.Column("deputy_person_id", sa.Uuid(), nullable=True),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("source", sa.String(length=10), nullable=False),
        sa.Column("source_id", sa.Uuid(), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        *_timestamps(),
        sa.CheckConstraint("status in ('draft','withdrawn')", name=op.f("ck_suggestion_drafts_status")),
        sa.CheckConstraint(
            "source in ('opinion','contact','reception','staff','deputy')", name=op.f("ck_suggestion_drafts_source")
        ),
        sa.ForeignKeyConstraint(
            ["deputy_person_id"],
            ["persons.id"],
            name=op.f("fk_suggestion_drafts_deputy_person_id_persons"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_suggestion_drafts")),
    )
    op.create_index(
        op.f("ix_suggestion_drafts_deputy_person_id"), "suggestion_drafts", ["deputy_person_id"], unique=False
    )
    op.create_index("ix_suggestion_drafts_source_id", "suggestion_drafts", ["source_id"], unique=False)


def downgrade() -> None:
    op.drop_table("suggestion_drafts")
    op.drop_table("opinion_sms")
    op.drop_table("opinion_steps")
    op.drop_table("opinions")
    op.drop_table("handling_unit_users")
    op.drop_table("handling_units")
