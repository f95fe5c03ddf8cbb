"""A year of the demo's contacts in 石泉县, so the contact reports, rollups and trends show a year of
figures: each committee member's records with their fixed deputies month by month over the last twelve
months (more in the months before a congress session, fewer in the spring festival month), and a
standing-committee meeting every other month with invited deputies and public observers.

Generated from a fixed seed, written in bulk (one INSERT per table). The current quarter of 陈明 and
罗斌 is left as `demo.py` sets it, so the committee member's workbench shows who is still to contact.
"""

from __future__ import annotations

import random
import uuid
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from renda.core.timezone import local_today
from renda.modules.contacts.models import (
    AttendanceMeeting,
    ContactAssignment,
    ContactRecord,
    MeetingInvitation,
    RecordDeputy,
)
from renda.modules.organisation.models import CommitteeMember

SEED = 6109221
ACTOR = "system:demo:演示数据"
KEEP_QUARTER = ("陈明", "罗斌")
MODES = (("visit", 4), ("call", 3), ("meeting", 2), ("online", 2))
TOPICS = (
    "走访了解代表履职情况和选区群众诉求",
    "通报常委会近期工作,听取代表意见",
    "座谈交流代表建议办理进展",
    "了解代表参加代表小组活动情况",
    "征求对常委会工作报告的意见",
    "电话沟通代表联络站接待情况",
    "听取代表对县域经济发展的意见",
    "了解代表联系选民、收集社情民意情况",
)
SUMMARIES = (
    "代表反映选区道路、饮水等民生问题较集中,已记录并跟踪。",
    "代表对常委会工作表示肯定,建议加强对重点建议办理的督办。",
    "代表介绍了近期接待选民情况,群众对就医、就学问题关注较多。",
    None,
)
MEETINGS = (
    "审议县人民政府关于乡村振兴工作情况的报告",
    "审议县人民政府关于教育事业发展情况的报告",
    "审议县人民法院关于民事审判工作情况的报告",
    "审议县人民政府关于2025年度环境状况和环境保护目标完成情况的报告",
    "审议县人民政府关于县级预算执行情况的报告",
)
SPEECHES = (
    "建议加大对农村公路养护的投入",
    "建议完善城乡学校结对帮扶机制",
    "建议进一步规范诉讼服务中心窗口服务",
    None,
)


def _month_weight(day: date) -> int:
    """Contacts peak before the congress session (December, January) and dip at the spring festival."""
    return {1: 2, 2: 0, 12: 2}.get(day.month, 1)


def _at(day: date) -> datetime:
    return datetime.combine(day, time(2, 0), UTC)  # 10:00 in 石泉 (UTC+8)


async def seed_history(session: AsyncSession, term_id: uuid.UUID, term_start: date) -> int:
    """Returns the number of contact records added."""
    rng = random.Random(SEED)
    today = local_today()
    quarter_start = date(today.year, (today.month - 1) // 3 * 3 + 1, 1)
    first = max(term_start, today - timedelta(days=365))
    members = (
        await session.execute(
            select(CommitteeMember.id, CommitteeMember.name)
            .where(CommitteeMember.term_id == term_id, CommitteeMember.ended_on.is_(None))
            .order_by(CommitteeMember.name)
        )
    ).all()
    fixed: dict[uuid.UUID, list[uuid.UUID]] = {}
    for member_id, person_id in await session.execute(
        select(ContactAssignment.committee_member_id, ContactAssignment.person_id)
        .where(ContactAssignment.term_id == term_id)
        .order_by(ContactAssignment.person_id)
    ):
        fixed.setdefault(member_id, []).append(person_id)
    records: list[ContactRecord] = []
    deputies: list[RecordDeputy] = []
    for member_id, name in members:
        mine = fixed.get(member_id)
        if not mine:
            continue
        last = quarter_start - timedelta(days=1) if name in KEEP_QUARTER else today - timedelta(days=1)
        day = first
        while day <= last:
            for _ in range(_month_weight(day) + rng.choice((0, 0, 1))):
                on = min(last, day + timedelta(days=rng.randrange(28)))
                record = ContactRecord(
                    id=uuid.uuid4(),
                    term_id=term_id,
                    committee_member_id=member_id,
                    member_name=name,
                    contacted_on=on,
                    mode=rng.choices([m for m, _ in MODES], [w for _, w in MODES])[0],
                    topics=rng.choice(TOPICS),
                    summary=rng.choice(SUMMARIES),
                    recorded_by=ACTOR,
                    created_at=_at(on),
                    updated_at=_at(on),
                )
                records.append(record)
                for person_id in rng.sample(mine, min(len(mine), rng.choice((1, 1, 2, 3)))):
                    deputies.append(RecordDeputy(record_id=record.id, person_id=person_id, assigned=True))
            day = (day.replace(day=1) + timedelta(days=32)).replace(day=1)
    session.add_all(records)
    await session.flush()
    session.add_all(deputies)
    await session.flush()
    await _meetings(session, rng, term_id, first, today, [p for ids in fixed.values() for p in ids])
    return len(records)


async def _meetings(
    session: AsyncSession, rng: random.Random, term_id: uuid.UUID, first: date, today: date, deputies: list[uuid.UUID]
) -> None:
    """A standing-committee meeting every other month before the last one `demo.py` seeds (number 1)."""
    days = [d for d in (today - timedelta(days=75 + 61 * n) for n in range(len(MEETINGS))) if d >= first]
    if not days or not deputies:
        return
    # Numbered in the order held: the meetings already there (the latest) come after these.
    await session.execute(update(AttendanceMeeting).values(number=AttendanceMeeting.number + len(days)))
    for number, (held_on, title) in enumerate(zip(reversed(days), MEETINGS, strict=False), start=1):
        meeting = AttendanceMeeting(
            id=uuid.uuid4(),
            term_id=term_id,
            number=number,
            title=title,
            held_on=held_on,
            observers=rng.randrange(3, 12),
        )
        session.add(meeting)
        await session.flush()
        for k, person_id in enumerate(rng.sample(deputies, min(len(deputies), 5))):
            status = "excused" if k == 4 else "attended"
            speech = rng.choice(SPEECHES) if status == "attended" else None
            session.add(
                MeetingInvitation(
                    meeting_id=meeting.id,
                    person_id=person_id,
                    status=status,
                    spoke=speech is not None,
                    speech=speech,
                    invited_at=_at(held_on - timedelta(days=7)),
                )
            )
        await session.flush()
