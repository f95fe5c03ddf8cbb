"""repeated suggestions: the bigrams of every suggestion (GIN-indexed), and the suggestions of the offices
above and below that share them

Revision ID: t0013
Revises: t0012
Create Date: 2026-12-04 16:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from renda.modules.suggestions.similarity import gram_set

revision: str = "t0013"
down_revision: str | None = "t0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# PostgreSQL keeps ten times this many most common bigrams per column in its statistics: the
# document frequencies the check reads to pick the rare bigrams it looks up (`similar.py`).
STATISTICS = 1000


def upgrade() -> None:
    op.add_column(
        "suggestions",
        sa.Column("similarity_grams", postgresql.ARRAY(sa.Text()), server_default="{}", nullable=False),
    )
    op.create_index(
        "ix_suggestions_similarity_grams", "suggestions", ["similarity_grams"], unique=False, postgresql_using="gin"
    )
    op.execute(f"ALTER TABLE suggestions ALTER COLUMN similarity_grams SET STATISTICS {STATISTICS}")
    op.create_table(
        "similar_shared",
        sa.Column("office_code", sa.String(length=9), nullable=False),
        sa.Column("suggestion_id", sa.Uuid(), nullable=False),
        sa.Column("office_name", sa.String(length=100), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("reply_class", sa.String(length=1), nullable=True),
        sa.Column("resolved", sa.Boolean(), nullable=False),
        sa.Column("grams", postgresql.ARRAY(sa.Text()), nullable=False),
        sa.Column("title_grams", postgresql.ARRAY(sa.Text()), nullable=False),
        sa.Column("place_grams", postgresql.ARRAY(sa.Text()), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("office_code", "suggestion_id", name=op.f("pk_similar_shared")),
    )
    op.create_index("ix_similar_shared_grams", "similar_shared", ["grams"], unique=False, postgresql_using="gin")
    op.execute(f"ALTER TABLE similar_shared ALTER COLUMN grams SET STATISTICS {STATISTICS}")
    # Suggestions filed before this revision get their bigrams here (the ORM sets them from now on).
    connection = op.get_bind()
    rows = connection.execute(sa.text("SELECT id, title, content FROM suggestions")).all()
    update = sa.text("UPDATE suggestions SET similarity_grams = :grams WHERE id = :id").bindparams(
        sa.bindparam("grams", type_=postgresql.ARRAY(sa.Text()))
    )
    for row in rows:
        connection.execute(update, {"id": row.id, "grams": gram_set(row.title, row.content)})


def downgrade() -> None:
    op.drop_index("ix_similar_shared_grams", table_name="similar_shared")
    op.drop_table("similar_shared")
    op.drop_index("ix_suggestions_similarity_grams", table_name="suggestions")
    op.drop_column("suggestions", "similarity_grams")
