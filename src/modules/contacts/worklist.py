"""What waits in the contacts, for the workbench, each in one statement over the term of the office's own
congress (the current one, else the latest) and the running quarter:

- the office's (staff): the serving committee members behind schedule (联系滞后), by the office's rule
  (`each`: every fixed deputy contacted in the quarter; `any`: at least one), the furthest behind first;
- a committee member's: their fixed deputies they have not yet contacted this quarter.

Both count a deputy as contacted when a record of the member in the quarter names them, as the coverage
report does (`reports.progress`). The quarter's last day is the deadline.
"""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import and_, case, func, literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from renda.core.db import read_rows
from renda.core.worklist import ITEMS_SHOWN, DueItem, Worklist, window_counts
from renda.modules.contacts.models import ContactAssignment, ContactRecord, ContactSettings, RecordDeputy
from renda.modules.deputies.models import Congress, Person, Term
from renda.modules.organisation.models import CommitteeMember
from renda.modules.rollups.service import Period, containing


def _own_term(office_code: str):  # type: ignore[no-untyped-def]
    """The term `resolve_term` picks, as a scalar subquery: the current one of the office's own congress,
    else the latest."""
    return (
        select(Term.id)
        .join(Congress, Congress.id == Term.congress_id)
        .where(Congress.division_code == office_code)
        .order_by(Term.is_current.desc(), Term.number.desc())
        .limit(1)
        .scalar_subquery()
    )


def _contacted(term, quarter: Period):  # type: ignore[no-untyped-def]
    """(member, deputy) pairs named in the member's records of the quarter."""
    return (
        select(ContactRecord.committee_member_id, RecordDeputy.person_id)
        .join(RecordDeputy, RecordDeputy.record_id == ContactRecord.id)
        .where(ContactRecord.term_id == term, ContactRecord.contacted_on.between(quarter.start, quarter.end))
        .distinct()
        .subquery("contacted")
    )


def _pair(contacted) -> object:  # type: ignore[no-untyped-def]
    return and_(
        contacted.c.committee_member_id == ContactAssignment.committee_member_id,
        contacted.c.person_id == ContactAssignment.person_id,
    )


async def behind_worklist(session: AsyncSession, office_code: str, today: date, limit: int = ITEMS_SHOWN) -> Worklist:
    """Staff: `behind`, the serving members behind schedule in the quarter of `today`."""
    quarter = containing("quarter", today)
    term = _own_term(office_code)
    contacted = _contacted(term, quarter)
    per_member = (
        select(
            CommitteeMember.id,
            CommitteeMember.name,
            func.count().label("assigned"),
            func.count(contacted.c.person_id).label("done"),
        )
        .select_from(ContactAssignment)
        .join(CommitteeMember, CommitteeMember.id == ContactAssignment.committee_member_id)
        .outerjoin(contacted, _pair(contacted))
        .where(ContactAssignment.term_id == term, CommitteeMember.ended_on.is_(None))
        .group_by(CommitteeMember.id, CommitteeMember.name)
        .subquery("per_member")
    )
    rule = func.coalesce(
        select(ContactSettings.behind_rule).where(ContactSettings.id == 1).scalar_subquery(), literal("each")
    )
    behind = case((rule == "any", per_member.c.done == 0), else_=per_member.c.done < per_member.c.assigned)
    query = (
        select(per_member, func.count().over().label("behind"))
        .where(behind)
        .order_by(per_member.c.done * 1.0 / per_member.c.assigned, per_member.c.name)
        .limit(limit)
    )
    rows = await read_rows(session, query)
    items = [
        DueItem(row.id, row.name, "behind", due=quarter.end, detail=f"本季度已联系 {row.done}/{row.assigned} 名")
        for row in rows
    ]
    return Worklist(window_counts(rows[0] if rows else None, ["behind"]), items)


async def member_worklist(
    session: AsyncSession, office_code: str, user_id: uuid.UUID, today: date, limit: int = ITEMS_SHOWN
) -> Worklist:
    """A committee member (their seats linked to `user_id`): `to_contact`, their fixed deputies not yet
    contacted this quarter, of `assigned` in all."""
    quarter = containing("quarter", today)
    term = _own_term(office_code)
    contacted = _contacted(term, quarter)
    pending = contacted.c.person_id.is_(None)
    query = (
        select(
            Person.id,
            Person.name,
            pending.label("pending"),
            func.count().over().label("assigned"),
            func.count().filter(pending).over().label("to_contact"),
        )
        .select_from(ContactAssignment)
        .join(CommitteeMember, CommitteeMember.id == ContactAssignment.committee_member_id)
        .join(Person, Person.id == ContactAssignment.person_id)
        .outerjoin(contacted, _pair(contacted))
        .where(ContactAssignment.term_id == term, CommitteeMember.user_id == user_id)
        .order_by(pending.desc(), Person.name_pinyin, Person.id)
        .limit(limit)
    )
    rows = await read_rows(session, query)
    items = [DueItem(row.id, row.name, "to_contact", due=quarter.end) for row in rows if row.pending]
    return Worklist(window_counts(rows[0] if rows else None, ["assigned", "to_contact"]), items)
