"""claim recorded mandates: the office's mandates enter platform.mandate_claims

Revision ID: t0010
Revises: t0009
Create Date: 2026-12-01 10:00:00.000000

Runs in each office's schema (search_path). Where two offices already record the same person's
mandate in the same congress term, the office that administers it keeps the claim: the city for
city, provincial and national deputies, the township office for township deputies.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "t0010"
down_revision: str | None = "t0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute(
        """
        INSERT INTO platform.mandate_claims AS claim (person_key, level, congress_division, term_number, recorded_by)
        SELECT DISTINCT p.id_number_hash, c.level, c.division_code, t.number, substr(current_schema(), 3)
        FROM mandates m
        JOIN persons p ON p.id = m.person_id
        JOIN terms t ON t.id = m.term_id
        JOIN congresses c ON c.id = t.congress_id
        WHERE p.id_number_hash IS NOT NULL
        ON CONFLICT (person_key, level, congress_division, term_number) DO UPDATE
        SET recorded_by = excluded.recorded_by
        WHERE (SELECT level FROM platform.tenants WHERE code = excluded.recorded_by)
            = CASE WHEN excluded.level = 'township' THEN 'township' ELSE 'city' END
        """
    )


def downgrade() -> None:
    op.execute("DELETE FROM platform.mandate_claims WHERE recorded_by = substr(current_schema(), 3)")
