"""The contacts module's metrics in the rollups: deputies to cover and covered (stocks, read on the
period's last day or today), contact records and invited attendances (flows), committee members with
assigned deputies, and the two ratios derived on display: coverage (%) and contacts per member.

A stock is read in the term of the office's own congress running on that day; assignments have no
history, so a past period's coverage is the term's assignments as they stand.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Select, and_, case, exists, func, literal, or_, select, true
from sqlalchemy.sql.selectable import Lateral

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
from renda.modules.rollups.service import Dimension, Office, Periods, RatioMetric, TenantMetric, register_metric

WATCHES = (
    "contact_assignments",
    "contact_township_assignments",
    "contact_sector_links",
    "committee_members",
    "mandates",
    "group_memberships",
    "persons",
)
# What Python's str.strip() strips (every str.isspace() character): a sector is compared stripped.
WHITESPACE = (
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008"
    "\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)


def _term(periods: Periods, office: Office) -> Lateral:
    """The term of the office's own congress running on each period's day (the current one first);
    a period without one has no rows."""
    return (
        select(Term.id.label("id"))
        .join(Congress, Congress.id == Term.congress_id)
        .where(
            Congress.division_code == office.code,
            Term.starts_on <= periods.day,
            or_(Term.ends_on.is_(None), Term.ends_on >= periods.day),
        )
        .order_by(Term.is_current.desc(), Term.number.desc())
        .limit(1)
        .lateral("term")
    )


def _serving(periods: Periods) -> ColumnElement[bool]:
    """A committee member serving on the period's day."""
    return and_(
        CommitteeMember.started_on <= periods.day,
        or_(CommitteeMember.ended_on.is_(None), CommitteeMember.ended_on >= periods.day),
    )


def deputies(periods: Periods, office: Office) -> Select[Any]:
    """Deputies of the own level in office (not suspended) on the day, less the term's committee
    members: one row per deputy to cover and period, with the channel that covers them (the first of
    direct, township, sector; NULL when none does) and `covered` (1 when one does)."""
    term, day = _term(periods, office), periods.day
    in_office = exists().where(
        Mandate.person_id == Person.id,
        Mandate.level.in_(OWN_LEVELS.get(office.level, (office.level,))),
        Mandate.starts_on <= day,
        Mandate.status != MandateStatus.SUSPENDED,
        or_(Mandate.ended_on.is_(None), Mandate.ended_on > day),
    )
    on_committee = exists().where(
        CommitteeMember.person_id == Person.id, CommitteeMember.term_id == term.c.id, _serving(periods)
    )
    sector = func.btrim(Person.sector, WHITESPACE)
    sectors = (  # those a special committee covers
        select(SectorLink.sector)
        .join(Body, Body.id == SectorLink.body_id)
        .where(Body.kind == "special_committee")
        .distinct()
        .subquery("sectors")
    )
    # Each join finds at most one row: one assignment per term and deputy, or township; sectors once.
    direct = ContactAssignment.id.is_not(None)
    by_township = and_(DeputyGroup.township_code != "", TownshipAssignment.id.is_not(None))
    by_sector = and_(sector != "", sectors.c.sector.is_not(None))
    return (
        select(
            periods.period,
            case((direct, "direct"), (by_township, "township"), (by_sector, "sector")).label("channel"),
            case((or_(direct, by_township, by_sector), 1), else_=0).label("covered"),
        )
        .select_from(periods.table)
        .join(term, true())
        .join(Person, and_(in_office, ~on_committee))
        .outerjoin(
            GroupMembership, and_(GroupMembership.person_id == Person.id, GroupMembership.group_kind == "geographic")
        )
        .outerjoin(DeputyGroup, DeputyGroup.id == GroupMembership.group_id)
        .outerjoin(
            ContactAssignment, and_(ContactAssignment.term_id == term.c.id, ContactAssignment.person_id == Person.id)
        )
        .outerjoin(
            TownshipAssignment,
            and_(
                TownshipAssignment.term_id == term.c.id, TownshipAssignment.township_code == DeputyGroup.township_code
            ),
        )
        .outerjoin(sectors, sectors.c.sector == sector)
    )


def members_assigned(periods: Periods, office: Office) -> Select[Any]:
    """Committee members serving on the day with at least one fixed deputy: one row per member."""
    term = _term(periods, office)
    serving = select(CommitteeMember.id).where(_serving(periods))
    return (
        select(periods.period, ContactAssignment.committee_member_id, literal(1).label("value"))
        .select_from(periods.table)
        .join(term, true())
        .join(
            ContactAssignment,
            and_(ContactAssignment.term_id == term.c.id, ContactAssignment.committee_member_id.in_(serving)),
        )
        .distinct()
    )


def contact_records(periods: Periods, office: Office) -> Select[Any]:
    return select(periods.period, ContactRecord.mode.label("mode")).join_from(
        periods.table, ContactRecord, periods.during(ContactRecord.contacted_on)
    )


def invited_attendances(periods: Periods, office: Office) -> Select[Any]:
    return (
        select(periods.period, MeetingInvitation.status.label("status"))
        .select_from(periods.table)
        .join(AttendanceMeeting, periods.during(AttendanceMeeting.held_on))
        .join(MeetingInvitation, MeetingInvitation.meeting_id == AttendanceMeeting.id)
    )


def public_observers(periods: Periods, office: Office) -> Select[Any]:
    return select(periods.period, AttendanceMeeting.observers.label("value")).join_from(
        periods.table, AttendanceMeeting, periods.during(AttendanceMeeting.held_on)
    )


TO_COVER = register_metric(
    TenantMetric(
        key="contacts.deputies_to_cover",
        label="应联系代表",
        unit="人",
        description="期末(当期为今天)本级在任代表中应由常委会组成人员联系的人数(不含常委会组成人员本人)",
        order=40,
        stock=True,
        rows=deputies,
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
        rows=deputies,
        value="covered",
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
        rows=contact_records,
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
        rows=members_assigned,
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
        rows=invited_attendances,
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
        rows=public_observers,
        watches=("contact_meetings",),
    )
)
