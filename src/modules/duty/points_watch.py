"""When the office's points must be reconciled again: a write to a table the events are read from.

The tables are named here, as the rollups name theirs: duty's own (activities, attendance, evidence)
and the other modules' (suggestions and co-signers, receptions and their deputies, committee meetings
and invitations); where only some columns matter, only a change to one of them counts. An ORM write
(or an ORM-enabled INSERT/UPDATE/DELETE statement) to one of them marks the session; when its
transaction commits, the office gets one pending row and, only if there was none, one message to the
points job `DEBOUNCE` later: a burst of changes costs one reconcile. Code that writes these tables
otherwise (COPY) calls `request_reprice` itself; the rules editor does after a save.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import event, inspect
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import ORMExecuteState, Session

from renda.core.db import utcnow
from renda.modules.duty.models import PointsPending
from renda.workers.outbox import enqueue_later

DEBOUNCE = timedelta(seconds=3)
STALE, QUIET = "duty_points_stale", "duty_points_quiet"
# Table → the columns whose change matters (None: any change, and every insert and delete).
WATCHED: dict[str, frozenset[str] | None] = {
    "duty_activities": frozenset({"kind", "title", "starts_at", "ends_at", "year", "hours", "status"}),
    "duty_attendances": None,
    "duty_evidence": frozenset({"person_id", "kind", "title", "occurred_on", "year", "hours", "award_level", "status"}),
    "suggestions": frozenset(
        {"status", "kind", "year", "title", "lead_person_id", "filed_at", "is_key", "key_chosen_at"}
    ),
    "suggestion_cosigners": None,
    "receptions": frozenset({"held_on", "station_id"}),
    "reception_deputies": None,
    "contact_meetings": frozenset({"held_on", "title"}),
    "contact_meeting_invitations": frozenset({"person_id", "status", "meeting_id"}),
}


def _matters(obj: Any, changed: bool) -> bool:
    table = getattr(obj, "__tablename__", None)
    if table not in WATCHED:
        return False
    columns = WATCHED[table]
    if columns is None or not changed:
        return True
    state = inspect(obj)
    return any(state.attrs[column].history.has_changes() for column in columns)


def _writes_matter(session: Session) -> bool:
    return any(_matters(o, False) for o in (*session.new, *session.deleted)) or any(
        _matters(o, True) for o in session.dirty
    )


def _note_writes(session: Session, _context: object) -> None:
    if session.info.get(STALE) or session.info.get(QUIET) or not session.info.get("tenant_code"):
        return
    if _writes_matter(session):
        session.info[STALE] = True


def _note_statements(state: ORMExecuteState) -> None:
    session = state.session
    if session.info.get(STALE) or session.info.get(QUIET) or not session.info.get("tenant_code"):
        return
    if state.is_insert or state.is_update or state.is_delete:
        table = getattr(state.statement, "table", None)
        if getattr(table, "name", None) in WATCHED:
            session.info[STALE] = True


def _pending_row() -> Any:
    return (
        insert(PointsPending).values(id=1, requested_at=utcnow()).on_conflict_do_nothing().returning(PointsPending.id)
    )


def _send(session: Session | AsyncSession) -> None:
    from renda.modules.duty.points_tasks import reprice_office

    enqueue_later(session, DEBOUNCE, reprice_office, session.info["tenant_code"])


def _request_on_commit(session: Session) -> None:
    # Called before the commit's own flush: what is still unflushed counts too.
    stale = session.info.pop(STALE, False) or (session.info.get("tenant_code") and _writes_matter(session))
    if not stale or session.info.get(QUIET):
        return
    if session.connection().execute(_pending_row()).first() is not None:
        _send(session)


async def request_reprice(session: AsyncSession) -> None:
    """In the writer's transaction: reconcile the office's points after it commits (debounced)."""
    if (await session.execute(_pending_row())).first() is not None:
        _send(session)


def install_points_watch() -> None:
    """Writes to the watched tables make the office's points stale (installed once per process)."""
    if not event.contains(Session, "after_flush", _note_writes):
        event.listen(Session, "after_flush", _note_writes)
        event.listen(Session, "do_orm_execute", _note_statements)
        # First, so the outbox's own before-commit hook sees the message and wakes the relays.
        event.listen(Session, "before_commit", _request_on_commit, insert=True)
