"""office revisions: one function reads every office schema's Alembic revision, so the operations
page asks for them in one statement that names no office schema (the office boundary guard refuses
a request's statement that names one)

Revision ID: p0010
Revises: p0009
Create Date: 2026-12-04 17:00:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "p0010"
down_revision: str | None = "p0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute(
        """CREATE FUNCTION platform.office_revisions() RETURNS TABLE (schema_name text, version_num text)
LANGUAGE plpgsql STABLE AS $$
DECLARE
  office text;
BEGIN
  FOR office IN SELECT t.schema_name FROM platform.tenants t LOOP
    IF to_regclass(format('%I.alembic_version', office)) IS NOT NULL THEN
      RETURN QUERY EXECUTE format('SELECT %L::text, version_num::text FROM %I.alembic_version', office, office);
    END IF;
  END LOOP;
END $$"""
    )


def downgrade() -> None:
    op.execute("DROP FUNCTION platform.office_revisions()")
