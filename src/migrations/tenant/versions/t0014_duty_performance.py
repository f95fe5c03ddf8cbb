"""duty performance: activities and attendance, evidence, the points rules and the append-only
ledger, the yearly star rating and reminder talks, the points store, and the yearly archives

Revision ID: t0014
Revises: t0013
Create Date: 2026-12-04 16:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "t0014"
down_revision: str | None = "t0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The ledger is append-only: a correction is a new entry, never an edit (see duty/models.py).
APPEND_ONLY = (
    """CREATE FUNCTION duty_point_entries_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'duty_point_entries is append-only' USING ERRCODE = 'restrict_violation';
END $$""",
    """CREATE TRIGGER duty_point_entries_append_only BEFORE UPDATE OR DELETE ON duty_point_entries
  FOR EACH ROW EXECUTE FUNCTION duty_point_entries_append_only()""",
)


def upgrade() -> None:
    op.create_table(
        "duty_point_categories",
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=12), nullable=False),
        sa.Column("cap", sa.Numeric(precision=7, scale=1), nullable=True),
        sa.Column("is_bonus", sa.Boolean(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.CheckConstraint(
            "code in ('meetings', 'activities', 'suggestions', 'people', 'learning', 'bonus')",
            name=op.f("ck_duty_point_categories_code"),
        ),
        sa.CheckConstraint("cap IS NULL OR cap >= 0", name=op.f("ck_duty_point_categories_cap_not_negative")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_duty_point_categories")),
        sa.UniqueConstraint("year", "code", name=op.f("uq_duty_point_categories_year")),
    )
    op.create_table(
        "duty_point_rules",
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("event_kind", sa.String(length=24), nullable=False),
        sa.Column("category", sa.String(length=12), nullable=False),
        sa.Column("points", sa.Numeric(precision=6, scale=1), nullable=False),
        sa.Column("unit", sa.String(length=8), nullable=False),
        sa.Column("cap", sa.Numeric(precision=7, scale=1), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("superseded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.CheckConstraint(
            "category in ('meetings', 'activities', 'suggestions', 'people', 'learning', 'bonus')",
            name=op.f("ck_duty_point_rules_category"),
        ),
        sa.CheckConstraint(
            (
                "event_kind in ('session', 'session_leave', 'invited_attendance', 'inspection', 'research', "
                "'law_check', 'training', 'themed_action', 'group_activity', 'other_activity', 'absence', "
                "'reception', 'people', 'suggestion_lead', 'suggestion_cosign', 'motion_lead', 'key_suggestion', "
                "'award_national', 'award_provincial', 'award_city', 'award_county')"
            ),
            name=op.f("ck_duty_point_rules_event_kind"),
        ),
        sa.CheckConstraint("unit in ('event', 'hour')", name=op.f("ck_duty_point_rules_unit")),
        sa.CheckConstraint("cap IS NULL OR cap >= 0", name=op.f("ck_duty_point_rules_cap_not_negative")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_duty_point_rules")),
    )
    op.create_index(
        "uq_duty_point_rules_live",
        "duty_point_rules",
        ["year", "event_kind"],
        unique=True,
        postgresql_where=sa.text("superseded_at IS NULL"),
    )
    op.create_table(
        "duty_rating_windows",
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("opens_on", sa.Date(), nullable=False),
        sa.Column("closes_on", sa.Date(), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("published_by", sa.String(length=200), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("closes_on >= opens_on", name=op.f("ck_duty_rating_windows_closes_after_open")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_duty_rating_windows")),
        sa.UniqueConstraint("year", name=op.f("uq_duty_rating_windows_year")),
    )
    op.create_table(
        "duty_store_items",
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("description", sa.String(length=500), nullable=False),
        sa.Column("price", sa.Integer(), nullable=False),
        sa.Column("stock", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("price > 0", name=op.f("ck_duty_store_items_price_positive")),
        sa.CheckConstraint("stock >= 0", name=op.f("ck_duty_store_items_stock_not_negative")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_duty_store_items")),
    )
    op.create_table(
        "duty_archives",
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("content", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("status in ('open', 'closed')", name=op.f("ck_duty_archives_status")),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.id"], name=op.f("fk_duty_archives_person_id_persons"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_duty_archives")),
        sa.UniqueConstraint("person_id", "year", name=op.f("uq_duty_archives_person_id")),
    )
    op.create_index(op.f("ix_duty_archives_year"), "duty_archives", ["year"], unique=False)
    op.create_table(
        "duty_evidence",
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("occurred_on", sa.Date(), nullable=False),
        sa.Column("hours", sa.Numeric(precision=5, scale=1), nullable=True),
        sa.Column("award_level", sa.String(length=12), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("reject_reason", sa.String(length=500), nullable=False),
        sa.Column("submitted_by", sa.String(length=200), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reviewed_by", sa.String(length=200), nullable=True),
        sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "award_level IS NULL OR award_level in ('national', 'provincial', 'city', 'county')",
            name=op.f("ck_duty_evidence_award_level"),
        ),
        sa.CheckConstraint(
            "kind in ('training', 'inspection', 'research', 'law_check', 'themed_action', 'people', 'award', 'other')",
            name=op.f("ck_duty_evidence_kind"),
        ),
        sa.CheckConstraint("status in ('pending', 'verified', 'rejected')", name=op.f("ck_duty_evidence_status")),
        sa.CheckConstraint("hours IS NULL OR hours > 0", name=op.f("ck_duty_evidence_hours_positive")),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.id"], name=op.f("fk_duty_evidence_person_id_persons"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_duty_evidence")),
    )
    op.create_index("ix_duty_evidence_person_year", "duty_evidence", ["person_id", "year"], unique=False)
    op.create_index("ix_duty_evidence_status", "duty_evidence", ["status", "submitted_at"], unique=False)
    op.create_table(
        "duty_point_entries",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("category", sa.String(length=12), nullable=False),
        sa.Column("event_kind", sa.String(length=24), nullable=False),
        sa.Column("rule_id", sa.Uuid(), nullable=True),
        sa.Column("source", sa.String(length=24), nullable=False),
        sa.Column("source_id", sa.Uuid(), nullable=False),
        sa.Column("source_label", sa.String(length=300), nullable=False),
        sa.Column("occurred_on", sa.Date(), nullable=False),
        sa.Column("points", sa.Numeric(precision=7, scale=1), nullable=False),
        sa.Column("reason", sa.String(length=10), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "category in ('meetings', 'activities', 'suggestions', 'people', 'learning', 'bonus')",
            name=op.f("ck_duty_point_entries_category"),
        ),
        sa.CheckConstraint(
            (
                "event_kind in ('session', 'session_leave', 'invited_attendance', 'inspection', 'research', "
                "'law_check', 'training', 'themed_action', 'group_activity', 'other_activity', 'absence', "
                "'reception', 'people', 'suggestion_lead', 'suggestion_cosign', 'motion_lead', 'key_suggestion', "
                "'award_national', 'award_provincial', 'award_city', 'award_county')"
            ),
            name=op.f("ck_duty_point_entries_event_kind"),
        ),
        sa.CheckConstraint("reason in ('event', 'reversal', 'reprice')", name=op.f("ck_duty_point_entries_reason")),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.id"], name=op.f("fk_duty_point_entries_person_id_persons"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["rule_id"],
            ["duty_point_rules.id"],
            name=op.f("fk_duty_point_entries_rule_id_duty_point_rules"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_duty_point_entries")),
    )
    op.create_index("ix_duty_point_entries_source", "duty_point_entries", ["source", "source_id"], unique=False)
    op.create_index("ix_duty_point_entries_year_person", "duty_point_entries", ["year", "person_id"], unique=False)
    op.create_table(
        "duty_ratings",
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("step", sa.String(length=10), nullable=False),
        sa.Column("self_summary", sa.Text(), nullable=False),
        sa.Column("self_grade", sa.String(length=12), nullable=True),
        sa.Column("group_grade", sa.String(length=12), nullable=True),
        sa.Column("township_grade", sa.String(length=12), nullable=True),
        sa.Column("grade", sa.String(length=12), nullable=True),
        sa.Column("stars", sa.Integer(), nullable=True),
        sa.Column("points", sa.Numeric(precision=7, scale=1), nullable=True),
        sa.Column("advise_resign", sa.Boolean(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "grade IS NULL OR grade in ('excellent', 'good', 'competent', 'basic', 'incompetent')",
            name=op.f("ck_duty_ratings_grade"),
        ),
        sa.CheckConstraint(
            "group_grade IS NULL OR group_grade in ('excellent', 'good', 'competent', 'basic', 'incompetent')",
            name=op.f("ck_duty_ratings_group_grade"),
        ),
        sa.CheckConstraint(
            "self_grade IS NULL OR self_grade in ('excellent', 'good', 'competent', 'basic', 'incompetent')",
            name=op.f("ck_duty_ratings_self_grade"),
        ),
        sa.CheckConstraint(
            "step in ('self', 'group', 'township', 'committee', 'published')", name=op.f("ck_duty_ratings_step")
        ),
        sa.CheckConstraint(
            "township_grade IS NULL OR township_grade in ('excellent', 'good', 'competent', 'basic', 'incompetent')",
            name=op.f("ck_duty_ratings_township_grade"),
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.id"], name=op.f("fk_duty_ratings_person_id_persons"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_duty_ratings")),
        sa.UniqueConstraint("year", "person_id", name=op.f("uq_duty_ratings_year")),
    )
    op.create_index(op.f("ix_duty_ratings_person_id"), "duty_ratings", ["person_id"], unique=False)
    op.create_table(
        "duty_redemptions",
        sa.Column("item_id", sa.Uuid(), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("points_year", sa.Integer(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("requested_by", sa.String(length=200), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("handled_by", sa.String(length=200), nullable=True),
        sa.Column("handled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("note", sa.String(length=200), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.CheckConstraint(
            "status in ('requested', 'handed_over', 'cancelled')", name=op.f("ck_duty_redemptions_status")
        ),
        sa.CheckConstraint("points > 0 AND quantity > 0", name=op.f("ck_duty_redemptions_positive")),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["duty_store_items.id"],
            name=op.f("fk_duty_redemptions_item_id_duty_store_items"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.id"], name=op.f("fk_duty_redemptions_person_id_persons"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_duty_redemptions")),
    )
    op.create_index("ix_duty_redemptions_person_year", "duty_redemptions", ["person_id", "points_year"], unique=False)
    op.create_table(
        "duty_activities",
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("place", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("hours", sa.Numeric(precision=5, scale=1), nullable=True),
        sa.Column("organiser", sa.String(length=100), nullable=False),
        sa.Column("group_id", sa.Uuid(), nullable=True),
        sa.Column("station_id", sa.Uuid(), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("sign_in_secret", sa.String(length=64), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            (
                "kind in ('session', 'inspection', 'research', 'law_check', 'training', 'themed_action', "
                "'group_activity', 'other')"
            ),
            name=op.f("ck_duty_activities_kind"),
        ),
        sa.CheckConstraint("status in ('planned', 'finished', 'cancelled')", name=op.f("ck_duty_activities_status")),
        sa.CheckConstraint("ends_at > starts_at", name=op.f("ck_duty_activities_ends_after_start")),
        sa.CheckConstraint("hours IS NULL OR hours > 0", name=op.f("ck_duty_activities_hours_positive")),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["deputy_groups.id"],
            name=op.f("fk_duty_activities_group_id_deputy_groups"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["station_id"], ["stations.id"], name=op.f("fk_duty_activities_station_id_stations"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_duty_activities")),
    )
    op.create_index("ix_duty_activities_year_starts", "duty_activities", ["year", "starts_at"], unique=False)
    op.create_table(
        "duty_archive_corrections",
        sa.Column("archive_id", sa.Uuid(), nullable=False),
        sa.Column("section", sa.String(length=20), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["archive_id"],
            ["duty_archives.id"],
            name=op.f("fk_duty_archive_corrections_archive_id_duty_archives"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_duty_archive_corrections")),
    )
    op.create_index(
        op.f("ix_duty_archive_corrections_archive_id"), "duty_archive_corrections", ["archive_id"], unique=False
    )
    op.create_table(
        "duty_evidence_files",
        sa.Column("evidence_id", sa.Uuid(), nullable=False),
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column("content_type", sa.String(length=100), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["evidence_id"],
            ["duty_evidence.id"],
            name=op.f("fk_duty_evidence_files_evidence_id_duty_evidence"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_duty_evidence_files")),
    )
    op.create_index(op.f("ix_duty_evidence_files_evidence_id"), "duty_evidence_files", ["evidence_id"], unique=False)
    op.create_table(
        "duty_rating_steps",
        sa.Column("rating_id", sa.Uuid(), nullable=False),
        sa.Column("step", sa.String(length=10), nullable=False),
        sa.Column("grade", sa.String(length=12), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.CheckConstraint(
            "step in ('self', 'group', 'township', 'committee', 'published')", name=op.f("ck_duty_rating_steps_step")
        ),
        sa.ForeignKeyConstraint(
            ["rating_id"],
            ["duty_ratings.id"],
            name=op.f("fk_duty_rating_steps_rating_id_duty_ratings"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_duty_rating_steps")),
    )
    op.create_index(op.f("ix_duty_rating_steps_rating_id"), "duty_rating_steps", ["rating_id"], unique=False)
    op.create_table(
        "duty_talks",
        sa.Column("rating_id", sa.Uuid(), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("scheduled_on", sa.Date(), nullable=False),
        sa.Column("place", sa.String(length=200), nullable=False),
        sa.Column("talker", sa.String(length=100), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("status in ('scheduled', 'held', 'cancelled')", name=op.f("ck_duty_talks_status")),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.id"], name=op.f("fk_duty_talks_person_id_persons"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["rating_id"], ["duty_ratings.id"], name=op.f("fk_duty_talks_rating_id_duty_ratings"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_duty_talks")),
    )
    op.create_index(op.f("ix_duty_talks_rating_id"), "duty_talks", ["rating_id"], unique=False)
    op.create_table(
        "duty_attendances",
        sa.Column("activity_id", sa.Uuid(), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("source", sa.String(length=8), nullable=False),
        sa.Column("note", sa.String(length=200), nullable=False),
        sa.Column("recorded_by", sa.String(length=200), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.CheckConstraint("source in ('list', 'qr')", name=op.f("ck_duty_attendances_source")),
        sa.CheckConstraint("status in ('present', 'leave', 'absent')", name=op.f("ck_duty_attendances_status")),
        sa.ForeignKeyConstraint(
            ["activity_id"],
            ["duty_activities.id"],
            name=op.f("fk_duty_attendances_activity_id_duty_activities"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.id"], name=op.f("fk_duty_attendances_person_id_persons"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_duty_attendances")),
        sa.UniqueConstraint("activity_id", "person_id", name=op.f("uq_duty_attendances_activity_id")),
    )
    op.create_index(op.f("ix_duty_attendances_person_id"), "duty_attendances", ["person_id"], unique=False)
    for statement in APPEND_ONLY:
        op.execute(statement)


def downgrade() -> None:
    for table in (
        "duty_archive_corrections",
        "duty_archives",
        "duty_redemptions",
        "duty_store_items",
        "duty_talks",
        "duty_rating_steps",
        "duty_ratings",
        "duty_rating_windows",
        "duty_point_entries",
        "duty_point_rules",
        "duty_point_categories",
        "duty_evidence_files",
        "duty_evidence",
        "duty_attendances",
        "duty_activities",
    ):
        op.drop_table(table)
    op.execute("DROP FUNCTION duty_point_entries_append_only()")
