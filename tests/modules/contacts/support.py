"""Offices, terms, deputies and committee members for the contacts tests, written straight into an
office's schema.

The test database is shared by the whole run, and coverage counts every deputy of an office, so a
test starts its office afresh (`fresh_term`): the office's live mandates end, and a new current
term begins: five years from the first day of today's quarter, so it holds today.

The dates the tests use are derived from today (`local_today()`), never written out: the reports,
the "behind schedule" reminders and the rollups read "this quarter" from today, so fixed dates would
hold only while the run falls in the quarter they were written in.
"""

from __future__ import annotations

import hashlib
import itertools
import uuid
from dataclasses import dataclass, field
from datetime import date, timedelta

import asyncpg
from sqlalchemy import func, select, update

from renda.core.timezone import local_today
from renda.modules.contacts.models import ContactSettings
from renda.modules.deputies.models import Congress, Mandate, MandateStatus, Person, Term
from renda.modules.deputies.names import full_pinyin, initials
from renda.modules.organisation.models import Body, CommitteeMember, DeputyGroup, GroupMembership
from renda.tenants.scoping import load_tenant, tenant_session
from tests.conftest import _asyncpg_dsn, ensure_tenant

ACTOR = "system:test:联系代表"
CITY, COUNTY, OTHER_COUNTY = "371400", "371402", "371403"
TOWNSHIP, OTHER_TOWNSHIP = "371402100", "371402101"
OFFICES = [
    (CITY, "德州市人大常委会", "city", None),
    (COUNTY, "德州市德城区人大常委会", "county", CITY),
    (OTHER_COUNTY, "德州市陵城区人大常委会", "county", CITY),
    (TOWNSHIP, "德州市德城区新湖街道人大工委", "township", COUNTY),
    (OTHER_TOWNSHIP, "德州市德城区新华街道人大工委", "township", COUNTY),
]


def _quarter_start(day: date) -> date:
    return date(day.year, (day.month - 1) // 3 * 3 + 1, 1)


def _months_later(day: date, months: int) -> date:
    """The first day of the month `months` after `day`'s."""
    month = day.month - 1 + months
    return date(day.year + month // 12, month % 12 + 1, 1)


def quarter_key(day: date) -> str:
    """The key of `day`'s quarter, as the reports take it: 2026-Q4."""
    return f"{day.year}-Q{(day.month - 1) // 3 + 1}"


def quarter_label(day: date) -> str:
    """The label of `day`'s quarter, as the reports show it: 2026年第4季度."""
    return f"{day.year}年第{(day.month - 1) // 3 + 1}季度"


def scheduled(day: date) -> str:
    """The weekly job's period for its 09:00 run on `day` (2026-12-07T09:00+08:00)."""
    return f"{day.isoformat()}T09:00+08:00"


TODAY = local_today()
QUARTER_START = _quarter_start(TODAY)  # also the earliest day "earlier in the quarter", even on its first day
QUARTER_END = _months_later(QUARTER_START, 3) - timedelta(days=1)
PREVIOUS_QUARTER_START = _quarter_start(QUARTER_START - timedelta(days=1))
MONTH_START = TODAY.replace(day=1)
MONTH_END = _months_later(TODAY, 1) - timedelta(days=1)
YEAR_START, YEAR_END = date(TODAY.year, 1, 1), date(TODAY.year, 12, 31)
# The weekly reminder acts in a quarter's last month: its first Monday (the 1st to the 7th), so the
# next two Mondays fall in that month too.
_LAST_MONTH = _months_later(QUARTER_START, 2)
REMINDER_MONDAY = _LAST_MONTH + timedelta(days=(7 - _LAST_MONTH.weekday()) % 7)
TERM_START, TERM_END = QUARTER_START, _months_later(QUARTER_START, 60) - timedelta(days=1)
BEFORE_TERM = TERM_START - timedelta(days=1)
SURNAMES = "赵钱孙李周吴郑王冯陈褚卫蒋沈韩杨朱秦尤许何吕施张孔曹严华金魏陶姜戚谢邹喻柏水窦章云苏潘葛奚范彭郎"
GIVEN = "国华建军秀英志强丽娟明辉海燕文斌春梅晓红立新玉兰德胜桂芳振宇"
_counter = itertools.count(1)


async def ensure_offices(database) -> None:
    for office in OFFICES:
        await ensure_tenant(database, *office)


def deputy_name() -> str:
    """A fresh two- or three-character name (unique within the test run)."""
    n = next(_counter)
    return SURNAMES[n % len(SURNAMES)] + GIVEN[(n // len(SURNAMES)) % len(GIVEN)] + f"{n:04d}"


@dataclass
class Office:
    code: str
    level: str
    term_id: uuid.UUID
    congress_id: uuid.UUID
    groups: dict[str, uuid.UUID] = field(default_factory=dict)  # township code → geographic group


async def fresh_term(code: str, level: str = "county", *, current: bool = True) -> Office:
    """The office's live mandates end and a new term of its own congress begins (the current one)."""
    async with tenant_session(await load_tenant(code), actor=ACTOR) as session:
        query = select(Congress).where(Congress.division_code == code, Congress.level == level)
        congress = (await session.execute(query)).scalar_one_or_none()
        if congress is None:
            congress = Congress(level=level, name=f"{code}人民代表大会", division_code=code)
            session.add(congress)
            await session.flush()
        await session.execute(
            update(Mandate)
            .where(Mandate.status != MandateStatus.ENDED)
            .values(status=MandateStatus.ENDED, ended_on=Mandate.starts_on, end_reason="term_ended")
        )
        if current:
            await session.execute(update(Term).where(Term.congress_id == congress.id).values(is_current=False))
        top = (await session.execute(select(func.max(Term.number)).where(Term.congress_id == congress.id))).scalar()
        term = Term(
            congress_id=congress.id,
            number=(top or 0) + 1,
            starts_on=TERM_START,
            ends_on=TERM_END,
            is_current=current,
        )
        session.add(term)
        settings = await session.get(ContactSettings, 1)
        if settings is not None:
            await session.delete(settings)
        await session.commit()
        return Office(code, level, term.id, congress.id)


async def township(office: Office, township_code: str, name: str) -> uuid.UUID:
    """A township congress (for its name) and a geographic group there; returns the group."""
    async with tenant_session(await load_tenant(office.code), actor=ACTOR) as session:
        query = select(Congress).where(Congress.level == "township", Congress.division_code == township_code)
        if (await session.execute(query)).scalar_one_or_none() is None:
            session.add(Congress(level="township", name=f"{name}人民代表大会", division_code=township_code))
        group = DeputyGroup(
            kind="geographic", name=f"{name}代表小组{uuid.uuid4().hex[:6]}", township_code=township_code
        )
        session.add(group)
        await session.commit()
        office.groups[township_code] = group.id
        return group.id


async def deputies(
    office: Office,
    count: int,
    *,
    township_code: str | None = None,
    group_id: uuid.UUID | None = None,
    level: str | None = None,
    sector: str | None = None,
    term_id: uuid.UUID | None = None,
    user_ids: list[uuid.UUID] | None = None,
) -> list[uuid.UUID]:
    """Persons with a live mandate (of the office's level unless told) in the office's term, in the
    geographic group of `township_code` (or `group_id`) when given."""
    group = group_id or (office.groups.get(township_code) if township_code else None)
    async with tenant_session(await load_tenant(office.code), actor=ACTOR) as session:
        persons = []
        for n in range(count):
            name = deputy_name()
            persons.append(
                Person(
                    name=name,
                    name_pinyin=full_pinyin(name),
                    name_initials=initials(name),
                    gender="female" if n % 2 else "male",
                    sector=sector,
                    user_id=user_ids[n] if user_ids and n < len(user_ids) else None,
                )
            )
        session.add_all(persons)
        await session.flush()
        session.add_all(
            Mandate(
                person_id=p.id, term_id=term_id or office.term_id, level=level or office.level, starts_on=TERM_START
            )
            for p in persons
        )
        if group:
            session.add_all(GroupMembership(group_id=group, group_kind="geographic", person_id=p.id) for p in persons)
        await session.commit()
        return [p.id for p in persons]


async def members(
    office: Office,
    count: int,
    *,
    council: int = 0,
    term_id: uuid.UUID | None = None,
    user_ids: list[uuid.UUID] | None = None,
    person_ids: list[uuid.UUID] | None = None,
    names: list[str] | None = None,
) -> list[uuid.UUID]:
    """Committee members of the term: the first `council` are vice-chairs on the council."""
    async with tenant_session(await load_tenant(office.code), actor=ACTOR) as session:
        rows = [
            CommitteeMember(
                term_id=term_id or office.term_id,
                name=names[n] if names else f"委员{deputy_name()}",
                position="vice_chair" if n < council else "member",
                on_council=n < council,
                user_id=user_ids[n] if user_ids and n < len(user_ids) else None,
                person_id=person_ids[n] if person_ids and n < len(person_ids) else None,
                started_on=TERM_START,
            )
            for n in range(count)
        ]
        session.add_all(rows)
        await session.commit()
        return [r.id for r in rows]


async def special_committee(code: str, name: str) -> uuid.UUID:
    async with tenant_session(await load_tenant(code), actor=ACTOR) as session:
        body = Body(kind="special_committee", name=f"{name}{uuid.uuid4().hex[:4]}")
        session.add(body)
        await session.commit()
        return body.id


CONTACT_TABLES = (
    "contact_settings",
    "contact_assignments",
    "contact_township_assignments",
    "contact_sector_links",
    "contact_proposals",
    "contact_proposal_items",
    "contact_records",
    "contact_record_deputies",
    "contact_issues",
    "contact_attachments",
    "contact_meetings",
    "contact_meeting_invitations",
)


async def contacts_state(database_url: str, code: str) -> str:
    """A digest of the office's contacts tables, read outside the app."""
    conn = await asyncpg.connect(_asyncpg_dsn(database_url), statement_cache_size=0)
    try:
        digest = hashlib.sha256()
        for table in CONTACT_TABLES:
            rows = await conn.fetch(f'select * from "t_{code}"."{table}" order by 1')
            digest.update(f"{table}:{[tuple(r) for r in rows]}".encode())
        return digest.hexdigest()
    finally:
        await conn.close()


async def seed_contacts(code: str, marker: str) -> dict[str, str]:
    """One object of every kind the contacts routes address by id, in office `code` (for the
    isolation test's office B): a special committee, an assignment, a township assignment, a proposal
    and its item, a record with an issue and an attachment, a meeting with an invitation."""
    from renda.modules.contacts.models import (
        AssignmentProposal,
        AttendanceMeeting,
        ContactAssignment,
        ContactAttachment,
        ContactIssue,
        ContactRecord,
        MeetingInvitation,
        ProposalItem,
        TownshipAssignment,
    )

    async with tenant_session(await load_tenant(code), actor=f"user:x:{marker}") as session:
        taken = set((await session.execute(select(Congress.division_code))).scalars())
        division = next(f"{code}{n}" for n in range(500, 999) if f"{code}{n}" not in taken)
        congress = Congress(level="township", name=f"{marker}大会", division_code=division)
        person = Person(name=marker[:50], name_pinyin="c", name_initials="c", gender="male")
        session.add_all([congress, person])
        await session.flush()
        term = Term(congress_id=congress.id, number=1, starts_on=date(2021, 10, 1), is_current=False)
        session.add(term)
        await session.flush()
        member = CommitteeMember(term_id=term.id, name=marker[:50], position="member", started_on=term.starts_on)
        session.add(member)
        await session.flush()
        proposal = AssignmentProposal(term_id=term.id, kind="suggested", created_by=marker)
        record = ContactRecord(
            term_id=term.id,
            committee_member_id=member.id,
            member_name=marker[:50],
            contacted_on=date(2022, 1, 5),
            mode="visit",
            topics=marker,
            recorded_by=marker,
        )
        meeting = AttendanceMeeting(term_id=term.id, number=1, title=marker, held_on=date(2022, 2, 1))
        rows = {
            "body_id": Body(kind="special_committee", name=marker[:100]),
            "assignment_id": ContactAssignment(term_id=term.id, committee_member_id=member.id, person_id=person.id),
            "township_assignment_id": TownshipAssignment(
                term_id=term.id, committee_member_id=member.id, township_code=division
            ),
            "proposal_id": proposal,
            "record_id": record,
            "meeting_id": meeting,
        }
        session.add_all(rows.values())
        await session.flush()
        rows["item_id"] = ProposalItem(proposal_id=proposal.id, committee_member_id=member.id, person_id=person.id)
        rows["issue_id"] = ContactIssue(record_id=record.id, person_id=None, content=marker)
        rows["attachment_id"] = ContactAttachment(
            record_id=record.id, filename="b.txt", content_type="text/plain", size=1, content=b"b", uploaded_by=marker
        )
        rows["attendance_id"] = MeetingInvitation(meeting_id=meeting.id, person_id=person.id)
        session.add_all([rows["item_id"], rows["issue_id"], rows["attachment_id"], rows["attendance_id"]])
        await session.commit()
        return {key: str(row.id) for key, row in rows.items()}
