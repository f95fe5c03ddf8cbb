"""contacts: Contact assignments, contact records and invited attendance (两个联系, committee side).

Revision ID: t0006
Revises: t0005
Create Date: 2026-11-23 22:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "t0006"
down_revision: str | None = "t0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _timestamps() -> list[sa.Column]:
    return [
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
    ]


def upgrade() -> None:
    op.add_column("persons", sa.Column("user_id", sa.Uuid(), nullable=True))
    op.create_index(op.f("ix_persons_user_id"), "persons", ["user_id"], unique=True)

    op.create_table(
        "contact_settings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("min_per_member", sa.Integer(), nullable=False),
        sa.Column("max_per_member", sa.Integer(), nullable=False),
        sa.Column("behind_rule", sa.String(length=10), nullable=False),
        *_timestamps(),
        sa.CheckConstraint("id = 1", name=op.f("ck_contact_settings_single_row")),
        sa.CheckConstraint(
            "min_per_member >= 0 and max_per_member >= 1 and min_per_member <= max_per_member",
            name=op.f("ck_contact_settings_bounds"),
        ),
        sa.CheckConstraint("behind_rule in ('each','any')", name=op.f("ck_contact_settings_behind_rule")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contact_settings")),
    )

    op.create_table(
        "contact_assignments",
        sa.Column("term_id", sa.Uuid(), nullable=False),
        sa.Column("committee_member_id", sa.Uuid(), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["committee_member_id"],
            ["committee_members.id"],
            name=op.f("fk_contact_assignments_committee_member_id_committee_members"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.id"], name=op.f("fk_contact_assignments_person_id_persons"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["term_id"], ["terms.id"], name=op.f("fk_contact_assignments_term_id_terms"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contact_assignments")),
        sa.UniqueConstraint("term_id", "person_id", name=op.f("uq_contact_assignments_term_id")),
    )
    for column in ("committee_member_id", "person_id", "term_id"):
        op.create_index(op.f(f"ix_contact_assignments_{column}"), "contact_assignments", [column], unique=False)

    op.create_table(
        "contact_township_assignments",
        sa.Column("term_id", sa.Uuid(), nullable=False),
        sa.Column("committee_member_id", sa.Uuid(), nullable=False),
        sa.Column("township_code", sa.String(length=12), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["committee_member_id"],
            ["committee_members.id"],
            name=op.f("fk_contact_township_assignments_committee_member_id_committee_members"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["term_id"], ["terms.id"], name=op.f("fk_contact_township_assignments_term_id_terms"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contact_township_assignments")),
        sa.UniqueConstraint("term_id", "township_code", name=op.f("uq_contact_township_assignments_term_id")),
    )
    for column in ("committee_member_id", "term_id"):
        op.create_index(
            op.f(f"ix_contact_township_assignments_{column}"), "contact_township_assignments", [column], unique=False
        )

    op.create_table(
        "contact_sector_links",
        sa.Column("body_id", sa.Uuid(), nullable=False),
        sa.Column("sector", sa.String(length=50), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["body_id"], ["bodies.id"], name=op.f("fk_contact_sector_links_body_id_bodies"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contact_sector_links")),
        sa.UniqueConstraint("body_id", "sector", name=op.f("uq_contact_sector_links_body_id")),
    )
    op.create_index(op.f("ix_contact_sector_links_body_id"), "contact_sector_links", ["body_id"], unique=False)

    op.create_table(
        "contact_proposals",
        sa.Column("term_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("source_term_id", sa.Uuid(), nullable=True),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.CheckConstraint("kind in ('suggested','carried_over')", name=op.f("ck_contact_proposals_kind")),
        sa.ForeignKeyConstraint(
            ["source_term_id"],
            ["terms.id"],
            name=op.f("fk_contact_proposals_source_term_id_terms"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["term_id"], ["terms.id"], name=op.f("fk_contact_proposals_term_id_terms"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contact_proposals")),
        sa.UniqueConstraint("term_id", name=op.f("uq_contact_proposals_term_id")),
    )

    op.create_table(
        "contact_proposal_items",
        sa.Column("proposal_id", sa.Uuid(), nullable=False),
        sa.Column("committee_member_id", sa.Uuid(), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=True),
        sa.Column("township_code", sa.String(length=12), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.CheckConstraint(
            "(person_id is null) <> (township_code is null)", name=op.f("ck_contact_proposal_items_one_target")
        ),
        sa.ForeignKeyConstraint(
            ["committee_member_id"],
            ["committee_members.id"],
            name=op.f("fk_contact_proposal_items_committee_member_id_committee_members"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.id"], name=op.f("fk_contact_proposal_items_person_id_persons"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["proposal_id"],
            ["contact_proposals.id"],
            name=op.f("fk_contact_proposal_items_proposal_id_contact_proposals"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contact_proposal_items")),
        sa.UniqueConstraint("proposal_id", "person_id", name=op.f("uq_contact_proposal_items_proposal_id")),
        sa.UniqueConstraint("proposal_id", "township_code", name="uq_contact_proposal_items_township"),
    )
    op.create_index(
        op.f("ix_contact_proposal_items_proposal_id"), "contact_proposal_items", ["proposal_id"], unique=False
    )

    op.create_table(
        "contact_records",
        sa.Column("term_id", sa.Uuid(), nullable=False),
        sa.Column("committee_member_id", sa.Uuid(), nullable=True),
        sa.Column("member_name", sa.String(length=50), nullable=False),
        sa.Column("contacted_on", sa.Date(), nullable=False),
        sa.Column("mode", sa.String(length=10), nullable=False),
        sa.Column("topics", sa.String(length=500), nullable=False),
        sa.Column("summary", sa.Text(), nullable=True),
        sa.Column("recorded_by", sa.String(length=200), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        *_timestamps(),
        sa.CheckConstraint("mode in ('visit','call','meeting','online')", name=op.f("ck_contact_records_mode")),
        sa.ForeignKeyConstraint(
            ["committee_member_id"],
            ["committee_members.id"],
            name=op.f("fk_contact_records_committee_member_id_committee_members"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["term_id"], ["terms.id"], name=op.f("fk_contact_records_term_id_terms"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contact_records")),
    )
    for column in ("committee_member_id", "contacted_on", "term_id"):
        op.create_index(op.f(f"ix_contact_records_{column}"), "contact_records", [column], unique=False)

    op.create_table(
        "contact_record_deputies",
        sa.Column("record_id", sa.Uuid(), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("assigned", sa.Boolean(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["persons.id"],
            name=op.f("fk_contact_record_deputies_person_id_persons"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["record_id"],
            ["contact_records.id"],
            name=op.f("fk_contact_record_deputies_record_id_contact_records"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contact_record_deputies")),
        sa.UniqueConstraint("record_id", "person_id", name=op.f("uq_contact_record_deputies_record_id")),
    )
    for column in ("person_id", "record_id"):
        op.create_index(op.f(f"ix_contact_record_deputies_{column}"), "contact_record_deputies", [column], unique=False)

    op.create_table(
        "contact_issues",
        sa.Column("record_id", sa.Uuid(), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=True),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("opinion_id", sa.Uuid(), nullable=True),
        sa.Column("opinion_ticket", sa.String(length=40), nullable=True),
        sa.Column("suggestion_draft_id", sa.Uuid(), nullable=True),
        sa.Column("converted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.id"], name=op.f("fk_contact_issues_person_id_persons"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["record_id"],
            ["contact_records.id"],
            name=op.f("fk_contact_issues_record_id_contact_records"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contact_issues")),
    )
    op.create_index(op.f("ix_contact_issues_record_id"), "contact_issues", ["record_id"], unique=False)

    op.create_table(
        "contact_attachments",
        sa.Column("record_id", sa.Uuid(), nullable=False),
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column("content_type", sa.String(length=100), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("uploaded_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["record_id"],
            ["contact_records.id"],
            name=op.f("fk_contact_attachments_record_id_contact_records"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contact_attachments")),
    )
    op.create_index(op.f("ix_contact_attachments_record_id"), "contact_attachments", ["record_id"], unique=False)

    op.create_table(
        "contact_meetings",
        sa.Column("term_id", sa.Uuid(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("held_on", sa.Date(), nullable=False),
        sa.Column("observers", sa.Integer(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        *_timestamps(),
        sa.CheckConstraint("number >= 1", name=op.f("ck_contact_meetings_number")),
        sa.CheckConstraint("observers >= 0", name=op.f("ck_contact_meetings_observers")),
        sa.ForeignKeyConstraint(
            ["term_id"], ["terms.id"], name=op.f("fk_contact_meetings_term_id_terms"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contact_meetings")),
        sa.UniqueConstraint("term_id", "number", name=op.f("uq_contact_meetings_term_id")),
    )
    for column in ("held_on", "term_id"):
        op.create_index(op.f(f"ix_contact_meetings_{column}"), "contact_meetings", [column], unique=False)

    op.create_table(
        "contact_meeting_invitations",
        sa.Column("meeting_id", sa.Uuid(), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("spoke", sa.Boolean(), nullable=False),
        sa.Column("speech", sa.Text(), nullable=True),
        sa.Column("invited_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.CheckConstraint(
            "status in ('invited','attended','absent','excused')", name=op.f("ck_contact_meeting_invitations_status")
        ),
        sa.ForeignKeyConstraint(
            ["meeting_id"],
            ["contact_meetings.id"],
            name=op.f("fk_contact_meeting_invitations_meeting_id_contact_meetings"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["persons.id"],
            name=op.f("fk_contact_meeting_invitations_person_id_persons"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contact_meeting_invitations")),
        sa.UniqueConstraint("meeting_id", "person_id", name=op.f("uq_contact_meeting_invitations_meeting_id")),
    )
    for column in ("meeting_id", "person_id"):
        op.create_index(
            op.f(f"ix_contact_meeting_invitations_{column}"), "contact_meeting_invitations", [column], unique=False
        )


def downgrade() -> None:
    for table in (
        "contact_meeting_invitations",
        "contact_meetings",
        "contact_attachments",
        "contact_issues",
        "contact_record_deputies",
        "contact_records",
        "contact_proposal_items",
        "contact_proposals",
        "contact_sector_links",
        "contact_township_assignments",
        "contact_assignments",
        "contact_settings",
    ):
        op.drop_table(table)  # its indexes and constraints go with it
    op.drop_index(op.f("ix_persons_user_id"), table_name="persons")
    op.drop_column("persons", "user_id")
