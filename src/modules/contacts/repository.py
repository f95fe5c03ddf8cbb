"""Queries of the contacts module, all in the request's tenant schema.

Persons, mandates, groups, congresses and committee members belong to the deputies and organisation
modules; they are read here through their models, never written.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from renda.modules.contacts.models import (
    AttendanceMeeting,
    ContactAssignment,
    ContactAttachment,
    ContactIssue,
    ContactRecord,
    MeetingInvitation,
    RecordDeputy,
    SectorLink,
    TownshipAssignment,
)
from renda.modules.contacts.schemas import RecordFilter
from renda.modules.deputies.models import LEVELS, Congress, Mandate, MandateStatus, Person
from renda.modules.deputies.service import search_key
from renda.modules.organisation.models import CommitteeMember, DeputyGroup, GroupMembership


# --- deputies -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class DeputyInfo:
    id: uuid.UUID
    name: str
    pinyin: str
    initials: str
    sector: str | None
    user_id: uuid.UUID | None
    levels: tuple[str, ...]
    active: bool  # at least one active (not suspended) mandate of the levels
    township_code: str | None  # of the deputy's geographic group
    group_id: uuid.UUID | None
    group_name: str | None

    def matches(self, q: str | None) -> bool:
        """Name, full pinyin or initials, as the register's search."""
        if not q or not q.strip():
            return True
        key = search_key(q)
        return q.strip() in self.name or bool(key and (self.pinyin.startswith(key) or self.initials.startswith(key)))


async def deputies(session: AsyncSession, levels: Sequence[str]) -> dict[uuid.UUID, DeputyInfo]:
    """Persons with a live mandate of `levels`, in name order, with their geographic group."""
    live = (
        select(
            Mandate.person_id.label("person_id"),
            func.array_agg(func.distinct(Mandate.level)).label("levels"),
            func.bool_or(Mandate.status == MandateStatus.ACTIVE).label("active"),
        )
        .where(Mandate.level.in_(levels), Mandate.status != MandateStatus.ENDED)
        .group_by(Mandate.person_id)
        .subquery()
    )
    query = (
        select(
            Person.id,
            Person.name,
            Person.name_pinyin,
            Person.name_initials,
            Person.sector,
            Person.user_id,
            live.c.levels,
            live.c.active,
            DeputyGroup.township_code,
            DeputyGroup.id,
            DeputyGroup.name,
        )
        .join(live, live.c.person_id == Person.id)
        .outerjoin(
            GroupMembership, and_(GroupMembership.person_id == Person.id, GroupMembership.group_kind == "geographic")
        )
        .outerjoin(DeputyGroup, DeputyGroup.id == GroupMembership.group_id)
        .order_by(Person.name_pinyin, Person.id)
    )
    found: dict[uuid.UUID, DeputyInfo] = {}
    for row in (await session.execute(query)).all():
        found[row[0]] = DeputyInfo(
            row[0],
            row[1],
            row[2],
            row[3],
            (row[4] or "").strip() or None,
            row[5],
            tuple(sorted(row[6], key=LEVELS.index)),
            bool(row[7]),
            row[8],
            row[9],
            row[10],
        )
    return found


async def committee_person_ids(session: AsyncSession, term_id: uuid.UUID) -> frozenset[uuid.UUID]:
    query = select(CommitteeMember.person_id).where(
        CommitteeMember.term_id == term_id, CommitteeMember.ended_on.is_(None), CommitteeMember.person_id.is_not(None)
    )
    return frozenset((await session.execute(query)).scalars())


async def known_townships(session: AsyncSession) -> list[str]:
    """Township codes of the office's township congresses and of its deputy groups."""
    congresses = select(Congress.division_code).where(Congress.level == "township")
    groups = select(DeputyGroup.township_code).where(DeputyGroup.township_code.is_not(None))
    rows = (await session.execute(congresses.union(groups))).scalars()
    return sorted({code for code in rows if code})


async def user_ids_of(session: AsyncSession, person_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, uuid.UUID]:
    wanted = set(person_ids)
    if not wanted:
        return {}
    query = select(Person.id, Person.user_id).where(Person.id.in_(wanted), Person.user_id.is_not(None))
    return {pid: uid for pid, uid in (await session.execute(query)).all()}


async def person_names(session: AsyncSession, person_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, str]:
    wanted = set(person_ids)
    if not wanted:
        return {}
    return dict((await session.execute(select(Person.id, Person.name).where(Person.id.in_(wanted)))).all())


# --- assignments ----------------------------------------------------------------------------------
async def assignments(session: AsyncSession, term_id: uuid.UUID) -> list[ContactAssignment]:
    query = select(ContactAssignment).where(ContactAssignment.term_id == term_id).order_by(ContactAssignment.created_at)
    return list((await session.execute(query)).scalars())


async def township_assignments(session: AsyncSession, term_id: uuid.UUID) -> list[TownshipAssignment]:
    query = (
        select(TownshipAssignment)
        .where(TownshipAssignment.term_id == term_id)
        .order_by(TownshipAssignment.township_code)
    )
    return list((await session.execute(query)).scalars())


async def sector_links(session: AsyncSession) -> list[SectorLink]:
    return list((await session.execute(select(SectorLink).order_by(SectorLink.sector))).scalars())


async def assignment_of(session: AsyncSession, term_id: uuid.UUID, person_id: uuid.UUID) -> ContactAssignment | None:
    query = select(ContactAssignment).where(
        ContactAssignment.term_id == term_id, ContactAssignment.person_id == person_id
    )
    return (await session.execute(query)).scalar_one_or_none()


async def assignment_count(session: AsyncSession, committee_member_id: uuid.UUID) -> int:
    query = select(func.count()).where(ContactAssignment.committee_member_id == committee_member_id)
    return (await session.execute(query)).scalar_one()


async def lock_member(session: AsyncSession, committee_member_id: uuid.UUID) -> None:
    """Serialises changes to one member's assignments, so two adds cannot both pass the upper bound."""
    query = select(CommitteeMember.id).where(CommitteeMember.id == committee_member_id).with_for_update()
    await session.execute(query)


async def counts_per_member(session: AsyncSession, term_id: uuid.UUID) -> dict[uuid.UUID, int]:
    query = (
        select(ContactAssignment.committee_member_id, func.count())
        .where(ContactAssignment.term_id == term_id)
        .group_by(ContactAssignment.committee_member_id)
    )
    return dict((await session.execute(query)).all())


# --- records --------------------------------------------------------------------------------------
def records_query(filters: RecordFilter, member_ids: frozenset[uuid.UUID] | None) -> Select[Any]:
    """Records matching the filters, newest first; `member_ids` limits them to those members' own."""
    query = select(ContactRecord).order_by(ContactRecord.contacted_on.desc(), ContactRecord.created_at.desc())
    if member_ids is not None:
        query = query.where(ContactRecord.committee_member_id.in_(member_ids or [uuid.UUID(int=0)]))
    if filters.term_id:
        query = query.where(ContactRecord.term_id == filters.term_id)
    if filters.committee_member_id:
        query = query.where(ContactRecord.committee_member_id == filters.committee_member_id)
    if filters.mode:
        query = query.where(ContactRecord.mode == filters.mode)
    if filters.since:
        query = query.where(ContactRecord.contacted_on >= filters.since)
    if filters.until:
        query = query.where(ContactRecord.contacted_on <= filters.until)
    if filters.person_id:
        query = query.where(
            select(RecordDeputy.id)
            .where(RecordDeputy.record_id == ContactRecord.id, RecordDeputy.person_id == filters.person_id)
            .exists()
        )
    if filters.q and filters.q.strip():
        text = filters.q.strip()
        key = search_key(text)
        deputy = (
            select(RecordDeputy.id)
            .join(Person, Person.id == RecordDeputy.person_id)
            .where(
                RecordDeputy.record_id == ContactRecord.id,
                or_(
                    Person.name.contains(text, autoescape=True),
                    *([Person.name_pinyin.startswith(key, autoescape=True)] if key else []),
                ),
            )
            .exists()
        )
        query = query.where(
            or_(
                ContactRecord.topics.contains(text, autoescape=True),
                ContactRecord.summary.contains(text, autoescape=True),
                ContactRecord.member_name.contains(text, autoescape=True),
                deputy,
            )
        )
    return query


async def record_deputies(
    session: AsyncSession, record_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[RecordDeputy]]:
    if not record_ids:
        return {}
    query = select(RecordDeputy).where(RecordDeputy.record_id.in_(record_ids))
    found: dict[uuid.UUID, list[RecordDeputy]] = defaultdict(list)
    for row in (await session.execute(query)).scalars():
        found[row.record_id].append(row)
    return found


async def counts_by_record(session: AsyncSession, model: Any, record_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, int]:
    if not record_ids:
        return {}
    query = select(model.record_id, func.count()).where(model.record_id.in_(record_ids)).group_by(model.record_id)
    return dict((await session.execute(query)).all())


async def issues(session: AsyncSession, record_id: uuid.UUID) -> list[ContactIssue]:
    query = select(ContactIssue).where(ContactIssue.record_id == record_id).order_by(ContactIssue.created_at)
    return list((await session.execute(query)).scalars())


async def attachments(session: AsyncSession, record_id: uuid.UUID) -> list[ContactAttachment]:
    query = (
        select(ContactAttachment).where(ContactAttachment.record_id == record_id).order_by(ContactAttachment.created_at)
    )
    return list((await session.execute(query)).scalars())


@dataclass(frozen=True)
class ContactFact:
    """One deputy contacted in one record, for the reports."""

    record_id: uuid.UUID
    committee_member_id: uuid.UUID | None
    person_id: uuid.UUID
    contacted_on: date


async def contact_facts(session: AsyncSession, term_id: uuid.UUID, since: date, until: date) -> list[ContactFact]:
    query = (
        select(ContactRecord.id, ContactRecord.committee_member_id, RecordDeputy.person_id, ContactRecord.contacted_on)
        .join(RecordDeputy, RecordDeputy.record_id == ContactRecord.id)
        .where(ContactRecord.term_id == term_id, ContactRecord.contacted_on.between(since, until))
    )
    return [ContactFact(*row) for row in (await session.execute(query)).all()]


async def record_counts(
    session: AsyncSession, term_id: uuid.UUID, since: date, until: date
) -> dict[uuid.UUID | None, int]:
    query = (
        select(ContactRecord.committee_member_id, func.count())
        .where(ContactRecord.term_id == term_id, ContactRecord.contacted_on.between(since, until))
        .group_by(ContactRecord.committee_member_id)
    )
    return dict((await session.execute(query)).all())


# --- invited attendance ---------------------------------------------------------------------------
def meetings_query(term_id: uuid.UUID) -> Select[Any]:
    return (
        select(AttendanceMeeting)
        .where(AttendanceMeeting.term_id == term_id)
        .order_by(AttendanceMeeting.held_on.desc(), AttendanceMeeting.number.desc())
    )


async def invitation_counts(
    session: AsyncSession, meeting_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, tuple[int, int, int]]:
    """Per meeting: invited, attended, speeches."""
    if not meeting_ids:
        return {}
    query = (
        select(
            MeetingInvitation.meeting_id,
            func.count(),
            func.count().filter(MeetingInvitation.status == "attended"),
            func.count().filter(MeetingInvitation.spoke),
        )
        .where(MeetingInvitation.meeting_id.in_(meeting_ids))
        .group_by(MeetingInvitation.meeting_id)
    )
    return {row[0]: (row[1], row[2], row[3]) for row in (await session.execute(query)).all()}


async def invitations(session: AsyncSession, meeting_id: uuid.UUID) -> list[MeetingInvitation]:
    query = (
        select(MeetingInvitation)
        .where(MeetingInvitation.meeting_id == meeting_id)
        .order_by(MeetingInvitation.invited_at, MeetingInvitation.id)
    )
    return list((await session.execute(query)).scalars())


async def invitation_history(session: AsyncSession, term_id: uuid.UUID) -> dict[uuid.UUID, tuple[int, date]]:
    """Per deputy in the term: times invited, and the date of the latest meeting they were invited to."""
    query = (
        select(MeetingInvitation.person_id, func.count(), func.max(AttendanceMeeting.held_on))
        .join(AttendanceMeeting, AttendanceMeeting.id == MeetingInvitation.meeting_id)
        .where(AttendanceMeeting.term_id == term_id)
        .group_by(MeetingInvitation.person_id)
    )
    return {row[0]: (row[1], row[2]) for row in (await session.execute(query)).all()}


async def term_attendance_totals(session: AsyncSession, term_id: uuid.UUID) -> tuple[int, int, int, int]:
    """Meetings, invitations, attendances and observers of the term."""
    meetings = (
        await session.execute(
            select(func.count(), func.coalesce(func.sum(AttendanceMeeting.observers), 0)).where(
                AttendanceMeeting.term_id == term_id
            )
        )
    ).one()
    invited = (
        await session.execute(
            select(func.count(), func.count().filter(MeetingInvitation.status == "attended"))
            .join(AttendanceMeeting, AttendanceMeeting.id == MeetingInvitation.meeting_id)
            .where(AttendanceMeeting.term_id == term_id)
        )
    ).one()
    return meetings[0], invited[0], invited[1], int(meetings[1])
