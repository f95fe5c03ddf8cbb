"""Duty performance in the rollups: participation in activities, the average points per deputy, the
distribution of the year's grades, and evidence awaiting verification. Every stored figure is a count
or a sum; the rate and the average are ratio metrics, divided at every level when shown.

- participation: attendances recorded at activities (not cancelled) starting in the period, and of
  them the present ones (a flow; by kind of activity). Rate = present ÷ recorded.
- points: the capped points (as `totals.points_of` counts them) of the period's year, of events up
  to the period's last day or today, summed over the office's deputies (rounded to whole points),
  and the number of those deputies (a mandate during the year up to that day). Average = the sum ÷
  the deputies: a year-to-date figure, so a month shows the average as it stood at its end.
- grades: the ratings of the period's year the committee decided (or published), by grade.
- evidence awaiting verification: submitted by the period's last day (or today) and not yet verified
  or rejected then (a stock, by kind of evidence).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import and_, extract, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from renda.core.timezone import LOCAL_TZ
from renda.modules.deputies.models import Person
from renda.modules.duty.models import ACTIVITY_KINDS, EVIDENCE_KINDS, GRADES, Activity, Attendance, Evidence, Rating
from renda.modules.duty.ranking import capped_points, held_a_mandate
from renda.modules.rollups.service import Dimension, Figure, Period, RatioMetric, TenantMetric, register_metric

ACTIVITY = Dimension("activity_kind", "活动类型", dict(ACTIVITY_KINDS))
GRADE = Dimension("grade", "评定等次", dict(GRADES))
EVIDENCE_KIND = Dimension("evidence_kind", "佐证类型", dict(EVIDENCE_KINDS))
DECIDED_STEPS = ("committee", "published")
ATTENDANCE_CACHE, POINTS_CACHE = "duty_attendance_counts", "duty_points_sums"


def _start(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=LOCAL_TZ)


# --- participation ---------------------------------------------------------------------------------
async def _attendance_year(session: AsyncSession, year: int) -> dict[tuple[int, str], tuple[int, int]]:
    """(local month, activity kind) → (recorded, present) of the year, once per office session."""
    cache: dict[int, Any] = session.info.setdefault(ATTENDANCE_CACHE, {})
    if year not in cache:
        month = extract("month", func.timezone(str(LOCAL_TZ), Activity.starts_at)).label("month")
        query = (
            select(month, Activity.kind, func.count(), func.count().filter(Attendance.status == "present"))
            .join(Activity, Activity.id == Attendance.activity_id)
            .where(
                Activity.status != "cancelled",
                Activity.starts_at >= _start(date(year, 1, 1)),
                Activity.starts_at < _start(date(year + 1, 1, 1)),
            )
            .group_by(month, Activity.kind)
        )
        cache[year] = {(int(m), kind): (int(n), int(p)) for m, kind, n, p in (await session.execute(query)).all()}
    return cache[year]


def _attendance(present: bool):  # type: ignore[no-untyped-def]
    async def compute(session: AsyncSession, period: Period, today: date) -> list[Figure]:
        rows = await _attendance_year(session, period.start.year)
        months = range(period.start.month, period.end.month + 1)
        by_kind: dict[str, int] = defaultdict(int)
        for (month, kind), counts in rows.items():
            if month in months:
                by_kind[kind] += counts[1] if present else counts[0]
        return [Figure(sum(by_kind.values())), *(Figure(n, ACTIVITY.key, k) for k, n in by_kind.items() if n)]

    return compute


# --- points --------------------------------------------------------------------------------------------
async def _points(session: AsyncSession, period: Period, today: date) -> tuple[int, int]:
    """(deputies, their points summed and rounded) of the period's year up to its last day or today."""
    as_of = period.as_of(today)
    cache: dict[date, tuple[int, int]] = session.info.setdefault(POINTS_CACHE, {})
    if as_of not in cache:
        capped = capped_points(as_of.year, as_of)
        deputies = select(Person.id).where(held_a_mandate()).cte("deputies")
        query = select(func.count(), func.coalesce(func.sum(capped.c.base + capped.c.bonus), 0)).select_from(
            deputies.outerjoin(capped, capped.c.person_id == deputies.c.id)
        )
        count, total = (await session.execute(query, {"first_day": date(as_of.year, 1, 1), "last_day": as_of})).one()
        cache[as_of] = (int(count), int(Decimal(total).quantize(Decimal(1), ROUND_HALF_UP)))
    return cache[as_of]


async def points_sum(session: AsyncSession, period: Period, today: date) -> list[Figure]:
    return [Figure((await _points(session, period, today))[1])]


async def points_deputies(session: AsyncSession, period: Period, today: date) -> list[Figure]:
    return [Figure((await _points(session, period, today))[0])]


# --- grades ----------------------------------------------------------------------------------------------
async def graded(session: AsyncSession, period: Period, today: date) -> list[Figure]:
    query = (
        select(Rating.grade, func.count())
        .where(Rating.year == period.start.year, Rating.grade.is_not(None), Rating.step.in_(DECIDED_STEPS))
        .group_by(Rating.grade)
    )
    rows = {grade: int(n) for grade, n in (await session.execute(query)).all()}
    return [Figure(sum(rows.values())), *(Figure(n, GRADE.key, g) for g, n in rows.items() if n)]


# --- evidence ------------------------------------------------------------------------------------------
async def evidence_pending(session: AsyncSession, period: Period, today: date) -> list[Figure]:
    end = _start(period.as_of(today) + timedelta(days=1))
    query = (
        select(Evidence.kind, func.count())
        .where(
            Evidence.submitted_at < end,
            or_(Evidence.status == "pending", and_(Evidence.reviewed_at.is_not(None), Evidence.reviewed_at >= end)),
        )
        .group_by(Evidence.kind)
    )
    rows = {kind: int(n) for kind, n in (await session.execute(query)).all()}
    return [Figure(sum(rows.values())), *(Figure(n, EVIDENCE_KIND.key, k) for k, n in rows.items() if n)]


ATTENDANCE_WATCHES = ("duty_attendances", "duty_activities")
register_metric(
    TenantMetric(
        key="duty.attendance_recorded",
        label="履职活动出勤登记人次",
        unit="人次",
        description="期间内开始的履职活动(不含已取消)登记的出席、请假、缺席人次",
        dimensions=(ACTIVITY,),
        order=500,
        compute=_attendance(present=False),
        watches=ATTENDANCE_WATCHES,
    )
)
register_metric(
    TenantMetric(
        key="duty.attendance_present",
        label="履职活动出席人次",
        unit="人次",
        description="期间内开始的履职活动(不含已取消)中登记为出席的人次",
        dimensions=(ACTIVITY,),
        order=501,
        compute=_attendance(present=True),
        watches=ATTENDANCE_WATCHES,
    )
)
register_metric(
    RatioMetric(
        key="duty.participation_rate",
        label="代表履职活动参与率",
        numerator="duty.attendance_present",
        denominator="duty.attendance_recorded",
        description="出席人次 ÷ 登记的全部出勤人次(出席、请假、缺席)",
        order=502,
    )
)
register_metric(
    TenantMetric(
        key="duty.points_total",
        label="代表履职积分合计",
        unit="分",
        description="本年度截至期末(或今天)各代表按上限计算的履职积分之和(四舍五入到整分)",
        order=503,
        stock=True,
        compute=points_sum,
        watches=("duty_point_entries",),
    )
)
register_metric(
    TenantMetric(
        key="duty.points_deputies",
        label="参与积分的代表人数",
        unit="人",
        description="本年度截至期末(或今天)在任过的本机关代表人数",
        order=504,
        stock=True,
        compute=points_deputies,
        watches=("duty_point_entries",),
    )
)
register_metric(
    RatioMetric(
        key="duty.average_points",
        label="代表平均履职积分",
        numerator="duty.points_total",
        denominator="duty.points_deputies",
        unit="分",
        scale=1,
        description="履职积分合计 ÷ 参与积分的代表人数(本年度累计)",
        order=505,
    )
)
register_metric(
    TenantMetric(
        key="duty.graded",
        label="年度履职评定人数",
        unit="人",
        description="该年度经常委会评定(含已公示)的代表人数,按等次分",
        dimensions=(GRADE,),
        order=506,
        stock=True,
        compute=graded,
        watches=("duty_ratings",),
    )
)
register_metric(
    TenantMetric(
        key="duty.evidence_pending",
        label="待核实履职佐证",
        unit="件",
        description="截至期末(或今天)已提交、尚未核实或退回的履职佐证件数",
        dimensions=(EVIDENCE_KIND,),
        order=507,
        stock=True,
        compute=evidence_pending,
        watches=("duty_evidence",),
    )
)
