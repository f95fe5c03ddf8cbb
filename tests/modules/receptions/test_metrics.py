"""The receptions' rollup metrics: receptions held and people received (by category), receptions on a day
that is not a reception day, and reception days rostered — counted per period in one office."""

from __future__ import annotations

from datetime import date

from renda.core.timezone import local_today
from renda.modules.rollups.periods import containing
from renda.modules.rollups.registry import Figure, RatioMetric, TenantMetric
from renda.modules.rollups.registry import metrics as registered
from renda.tenants.scoping import load_tenant, tenant_session
from tests.conftest import make_caller
from tests.modules.receptions.support import A_TOWNSHIP_2, add_deputies, add_station, api, unique
from tests.modules.rollups import legacy_metrics as metrics  # the per-period functions the counting replaced

NEXT_YEAR = local_today().year + 1  # a month still to come whenever the test runs
OFFICE = A_TOWNSHIP_2  # a township office of its own: no other test writes receptions there


def test_the_metrics_are_registered() -> None:
    found = registered()
    for key in ("receptions.held", "receptions.people", "receptions.off_schedule", "receptions.days_rostered"):
        assert isinstance(found[key], TenantMetric) and set(found[key].watches) == {"receptions", "roster_entries"}
    ratio = found["receptions.people_per_reception"]
    assert isinstance(ratio, RatioMetric) and ratio.of(7, 4) == 1.8 and ratio.of(3, 0) is None


async def test_metrics_count_the_period(client, database, offices) -> None:
    staff = await make_caller(database, unique("西阳镇人大干事"), {OFFICE: ["staff"]})
    [first, second] = await add_deputies(OFFICE, unique("西阳镇代表甲"), unique("西阳镇代表乙"), level="township")
    station = await add_station(OFFICE, unique("三原县西阳镇代表工作室"), kind="workroom", persons=[first, second])
    rule = {"kind": "month_days", "days": [10, 20, 30], "valid_from": "2026-01-01"}
    assert (
        await client.post(f"{api(OFFICE)}/stations/{station}/rules", json=rule, headers=staff.headers)
    ).status_code == 201
    for held_on, category, count in (
        ("2026-10-30", "education", 1),
        ("2026-11-10", "education", 2),
        ("2026-11-10", "health", 1),
        ("2026-11-12", "health", 4),
    ):
        body = {"station_id": str(station), "held_on": held_on, "visitor_name": "群众", "issue": "问题",
                "category": category, "visitor_count": count, "deputies": [{"person_id": str(first)}]}  # fmt: skip
        assert (await client.post(f"{api(OFFICE)}/records", json=body, headers=staff.headers)).status_code == 201
    generated = await client.post(
        f"{api(OFFICE)}/roster/generate",
        json={"station_id": str(station), "year": NEXT_YEAR, "month": 12},
        headers=staff.headers,
    )
    assert generated.status_code == 201, generated.text

    november, quarter = containing("month", date(2026, 11, 1)), containing("quarter", date(2026, 11, 1))
    december = containing("month", date(NEXT_YEAR, 12, 1))
    today = date(2026, 11, 23)
    async with tenant_session(await load_tenant(OFFICE), actor="system:test", read_only=True) as session:
        held = await metrics.receptions_held(session, november, today)
        people = await metrics.people_received(session, november, today)
        off = await metrics.off_schedule(session, november, today)
        quarter_held = await metrics.receptions_held(session, quarter, today)
        rostered = await metrics.days_rostered(session, december, today)
    assert set(held) == {Figure(3), Figure(1, "category", "education"), Figure(2, "category", "health")}
    assert set(people) == {Figure(7), Figure(2, "category", "education"), Figure(5, "category", "health")}
    assert off == [Figure(1)]
    assert Figure(4) in quarter_held
    assert rostered == [Figure(2)]  # two deputies over Dec 10/20/30: two station days rostered
