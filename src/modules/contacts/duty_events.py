"""What the contacts give the duty points (履职积分): a deputy invited to sit in on a standing-committee
meeting who attended (列席常委会会议), in the year of the meeting. An invitation not yet answered, an
absence or an excused absence counts for nothing.

The columns are the duty module's event rows: person_id, source, source_id, what, occurred_on, title,
quantity.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import Numeric, Select, String, cast, literal, select

from renda.modules.contacts.models import AttendanceMeeting, MeetingInvitation

SOURCE = "contact_meeting"


def duty_events(year: int, person_ids: Sequence[uuid.UUID] | None = None) -> list[Select[Any]]:
    """The statement (to run in the office's session) of the year's invited attendances."""
    query = (
        select(
            MeetingInvitation.person_id.label("person_id"),
            literal(SOURCE, String).label("source"),
            AttendanceMeeting.id.label("source_id"),
            literal("invited_attendance", String).label("what"),
            AttendanceMeeting.held_on.label("occurred_on"),
            AttendanceMeeting.title.label("title"),
            cast(literal(1), Numeric(5, 1)).label("quantity"),
        )
        .join(AttendanceMeeting, AttendanceMeeting.id == MeetingInvitation.meeting_id)
        .where(
            MeetingInvitation.status == "attended",
            AttendanceMeeting.held_on.between(date(year, 1, 1), date(year, 12, 31)),
        )
    )
    if person_ids is not None:
        query = query.where(MeetingInvitation.person_id.in_(person_ids))
    return [query]
