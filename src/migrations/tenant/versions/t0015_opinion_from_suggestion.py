"""an opinion's source 代表建议转来 (a suggestion that intake review turned into an opinion), and the
suggestion timeline's step 移除联名代表

Revision ID: t0015
Revises: t0014
Create Date: 2026-12-10 10:00:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "t0015"
down_revision: str | None = "t0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SOURCES_BEFORE = "source in ('reception','contact','portal','staff')"
SOURCES = "source in ('reception','contact','portal','staff','suggestion')"
STEPS_BEFORE = (
    "kind in ('created', 'cosign_requested', 'cosigned', 'cosign_declined', 'submitted', 'accepted', 'returned',"
    " 'merged', 'converted', 'withdrawn', 'assigned', 'cohandler_opinion', 'meeting', 'extension_requested',"
    " 'reassignment_requested', 'request_decided', 'reassigned', 'replied', 'rated', 'second_round', 'closed',"
    " 'reminder', 'escalated', 'key_chosen', 'checkpoint', 'follow_up', 'carried_over')"
)
STEPS = (
    "kind in ('created', 'cosign_requested', 'cosigned', 'cosign_declined', 'cosigner_removed', 'submitted',"
    " 'accepted', 'returned', 'merged', 'converted', 'withdrawn', 'assigned', 'cohandler_opinion', 'meeting',"
    " 'extension_requested', 'reassignment_requested', 'request_decided', 'reassigned', 'replied', 'rated',"
    " 'second_round', 'closed', 'reminder', 'escalated', 'key_chosen', 'checkpoint', 'follow_up', 'carried_over')"
)
# The opinions suggestions became before this revision were recorded as staff entries.
CONVERTED = "FROM suggestions s WHERE s.opinion_id = o.id AND o.source_id = s.id"


def upgrade() -> None:
    op.drop_constraint(op.f("ck_opinions_source"), "opinions", type_="check")
    op.create_check_constraint(op.f("ck_opinions_source"), "opinions", SOURCES)
    op.execute(f"UPDATE opinions o SET source = 'suggestion' {CONVERTED} AND o.source = 'staff'")
    op.drop_constraint(op.f("ck_suggestion_steps_kind"), "suggestion_steps", type_="check")
    op.create_check_constraint(op.f("ck_suggestion_steps_kind"), "suggestion_steps", STEPS)


def downgrade() -> None:
    op.execute("DELETE FROM suggestion_steps WHERE kind = 'cosigner_removed'")
    op.drop_constraint(op.f("ck_suggestion_steps_kind"), "suggestion_steps", type_="check")
    op.create_check_constraint(op.f("ck_suggestion_steps_kind"), "suggestion_steps", STEPS_BEFORE)
    op.execute(f"UPDATE opinions o SET source = 'staff' {CONVERTED} AND o.source = 'suggestion'")
    op.drop_constraint(op.f("ck_opinions_source"), "opinions", type_="check")
    op.create_check_constraint(op.f("ck_opinions_source"), "opinions", SOURCES_BEFORE)
