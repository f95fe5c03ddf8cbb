"""The tenant metrics as they were computed before they counted rows over every period at once: one
function per metric, run once per period, a statement or more each. Kept as the reference the
one-statement figures are compared with (`test_counting.py`); the keys, labels and dimensions are the
registered metrics' own, only the computation differs."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, extract, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from renda.core.timezone import LOCAL_TZ
from renda.modules.contacts.common import OWN_LEVELS
from renda.modules.contacts.models import (
    CHANNELS,
    AttendanceMeeting,
    ContactAssignment,
    ContactRecord,
    MeetingInvitation,
    SectorLink,
    TownshipAssignment,
)
from renda.modules.deputies.models import Congress, Mandate, MandateStatus, Person, Term
from renda.modules.opinions.common import CATEGORIES as OPINION_CATEGORIES
from renda.modules.opinions.models import RATING_SCORES, SOURCES, Opinion
from renda.modules.organisation.models import Body, CommitteeMember, DeputyGroup, GroupMembership
from renda.modules.receptions.models import Reception, RosterEntry
from renda.modules.rollups.periods import Period
from renda.modules.rollups.registry import Figure, TenantMetric, metrics
from renda.modules.suggestions.common import CATEGORIES as SUGGESTION_CATEGORIES
from renda.modules.suggestions.models import Suggestion
from renda.modules.suggestions.rates import CLASSES, count_columns, population
from renda.tenants.scoping import load_tenant


# --- contacts ------------------------------------------------------------------------------------
async def _office(session: AsyncSession) -> tuple[str, tuple[str, ...]]:
    code = session.info["tenant_code"]
    tenant = await load_tenant(code)
    return code, OWN_LEVELS.get(tenant.level, (tenant.level,))


async def _term_on(session: AsyncSession, code: str, day: date) -> uuid.UUID | None:
    query = (
        select(Term.id)
        .join(Congress, Congress.id == Term.congress_id)
        .where(Congress.division_code == code, Term.starts_on <= day, or_(Term.ends_on.is_(None), Term.ends_on >= day))
        .order_by(Term.is_current.desc(), Term.number.desc())
        .limit(1)
    )
    return (await session.execute(query)).scalar_one_or_none()


@dataclass(frozen=True)
class _Deputy:
    person_id: uuid.UUID
    township: str | None
    sector: str | None


async def _to_cover(session: AsyncSession, levels: Sequence[str], term_id: uuid.UUID, day: date) -> list[_Deputy]:
    in_office = (
        select(Mandate.person_id)
        .where(
            Mandate.level.in_(levels),
            Mandate.starts_on <= day,
            Mandate.status != MandateStatus.SUSPENDED,
            or_(Mandate.ended_on.is_(None), Mandate.ended_on > day),
        )
        .distinct()
    )
    on_committee = select(CommitteeMember.person_id).where(
        CommitteeMember.term_id == term_id,
        CommitteeMember.person_id.is_not(None),
        CommitteeMember.started_on <= day,
        or_(CommitteeMember.ended_on.is_(None), CommitteeMember.ended_on >= day),
    )
    query = (
        select(Person.id, DeputyGroup.township_code, Person.sector)
        .outerjoin(
            GroupMembership, and_(GroupMembership.person_id == Person.id, GroupMembership.group_kind == "geographic")
        )
        .outerjoin(DeputyGroup, DeputyGroup.id == GroupMembership.group_id)
        .where(Person.id.in_(in_office), Person.id.not_in(on_committee))
    )
    return [
        _Deputy(pid, township, (sector or "").strip() or None) for pid, township, sector in await session.execute(query)
    ]


async def deputies_to_cover(session: AsyncSession, period: Period, today: date) -> list[Figure]:
    code, levels = await _office(session)
    day = period.as_of(today)
    term_id = await _term_on(session, code, day)
    if term_id is None:
        return [Figure(0)]
    return [Figure(len(await _to_cover(session, levels, term_id, day)))]


async def deputies_covered(session: AsyncSession, period: Period, today: date) -> list[Figure]:
    code, levels = await _office(session)
    day = period.as_of(today)
    term_id = await _term_on(session, code, day)
    if term_id is None:
        return [Figure(0)]
    direct = set(
        (await session.execute(select(ContactAssignment.person_id).where(ContactAssignment.term_id == term_id)))
        .scalars()
        .all()
    )
    townships = set(
        (await session.execute(select(TownshipAssignment.township_code).where(TownshipAssignment.term_id == term_id)))
        .scalars()
        .all()
    )
    sectors = set(
        (
            await session.execute(
                select(SectorLink.sector)
                .join(Body, Body.id == SectorLink.body_id)
                .where(Body.kind == "special_committee")
            )
        )
        .scalars()
        .all()
    )
    counts = dict.fromkeys(CHANNELS, 0)
    for deputy in await _to_cover(session, levels, term_id, day):
        if deputy.person_id in direct:
            counts["direct"] += 1
        elif deputy.township and deputy.township in townships:
            counts["township"] += 1
        elif deputy.sector and deputy.sector in sectors:
            counts["sector"] += 1
    return [Figure(sum(counts.values()))] + [Figure(n, "channel", k) for k, n in counts.items() if n]


async def members_assigned(session: AsyncSession, period: Period, today: date) -> list[Figure]:
    code, _ = await _office(session)
    day = period.as_of(today)
    term_id = await _term_on(session, code, day)
    if term_id is None:
        return [Figure(0)]
    query = select(func.count(func.distinct(ContactAssignment.committee_member_id))).where(
        ContactAssignment.term_id == term_id,
        ContactAssignment.committee_member_id.in_(
            select(CommitteeMember.id).where(
                CommitteeMember.started_on <= day,
                or_(CommitteeMember.ended_on.is_(None), CommitteeMember.ended_on >= day),
            )
        ),
    )
    return [Figure((await session.execute(query)).scalar_one())]


async def contact_records(session: AsyncSession, period: Period, today: date) -> list[Figure]:
    query = (
        select(ContactRecord.mode, func.count())
        .where(ContactRecord.contacted_on.between(period.start, period.end))
        .group_by(ContactRecord.mode)
    )
    rows = dict((await session.execute(query)).all())
    return [Figure(sum(rows.values()))] + [Figure(n, "mode", mode) for mode, n in rows.items()]


async def invited_attendances(session: AsyncSession, period: Period, today: date) -> list[Figure]:
    query = (
        select(MeetingInvitation.status, func.count())
        .join(AttendanceMeeting, AttendanceMeeting.id == MeetingInvitation.meeting_id)
        .where(AttendanceMeeting.held_on.between(period.start, period.end))
        .group_by(MeetingInvitation.status)
    )
    rows = dict((await session.execute(query)).all())
    return [Figure(sum(rows.values()))] + [Figure(n, "status", status) for status, n in rows.items()]


async def public_observers(session: AsyncSession, period: Period, today: date) -> list[Figure]:
    query = select(func.coalesce(func.sum(AttendanceMeeting.observers), 0)).where(
        AttendanceMeeting.held_on.between(period.start, period.end)
    )
    return [Figure(int((await session.execute(query)).scalar_one()))]


# --- opinions ------------------------------------------------------------------------------------
UNCATEGORISED = "未分类"


def _start(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=LOCAL_TZ)


def _within(column: Any, period: Period) -> ColumnElement[bool]:
    return and_(column >= _start(period.start), column < _start(period.end + timedelta(days=1)))


async def received(session: AsyncSession, period: Period, today: date) -> list[Figure]:
    where = _within(Opinion.created_at, period)
    total = await session.scalar(select(func.count()).select_from(Opinion).where(where)) or 0
    figures = [Figure(total)]
    by_category = select(Opinion.category, func.count()).where(where).group_by(Opinion.category)
    for category, count in (await session.execute(by_category)).all():
        figures.append(
            Figure(count, "category", OPINION_CATEGORIES.get(category, UNCATEGORISED) if category else UNCATEGORISED)
        )
    by_source = select(Opinion.source, func.count()).where(where).group_by(Opinion.source)
    figures += [Figure(count, "source", SOURCES[source]) for source, count in (await session.execute(by_source)).all()]
    return figures


async def _count(session: AsyncSession, where: ColumnElement[bool]) -> list[Figure]:
    return [Figure(await session.scalar(select(func.count()).select_from(Opinion).where(where)) or 0)]


async def closed(session: AsyncSession, period: Period, today: date) -> list[Figure]:
    return await _count(session, _within(Opinion.closed_at, period))


async def overdue(session: AsyncSession, period: Period, today: date) -> list[Figure]:
    on = period.as_of(today)
    end = _start(on + timedelta(days=1))
    return await _count(
        session,
        and_(
            Opinion.assigned_at < end,
            Opinion.deadline < on,
            or_(Opinion.answered_at.is_(None), Opinion.answered_at >= end),
            or_(Opinion.closed_at.is_(None), Opinion.closed_at >= end),
        ),
    )


async def rated(session: AsyncSession, period: Period, today: date) -> list[Figure]:
    return await _count(session, _within(Opinion.rated_at, period))


async def rating_score(session: AsyncSession, period: Period, today: date) -> list[Figure]:
    scores = select(Opinion.rating).where(_within(Opinion.rated_at, period), Opinion.rating.is_not(None))
    return [Figure(sum(RATING_SCORES[r] for r in (await session.execute(scores)).scalars()))]


# --- receptions ----------------------------------------------------------------------------------
def _in(period: Period) -> ColumnElement[bool]:
    return Reception.held_on.between(period.start, period.end)


async def _by_category(session: AsyncSession, value: Any, period: Period) -> list[Figure]:
    total = (await session.execute(select(func.coalesce(value, 0)).where(_in(period)))).scalar_one()
    rows = await session.execute(
        select(Reception.category, func.coalesce(value, 0)).where(_in(period)).group_by(Reception.category)
    )
    return [Figure(int(total)), *(Figure(int(n), "category", c) for c, n in rows.all() if n)]


async def receptions_held(session: AsyncSession, period: Period, today: date) -> list[Figure]:
    return await _by_category(session, func.count(), period)


async def people_received(session: AsyncSession, period: Period, today: date) -> list[Figure]:
    return await _by_category(session, func.sum(Reception.visitor_count), period)


async def off_schedule(session: AsyncSession, period: Period, today: date) -> list[Figure]:
    query = select(func.count()).where(_in(period), Reception.off_schedule.is_(True))
    return [Figure(int((await session.execute(query)).scalar_one()))]


async def days_rostered(session: AsyncSession, period: Period, today: date) -> list[Figure]:
    days = (
        select(RosterEntry.station_id, RosterEntry.day)
        .where(RosterEntry.day.between(period.start, period.end))
        .distinct()
        .subquery()
    )
    return [Figure(int((await session.execute(select(func.count()).select_from(days))).scalar_one()))]


# --- suggestions ---------------------------------------------------------------------------------
CACHE = "legacy_suggestion_rollup_counts"
CLASS_LABELS = {c: f"{c}类" for c in CLASSES}
Months = dict[tuple[int, str], dict[str, int]]


async def _year_rows(session: AsyncSession, year: int) -> Months:
    cache: dict[int, Months] = session.info.setdefault(CACHE, {})
    if year not in cache:
        month = extract("month", func.timezone(str(LOCAL_TZ), Suggestion.assigned_at)).label("month")
        query = (
            select(month, Suggestion.category, *count_columns())
            .where(
                population(),
                and_(
                    Suggestion.assigned_at >= _start(date(year, 1, 1)),
                    Suggestion.assigned_at < _start(date(year + 1, 1, 1)),
                ),
            )
            .group_by(month, Suggestion.category)
        )
        cache[year] = {(int(r.month), r.category): r._asdict() for r in (await session.execute(query)).all()}
    return cache[year]


async def _in_period(session: AsyncSession, period: Period) -> list[tuple[str, dict[str, Any]]]:
    rows = await _year_rows(session, period.start.year)
    months = range(period.start.month, period.end.month + 1)
    return [(category, counts) for (month, category), counts in rows.items() if month in months]


def _counter(name: str, dimension: str = ""):  # type: ignore[no-untyped-def]
    async def compute(session: AsyncSession, period: Period, today: date) -> list[Figure]:
        found = await _in_period(session, period)
        figures = [Figure(sum(counts[name] for _, counts in found))]
        if dimension == "category":
            by: dict[str, int] = defaultdict(int)
            for category, counts in found:
                by[SUGGESTION_CATEGORIES.get(category, category)] += counts[name]
            figures += [Figure(v, "category", k) for k, v in by.items() if v]
        elif dimension == "class":
            for c in CLASSES:
                value = sum(counts[f"class_{c.lower()}"] for _, counts in found)
                if value:
                    figures.append(Figure(value, "class", CLASS_LABELS[c]))
        return figures

    return compute


# --- duty performance -----------------------------------------------------------------------------
async def _attendance(session: AsyncSession, period: Period) -> dict[str, tuple[int, int]]:
    from renda.modules.duty.models import Activity, Attendance

    query = (
        select(Activity.kind, func.count(), func.count().filter(Attendance.status == "present"))
        .join(Activity, Activity.id == Attendance.activity_id)
        .where(
            Activity.status != "cancelled",
            Activity.starts_at >= _start(period.start),
            Activity.starts_at < _start(period.end + timedelta(days=1)),
        )
        .group_by(Activity.kind)
    )
    return {kind: (int(n), int(p)) for kind, n, p in (await session.execute(query)).all()}


def _attended(present: bool):  # type: ignore[no-untyped-def]
    async def compute(session: AsyncSession, period: Period, today: date) -> list[Figure]:
        found = {k: v[1] if present else v[0] for k, v in (await _attendance(session, period)).items()}
        return [Figure(sum(found.values())), *(Figure(n, "activity_kind", k) for k, n in found.items() if n)]

    return compute


async def _duty_points(session: AsyncSession, period: Period, today: date) -> tuple[int, int]:
    """(deputies, their capped points summed and rounded) of the period's year up to its day."""
    from decimal import ROUND_HALF_UP, Decimal

    from renda.modules.duty.ranking import capped_points, held_a_mandate

    as_of = period.as_of(today)
    capped = capped_points(as_of.year, as_of)
    deputies = select(Person.id).where(held_a_mandate()).cte("deputies")
    query = select(func.count(), func.coalesce(func.sum(capped.c.base + capped.c.bonus), 0)).select_from(
        deputies.outerjoin(capped, capped.c.person_id == deputies.c.id)
    )
    count, total = (await session.execute(query, {"first_day": date(as_of.year, 1, 1), "last_day": as_of})).one()
    return int(count), int(Decimal(total).quantize(Decimal(1), ROUND_HALF_UP))


async def duty_points_total(session: AsyncSession, period: Period, today: date) -> list[Figure]:
    return [Figure((await _duty_points(session, period, today))[1])]


async def duty_points_deputies(session: AsyncSession, period: Period, today: date) -> list[Figure]:
    return [Figure((await _duty_points(session, period, today))[0])]


async def duty_graded(session: AsyncSession, period: Period, today: date) -> list[Figure]:
    from renda.modules.duty.models import Rating

    query = (
        select(Rating.grade, func.count())
        .where(Rating.year == period.start.year, Rating.grade.is_not(None), Rating.step.in_(("committee", "published")))
        .group_by(Rating.grade)
    )
    rows = {grade: int(n) for grade, n in (await session.execute(query)).all()}
    return [Figure(sum(rows.values())), *(Figure(n, "grade", g) for g, n in rows.items() if n)]


async def duty_evidence_pending(session: AsyncSession, period: Period, today: date) -> list[Figure]:
    from renda.modules.duty.models import Evidence

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
    return [Figure(sum(rows.values())), *(Figure(n, "evidence_kind", k) for k, n in rows.items() if n)]


COMPUTE = {
    "contacts.deputies_to_cover": deputies_to_cover,
    "contacts.deputies_covered": deputies_covered,
    "contacts.records": contact_records,
    "contacts.members_assigned": members_assigned,
    "contacts.invited_attendances": invited_attendances,
    "contacts.public_observers": public_observers,
    "opinions.received": received,
    "opinions.closed": closed,
    "opinions.overdue": overdue,
    "opinions.rated": rated,
    "opinions.rating_score": rating_score,
    "receptions.held": receptions_held,
    "receptions.people": people_received,
    "receptions.off_schedule": off_schedule,
    "receptions.days_rostered": days_rostered,
    "suggestions.assigned": _counter("assigned", "category"),
    "suggestions.answered": _counter("answered", "class"),
    "suggestions.on_time": _counter("on_time"),
    "suggestions.rated": _counter("rated"),
    "suggestions.satisfied": _counter("satisfied"),
    "suggestions.resolved": _counter("resolved"),
    "duty.attendance_recorded": _attended(present=False),
    "duty.attendance_present": _attended(present=True),
    "duty.points_total": duty_points_total,
    "duty.points_deputies": duty_points_deputies,
    "duty.graded": duty_graded,
    "duty.evidence_pending": duty_evidence_pending,
}


def legacy_metrics() -> list[TenantMetric]:
    """The registered tenant metrics, each computed by its former per-period function."""
    registered = metrics()
    tenant = {k: m for k, m in registered.items() if isinstance(m, TenantMetric)}
    # A metric that counts rows must have its former function here; one that never counted rows (it
    # computes each period itself, like duty's) is its own reference.
    assert {k for k, m in tenant.items() if m.rows is not None} <= set(COMPUTE)
    per_period = [m for k, m in tenant.items() if k not in COMPUTE]
    return [*(replace(tenant[key], rows=None, compute=compute) for key, compute in COMPUTE.items()), *per_period]
