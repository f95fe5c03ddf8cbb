"""The contacts module's metrics in the rollups: deputies to cover and covered (stocks, read on the
period's last day or today), contact records and invited attendances (flows), committee members with
assigned deputies, and the two ratios derived on display: coverage (%) and contacts per member.

A stock is read in the term of the office's own congress running on that day; assignments have no
history, so a past period's coverage is the term's assignments as they stand.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from renda.modules.contacts.common import OWN_LEVELS
from renda.modules.contacts.models import (
    ATTENDANCE_STATUSES,
    CHANNELS,
    MODES,
    AttendanceMeeting,
    ContactAssignment,
    ContactRecord,
    MeetingInvitation,
    SectorLink,
    TownshipAssignment,
)
from renda.modules.deputies.models import Congress, Mandate, MandateStatus, Person, Term
from renda.modules.organisation.models import Body, CommitteeMember, DeputyGroup, GroupMembership
from renda.modules.rollups.service import Dimension, Figure, Period, RatioMetric, TenantMetric, register_metric
from renda.tenants.scoping import load_tenant

WATCHES = (
    "contact_assignments",
    "contact_township_assignments",
    "contact_sector_links",
    "committee_members",
    "mandates",
    "group_memberships",
    "persons",
)


_levels: dict[str, tuple[str, ...]] = {}  # an office's level never changes: asked once per process


async def _office(session: AsyncSession) -> tuple[str, tuple[str, ...]]:
    code = session.info["tenant_code"]
    if code not in _levels:
        tenant = await load_tenant(code)
        _levels[code] = OWN_LEVELS.get(tenant.level, (tenant.level,))
    return code, _levels[code]


async def _term_on(session: AsyncSession, code: str, day: date) -> uuid.UUID | None:
    """The term of the office's own congress running on `day` (the current one first)."""
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
    """Deputies of the own level in office (not suspended) on `day`, less the term's committee members."""
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
    """Covered deputies overall, and by the first channel that covers each (a partition)."""
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
    """Committee members serving on the day with at least one fixed deputy."""
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


TO_COVER = register_metric(
    TenantMetric(
        key="contacts.deputies_to_cover",
        label="应联系代表",
        unit="人",
        description="期末(当期为今天)本级在任代表中应由常委会组成人员联系的人数(不含常委会组成人员本人)",
        order=40,
        stock=True,
        compute=deputies_to_cover,
        watches=WATCHES,
    )
)
COVERED = register_metric(
    TenantMetric(
        key="contacts.deputies_covered",
        label="已覆盖代表",
        unit="人",
        description="已由组成人员直接联系、主任会议成员督导乡镇或专门委员会对口联系覆盖的代表",
        dimensions=(Dimension("channel", "覆盖方式", dict(CHANNELS)),),
        order=41,
        stock=True,
        compute=deputies_covered,
        watches=WATCHES,
    )
)
COVERAGE = register_metric(
    RatioMetric(
        key="contacts.coverage",
        label="联系代表覆盖率",
        unit="%",
        description="已覆盖代表 ÷ 应联系代表",
        numerator="contacts.deputies_covered",
        denominator="contacts.deputies_to_cover",
        scale=100,
        order=42,
    )
)
RECORDS = register_metric(
    TenantMetric(
        key="contacts.records",
        label="联系代表次数",
        unit="次",
        description="期间内常委会组成人员登记的联系代表记录",
        dimensions=(Dimension("mode", "联系方式", dict(MODES)),),
        order=43,
        compute=contact_records,
        watches=("contact_records",),
    )
)
MEMBERS = register_metric(
    TenantMetric(
        key="contacts.members_assigned",
        label="联系代表的组成人员",
        unit="人",
        description="期末在任、已安排固定联系代表的常委会组成人员",
        order=44,
        stock=True,
        compute=members_assigned,
        watches=("contact_assignments", "committee_members"),
    )
)
PER_MEMBER = register_metric(
    RatioMetric(
        key="contacts.records_per_member",
        label="人均联系代表次数",
        unit="次",
        description="联系代表次数 ÷ 联系代表的组成人员",
        numerator="contacts.records",
        denominator="contacts.members_assigned",
        scale=1,
        order=45,
    )
)
ATTENDANCES = register_metric(
    TenantMetric(
        key="contacts.invited_attendances",
        label="邀请代表列席常委会会议",
        unit="人次",
        description="期间内召开的常委会会议邀请代表列席的人次,按出席情况",
        dimensions=(Dimension("status", "出席情况", dict(ATTENDANCE_STATUSES)),),
        order=46,
        compute=invited_attendances,
        watches=("contact_meeting_invitations", "contact_meetings"),
    )
)
OBSERVERS = register_metric(
    TenantMetric(
        key="contacts.public_observers",
        label="公民旁听常委会会议",
        unit="人次",
        description="期间内召开的常委会会议的公民旁听人次",
        order=47,
        compute=public_observers,
        watches=("contact_meetings",),
    )
)
