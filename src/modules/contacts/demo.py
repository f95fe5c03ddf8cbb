"""Demo data of the contacts for 石泉县 (610922): four committee members of the current term (陈明, the
demo committee member's account, among them), fixed to the register's twelve deputies by the
suggested assignment, a few contact records this quarter (陈明 with one fixed deputy still to contact,
罗斌 with none contacted yet), and a standing-committee meeting with invited deputies.

Seeds once: does nothing when the term already has contact assignments or records.
"""

from __future__ import annotations

import uuid
from datetime import date, timedelta

from sqlalchemy import func, select

from renda.core.db import get_database
from renda.core.errors import NotFound
from renda.core.timezone import local_today
from renda.modules.accounts.models import User
from renda.modules.contacts import service
from renda.modules.contacts.demo_history import seed_history
from renda.modules.contacts.models import ContactAssignment, ContactRecord
from renda.modules.contacts.schemas import (
    AttendanceIn,
    InvitationsIn,
    IssueIn,
    MeetingIn,
    ProposalIn,
    RecordIn,
)
from renda.modules.organisation import service as organisation
from renda.modules.organisation.service import CommitteeMemberIn
from renda.tenants.scoping import load_tenant, tenant_session

OFFICE = "610922"
ACTOR = "system:demo:演示数据"
DEMO_MEMBER_USER = "石泉县 常委会组成人员 陈明(演示)"
# (name, position); the chair and vice-chair sit on the council of chairpersons.
MEMBERS = [
    ("刘志远", "chair"),
    ("何静", "vice_chair"),
    ("陈明", "member"),
    ("罗斌", "member"),
    # The rest of a county standing committee (石泉县's has about twenty), so the 152 county deputies
    # are fixed three to five to a member.
    *((name, "vice_chair") for name in ("孟庆丰", "邱雅琴", "沈国栋")),
    *(
        (name, "member")
        for name in "姚振华 袁晓蓓 谭家瑞 鲁文涛 覃丽君 阮志刚 倪红霞 贝明哲 詹秋菊 冉德胜 聂永康 蒲晓燕 温立群 包晨曦 岳建平 晏雪梅 柴宏伟 甘淑英 牛宝山 殷海燕 席志文 莫秀珍 巩立新 裴佳宁 邢少华 单雅丽 廉志远 鞠晓光 车立平 苗春兰".split()  # noqa: E501
    ),
]
HISTORY_MARK = 30  # more contact records than demo.py writes: the year of history is there


async def _demo_member_user() -> uuid.UUID | None:
    async with get_database().platform_session() as platform:
        query = select(User.id).where(User.display_name == DEMO_MEMBER_USER, User.is_demo)
        return (await platform.execute(query)).scalar_one_or_none()


def _day(term_start: date, days_ago: int) -> date:
    """A day this many days before today, never before the term began."""
    return max(term_start, local_today() - timedelta(days=days_ago))


async def seed_demo() -> None:
    await seed_current()
    await seed_year()


async def seed_year() -> None:
    """The year of history (`demo_history`), once."""
    tenant = await load_tenant(OFFICE)
    async with tenant_session(tenant, actor=ACTOR) as session:
        try:
            term = await service.resolve_term(session, tenant)
        except NotFound:
            return
        if (await session.scalar(select(func.count()).select_from(ContactRecord))) > HISTORY_MARK:
            return
        await seed_history(session, term.id, term.starts_on)
        await session.commit()


async def seed_current() -> None:
    tenant = await load_tenant(OFFICE)
    caller = service.system_caller(ACTOR)
    async with tenant_session(tenant, actor=ACTOR) as session:
        try:
            term = await service.resolve_term(session, tenant)
        except NotFound:
            return  # the register's demo data is not there
        done = await session.scalar(
            select(func.count()).select_from(ContactAssignment).where(ContactAssignment.term_id == term.id)
        )
        if done or await session.scalar(select(func.count()).select_from(ContactRecord)):
            return
        committee = await organisation.committee(session, tenant, term.id)
        serving = {m.name: m.id for m in committee.members if m.is_serving}
        user_id = await _demo_member_user()
        for name, position in MEMBERS:
            if name not in serving:
                member = await organisation.create_committee_member(
                    session,
                    tenant,
                    CommitteeMemberIn(
                        term_id=term.id, position=position, name=name, user_id=user_id if name == "陈明" else None
                    ),
                )
                serving[name] = member.id

        proposal = await service.suggest_assignments(session, tenant, caller, ProposalIn(term.id, keep_existing=True))
        await service.apply_proposal(session, tenant, caller, proposal)
        board = await service.assignment_board(session, tenant, caller, term.id)
        fixed = {row.member.name: [d.deputy.id for d in row.deputies] for row in board.members}

        records = [
            (
                "陈明",
                20,
                "visit",
                "走访了解代表联系选民情况",
                fixed["陈明"][:2],
                "城关镇江南片区排水管网老化,雨季易内涝",
            ),
            # 陈明 calls the same deputy again: one of his three is still to contact this quarter.
            ("陈明", 6, "call", "电话沟通代表建议办理进展", fixed["陈明"][1:2], None),
            (
                "刘志远",
                12,
                "meeting",
                "座谈听取代表对县域经济发展的意见",
                fixed["刘志远"],
                "建议加大对特色农产品加工企业的扶持",
            ),
            ("何静", 3, "online", "网络联系,通报常委会近期工作", fixed["何静"][:1], None),
        ]
        for name, days_ago, mode, topics, deputies, issue in records:
            if not deputies:
                continue
            await service.create_record(
                session,
                tenant,
                caller,
                RecordIn(
                    contacted_on=_day(term.starts_on, days_ago),
                    mode=mode,  # type: ignore[arg-type]
                    topics=topics,
                    person_ids=deputies,
                    committee_member_id=serving[name],
                    issues=[IssueIn(issue, deputies[0])] if issue else [],
                ),
            )

        meeting = await service.create_meeting(
            session,
            tenant,
            caller,
            MeetingIn(
                number=1,
                title="审议县人民政府关于优化营商环境工作情况的报告",
                held_on=_day(term.starts_on, 15),
                observers=5,
            ),
        )
        suggested = await service.rotation(session, tenant, meeting, 4)
        invitations = await service.invite(
            session, tenant, caller, meeting, InvitationsIn([e.deputy.id for e in suggested])
        )
        for n, invitation in enumerate(invitations):
            status = "excused" if n == len(invitations) - 1 else "attended"
            speech = "建议进一步压缩企业开办时间,推行“一件事一次办”" if n == 0 else None
            await service.record_attendance(session, caller, invitation, AttendanceIn(status=status, speech=speech))
        await session.commit()
