"""suggestion loop: filed suggestions and motions, co-signers, assignment to units, handling, supervision,
evaluation, follow-up, and the office's rules for them

Revision ID: t0012
Revises: t0011
Create Date: 2026-12-04 13:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "t0012"
down_revision: str | None = "t0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "suggestion_settings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("motion_min_cosigners", sa.Integer(), nullable=False),
        sa.Column("deadline_months", sa.Integer(), nullable=False),
        sa.Column("broad_deadline_months", sa.Integer(), nullable=False),
        sa.Column("cohandler_days", sa.Integer(), nullable=False),
        sa.Column("reassign_window_days", sa.Integer(), nullable=False),
        sa.Column("extension_needs_approval", sa.Boolean(), nullable=False),
        sa.Column("rating_window_days", sa.Integer(), nullable=False),
        sa.Column("second_round_months", sa.Integer(), nullable=False),
        sa.Column("share_similar", sa.Boolean(), nullable=False),
        sa.Column("public_board", sa.Boolean(), nullable=False),
        sa.Column("public_fields", postgresql.ARRAY(sa.String(length=30)), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("id = 1", name=op.f("ck_suggestion_settings_single_row")),
        sa.CheckConstraint(
            "motion_min_cosigners >= 1 and deadline_months between 1 and 12 and broad_deadline_months between 1 and 12 and cohandler_days between 1 and 180 and reassign_window_days between 0 and 60 and rating_window_days between 1 and 180 and second_round_months between 1 and 12",
            name=op.f("ck_suggestion_settings_bounds"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_suggestion_settings")),
    )
    op.create_table(
        "suggestions",
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("during_session", sa.Boolean(), nullable=False),
        sa.Column("term_id", sa.Uuid(), nullable=False),
        sa.Column("lead_person_id", sa.Uuid(), nullable=False),
        sa.Column("lead_mandate_id", sa.Uuid(), nullable=False),
        sa.Column("category", sa.String(length=30), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("source", sa.String(length=10), nullable=False),
        sa.Column("draft_id", sa.Uuid(), nullable=True),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("broad", sa.Boolean(), nullable=False),
        sa.Column("filed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("accepted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("return_reason", sa.String(length=20), nullable=True),
        sa.Column("return_note", sa.Text(), nullable=True),
        sa.Column("merged_into_id", sa.Uuid(), nullable=True),
        sa.Column("opinion_id", sa.Uuid(), nullable=True),
        sa.Column("lead_unit_id", sa.Uuid(), nullable=True),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("assigned_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("deadline", sa.Date(), nullable=True),
        sa.Column("reply_class", sa.String(length=1), nullable=True),
        sa.Column("reply_text", sa.Text(), nullable=True),
        sa.Column("reply_commitments", sa.Text(), nullable=True),
        sa.Column("replied_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("replied_on_time", sa.Boolean(), nullable=True),
        sa.Column("rating_due", sa.Date(), nullable=True),
        sa.Column("rating", sa.String(length=12), nullable=True),
        sa.Column("rating_comment", sa.Text(), nullable=True),
        sa.Column("rated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("is_key", sa.Boolean(), nullable=False),
        sa.Column("key_leader", sa.String(length=100), nullable=True),
        sa.Column("key_chosen_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("follow_up", sa.String(length=10), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("carried_to_year", sa.Integer(), nullable=True),
        sa.Column("public_hidden", sa.Boolean(), nullable=False),
        sa.Column("public_title", sa.String(length=200), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("(status = 'closed') = (closed_at is not null)", name=op.f("ck_suggestions_closed")),
        sa.CheckConstraint(
            "(status in ('assigned','replied','closed')) <= (lead_unit_id is not null)",
            name=op.f("ck_suggestions_assigned"),
        ),
        sa.CheckConstraint("follow_up in ('none', 'open', 'resolved')", name=op.f("ck_suggestions_follow_up")),
        sa.CheckConstraint("kind in ('suggestion', 'motion')", name=op.f("ck_suggestions_kind")),
        sa.CheckConstraint(
            "rating is null or rating in ('satisfied', 'basic', 'dissatisfied')", name=op.f("ck_suggestions_rating")
        ),
        sa.CheckConstraint(
            "reply_class is null or reply_class in ('A', 'B', 'C', 'D')", name=op.f("ck_suggestions_reply_class")
        ),
        sa.CheckConstraint(
            "return_reason is null or return_reason in ('outside_remit', 'personal', 'litigation', 'forwarded_letter', 'empty', 'other')",
            name=op.f("ck_suggestions_return_reason"),
        ),
        sa.CheckConstraint(
            "source in ('opinion', 'contact', 'reception', 'staff', 'deputy')", name=op.f("ck_suggestions_source")
        ),
        sa.CheckConstraint(
            "status in ('draft', 'submitted', 'returned', 'accepted', 'assigned', 'replied', 'closed', 'merged', 'converted', 'withdrawn')",
            name=op.f("ck_suggestions_status"),
        ),
        sa.CheckConstraint("round >= 1", name=op.f("ck_suggestions_round")),
        sa.ForeignKeyConstraint(
            ["draft_id"],
            ["suggestion_drafts.id"],
            name=op.f("fk_suggestions_draft_id_suggestion_drafts"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["lead_mandate_id"],
            ["mandates.id"],
            name=op.f("fk_suggestions_lead_mandate_id_mandates"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["lead_person_id"], ["persons.id"], name=op.f("fk_suggestions_lead_person_id_persons"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["lead_unit_id"],
            ["handling_units.id"],
            name=op.f("fk_suggestions_lead_unit_id_handling_units"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["merged_into_id"],
            ["suggestions.id"],
            name=op.f("fk_suggestions_merged_into_id_suggestions"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["term_id"], ["terms.id"], name=op.f("fk_suggestions_term_id_terms"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_suggestions")),
        sa.UniqueConstraint("year", "seq", name=op.f("uq_suggestions_year")),
    )
    op.create_index(
        "ix_suggestions_deadline",
        "suggestions",
        ["deadline"],
        unique=False,
        postgresql_where=sa.text("status = 'assigned'"),
    )
    op.create_index(op.f("ix_suggestions_lead_person_id"), "suggestions", ["lead_person_id"], unique=False)
    op.create_index("ix_suggestions_lead_unit_status", "suggestions", ["lead_unit_id", "status"], unique=False)
    op.create_index("ix_suggestions_status_year", "suggestions", ["status", "year"], unique=False)
    op.create_index(op.f("ix_suggestions_term_id"), "suggestions", ["term_id"], unique=False)
    op.create_table(
        "suggestion_attachments",
        sa.Column("suggestion_id", sa.Uuid(), nullable=False),
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column("content_type", sa.String(length=100), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("uploaded_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["suggestion_id"],
            ["suggestions.id"],
            name=op.f("fk_suggestion_attachments_suggestion_id_suggestions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_suggestion_attachments")),
    )
    op.create_index(
        op.f("ix_suggestion_attachments_suggestion_id"), "suggestion_attachments", ["suggestion_id"], unique=False
    )
    op.create_table(
        "suggestion_checkpoints",
        sa.Column("suggestion_id", sa.Uuid(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("stage", sa.String(length=6), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("done_on", sa.Date(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("recorded_by", sa.String(length=200), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.CheckConstraint("stage in ('start', 'middle', 'end')", name=op.f("ck_suggestion_checkpoints_stage")),
        sa.ForeignKeyConstraint(
            ["suggestion_id"],
            ["suggestions.id"],
            name=op.f("fk_suggestion_checkpoints_suggestion_id_suggestions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_suggestion_checkpoints")),
        sa.UniqueConstraint("suggestion_id", "year", "stage", name=op.f("uq_suggestion_checkpoints_suggestion_id")),
    )
    op.create_index(
        op.f("ix_suggestion_checkpoints_suggestion_id"), "suggestion_checkpoints", ["suggestion_id"], unique=False
    )
    op.create_table(
        "suggestion_cosigners",
        sa.Column("suggestion_id", sa.Uuid(), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("mandate_id", sa.Uuid(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("responded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.CheckConstraint(
            "status in ('requested', 'confirmed', 'declined')", name=op.f("ck_suggestion_cosigners_status")
        ),
        sa.ForeignKeyConstraint(
            ["mandate_id"],
            ["mandates.id"],
            name=op.f("fk_suggestion_cosigners_mandate_id_mandates"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.id"], name=op.f("fk_suggestion_cosigners_person_id_persons"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["suggestion_id"],
            ["suggestions.id"],
            name=op.f("fk_suggestion_cosigners_suggestion_id_suggestions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_suggestion_cosigners")),
        sa.UniqueConstraint("suggestion_id", "person_id", name=op.f("uq_suggestion_cosigners_suggestion_id")),
    )
    op.create_index(op.f("ix_suggestion_cosigners_person_id"), "suggestion_cosigners", ["person_id"], unique=False)
    op.create_index(
        op.f("ix_suggestion_cosigners_suggestion_id"), "suggestion_cosigners", ["suggestion_id"], unique=False
    )
    op.create_table(
        "suggestion_follow_ups",
        sa.Column("suggestion_id", sa.Uuid(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("checked_on", sa.Date(), nullable=False),
        sa.Column("progress", sa.Text(), nullable=False),
        sa.Column("resolved", sa.Boolean(), nullable=False),
        sa.Column("recorded_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["suggestion_id"],
            ["suggestions.id"],
            name=op.f("fk_suggestion_follow_ups_suggestion_id_suggestions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_suggestion_follow_ups")),
    )
    op.create_index(
        op.f("ix_suggestion_follow_ups_suggestion_id"), "suggestion_follow_ups", ["suggestion_id"], unique=False
    )
    op.create_table(
        "suggestion_meetings",
        sa.Column("suggestion_id", sa.Uuid(), nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("stage", sa.String(length=8), nullable=False),
        sa.Column("held_on", sa.Date(), nullable=False),
        sa.Column("form", sa.String(length=10), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("recorded_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.CheckConstraint(
            "form in ('visit', 'meeting', 'site', 'phone', 'online')", name=op.f("ck_suggestion_meetings_form")
        ),
        sa.CheckConstraint("stage in ('before', 'during', 'after')", name=op.f("ck_suggestion_meetings_stage")),
        sa.ForeignKeyConstraint(
            ["suggestion_id"],
            ["suggestions.id"],
            name=op.f("fk_suggestion_meetings_suggestion_id_suggestions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_suggestion_meetings")),
        sa.UniqueConstraint("suggestion_id", "round", "stage", name=op.f("uq_suggestion_meetings_suggestion_id")),
    )
    op.create_index(
        op.f("ix_suggestion_meetings_suggestion_id"), "suggestion_meetings", ["suggestion_id"], unique=False
    )
    op.create_table(
        "suggestion_requests",
        sa.Column("suggestion_id", sa.Uuid(), nullable=False),
        sa.Column("unit_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=14), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("new_deadline", sa.Date(), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("requested_by", sa.String(length=200), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_by", sa.String(length=200), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decision_note", sa.Text(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.CheckConstraint("(status = 'pending') = (decided_at is null)", name=op.f("ck_suggestion_requests_decided")),
        sa.CheckConstraint("kind in ('extension', 'reassignment')", name=op.f("ck_suggestion_requests_kind")),
        sa.CheckConstraint("status in ('pending', 'approved', 'refused')", name=op.f("ck_suggestion_requests_status")),
        sa.ForeignKeyConstraint(
            ["suggestion_id"],
            ["suggestions.id"],
            name=op.f("fk_suggestion_requests_suggestion_id_suggestions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"],
            ["handling_units.id"],
            name=op.f("fk_suggestion_requests_unit_id_handling_units"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_suggestion_requests")),
    )
    op.create_index(
        op.f("ix_suggestion_requests_suggestion_id"), "suggestion_requests", ["suggestion_id"], unique=False
    )
    op.create_index(
        "uq_suggestion_requests_pending",
        "suggestion_requests",
        ["suggestion_id", "kind"],
        unique=True,
        postgresql_where=sa.text("status = 'pending'"),
    )
    op.create_table(
        "suggestion_steps",
        sa.Column("suggestion_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.CheckConstraint(
            "kind in ('created', 'cosign_requested', 'cosigned', 'cosign_declined', 'submitted', 'accepted', 'returned', 'merged', 'converted', 'withdrawn', 'assigned', 'cohandler_opinion', 'meeting', 'extension_requested', 'reassignment_requested', 'request_decided', 'reassigned', 'replied', 'rated', 'second_round', 'closed', 'reminder', 'escalated', 'key_chosen', 'checkpoint', 'follow_up', 'carried_over')",
            name=op.f("ck_suggestion_steps_kind"),
        ),
        sa.ForeignKeyConstraint(
            ["suggestion_id"],
            ["suggestions.id"],
            name=op.f("fk_suggestion_steps_suggestion_id_suggestions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_suggestion_steps")),
    )
    op.create_index(
        "ix_suggestion_steps_suggestion_id_created_at",
        "suggestion_steps",
        ["suggestion_id", "created_at"],
        unique=False,
    )
    op.create_table(
        "suggestion_units",
        sa.Column("suggestion_id", sa.Uuid(), nullable=False),
        sa.Column("unit_id", sa.Uuid(), nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=4), nullable=False),
        sa.Column("assigned_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("opinion_due", sa.Date(), nullable=True),
        sa.Column("opinion", sa.Text(), nullable=True),
        sa.Column("opinion_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.CheckConstraint("role in ('lead', 'co')", name=op.f("ck_suggestion_units_role")),
        sa.ForeignKeyConstraint(
            ["suggestion_id"],
            ["suggestions.id"],
            name=op.f("fk_suggestion_units_suggestion_id_suggestions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"],
            ["handling_units.id"],
            name=op.f("fk_suggestion_units_unit_id_handling_units"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_suggestion_units")),
        sa.UniqueConstraint("suggestion_id", "round", "unit_id", name=op.f("uq_suggestion_units_suggestion_id")),
    )
    op.create_index(op.f("ix_suggestion_units_suggestion_id"), "suggestion_units", ["suggestion_id"], unique=False)
    op.create_index("ix_suggestion_units_unit_id", "suggestion_units", ["unit_id"], unique=False)

    # --- evaluation and supervision: the supervising leader's post -----------------------------------
    op.add_column("suggestions", sa.Column("key_leader_title", sa.String(length=100), nullable=True))


def downgrade() -> None:
    op.drop_column("suggestions", "key_leader_title")  # evaluation and supervision
    op.drop_table("suggestion_steps")
    op.drop_table("suggestion_follow_ups")
    op.drop_table("suggestion_checkpoints")
    op.drop_table("suggestion_requests")
    op.drop_table("suggestion_meetings")
    op.drop_table("suggestion_units")
    op.drop_table("suggestion_attachments")
    op.drop_table("suggestion_cosigners")
    op.drop_table("suggestions")
    op.drop_table("suggestion_settings")
