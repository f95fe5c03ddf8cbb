"""The receptions' metrics in the rollups: receptions held, people received, receptions on a day that
is not a reception day, and reception days rostered — all flows counted by the day they fall on, so
they add up over offices and periods. People per reception is derived (never stored). Each metric is
the rows it counts over every period (see `rollups.counting`)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, case, literal, select

from renda.modules.receptions.models import Reception, RosterEntry
from renda.modules.receptions.schemas import CATEGORIES
from renda.modules.rollups.service import Dimension, Office, Periods, RatioMetric, TenantMetric, register_metric

CATEGORY = Dimension("category", "问题类别", dict(CATEGORIES))
WATCHES = ("receptions", "roster_entries")


def receptions(periods: Periods, office: Office) -> Select[Any]:
    """The receptions held in each period, by category: `held` counts them, `people` sums their
    visitors, `off_schedule` counts those on a day that is not a reception day."""
    return select(
        periods.period,
        Reception.category.label("category"),
        Reception.visitor_count.label("people"),
        case((Reception.off_schedule.is_(True), 1), else_=0).label("off_schedule"),
    ).join_from(periods.table, Reception, periods.during(Reception.held_on))


def days_rostered(periods: Periods, office: Office) -> Select[Any]:
    """Station reception days with at least one deputy on the roster: one row per station and day."""
    return (
        select(periods.period, RosterEntry.station_id, RosterEntry.day, literal(1).label("value"))
        .join_from(periods.table, RosterEntry, periods.during(RosterEntry.day))
        .distinct()
    )


register_metric(
    TenantMetric(
        key="receptions.held",
        label="接待选民次数",
        unit="次",
        description="在家站室登记的接待记录数(含非接待日)",
        dimensions=(CATEGORY,),
        order=400,
        rows=receptions,
        watches=WATCHES,
    )
)
register_metric(
    TenantMetric(
        key="receptions.people",
        label="接待群众人次",
        unit="人次",
        description="接待记录中来访群众人数之和",
        dimensions=(CATEGORY,),
        order=401,
        rows=receptions,
        value="people",
        watches=WATCHES,
    )
)
register_metric(
    TenantMetric(
        key="receptions.off_schedule",
        label="非接待日接待次数",
        unit="次",
        description="在非固定接待日登记的接待记录数",
        order=402,
        rows=receptions,
        value="off_schedule",
        watches=WATCHES,
    )
)
register_metric(
    TenantMetric(
        key="receptions.days_rostered",
        label="已排班接待日",
        unit="天",
        description="各家站室已安排轮值代表的接待日数(站点×日)",
        order=403,
        rows=days_rostered,
        watches=WATCHES,
    )
)
register_metric(
    RatioMetric(
        key="receptions.people_per_reception",
        label="每次接待群众人数",
        numerator="receptions.people",
        denominator="receptions.held",
        unit="人",
        scale=1,
        order=404,
    )
)
