"""Duty performance in the rollups: participation in activities, the average points per deputy, the
distribution of the year's grades, and evidence awaiting verification. Every stored figure is a count
or a sum; the rate and the average are ratio metrics, divided at every level when shown. Each is the
rows it counts over every period (see `rollups.counting`): one statement per office for all of them.

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

from typing import Any

from sqlalchemy import Integer, Select, and_, case, cast, exists, extract, func, or_, select, true

from renda.modules.deputies.models import Mandate, Person
from renda.modules.duty.models import (
    ACTIVITY_KINDS,
    EVIDENCE_KINDS,
    GRADES,
    Activity,
    Attendance,
    Evidence,
    PointCategory,
    PointEntry,
    PointRule,
    Rating,
)
from renda.modules.duty.ranking import DEFAULT_CATEGORY_CAPS, DEFAULT_RULE_CAPS
from renda.modules.rollups.service import (
    Dimension,
    Office,
    Periods,
    RatioMetric,
    TenantMetric,
    register_metric,
)

ACTIVITY = Dimension("activity_kind", "活动类型", dict(ACTIVITY_KINDS))
GRADE = Dimension("grade", "评定等次", dict(GRADES))
EVIDENCE_KIND = Dimension("evidence_kind", "佐证类型", dict(EVIDENCE_KINDS))
DECIDED_STEPS = ("committee", "published")


# --- participation ---------------------------------------------------------------------------------
def attendances(periods: Periods, office: Office) -> Select[Any]:
    """Attendance recorded at activities (not cancelled) starting in each period, by kind of activity:
    `attendance_recorded` counts them, `attendance_present` the present ones."""
    return (
        select(
            periods.period,
            Activity.kind.label(ACTIVITY.key),
            case((Attendance.status == "present", 1), else_=0).label("present"),
        )
        .select_from(periods.table)
        .join(Activity, periods.during(Activity.starts_at))
        .join(Attendance, Attendance.activity_id == Activity.id)
        .where(Activity.status != "cancelled")
    )


# --- points --------------------------------------------------------------------------------------------
def _year_of(periods: Periods) -> Any:
    return cast(extract("year", periods.day), Integer)


def _served(periods: Periods, person_id: Any) -> Any:
    """The person held a mandate of the register between 1 January of the period's year and its day."""
    return exists().where(
        Mandate.person_id == person_id,
        Mandate.starts_on <= periods.day,
        or_(Mandate.ended_on.is_(None), cast(extract("year", Mandate.ended_on), Integer) >= _year_of(periods)),
    )


def _caps(periods: Periods, per_kind: Any) -> tuple[Any, Any]:
    """Per year of the periods: the live rules' caps and the categories' (the defaults for a year
    without rows), as `totals.year_caps` reads them."""
    years = select(per_kind.c.year).distinct().subquery("duty_years")
    live = select(PointRule.year, PointRule.event_kind, PointRule.cap).where(PointRule.superseded_at.is_(None))
    no_rules = ~exists().where(PointRule.year == years.c.year, PointRule.superseded_at.is_(None))
    rule_defaults = (
        select(years.c.year, DEFAULT_RULE_CAPS.c.event_kind, DEFAULT_RULE_CAPS.c.cap)
        .select_from(years.join(DEFAULT_RULE_CAPS, true()))
        .where(no_rules)
    )
    saved = select(PointCategory.year, PointCategory.code, PointCategory.cap, PointCategory.is_bonus)
    no_categories = ~exists().where(PointCategory.year == years.c.year)
    category_defaults = (
        select(
            years.c.year, DEFAULT_CATEGORY_CAPS.c.code, DEFAULT_CATEGORY_CAPS.c.cap, DEFAULT_CATEGORY_CAPS.c.is_bonus
        )
        .select_from(years.join(DEFAULT_CATEGORY_CAPS, true()))
        .where(no_categories)
    )
    return live.union_all(rule_defaults).cte("duty_rule_caps"), saved.union_all(category_defaults).cte(
        "duty_category_caps"
    )


def points(periods: Periods, office: Office) -> Select[Any]:
    """Per period, the office's deputies' capped points of the period's year, of events up to its day:
    one row per deputy and category, its counted points the `points` value (summed, then rounded)."""
    per_kind = (
        select(
            periods.period,
            PointEntry.year,
            PointEntry.person_id,
            PointEntry.category,
            PointEntry.event_kind,
            func.sum(PointEntry.points).label("earned"),
        )
        .select_from(periods.table)
        .join(PointEntry, and_(PointEntry.year == _year_of(periods), PointEntry.occurred_on <= periods.day))
        .where(_served(periods, PointEntry.person_id))
        .group_by(periods.period, PointEntry.year, PointEntry.person_id, PointEntry.category, PointEntry.event_kind)
        .cte("duty_per_kind")
    )
    rule_caps, category_caps = _caps(periods, per_kind)
    k = per_kind.c
    per_category = (
        select(
            k.period,
            k.year,
            k.person_id,
            k.category,
            func.sum(func.least(k.earned, func.coalesce(rule_caps.c.cap, k.earned))).label("within"),
        )
        .select_from(
            per_kind.outerjoin(rule_caps, and_(rule_caps.c.year == k.year, rule_caps.c.event_kind == k.event_kind))
        )
        .group_by(k.period, k.year, k.person_id, k.category)
        .cte("duty_per_category")
    )
    c = per_category.c
    counted = func.greatest(func.least(c.within, func.coalesce(category_caps.c.cap, c.within)), 0)
    return select(c.period, counted.label("points")).select_from(
        per_category.outerjoin(category_caps, and_(category_caps.c.year == c.year, category_caps.c.code == c.category))
    )


def deputies(periods: Periods, office: Office) -> Select[Any]:
    """Per period, the deputies of the office's register that served in its year up to its day."""
    return select(periods.period, Person.id).select_from(periods.table).join(Person, _served(periods, Person.id))


# --- grades ----------------------------------------------------------------------------------------------
def ratings_decided(periods: Periods, office: Office) -> Select[Any]:
    """The ratings of each period's year the committee decided (or published), by grade."""
    return (
        select(periods.period, Rating.grade.label(GRADE.key))
        .select_from(periods.table)
        .join(Rating, Rating.year == extract("year", periods.start))
        .where(Rating.grade.is_not(None), Rating.step.in_(DECIDED_STEPS))
    )


# --- evidence ------------------------------------------------------------------------------------------
def evidence_waiting(periods: Periods, office: Office) -> Select[Any]:
    """Evidence submitted by the period's last day (or today) and not verified or rejected by then."""
    waiting = or_(
        Evidence.status == "pending",
        and_(Evidence.reviewed_at.is_not(None), Evidence.reviewed_at >= periods.day_ends_at),
    )
    return (
        select(periods.period, Evidence.kind.label(EVIDENCE_KIND.key))
        .select_from(periods.table)
        .join(Evidence, and_(Evidence.submitted_at < periods.day_ends_at, waiting))
    )


ATTENDANCE_WATCHES = ("duty_attendances", "duty_activities")
register_metric(
    TenantMetric(
        key="duty.attendance_recorded",
        label="履职活动出勤登记人次",
        unit="人次",
        description="期间内开始的履职活动(不含已取消)登记的出席、请假、缺席人次",
        dimensions=(ACTIVITY,),
        order=500,
        rows=attendances,
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
        rows=attendances,
        value="present",
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
        rows=points,
        value="points",
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
        rows=deputies,
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
        rows=ratings_decided,
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
        rows=evidence_waiting,
        watches=("duty_evidence",),
    )
)
