"""Attendance (出席情况): the organiser records, from the sign-in list, who of the office's deputies was
present, on leave or absent; deputies who scan the activity's QR code are recorded by `signin`.

Each deputy is recorded once per activity. Recording them again is refused (`attendance_recorded_twice`);
a change of status is its own step (`change_attendance`), audited like every write. The points come from
these rows through the ledger's reconcile job; nothing here writes the ledger.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from types import SimpleNamespace
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from renda.core.db import flush_or_conflict, utcnow
from renda.core.errors import Conflict, InvalidInput, NotFound
from renda.core.timezone import to_local
from renda.modules.deputies.models import Mandate, Person
from renda.modules.duty.activities import activity_out, activity_rows, require_not_cancelled
from renda.modules.duty.activity_schemas import (
    AttendanceEntryIn,
    AttendanceOut,
    MyActivity,
    RosterEntry,
)
from renda.modules.duty.common import DutyCaller, require_manage
from renda.modules.duty.models import ATTENDANCE_SOURCES, ATTENDANCE_STATUSES, Activity, Attendance
from renda.modules.organisation.models import DeputyGroup, GroupMembership

TWICE = "attendance_recorded_twice"
CONFLICTS = {"uq_duty_attendances_activity_id": (TWICE, "该代表已登记过本次活动的出席情况;如需更改,请使用“更改”")}
MAX_ROSTER = 5000


def activity_day(activity: Activity) -> date:
    return to_local(activity.starts_at).date()


def serving_on(day: date) -> ColumnElement[bool]:
    """The person holds a mandate of this office's register on `day` (elected by then, not yet ended)."""
    return exists().where(
        Mandate.person_id == Person.id,
        Mandate.starts_on <= day,
        or_(Mandate.ended_on.is_(None), Mandate.ended_on >= day),
    )


async def serving(session: AsyncSession, person_ids: Iterable[uuid.UUID], day: date) -> dict[uuid.UUID, str]:
    """Of `person_ids`, the office's deputies serving on `day`, with their names."""
    ids = list(set(person_ids))
    if not ids:
        return {}
    rows = await session.execute(select(Person.id, Person.name).where(Person.id.in_(ids), serving_on(day)))
    return {row.id: row.name for row in rows}


def _geographic_group() -> Any:
    """Each person's geographic group (代表小组) name, for the lists."""
    return (
        select(GroupMembership.person_id, DeputyGroup.name)
        .join(DeputyGroup, DeputyGroup.id == GroupMembership.group_id)
        .where(GroupMembership.group_kind == "geographic", GroupMembership.person_id.is_not(None))
        .subquery()
    )


def _out(row: Any) -> AttendanceOut:
    return AttendanceOut(
        id=row.id,
        person_id=row.person_id,
        name=row.name,
        group_name=row.group_name,
        status=row.status,
        status_label=ATTENDANCE_STATUSES[row.status],
        source=row.source,
        source_label=ATTENDANCE_SOURCES[row.source],
        note=row.note,
        recorded_by=row.recorded_by,
        recorded_at=row.recorded_at,
    )


def _attendance_rows(groups: Any) -> Any:
    return (
        select(
            Attendance.id,
            Attendance.person_id,
            Person.name,
            groups.c.name.label("group_name"),
            Attendance.status,
            Attendance.source,
            Attendance.note,
            Attendance.recorded_by,
            Attendance.recorded_at,
        )
        .join(Person, Person.id == Attendance.person_id)
        .outerjoin(groups, groups.c.person_id == Attendance.person_id)
    )


async def list_attendance(session: AsyncSession, activity: Activity, status: str | None = None) -> list[AttendanceOut]:
    """Who is recorded, by group and name."""
    if status is not None and status not in ATTENDANCE_STATUSES:
        raise InvalidInput("出席情况无效", code="invalid_status", details={"allowed": list(ATTENDANCE_STATUSES)})
    groups = _geographic_group()
    query = _attendance_rows(groups).where(Attendance.activity_id == activity.id)
    if status:
        query = query.where(Attendance.status == status)
    query = query.order_by(groups.c.name.nulls_last(), Person.name_pinyin, Person.id)
    return [_out(r) for r in (await session.execute(query)).all()]


async def get_attendance(session: AsyncSession, activity: Activity, attendance_id: uuid.UUID) -> Attendance:
    row = await session.get(Attendance, attendance_id)
    if row is None or row.activity_id != activity.id:
        raise NotFound("该出席记录不存在", code="attendance_not_found")
    return row


async def attendance_out(session: AsyncSession, row: Attendance) -> AttendanceOut:
    await session.flush()
    query = _attendance_rows(_geographic_group()).where(Attendance.id == row.id)
    return _out((await session.execute(query)).one())


async def roster(
    session: AsyncSession, activity: Activity, *, group_id: uuid.UUID | None = None, q: str | None = None
) -> list[RosterEntry]:
    """The sign-in list: the office's deputies serving on the activity's day (of one group, or whose name
    has `q`), each with what is recorded for them."""
    groups = _geographic_group()
    recorded = (
        select(
            Attendance.id.label("attendance_id"),
            Attendance.person_id,
            Attendance.status,
            Attendance.source,
            Attendance.note,
            Attendance.recorded_by,
            Attendance.recorded_at,
        )
        .where(Attendance.activity_id == activity.id)
        .subquery()
    )
    query = (
        select(
            Person.id,
            Person.name,
            groups.c.name.label("group_name"),
            *(c for c in recorded.c if c.name != "person_id"),
        )
        .outerjoin(groups, groups.c.person_id == Person.id)
        .outerjoin(recorded, recorded.c.person_id == Person.id)
        .where(serving_on(activity_day(activity)))
    )
    if group_id is not None:
        member = select(GroupMembership.person_id).where(GroupMembership.group_id == group_id)
        query = query.where(Person.id.in_(member))
    if q:
        query = query.where(Person.name.icontains(q.strip()[:50], autoescape=True))
    query = query.order_by(groups.c.name.nulls_last(), Person.name_pinyin, Person.id).limit(MAX_ROSTER)
    entries = []
    for row in (await session.execute(query)).all():
        attendance = None
        if row.attendance_id is not None:
            fields = {**row._asdict(), "id": row.attendance_id, "person_id": row.id}
            attendance = _out(SimpleNamespace(**fields))
        entries.append(RosterEntry(row.id, row.name, row.group_name, attendance))
    return entries


async def record_attendance(
    session: AsyncSession, caller: DutyCaller, activity: Activity, entries: Sequence[AttendanceEntryIn]
) -> list[Attendance]:
    """The organiser's sign-in list, all or nothing: every deputy must be the office's, serving on the
    activity's day, named once, and not recorded before."""
    require_manage(caller)
    require_not_cancelled(activity)
    if not entries:
        raise InvalidInput("请至少登记一名代表的出席情况", code="attendance_required")
    ids = [e.person_id for e in entries]
    if len(set(ids)) != len(ids):
        raise Conflict("同一名代表在名单中出现了两次,每名代表只能登记一次", code=TWICE)
    names = await serving(session, ids, activity_day(activity))
    unknown = [i for i in ids if i not in names]
    if unknown:
        raise InvalidInput(
            "所选人员不是本机关在活动当日在任的代表", code="unknown_deputy", details={"person_ids": unknown}
        )
    query = select(Attendance.person_id).where(Attendance.activity_id == activity.id, Attendance.person_id.in_(ids))
    already = list((await session.execute(query)).scalars())
    if already:
        listed = "、".join(names[i] for i in already[:5]) + ("等" if len(already) > 5 else "")
        raise Conflict(
            f"{listed}已登记过本次活动的出席情况;如需更改,请在出席名单中使用“更改”",
            code=TWICE,
            details={"person_ids": already},
        )
    now = utcnow()
    rows = [
        Attendance(
            activity_id=activity.id,
            person_id=e.person_id,
            status=e.status,
            source="list",
            note=e.note.strip(),
            recorded_by=caller.actor,
            recorded_at=now,
        )
        for e in entries
    ]
    session.add_all(rows)
    await flush_or_conflict(session, CONFLICTS)
    return rows


async def change_attendance(
    session: AsyncSession, caller: DutyCaller, activity: Activity, row: Attendance, status: str, note: str | None
) -> Attendance:
    """An explicit change of what was recorded (present → on leave, say); from now on it is the
    organiser's record, whoever made it first."""
    require_manage(caller)
    require_not_cancelled(activity)
    if status not in ATTENDANCE_STATUSES:
        raise InvalidInput("出席情况应为出席、请假或缺席", code="invalid_status")
    note = row.note if note is None else note.strip()[:200]
    if (status, note) != (row.status, row.note):
        row.status, row.note, row.source = status, note, "list"
        row.recorded_by, row.recorded_at = caller.actor, utcnow()
        await session.flush()
    return row


async def remove_attendance(session: AsyncSession, caller: DutyCaller, activity: Activity, row: Attendance) -> None:
    """A deputy recorded by mistake: the row goes (the audit log keeps it)."""
    require_manage(caller)
    require_not_cancelled(activity)
    await session.delete(row)
    await session.flush()


async def my_activities(
    session: AsyncSession, person_id: uuid.UUID, year: int, now: datetime | None = None
) -> list[MyActivity]:
    """A deputy's activities of a year: those recorded for them, and those still to come that are the
    office's or their groups' (nothing recorded yet)."""
    now = now or utcnow()
    mine = select(Attendance.activity_id, Attendance.status, Attendance.source).where(Attendance.person_id == person_id)
    mine_sq = mine.subquery()
    my_groups = select(GroupMembership.group_id).where(GroupMembership.person_id == person_id)
    query = (
        activity_rows()
        .add_columns(mine_sq.c.status.label("my_status"), mine_sq.c.source.label("my_source"))
        .outerjoin(mine_sq, mine_sq.c.activity_id == Activity.id)
        .where(
            Activity.year == year,
            or_(
                mine_sq.c.status.is_not(None),
                and_(
                    Activity.status == "planned",
                    Activity.ends_at > now,
                    or_(Activity.group_id.is_(None), Activity.group_id.in_(my_groups)),
                ),
            ),
        )
        .order_by(Activity.starts_at.desc(), Activity.id)
        .limit(500)
    )
    out = []
    for row in (await session.execute(query)).all():
        status = row.my_status
        out.append(
            MyActivity(
                activity_out(row, now),
                status,
                ATTENDANCE_STATUSES[status] if status else None,
                ATTENDANCE_SOURCES[row.my_source] if row.my_source else None,
            )
        )
    return out
