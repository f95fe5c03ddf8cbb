"""Duty activities (履职活动): the office (or a group, a station) organises them and records who
attended (谁组织谁负责). Staff create, edit and cancel them; everyone with `duty.read` lists them.

An activity is never deleted: a cancelled one keeps its record, and its attendance counts nothing. Its
phase is read from the clock: planned until it starts, ongoing until it ends, then finished.
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

import msgspec
from sqlalchemy import ColumnElement, Select, and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from renda.core.db import utcnow
from renda.core.errors import Conflict, InvalidInput, NotFound
from renda.core.pagination import Page, paginate_rows
from renda.core.timezone import LOCAL_TZ, to_local
from renda.modules.duty.activity_schemas import ActivityIn, ActivityOut, ActivityPage, ActivityPatch, AttendanceCounts
from renda.modules.duty.common import DutyCaller, require_manage
from renda.modules.duty.models import ACTIVITY_KINDS, Activity, Attendance
from renda.modules.organisation.models import DeputyGroup, Station
from renda.tenants.scoping import TenantRef

PHASES = {"planned": "未开始", "ongoing": "进行中", "finished": "已结束", "cancelled": "已取消"}
SIGN_IN_EARLY = timedelta(minutes=30)  # the QR code opens this long before the start
MAX_LENGTH = timedelta(days=31)  # a congress session or a week's training fits; a code open for months does not
MAX_HOURS = Decimal("999.9")
EARLIEST_YEAR, LATEST_YEAR = 2000, 2100


# --- checks ------------------------------------------------------------------------------------------
def local_time(value: datetime) -> datetime:
    """A time without a zone is Beijing time (a page's datetime-local field sends one)."""
    return value if value.tzinfo is not None else value.replace(tzinfo=LOCAL_TZ)


def check_window(starts_at: datetime, ends_at: datetime) -> tuple[datetime, datetime]:
    starts_at, ends_at = local_time(starts_at), local_time(ends_at)
    if ends_at <= starts_at:
        raise InvalidInput("结束时间应晚于开始时间", code="invalid_time_window")
    if ends_at - starts_at > MAX_LENGTH:
        raise InvalidInput("一项活动最长 31 天;更长的工作请分次登记", code="activity_too_long")
    if not EARLIEST_YEAR <= to_local(starts_at).year <= LATEST_YEAR:
        raise InvalidInput(f"活动时间应在 {EARLIEST_YEAR} 年到 {LATEST_YEAR} 年之间", code="invalid_time_window")
    return starts_at, ends_at


def check_hours(kind: str, hours: Decimal | None, *, what: str = "学习培训") -> Decimal | None:
    """Trainings credit hours (学时, to one decimal); nothing else has any."""
    if kind != "training":
        if hours is not None:
            raise InvalidInput(f"只有{what}需要填写学时", code="hours_only_for_training")
        return None
    if hours is None:
        raise InvalidInput("请填写培训学时", code="hours_required")
    try:
        valid = Decimal(0) < hours <= MAX_HOURS and hours == hours.quantize(Decimal("0.1"))
    except (InvalidOperation, TypeError):
        valid = False
    if not valid:
        raise InvalidInput(f"培训学时应大于 0、不超过 {MAX_HOURS},最多一位小数", code="invalid_hours")
    return hours


def clean_title(value: str) -> str:
    value = " ".join(value.split())
    if not value:
        raise InvalidInput("请填写活动名称", code="title_required")
    return value


async def check_group(session: AsyncSession, group_id: uuid.UUID | None) -> uuid.UUID | None:
    if group_id is not None and await session.get(DeputyGroup, group_id) is None:
        raise InvalidInput("所选代表小组不在本机关", code="unknown_group")
    return group_id


async def check_station(session: AsyncSession, station_id: uuid.UUID | None) -> uuid.UUID | None:
    if station_id is not None and await session.get(Station, station_id) is None:
        raise InvalidInput("所选家站室不在本机关", code="unknown_station")
    return station_id


def require_not_cancelled(activity: Activity) -> None:
    if activity.status == "cancelled":
        raise Conflict("该活动已取消,不能再修改或登记出席情况", code="activity_cancelled")


def new_secret() -> str:
    return secrets.token_urlsafe(32)


# --- writing -----------------------------------------------------------------------------------------
async def create_activity(session: AsyncSession, caller: DutyCaller, tenant: TenantRef, data: ActivityIn) -> Activity:
    require_manage(caller)
    starts_at, ends_at = check_window(data.starts_at, data.ends_at)
    activity = Activity(
        kind=data.kind,
        title=clean_title(data.title),
        place=data.place.strip(),
        description=data.description.strip(),
        organiser=data.organiser.strip() or tenant.name[:100],
        starts_at=starts_at,
        ends_at=ends_at,
        year=to_local(starts_at).year,
        hours=check_hours(data.kind, data.hours),
        group_id=await check_group(session, data.group_id),
        station_id=await check_station(session, data.station_id),
        status="planned",
        sign_in_secret=new_secret(),
        created_by=caller.actor,
    )
    session.add(activity)
    await session.flush()
    return activity


async def update_activity(
    session: AsyncSession, caller: DutyCaller, tenant: TenantRef, activity: Activity, patch: ActivityPatch
) -> Activity:
    """Any field; the year follows the start. Attendance already recorded stays (the ledger re-prices it)."""
    require_manage(caller)
    require_not_cancelled(activity)
    changes: dict[str, Any] = {k: v for k, v in msgspec.structs.asdict(patch).items() if v is not msgspec.UNSET}
    kind = changes.get("kind", activity.kind)
    if "starts_at" in changes or "ends_at" in changes:
        starts_at, ends_at = check_window(
            changes.get("starts_at", activity.starts_at), changes.get("ends_at", activity.ends_at)
        )
        activity.starts_at, activity.ends_at, activity.year = starts_at, ends_at, to_local(starts_at).year
    if "kind" in changes or "hours" in changes:
        hours = changes.get("hours", activity.hours if kind == "training" else None)
        activity.hours = check_hours(kind, hours)
        activity.kind = kind
    if "title" in changes:
        activity.title = clean_title(changes["title"])
    for name in ("place", "description"):
        if name in changes:
            setattr(activity, name, changes[name].strip())
    if "organiser" in changes:
        activity.organiser = changes["organiser"].strip() or tenant.name[:100]
    if "group_id" in changes:
        activity.group_id = await check_group(session, changes["group_id"])
    if "station_id" in changes:
        activity.station_id = await check_station(session, changes["station_id"])
    await session.flush()
    return activity


async def cancel_activity(session: AsyncSession, caller: DutyCaller, activity: Activity) -> Activity:
    """Cancelled: its code closes and its attendance counts nothing; cancelling again changes nothing."""
    require_manage(caller)
    if activity.status != "cancelled":
        activity.status = "cancelled"
        await session.flush()
    return activity


# --- reading -----------------------------------------------------------------------------------------
async def get_activity(session: AsyncSession, activity_id: uuid.UUID, *, for_update: bool = False) -> Activity:
    query = select(Activity).where(Activity.id == activity_id)
    if for_update:
        query = query.with_for_update()
    activity = (await session.execute(query)).scalar_one_or_none()
    if activity is None:
        raise NotFound("履职活动不存在", code="activity_not_found")
    return activity


def phase_of(status: str, starts_at: datetime, ends_at: datetime, now: datetime) -> str:
    if status == "cancelled":
        return "cancelled"
    if status == "finished" or now >= ends_at:
        return "finished"
    return "ongoing" if now >= starts_at else "planned"


def phase_clause(phase: str, now: datetime) -> ColumnElement[bool]:
    planned = Activity.status == "planned"
    return {
        "planned": and_(planned, Activity.starts_at > now),
        "ongoing": and_(planned, Activity.starts_at <= now, Activity.ends_at > now),
        "finished": or_(Activity.status == "finished", and_(planned, Activity.ends_at <= now)),
        "cancelled": Activity.status == "cancelled",
    }[phase]


@dataclass(frozen=True)
class ActivityFilter:
    q: str | None = None
    kind: str | None = None
    year: int | None = None
    phase: str | None = None
    group_id: uuid.UUID | None = None


def check_filter(filters: ActivityFilter) -> ActivityFilter:
    if filters.kind is not None and filters.kind not in ACTIVITY_KINDS:
        raise InvalidInput("活动类型无效", code="invalid_kind", details={"allowed": list(ACTIVITY_KINDS)})
    if filters.phase is not None and filters.phase not in PHASES:
        raise InvalidInput("活动状态无效", code="invalid_status", details={"allowed": list(PHASES)})
    if filters.year is not None and not EARLIEST_YEAR <= filters.year <= LATEST_YEAR:
        raise InvalidInput(f"年度应在 {EARLIEST_YEAR} 到 {LATEST_YEAR} 之间", code="invalid_year")
    if filters.q is not None and len(filters.q) > 100:
        raise InvalidInput("查找内容不能超过 100 个字", code="query_too_long")
    return filters


def _counts() -> Any:
    """Per activity: how many present, on leave, absent."""
    return (
        select(
            Attendance.activity_id,
            func.count().filter(Attendance.status == "present").label("present"),
            func.count().filter(Attendance.status == "leave").label("leave"),
            func.count().filter(Attendance.status == "absent").label("absent"),
        )
        .group_by(Attendance.activity_id)
        .subquery()
    )


def activity_rows() -> Select[Any]:
    """The columns an activity shows, with its group's and station's names and its counts."""
    counts = _counts()
    return (
        select(
            Activity.id,
            Activity.kind,
            Activity.title,
            Activity.place,
            Activity.description,
            Activity.organiser,
            Activity.starts_at,
            Activity.ends_at,
            Activity.year,
            Activity.hours,
            Activity.group_id,
            DeputyGroup.name.label("group_name"),
            Activity.station_id,
            Station.name.label("station_name"),
            Activity.status,
            Activity.created_by,
            func.coalesce(counts.c.present, 0).label("present"),
            func.coalesce(counts.c.leave, 0).label("leave"),
            func.coalesce(counts.c.absent, 0).label("absent"),
        )
        .outerjoin(DeputyGroup, DeputyGroup.id == Activity.group_id)
        .outerjoin(Station, Station.id == Activity.station_id)
        .outerjoin(counts, counts.c.activity_id == Activity.id)
    )


def activity_out(row: Any, now: datetime) -> ActivityOut:
    phase = phase_of(row.status, row.starts_at, row.ends_at, now)
    return ActivityOut(
        id=row.id,
        kind=row.kind,
        kind_label=ACTIVITY_KINDS[row.kind],
        title=row.title,
        place=row.place,
        description=row.description,
        organiser=row.organiser,
        starts_at=row.starts_at,
        ends_at=row.ends_at,
        year=row.year,
        hours=float(row.hours) if row.hours is not None else None,
        group_id=row.group_id,
        group_name=row.group_name,
        station_id=row.station_id,
        station_name=row.station_name,
        phase=phase,
        phase_label=PHASES[phase],
        sign_in_opens_at=row.starts_at - SIGN_IN_EARLY,
        sign_in_closes_at=row.ends_at,
        counts=AttendanceCounts(row.present, row.leave, row.absent),
        created_by=row.created_by,
    )


async def list_activities(
    session: AsyncSession, filters: ActivityFilter, page: int, page_size: int, now: datetime | None = None
) -> ActivityPage:
    """Newest first; `q` searches the name, the place and the organiser."""
    filters, now = check_filter(filters), now or utcnow()
    query = activity_rows()
    if filters.q:
        query = query.where(
            or_(
                Activity.title.icontains(filters.q, autoescape=True),
                Activity.place.icontains(filters.q, autoescape=True),
                Activity.organiser.icontains(filters.q, autoescape=True),
            )
        )
    if filters.kind:
        query = query.where(Activity.kind == filters.kind)
    if filters.year:
        query = query.where(Activity.year == filters.year)
    if filters.phase:
        query = query.where(phase_clause(filters.phase, now))
    if filters.group_id:
        query = query.where(Activity.group_id == filters.group_id)
    found: Page[Any] = await paginate_rows(
        session, query.order_by(Activity.starts_at.desc(), Activity.id), page, page_size
    )
    return ActivityPage([activity_out(r, now) for r in found.items], found.total, found.page, found.page_size)


async def activity_detail(session: AsyncSession, activity: Activity, now: datetime | None = None) -> ActivityOut:
    await session.flush()
    row = (await session.execute(activity_rows().where(Activity.id == activity.id))).one()
    return activity_out(row, now or utcnow())


async def activity_years(session: AsyncSession) -> list[int]:
    """The years that have activities, newest first (the list's year filter)."""
    rows = await session.execute(select(Activity.year).distinct().order_by(Activity.year.desc()))
    return list(rows.scalars())
