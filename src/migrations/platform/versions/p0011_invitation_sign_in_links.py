"""invitation sign-in links: the hash of a one-use link that accepts an invitation and signs its
holder in (an office's first administrator, before any identity provider knows them)

Revision ID: p0011
Revises: p0010
Create Date: 2026-12-04 17:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "p0011"
down_revision: str | None = "p0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("invitations", sa.Column("link_hash", sa.String(length=64), nullable=True), schema="platform")
    op.create_unique_constraint(op.f("uq_invitations_link_hash"), "invitations", ["link_hash"], schema="platform")


def downgrade() -> None:
    op.drop_constraint(op.f("uq_invitations_link_hash"), "invitations", schema="platform", type_="unique")
    op.drop_column("invitations", "link_hash", schema="platform")
