"""The rates (办结率、按时办复率、满意率、解决率, A/B/C/D shares) on a small set computed by hand, by unit,
category, year and term; who may read them; their rollup as ratio metrics (a city divides its summed
numerator by its summed denominator, not an average of its counties' percentages)."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import select

from renda.core.timezone import local_today
from renda.modules.rollups.models import RollupFigure
from renda.modules.rollups.periods import containing
from renda.modules.rollups.registry import RatioMetric
from renda.modules.rollups.registry import metrics as registered_metrics
from renda.modules.rollups.service import own_figures, recompute_all
from renda.modules.suggestions.rates import RateFilter, rate_report
from renda.tenants.scoping import load_tenant, tenant_session
from tests.conftest import make_caller
from tests.modules.suggestions.support import ACTOR, make_many, office, unique

# Nine assigned suggestions (and two that never count), each rate computed by hand below.
# unit 1, transport, 2026: 1 under way; 2 replied A on time; 3 closed A on time 满意; 4 closed B late 基本满意,
#   resolved at follow-up; 5 closed C on time 不满意; 6 closed D late, not rated.
# unit 2, education, 2025: 7 closed B on time 满意 (follow-up open); 8 replied A on time; 9 in its second round.


def hand_set(place) -> list[dict]:
    u1 = dict(lead_unit_id=place.unit_id, category="transport", year=2026)
    u2 = dict(lead_unit_id=place.other_unit_id, category="education", year=2025)
    return [
        dict(status="assigned", **u1),
        dict(status="replied", reply_class="A", replied_on_time=True, **u1),
        dict(status="closed", reply_class="A", replied_on_time=True, rating="satisfied", **u1),
        dict(status="closed", reply_class="B", replied_on_time=False, rating="basic", follow_up="resolved", **u1),
        dict(status="closed", reply_class="C", replied_on_time=True, rating="dissatisfied", follow_up="open", **u1),
        dict(status="closed", reply_class="D", replied_on_time=False, **u1),
        dict(status="closed", reply_class="B", replied_on_time=True, rating="satisfied", follow_up="open", **u2),
        dict(status="replied", reply_class="A", replied_on_time=True, **u2),
        dict(status="assigned", round=2, **u2),
        dict(status="submitted", category="transport"),
        dict(status="withdrawn", category="transport"),
    ]


TOTAL = dict(
    assigned=9, answered=7, on_time=5, rated=4, satisfied=3, resolved=4, class_a=3, class_b=2, class_c=1, class_d=1
)
TOTAL_RATES = dict(
    closure_rate=77.8,  # 7 / 9
    on_time_rate=71.4,  # 5 / 7
    satisfaction_rate=75.0,  # 3 / 4
    resolution_rate=57.1,  # (3 A + 1 B resolved) / 7
    class_a_share=42.9,  # 3 / 7
    class_b_share=28.6,  # 2 / 7
    class_c_share=14.3,  # 1 / 7
    class_d_share=14.3,
)
UNIT_1 = dict(assigned=6, answered=5, on_time=3, rated=3, satisfied=2, resolved=3, class_a=2, class_b=1, class_c=1)
UNIT_1_RATES = dict(closure_rate=83.3, on_time_rate=60.0, satisfaction_rate=66.7, resolution_rate=60.0)
UNIT_2 = dict(assigned=3, answered=2, on_time=2, rated=1, satisfied=1, resolved=1, class_a=1, class_b=1, class_c=0)
UNIT_2_RATES = dict(closure_rate=66.7, on_time_rate=100.0, satisfaction_rate=100.0, resolution_rate=50.0)


def _has(found: dict, expected: dict) -> None:
    assert {k: found[k] for k in expected} == expected


async def test_every_rate_comes_out_as_computed_by_hand(database, offices) -> None:
    place = await office(database, offices["a"], "竹山")
    await make_many(place, hand_set(place))
    async with tenant_session(await load_tenant(place.code), actor=ACTOR) as session:
        by_unit = await rate_report(session, "unit", RateFilter(term_id=place.term_id))
        by_year = await rate_report(session, "year", RateFilter(term_id=place.term_id))
        by_category = await rate_report(session, "category", RateFilter(term_id=place.term_id))
        by_term = await rate_report(session, "term", RateFilter(term_id=place.term_id))
        only_2025 = await rate_report(session, "unit", RateFilter(term_id=place.term_id, year=2025))
        only_unit_1 = await rate_report(session, "category", RateFilter(term_id=place.term_id, unit_id=place.unit_id))

    total = by_unit.total
    _has(total.__dict__, TOTAL)
    assert total.rates() == TOTAL_RATES
    groups = {g.key: g for g in by_unit.groups}
    _has(groups[str(place.unit_id)].counts.__dict__, UNIT_1)
    _has(groups[str(place.unit_id)].counts.rates(), UNIT_1_RATES)
    _has(groups[str(place.other_unit_id)].counts.__dict__, UNIT_2)
    _has(groups[str(place.other_unit_id)].counts.rates(), UNIT_2_RATES)
    assert [(g.label, g.counts.assigned) for g in by_year.groups] == [("2026年", 6), ("2025年", 3)]
    assert [(g.label, g.counts.assigned) for g in by_category.groups] == [("交通运输", 6), ("教育科技", 3)]
    [term] = by_term.groups
    assert term.key == str(place.term_id) and term.counts == total and "届" in term.label
    assert only_2025.total == groups[str(place.other_unit_id)].counts
    assert only_unit_1.total == groups[str(place.unit_id)].counts


async def test_the_rates_route_and_who_reads_it(client, database, offices) -> None:
    place = await office(database, offices["a"], "竹山")
    await make_many(place, hand_set(place))
    url = f"/api/v1/t/{place.code}/suggestions/rates"
    params = {"by": "unit", "term_id": str(place.term_id)}
    city = await make_caller(database, unique("十堰市只读用户"), {offices["city"]: ["viewer"]})
    for caller in (place.staff, place.viewer, place.committee, city):
        response = await client.get(url, params=params, headers=caller.headers)
        assert response.status_code == 200, response.text
        body = response.json()
        _has(body["total"], {**TOTAL, **TOTAL_RATES})
        assert {g["key"] for g in body["groups"]} == {str(place.unit_id), str(place.other_unit_id)}
    for caller in (place.deputy, place.unit_user):
        response = await client.get(url, params=params, headers=caller.headers)
        assert response.status_code == 403
    for bad in ({"by": "deputy"}, {"year": "去年"}, {"category": "weather"}, {"unit_id": "x"}):
        response = await client.get(url, params=bad, headers=place.staff.headers)
        assert response.status_code == 400 and response.json()["code"] == "invalid_filter", bad
    empty = await client.get(url, params={"year": "1999"}, headers=place.staff.headers)
    assert empty.json()["total"]["assigned"] == 0 and empty.json()["total"]["closure_rate"] is None


# --- the rollups -----------------------------------------------------------------------------------
MAY_2019 = containing("month", date(2019, 5, 1))  # a month only this test assigns suggestions in


def _assigned_in_may(place, rows: list[dict]) -> list[dict]:
    return [{"assigned_at": datetime(2019, 5, 10, 2, tzinfo=UTC), "year": 2019, **row} for row in rows]


async def test_a_city_divides_its_summed_counts(database, offices) -> None:
    a = await office(database, offices["a"], "竹山")
    b = await office(database, offices["b"], "竹溪")
    # 竹山: 4 assigned, 3 answered, all rated satisfied → 75 %, 100 %; 竹溪: 10 assigned, 5 answered,
    # 5 rated, 2 satisfied → 50 %, 40 %. The city: 8 / 14 = 57.1 % and 5 / 8 = 62.5 %, not the means of
    # the counties' percentages (62.5 % and 70 %).
    done = dict(status="closed", reply_class="A", replied_on_time=True, rating="satisfied")
    await make_many(a, _assigned_in_may(a, [done] * 3 + [dict(status="assigned")]))
    await make_many(
        b,
        _assigned_in_may(
            b,
            [done] * 2
            + [dict(status="closed", reply_class="C", replied_on_time=False, rating="dissatisfied")] * 3
            + [dict(status="assigned")] * 5,
        ),
    )
    async with database.platform_session() as session:
        computed = await own_figures(session, [await load_tenant(a.code)], [MAY_2019], local_today())
    own = {f.dimension: f for f in computed[a.code, "suggestions.assigned", MAY_2019.key]}
    assert own[""].value == 4 and own["category"].member == "交通运输"

    await recompute_all([MAY_2019], local_today())
    async with database.platform_session() as session:
        rows = (
            await session.execute(
                select(RollupFigure.office_code, RollupFigure.metric, RollupFigure.value).where(
                    RollupFigure.period == MAY_2019.key,
                    RollupFigure.scope == "total",
                    RollupFigure.dimension == "",
                    RollupFigure.metric.like("suggestions.%"),
                )
            )
        ).all()
        shares = (
            await session.execute(
                select(RollupFigure.member, RollupFigure.value).where(
                    RollupFigure.period == MAY_2019.key,
                    RollupFigure.scope == "total",
                    RollupFigure.office_code == offices["city"],
                    RollupFigure.metric == "suggestions.answered",
                    RollupFigure.dimension == "class",
                )
            )
        ).all()
    totals = {(code, metric): value for code, metric, value in rows}

    def of(code: str, name: str) -> int:
        return totals[code, f"suggestions.{name}"]

    assert [of(offices["a"], n) for n in ("assigned", "answered", "on_time", "rated", "satisfied")] == [4, 3, 3, 3, 3]
    assert [of(offices["b"], n) for n in ("assigned", "answered", "on_time", "rated", "satisfied")] == [10, 5, 2, 5, 2]
    for name in ("assigned", "answered", "on_time", "rated", "satisfied", "resolved"):
        assert of(offices["city"], name) == of(offices["a"], name) + of(offices["b"], name), name
    assert dict(shares) == {"A类": 5, "C类": 3}

    found = registered_metrics()
    closure, satisfaction = found["suggestions.closure_rate"], found["suggestions.satisfaction_rate"]
    assert isinstance(closure, RatioMetric) and isinstance(satisfaction, RatioMetric)
    city = offices["city"]
    assert closure.of(of(city, "answered"), of(city, "assigned")) == 57.1
    assert satisfaction.of(of(city, "satisfied"), of(city, "rated")) == 62.5
    assert closure.of(of(offices["a"], "answered"), of(offices["a"], "assigned")) == 75.0
    assert found["suggestions.on_time_rate"].numerator == "suggestions.on_time"
    assert found["suggestions.resolution_rate"].denominator == "suggestions.answered"
