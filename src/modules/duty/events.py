"""The events of a year that earn duty points: one thing one deputy did, found where it is recorded.

From duty's own tables: attendance at an activity that was not cancelled (a session attended →
`session`, on leave → `session_leave`; any other activity attended → its kind, `other` →
`other_activity`, a training by its hours; absent without leave → `absence`; on leave from an activity
other than a session → nothing) and verified evidence (its kind, a training by its hours, an award by
its level → `award_<level>`, contact with the people → `people`). From the other modules, through
their facades: suggestions (lead, co-signer, key suggestion), receptions at stations, invited
attendance at standing-committee meetings.

Every source gives rows of the same columns (person_id, source, source_id, what, occurred_on, title,
quantity), so the whole year is read in one statement; `what` is the source's own word for the thing
done, turned into an event kind here.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, Date, Numeric, Select, String, cast, extract, func, literal, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from renda.core.db import read_rows
from renda.core.timezone import LOCAL_TZ
from renda.modules.contacts import service as contacts
from renda.modules.duty.models import EVENT_KINDS, Activity, Attendance, Evidence
from renda.modules.receptions import service as receptions
from renda.modules.suggestions import service as suggestions

ACTIVITY, EVIDENCE = "duty_activity", "duty_evidence"
SOURCES = {
    ACTIVITY: "履职活动",
    EVIDENCE: "履职佐证",
    "suggestion": "代表建议",
    "reception": "接待选民",
    "contact_meeting": "列席常委会会议",
}
SUGGESTION_KINDS = {
    "lead:suggestion": "suggestion_lead",
    "lead:motion": "motion_lead",
    "cosigner": "suggestion_cosign",
    "key": "key_suggestion",
}
# What the label of an entry starts with, where the event kind's own label does not read well there.
LABEL_PREFIX = {"training": "参加培训", "session": "出席会议", "session_leave": "请假未出席会议"}


@dataclass(frozen=True)
class Event:
    person_id: uuid.UUID
    year: int
    event_kind: str
    source: str
    source_id: uuid.UUID
    occurred_on: date
    label: str  # what the deputy reads on the entry
    quantity: Decimal  # hours for a training, else 1

    @property
    def key(self) -> tuple[uuid.UUID, str, uuid.UUID, str]:
        return (self.person_id, self.source, self.source_id, self.event_kind)


def event_kind(source: str, what: str) -> str | None:
    """The kind of event a source's row is, or None when it earns nothing (leave from an activity)."""
    if source == ACTIVITY:
        kind, _, status = what.partition(":")
        if status == "absent":
            return "absence"
        if kind == "session":
            return {"present": "session", "leave": "session_leave"}.get(status)
        if status != "present":
            return None
        return "other_activity" if kind == "other" else kind if kind in EVENT_KINDS else None
    if source == EVIDENCE:
        kind, _, level = what.partition(":")
        if kind == "award":
            return f"award_{level}" if level and f"award_{level}" in EVENT_KINDS else None
        return "other_activity" if kind == "other" else kind if kind in EVENT_KINDS else None
    if source == "suggestion":
        return SUGGESTION_KINDS.get(what)
    return what if what in EVENT_KINDS else None


def label_of(kind: str, title: str, quantity: Decimal) -> str:
    prefix = LABEL_PREFIX.get(kind) or EVENT_KINDS[kind]
    hours = f"({quantity.normalize():f}学时)" if kind == "training" else ""
    return f"{prefix}:{title}{hours}"[:300]


def _local_day(moment: ColumnElement[datetime]) -> ColumnElement[Any]:
    return cast(func.timezone(str(LOCAL_TZ), moment), Date)


def _attendance(year: int, person_ids: Sequence[uuid.UUID] | None) -> Select[Any]:
    # A training without hours set counts its length, to a tenth of an hour.
    length = func.round(cast(extract("epoch", Activity.ends_at - Activity.starts_at) / 3600, Numeric), 1)
    query = (
        select(
            Attendance.person_id.label("person_id"),
            literal(ACTIVITY, String).label("source"),
            Activity.id.label("source_id"),
            (Activity.kind + literal(":", String) + Attendance.status).label("what"),
            _local_day(Activity.starts_at).label("occurred_on"),
            Activity.title.label("title"),
            cast(func.coalesce(Activity.hours, length), Numeric(5, 1)).label("quantity"),
        )
        .join(Activity, Activity.id == Attendance.activity_id)
        .where(Activity.year == year, Activity.status != "cancelled")
    )
    return query if person_ids is None else query.where(Attendance.person_id.in_(person_ids))


def _evidence(year: int, person_ids: Sequence[uuid.UUID] | None) -> Select[Any]:
    query = select(
        Evidence.person_id.label("person_id"),
        literal(EVIDENCE, String).label("source"),
        Evidence.id.label("source_id"),
        (Evidence.kind + literal(":", String) + func.coalesce(Evidence.award_level, "")).label("what"),
        Evidence.occurred_on.label("occurred_on"),
        Evidence.title.label("title"),
        cast(func.coalesce(Evidence.hours, 1), Numeric(5, 1)).label("quantity"),
    ).where(Evidence.year == year, Evidence.status == "verified")
    return query if person_ids is None else query.where(Evidence.person_id.in_(person_ids))


def events_statement(year: int, person_ids: Sequence[uuid.UUID] | None = None) -> Any:
    return union_all(
        _attendance(year, person_ids),
        _evidence(year, person_ids),
        *suggestions.duty_events(year, person_ids),
        *receptions.duty_events(year, person_ids),
        *contacts.duty_events(year, person_ids),
    )


async def collect_events(
    session: AsyncSession, year: int, person_ids: Sequence[uuid.UUID] | None = None
) -> list[Event]:
    """The year's events of the office (or of these persons), each once, in one statement."""
    found: dict[tuple[uuid.UUID, str, uuid.UUID, str], Event] = {}
    for row in await read_rows(session, events_statement(year, list(person_ids) if person_ids is not None else None)):
        kind = event_kind(row.source, row.what)
        if kind is None:
            continue
        quantity = Decimal(row.quantity)
        event = Event(
            row.person_id,
            year,
            kind,
            row.source,
            row.source_id,
            row.occurred_on,
            label_of(kind, row.title, quantity),
            quantity,
        )
        found.setdefault(event.key, event)
    return sorted(found.values(), key=lambda e: (e.occurred_on, e.label, str(e.person_id)))
