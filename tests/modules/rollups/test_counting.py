"""The office's figures from one statement over every period equal those of the former computation,
one function per metric and period (`legacy_metrics`), on random data in a city, a county and a
township: every tenant metric, every dimension, running and past periods, read on several days.

The data lean on the edges: instants a second either side of local midnight, periods' first and last
days, mandates and committee members starting or ending on a stock's day, terms that overlap,
sectors padded with ASCII and full-width spaces, empty township codes, unknown categories."""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, time, timedelta

import pytest

from renda.core.timezone import LOCAL_TZ
from renda.modules.contacts.models import (
    ATTENDANCE_STATUSES,
    MODES,
    AttendanceMeeting,
    ContactAssignment,
    ContactRecord,
    MeetingInvitation,
    SectorLink,
    TownshipAssignment,
)
from renda.modules.deputies.models import Congress, Mandate, Person, Term
from renda.modules.opinions.common import CATEGORIES as OPINION_CATEGORIES
from renda.modules.opinions.models import RATINGS, SOURCES, Opinion
from renda.modules.organisation.models import Body, CommitteeMember, DeputyGroup, GroupMembership, Station
from renda.modules.receptions.models import Reception, RosterEntry
from renda.modules.rollups import service
from renda.modules.rollups.periods import current, recent
from renda.modules.rollups.registry import TenantMetric, metrics, register_metric, unregister_metric
from renda.modules.suggestions.common import CATEGORIES as SUGGESTION_CATEGORIES
from renda.modules.suggestions.models import Suggestion
from renda.modules.units.models import HandlingUnit
from renda.tenants.scoping import TenantRef, load_tenant, tenant_session
from tests.conftest import ensure_tenant
from tests.modules.rollups.legacy_metrics import legacy_metrics

CITY, COUNTY, TOWNSHIP = "630100", "630121", "630121100"
OFFICES = [
    (CITY, "西宁市人大常委会", "city", None),
    (COUNTY, "西宁市大通县人大常委会", "county", CITY),
    (TOWNSHIP, "大通县桥头镇人大主席团", "township", COUNTY),
]
LEVELS = ["national", "provincial", "city", "county", "township"]
SECTORS = [None, "", "  ", "教育", " 教育 ", "教育\u3000", "\t医疗", "医疗", "农业", "工业"]
TOWNSHIPS = [None, "", "630121100", "630121101", "630121102"]
# The days the figures are read on (today): within a quarter, New Year's Day, a leap day, a quarter's end.
DAYS = [date(2026, 12, 15), date(2027, 1, 1), date(2028, 2, 29), date(2027, 9, 30)]
FIRST, LAST = date(2025, 10, 1), date(2028, 3, 31)
ACTOR = "system:test:统计汇总"


def a_day(rng: random.Random) -> date:
    """Any day in the span, a fifth of them a month's first or last day."""
    day = FIRST + timedelta(days=rng.randrange((LAST - FIRST).days + 1))
    if rng.random() < 0.2:
        first = day.replace(day=1)
        return first if rng.random() < 0.5 else (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    return day


def an_instant(rng: random.Random) -> datetime:
    """Any moment in the span, a quarter of them a second either side of a local midnight."""
    day = a_day(rng)
    if rng.random() < 0.25:
        midnight = datetime.combine(day, time(0), tzinfo=LOCAL_TZ)
        return (midnight - timedelta(seconds=1) if rng.random() < 0.5 else midnight).astimezone(UTC)
    return datetime.combine(day, time(rng.randrange(24), rng.randrange(60)), tzinfo=LOCAL_TZ).astimezone(UTC)


def later(rng: random.Random, instant: datetime, days: int = 120) -> datetime:
    return instant + timedelta(days=rng.randrange(days), seconds=rng.randrange(86_400))


def pick(rng: random.Random, options: list, none: float = 0.0):  # type: ignore[no-untyped-def]
    return None if rng.random() < none else rng.choice(options)


async def seed(office: TenantRef, rng: random.Random) -> None:
    tag = office.code
    async with tenant_session(office, actor=ACTOR) as session:
        own = Congress(level=office.level, name=f"{tag}人民代表大会", division_code=tag)
        other = Congress(level="township", name=f"{tag}乡镇人民代表大会", division_code=f"{tag}999")
        session.add_all([own, other])
        await session.flush()
        # Two terms one after the other, a third overlapping the second from mid-2027 (the current one
        # wins, then the higher number), and another congress's term that is never the office's.
        terms = [
            Term(
                congress_id=own.id, number=17, starts_on=date(2021, 10, 1), ends_on=date(2026, 9, 30), is_current=False
            ),
            Term(congress_id=own.id, number=18, starts_on=date(2026, 10, 1), is_current=office.level != "township"),
            Term(congress_id=own.id, number=19, starts_on=date(2027, 6, 1), is_current=office.level == "township"),
            Term(congress_id=other.id, number=99, starts_on=date(2020, 1, 1), is_current=True),
        ]
        session.add_all(terms)
        persons = [
            Person(
                name=f"代表{tag}{n:03d}",
                name_pinyin=f"daibiao{n}",
                name_initials="db",
                gender=rng.choice(["male", "female"]),
                sector=rng.choice(SECTORS),
            )
            for n in range(60)
        ]
        session.add_all(persons)
        await session.flush()
        mandates: list[Mandate] = []
        for person in persons:
            for term in rng.sample(terms, rng.choice([1, 1, 2])):
                starts = max(term.starts_on, FIRST - timedelta(days=400)) + timedelta(days=rng.randrange(500))
                status = rng.choice(["active", "active", "suspended", "ended"])
                ended = starts + timedelta(days=rng.randrange(700)) if status == "ended" else None
                mandates.append(
                    Mandate(
                        person_id=person.id,
                        term_id=term.id,
                        level=rng.choice([*LEVELS, office.level, office.level]),
                        starts_on=starts,
                        status=status,
                        ended_on=ended,
                        end_reason="resigned" if ended else None,
                    )
                )
        session.add_all(mandates)
        members = [
            CommitteeMember(
                term_id=term.id,
                person_id=rng.choice(persons).id if rng.random() < 0.6 else None,
                name=f"委员{n}",
                position="member",
                on_council=rng.random() < 0.3,
                started_on=a_day(rng),
                ended_on=pick(rng, [a_day(rng)], none=0.6),
            )
            for term in terms[:3]
            for n in range(8)
        ]
        members = [m for m in members if m.ended_on is None or m.ended_on >= m.started_on]
        session.add_all(members)
        bodies = [
            Body(kind="special_committee", name=f"{tag}教科文卫委员会"),
            Body(kind="special_committee", name=f"{tag}农业农村委员会"),
            Body(kind="working_commission", name=f"{tag}代表工作委员会"),
        ]
        session.add_all(bodies)
        groups = [
            DeputyGroup(kind="geographic", name=f"{tag}第{n}代表小组", township_code=TOWNSHIPS[n % len(TOWNSHIPS)])
            for n in range(6)
        ] + [DeputyGroup(kind="professional", name=f"{tag}专业小组", township_code="630121100")]
        session.add_all(groups)
        stations = [Station(kind="liaison_station", name=f"{tag}联络站{n}") for n in range(3)]
        session.add_all(stations)
        units = [HandlingUnit(name=f"{tag}承办单位{n}") for n in range(3)]
        session.add_all(units)
        await session.flush()

        session.add_all(
            [
                SectorLink(body_id=bodies[0].id, sector="教育"),
                SectorLink(body_id=bodies[0].id, sector=" 医疗"),
                SectorLink(body_id=bodies[1].id, sector="医疗"),
                SectorLink(body_id=bodies[2].id, sector="农业"),  # not a special committee's
            ]
        )
        for person in persons:
            if rng.random() < 0.7:
                session.add(
                    GroupMembership(group_id=rng.choice(groups[:6]).id, group_kind="geographic", person_id=person.id)
                )
            if rng.random() < 0.3:
                session.add(GroupMembership(group_id=groups[6].id, group_kind="professional", person_id=person.id))
        for term in terms[:3]:
            of_term = [m for m in members if m.term_id == term.id]
            for person in rng.sample(persons, 15):
                session.add(
                    ContactAssignment(term_id=term.id, committee_member_id=rng.choice(of_term).id, person_id=person.id)
                )
            for code in rng.sample(["", "630121100", "630121101"], 2):
                session.add(
                    TownshipAssignment(term_id=term.id, committee_member_id=rng.choice(of_term).id, township_code=code)
                )
        for n in range(40):
            session.add(
                ContactRecord(
                    term_id=terms[1].id,
                    member_name=f"委员{n}",
                    contacted_on=a_day(rng),
                    mode=rng.choice(list(MODES)),
                    topics="联系",
                    recorded_by=ACTOR,
                )
            )
        meetings = [
            AttendanceMeeting(
                term_id=terms[1].id,
                number=n + 1,
                title=f"第{n + 1}次会议",
                held_on=a_day(rng),
                observers=rng.randrange(6),
            )
            for n in range(12)
        ]
        session.add_all(meetings)
        await session.flush()
        for meeting in meetings:
            for person in rng.sample(persons, rng.randrange(5)):
                session.add(
                    MeetingInvitation(
                        meeting_id=meeting.id, person_id=person.id, status=rng.choice(list(ATTENDANCE_STATUSES))
                    )
                )
        roster = {(rng.choice(stations).id, a_day(rng), rng.choice(persons).id) for _ in range(60)}
        session.add_all(RosterEntry(station_id=s, day=d, person_id=p) for s, d, p in roster)
        for n in range(60):
            session.add(
                Reception(
                    station_id=rng.choice(stations).id,
                    held_on=a_day(rng),
                    off_schedule=rng.random() < 0.3,
                    visitor_name=f"群众{n}",
                    visitor_count=rng.randrange(1, 6),
                    issue="反映问题",
                    category=rng.choice(list(OPINION_CATEGORIES)),
                )
            )
        for n in range(80):
            session.add(opinion(rng, f"{tag[-4:]}{n:08d}"))
        by_person = {m.person_id: m for m in mandates}
        seqs: dict[int, int] = {}
        for _ in range(120):
            lead = rng.choice([p for p in persons if p.id in by_person])
            created = an_instant(rng)
            seqs[created.year] = seqs.get(created.year, 0) + 1
            session.add(suggestion(rng, created, seqs[created.year], terms[1], lead, by_person[lead.id], units))
        await seed_duty(session, rng, persons)
        await session.commit()


async def seed_duty(session, rng: random.Random, persons: list[Person]) -> None:  # type: ignore[no-untyped-def]
    """Activities with attendance (some cancelled), evidence in every state, ratings at every step, and
    ledger entries of every kind (deductions too), with the office's own capped rules for one year and
    the defaults for the others."""
    from renda.modules.duty import defaults
    from renda.modules.duty.models import (
        ACTIVITY_KINDS,
        ATTENDANCE_STATUSES,
        EVIDENCE_KINDS,
        GRADES,
        RATING_STEPS,
        Activity,
        Attendance,
        Evidence,
        PointCategory,
        PointEntry,
        PointRule,
        Rating,
    )

    for n in range(16):
        starts = an_instant(rng)
        activity = Activity(
            kind=rng.choice(list(ACTIVITY_KINDS)),
            title=f"活动{n}",
            starts_at=starts,
            ends_at=starts + timedelta(hours=2),
            year=starts.astimezone(LOCAL_TZ).year,
            status=rng.choice(["planned", "finished", "finished", "cancelled"]),
            sign_in_secret=f"secret{n}",
            created_by=ACTOR,
        )
        session.add(activity)
        await session.flush()
        for person in rng.sample(persons, rng.randrange(1, 8)):
            session.add(
                Attendance(
                    activity_id=activity.id,
                    person_id=person.id,
                    status=rng.choice(list(ATTENDANCE_STATUSES)),
                    source="list",
                    recorded_by=ACTOR,
                )
            )
    for n in range(30):
        submitted = an_instant(rng)
        status = rng.choice(["pending", "verified", "rejected"])
        on = submitted.astimezone(LOCAL_TZ).date()
        session.add(
            Evidence(
                person_id=rng.choice(persons).id,
                year=on.year,
                kind=rng.choice(list(EVIDENCE_KINDS)),
                title=f"佐证{n}",
                occurred_on=on,
                status=status,
                submitted_by=ACTOR,
                submitted_at=submitted,
                reviewed_at=None if status == "pending" else later(rng, submitted, 60),
            )
        )
    for year in (2025, 2026, 2027, 2028):
        for person in rng.sample(persons, 12):
            step = rng.choice(list(RATING_STEPS))
            decided = step in ("committee", "published") or rng.random() < 0.2
            session.add(
                Rating(year=year, person_id=person.id, step=step, grade=rng.choice(list(GRADES)) if decided else None)
            )
    # 2027: the office's own rules, with caps per rule; the other years are priced by the defaults.
    session.add_all(
        PointCategory(year=2027, code=code, cap=c.cap, is_bonus=c.is_bonus) for code, c in defaults.CATEGORIES.items()
    )
    session.add_all(
        PointRule(
            year=2027,
            event_kind=kind,
            category=r.category,
            points=r.points,
            cap=rng.choice([None, 4, 10]),
            created_by=ACTOR,
        )
        for kind, r in defaults.RULES.items()
    )
    for _ in range(200):
        day = a_day(rng)
        kind, rule = rng.choice(list(defaults.RULES.items()))
        session.add(
            PointEntry(
                year=day.year,
                person_id=rng.choice(persons).id,
                category=rule.category,
                event_kind=kind,
                source="duty_activity",
                source_id=uuid.uuid4(),
                source_label="测试",
                occurred_on=day,
                points=-abs(rule.points) - 1 if kind == "absence" else rule.points * rng.choice([1, 2, 3]),
                created_by=ACTOR,
            )
        )


def opinion(rng: random.Random, ticket: str) -> Opinion:
    created = an_instant(rng)
    status = rng.choice(["received", "assigned", "answered", "closed", "duplicate", "escalated"])
    assigned = later(rng, created, 20) if status != "received" and rng.random() < 0.9 else None
    answered = later(rng, assigned, 60) if assigned and status in ("answered", "closed") else None
    closed = later(rng, answered or created, 60) if status in ("closed", "duplicate", "escalated") else None
    rated = later(rng, answered, 20) if answered and rng.random() < 0.7 else None
    return Opinion(
        ticket=ticket,
        source=rng.choice(list(SOURCES)),
        content="意见",
        category=pick(rng, [*OPINION_CATEGORIES, "不再使用的类别"], none=0.2),
        status=status,
        created_at=created,
        assigned_at=assigned,
        deadline=(assigned + timedelta(days=rng.randrange(5, 40))).astimezone(LOCAL_TZ).date() if assigned else None,
        answered_at=answered,
        closed_at=closed,
        rated_at=rated,
        rating=rng.choice([*RATINGS, None]) if rated else None,
    )


def suggestion(
    rng: random.Random,
    filed: datetime,
    seq: int,
    term: Term,
    lead: Person,
    mandate: Mandate,
    units: list[HandlingUnit],
) -> Suggestion:
    status = rng.choice(["submitted", "accepted", "assigned", "assigned", "replied", "closed", "closed", "merged"])
    assigned = status in ("assigned", "replied", "closed")
    answered = status in ("replied", "closed")
    assigned_at = later(rng, filed, 30) if assigned or rng.random() < 0.1 else None
    replied_at = later(rng, assigned_at, 90) if answered and assigned_at else None
    rating = rng.choice(["satisfied", "basic", "dissatisfied", None]) if answered else None
    reply_class = rng.choice(["A", "B", "C", "D"]) if answered or rng.random() < 0.1 else None
    return Suggestion(
        year=filed.year,
        seq=seq,
        term_id=term.id,
        lead_person_id=lead.id,
        lead_mandate_id=mandate.id,
        category=rng.choice([*SUGGESTION_CATEGORIES, "retired_category"]),
        title=f"关于第{seq}件事的建议",
        content="建议内容",
        status=status,
        filed_at=filed,
        lead_unit_id=rng.choice(units).id if assigned or rng.random() < 0.2 else None,
        assigned_at=assigned_at,
        deadline=(assigned_at + timedelta(days=90)).date() if assigned_at else None,
        reply_class=reply_class,
        replied_at=replied_at,
        replied_on_time=rng.choice([True, False, None]) if answered else None,
        rating=rating,
        rated_at=later(rng, replied_at, 20) if rating and replied_at else None,
        follow_up=rng.choice(["none", "open", "resolved"]),
        closed_at=later(rng, replied_at or filed, 30) if status == "closed" else None,
    )


@pytest.fixture(scope="module")
async def offices(database) -> list[TenantRef]:
    found = []
    rng = random.Random(2026)
    for office in OFFICES:
        await ensure_tenant(database, *office)
        tenant = await load_tenant(office[0])
        async with tenant_session(tenant, actor=ACTOR) as session:
            seeded = (await session.execute(Person.__table__.select().limit(1))).first() is not None
        if not seeded:
            await seed(tenant, rng)
        found.append(tenant)
    return found


@contextmanager
def legacy_computation() -> Iterator[None]:
    """Every tenant metric computed by its former per-period function for the while."""
    fast = {k: m for k, m in metrics().items() if isinstance(m, TenantMetric)}
    try:
        for metric in legacy_metrics():
            unregister_metric(metric.key)
            register_metric(metric)
        yield
    finally:
        for key, metric in fast.items():
            unregister_metric(key)
            register_metric(metric)


async def own_figures(database, offices: list[TenantRef], today: date) -> tuple[dict[tuple[str, ...], int], set]:
    """The figures as stored (a missing breakdown reads as 0), and those computed more than once
    (added up here)."""
    periods = sorted({*recent(today, 15), *(p.previous() for p in current(today))}, key=lambda p: (p.start, p.kind))
    async with database.platform_session() as session:
        computed = await service.own_figures(session, offices, periods, today)
    tenant = {k for k, m in metrics().items() if isinstance(m, TenantMetric)}
    found: dict[tuple[str, ...], int] = {}
    twice = set()
    for (office, metric, period), figures in computed.items():
        for figure in figures:
            if metric in tenant and (figure.value or not figure.dimension):
                key = (office, metric, period, figure.dimension, figure.member)
                if key in found:
                    twice.add(key)
                found[key] = found.get(key, 0) + figure.value
    return found, twice


@pytest.mark.parametrize("today", DAYS, ids=str)
async def test_one_statement_gives_the_per_period_figures(database, offices, today) -> None:
    fast, twice = await own_figures(database, offices, today)
    with legacy_computation():
        former, former_twice = await own_figures(database, offices, today)
    assert fast == former
    assert not twice
    # The former computation gave "未分类" twice where one opinion had no category and another one no
    # longer in use (they could not both be stored); they add up now.
    assert former_twice and {(k[1], k[3], k[4]) for k in former_twice} == {("opinions.received", "category", "未分类")}
    # The data exercise every metric and every dimension (else equality proves little).
    for key, metric in metrics().items():
        if isinstance(metric, TenantMetric) and metric.rows is not None:  # the counting ones
            assert any(k[1] == key and not k[3] and v for k, v in fast.items()), key
            for dimension in metric.dimensions:
                assert any(k[1] == key and k[3] == dimension.key for k in fast), (key, dimension.key)


async def test_an_office_costs_one_statement_for_all_its_counted_metrics(database, offices) -> None:
    """Beside the check of which tables hold rows (and the transaction's read-only mark)."""
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    seen: list[str] = []

    def count(conn, cursor, statement, *_):  # type: ignore[no-untyped-def]
        if (conn.get_execution_options().get("schema_translate_map") or {}).get(None) == f"t_{COUNTY}":
            seen.append(statement)

    # Every engine: an app built by an earlier test configures a database object of its own.
    event.listen(Engine, "before_cursor_execute", count)
    try:
        today = DAYS[0]
        async with database.platform_session() as session:
            await service.own_figures(session, offices[1:2], recent(today, 15), today)
    finally:
        event.remove(Engine, "before_cursor_execute", count)
    assert len(seen) == 3, seen  # read only, which tables hold rows, the figures
