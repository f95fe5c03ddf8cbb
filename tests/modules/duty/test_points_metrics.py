"""Duty performance in the rollups: participation rate, average points per deputy, the grades decided
and evidence awaiting verification, as the engine computes them for an office and its periods."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from renda.core.db import get_database
from renda.core.timezone import local_today
from renda.modules.duty.models import Rating
from renda.modules.rollups.periods import containing
from renda.modules.rollups.registry import RatioMetric, metrics
from renda.modules.rollups.service import own_figures
from renda.tenants.scoping import load_tenant, tenant_session
from tests.modules.duty.support import ACTOR
from tests.modules.duty.support_points import activity, attend, evidence, moment, own_office, points_office, reconcile

pytestmark = pytest.mark.date_sensitive


def figure(found, code: str, metric: str, period: str, dimension: str = "", member: str = "") -> int:
    return next((f.value for f in found[code, metric, period] if f.dimension == dimension and f.member == member), 0)


async def test_the_duty_metrics_of_an_office(database, offices) -> None:
    code = await own_office(database, offices, "metrics")
    office = await points_office(database, code, "宜都", deputies=3)
    a, b, c = office.persons
    year = local_today().year - 1  # a whole past year: its periods are closed
    march = date(year, 3, 5)
    session = await activity(code, "session", on=march)
    for person, status in ((a, "present"), (b, "leave"), (c, "absent")):
        await attend(code, session, person, status)
    await attend(code, await activity(code, "inspection", on=march), a)
    await attend(code, await activity(code, "research", on=march, status="cancelled"), b)  # not counted
    await attend(code, await activity(code, "inspection", on=date(year, 5, 2)), b)
    await reconcile(code, year)  # a: 20 + 5, b: 5 (May), c: 0 (absence)
    async with tenant_session(await load_tenant(code), actor=ACTOR) as db:
        db.add_all(
            [
                Rating(year=year, person_id=a, step="published", grade="excellent"),
                Rating(year=year, person_id=b, step="committee", grade="basic"),
                Rating(year=year, person_id=c, step="group", group_grade="good"),  # not decided yet
            ]
        )
        await db.commit()
    # Reviewed after March: waiting at March's end. Still waiting. Submitted in April. Reviewed in March.
    await evidence(code, a, "people", on=march, reviewed_at=moment(date(year, 4, 3)))
    await evidence(code, b, "training", on=march, status="pending")
    await evidence(code, c, "research", on=date(year, 4, 10), status="pending")
    await evidence(code, c, "other", on=march, reviewed_at=moment(march + timedelta(days=3)))

    periods = [containing("year", march), containing("month", march)]
    async with get_database().platform_session() as session:
        found = await own_figures(session, [await load_tenant(code)], periods, local_today())

    y, m = (p.key for p in periods)
    recorded, present = "duty.attendance_recorded", "duty.attendance_present"
    assert (figure(found, code, recorded, m), figure(found, code, present, m)) == (4, 2)
    assert figure(found, code, "duty.attendance_recorded", y, "activity_kind", "inspection") == 2
    assert figure(found, code, "duty.attendance_present", y) == 3
    rate = metrics()["duty.participation_rate"]
    assert isinstance(rate, RatioMetric) and rate.of(3, 5) == 60.0
    # Points up to the period's end: March counts a's 25; the year a's 25 and b's 5; three deputies.
    assert (figure(found, code, "duty.points_total", m), figure(found, code, "duty.points_deputies", m)) == (25, 3)
    assert (figure(found, code, "duty.points_total", y), figure(found, code, "duty.points_deputies", y)) == (30, 3)
    assert metrics()["duty.average_points"].of(30, 3) == 10.0  # type: ignore[attr-defined]
    assert figure(found, code, "duty.graded", y) == 2
    assert figure(found, code, "duty.graded", y, "grade", "excellent") == 1
    assert figure(found, code, "duty.graded", y, "grade", "good") == 0
    assert figure(found, code, "duty.evidence_pending", m) == 2  # a's (reviewed in April) and b's
    assert figure(found, code, "duty.evidence_pending", m, "evidence_kind", "training") == 1
    assert figure(found, code, "duty.evidence_pending", y) == 2  # at the year's end: b's and c's
