"""Coverage reports: per committee member, per deputy, per quarter; who is behind schedule; Excel rows.

Behind schedule (联系滞后): a member with assigned deputies who, in the quarter, has not contacted
each of them ("each", the default: 常态化联系, every fixed deputy at least once a quarter) — or,
where the office chooses the looser rule "any", not one of them. Members without assigned deputies
are never behind. Contacts count when the member's record names the deputy.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from renda.core.errors import InvalidInput
from renda.core.pagination import check_paging
from renda.core.timezone import local_today
from renda.modules.contacts import repository as repo
from renda.modules.contacts.assignments import saved_coverage
from renda.modules.contacts.common import (
    Caller,
    committee_members,
    member_ref,
    register,
    resolve_term,
    settings_of,
    system_caller,
    term_ref,
)
from renda.modules.contacts.models import BEHIND_RULES, CHANNELS, ContactRecord
from renda.modules.contacts.schemas import (
    DeputyReport,
    DeputyReportRow,
    MemberReport,
    MemberReportRow,
    QuarterReport,
    QuarterRow,
)
from renda.modules.organisation.service import CommitteeMemberOut, TermOut
from renda.modules.rollups.service import Period, containing, parse
from renda.tenants.scoping import TenantRef, load_tenant


def quarter_of(key: str | None, today: date | None = None) -> Period:
    """A quarter given as 2026-Q4, or the running one."""
    if not key:
        return containing("quarter", today or local_today())
    period = parse(key)
    if period.kind != "quarter":
        raise InvalidInput(f"季度“{key}”格式不正确,应为 2026-Q4", code="invalid_quarter")
    return period


@dataclass
class MemberProgress:
    member: CommitteeMemberOut
    assigned: list[uuid.UUID]
    contacted: set[uuid.UUID]  # assigned deputies contacted in the quarter
    records: int
    last_contact_on: date | None

    def behind(self, rule: str) -> bool:
        if not self.assigned:
            return False
        if rule == "any":
            return not self.contacted
        return len(self.contacted) < len(self.assigned)


async def _last_contacts(session: AsyncSession, term_id: uuid.UUID) -> dict[uuid.UUID | None, date]:
    query = (
        select(ContactRecord.committee_member_id, func.max(ContactRecord.contacted_on))
        .where(ContactRecord.term_id == term_id)
        .group_by(ContactRecord.committee_member_id)
    )
    return dict((await session.execute(query)).all())


async def progress(
    session: AsyncSession, tenant: TenantRef, term: TermOut, quarter: Period, caller: Caller
) -> list[MemberProgress]:
    """Every member the caller may see who serves or has assigned deputies, in protocol order."""
    assigned: dict[uuid.UUID, list[uuid.UUID]] = defaultdict(list)
    for a in await repo.assignments(session, term.id):
        assigned[a.committee_member_id].append(a.person_id)
    contacted: dict[uuid.UUID, set[uuid.UUID]] = defaultdict(set)
    for fact in await repo.contact_facts(session, term.id, quarter.start, quarter.end):
        if fact.committee_member_id and fact.person_id in assigned.get(fact.committee_member_id, ()):
            contacted[fact.committee_member_id].add(fact.person_id)
    records = await repo.record_counts(session, term.id, quarter.start, quarter.end)
    last = await _last_contacts(session, term.id)
    return [
        MemberProgress(m, assigned.get(m.id, []), contacted.get(m.id, set()), records.get(m.id, 0), last.get(m.id))
        for m in await committee_members(session, tenant, term)
        if caller.may_see(m.id) and (m.is_serving or assigned.get(m.id))
    ]


async def member_report(
    session: AsyncSession,
    tenant: TenantRef,
    caller: Caller,
    term_id: uuid.UUID | None = None,
    quarter_key: str | None = None,
) -> MemberReport:
    term = await resolve_term(session, tenant, term_id)
    quarter = quarter_of(quarter_key)
    settings = await settings_of(session)
    names = await repo.person_names(session, await _assigned_ids(session, term.id))
    rows = []
    for p in await progress(session, tenant, term, quarter, caller):
        missing = [names.get(pid, "") for pid in p.assigned if pid not in p.contacted]
        rows.append(
            MemberReportRow(
                member_ref(p.member),
                len(p.assigned),
                len(p.contacted),
                p.records,
                p.last_contact_on,
                p.behind(settings.behind_rule),
                missing,
            )
        )
    return MemberReport(
        term_ref(term),
        quarter.key,
        quarter.label,
        settings.behind_rule,
        BEHIND_RULES[settings.behind_rule],
        rows,
        sum(1 for r in rows if r.behind),
    )


async def _assigned_ids(session: AsyncSession, term_id: uuid.UUID) -> list[uuid.UUID]:
    return [a.person_id for a in await repo.assignments(session, term_id)]


async def behind_members(
    session: AsyncSession, tenant: TenantRef, today: date
) -> tuple[Period, list[tuple[CommitteeMemberOut, list[str]]]]:
    """The serving members behind schedule in the quarter of `today`, with the deputies not yet contacted."""
    term = await resolve_term(session, tenant)
    quarter = quarter_of(None, today)
    settings = await settings_of(session)
    names = await repo.person_names(session, await _assigned_ids(session, term.id))
    found = [
        (p.member, [names.get(pid, "") for pid in p.assigned if pid not in p.contacted])
        for p in await progress(session, tenant, term, quarter, system_caller("system"))
        if p.member.is_serving and p.behind(settings.behind_rule)
    ]
    return quarter, found


async def deputy_report(
    session: AsyncSession,
    tenant: TenantRef,
    caller: Caller,
    term_id: uuid.UUID | None = None,
    quarter_key: str | None = None,
    *,
    q: str | None = None,
    page: int = 1,
    page_size: int = 50,
) -> DeputyReport:
    check_paging(page, page_size)
    term = await resolve_term(session, tenant, term_id)
    quarter = quarter_of(quarter_key)
    rows = [r for r in await _deputy_rows(session, tenant, caller, term, quarter) if _matches(r, q)]
    start = (page - 1) * page_size
    return DeputyReport(
        term_ref(term), quarter.key, quarter.label, rows[start : start + page_size], len(rows), page, page_size
    )


def _matches(row: DeputyReportRow, q: str | None) -> bool:
    return not q or not q.strip() or q.strip() in row.deputy.name or q.strip() in (row.member_name or "")


async def _deputy_rows(
    session: AsyncSession, tenant: TenantRef, caller: Caller, term: TermOut, quarter: Period
) -> list[DeputyReportRow]:
    reg = await register(session, tenant, term)
    cov = await saved_coverage(session, term.id)
    names = {m.id: m.name for m in await committee_members(session, tenant, term)}
    facts = await repo.contact_facts(session, term.id, term.starts_on, term.ends_on or local_today())
    in_quarter: dict[uuid.UUID, set[uuid.UUID]] = defaultdict(set)
    in_term: dict[uuid.UUID, set[uuid.UUID]] = defaultdict(set)
    last: dict[uuid.UUID, date] = {}
    for fact in facts:
        in_term[fact.person_id].add(fact.record_id)
        if quarter.start <= fact.contacted_on <= quarter.end:
            in_quarter[fact.person_id].add(fact.record_id)
        last[fact.person_id] = max(last.get(fact.person_id, fact.contacted_on), fact.contacted_on)
    rows = []
    for info in reg.to_cover():
        member_id = cov.member_of.get(info.id)
        if not caller.sees_all and member_id not in caller.member_ids:
            continue
        channel = cov.channel(info)
        rows.append(
            DeputyReportRow(
                reg.ref(info.id),
                names.get(member_id) if member_id else None,
                CHANNELS[channel] if channel else "未覆盖",
                len(in_quarter.get(info.id, ())),
                len(in_term.get(info.id, ())),
                last.get(info.id),
            )
        )
    return rows


def _quarters(term: TermOut, today: date) -> list[Period]:
    end = min(term.ends_on or today, today)
    found, day = [], term.starts_on
    while day <= end:
        quarter = containing("quarter", day)
        found.append(quarter)
        day = date.fromordinal(quarter.end.toordinal() + 1)
    return found


async def quarter_report(
    session: AsyncSession, tenant: TenantRef, caller: Caller, term_id: uuid.UUID | None = None
) -> QuarterReport:
    """Each quarter of the term so far, newest first: records, members contacting, deputies reached."""
    term = await resolve_term(session, tenant, term_id)
    today = local_today()
    quarters = _quarters(term, today)
    assigned = {
        (a.committee_member_id, a.person_id)
        for a in await repo.assignments(session, term.id)
        if caller.may_see(a.committee_member_id)
    }
    settings = await settings_of(session)
    facts = await repo.contact_facts(session, term.id, term.starts_on, today) if quarters else []
    rows = []
    for quarter in reversed(quarters):
        mine = [
            f for f in facts if quarter.start <= f.contacted_on <= quarter.end and caller.may_see(f.committee_member_id)
        ]
        pairs = {(f.committee_member_id, f.person_id) for f in mine}
        behind = None
        if quarter.start <= today <= quarter.end:
            progress_rows = await progress(session, tenant, term, quarter, caller)
            behind = sum(1 for p in progress_rows if p.member.is_serving and p.behind(settings.behind_rule))
        rows.append(
            QuarterRow(
                quarter.key,
                quarter.label,
                len({f.record_id for f in mine}),
                len({f.committee_member_id for f in mine if f.committee_member_id}),
                len({f.person_id for f in mine}),
                len(pairs & assigned),
                len(assigned),
                behind,
            )
        )
    return QuarterReport(term_ref(term), rows)


# --- Excel exports (registered in tasks.py) -------------------------------------------------------
# The exports cover every member: staff, viewers and parent offices may have them, committee members
# (who see only their own figures) may not.
EXPORT_PERMISSION = "contact_reports.read"
MEMBER_EXPORT_HEADERS = [
    "组成人员",
    "职务",
    "主任会议成员",
    "固定联系代表数",
    "本季度已联系代表数",
    "本季度联系次数",
    "最近联系日期",
    "进度",
    "本季度未联系的代表",
]
DEPUTY_EXPORT_HEADERS = [
    "代表",
    "代表层级",
    "乡镇(街道)",
    "代表小组",
    "界别/行业",
    "固定联系的组成人员",
    "覆盖方式",
    "本季度被联系次数",
    "本届被联系次数",
    "最近被联系日期",
]


QUARTER_EXPORT_HEADERS = [
    "季度",
    "联系记录",
    "开展联系的组成人员",
    "被联系的代表",
    "固定联系已联系",
    "固定联系总数",
    "联系滞后的组成人员",
]


def _export_params(params: dict[str, Any]) -> tuple[uuid.UUID | None, str | None]:
    term_id, quarter = (params or {}).get("term_id"), (params or {}).get("quarter")
    try:
        return (uuid.UUID(str(term_id)) if term_id else None), (str(quarter) if quarter else None)
    except ValueError as exc:
        raise InvalidInput("导出条件无效:届次不正确", code="invalid_export_params") from exc


async def _export_tenant(session: AsyncSession) -> TenantRef:
    return await load_tenant(session.info["tenant_code"])


async def export_member_rows(session: AsyncSession, params: dict[str, Any]) -> AsyncIterator[list[Any]]:
    term_id, quarter = _export_params(params)
    tenant = await _export_tenant(session)
    report = await member_report(session, tenant, system_caller("system:export"), term_id, quarter)
    for row in report.rows:
        yield [
            row.member.name,
            row.member.position_label,
            "是" if row.member.on_council else "",
            row.assigned,
            row.contacted,
            row.records,
            row.last_contact_on.isoformat() if row.last_contact_on else "",
            "滞后" if row.behind else ("正常" if row.assigned else "未安排"),
            "、".join(row.not_contacted),
        ]


async def export_deputy_rows(session: AsyncSession, params: dict[str, Any]) -> AsyncIterator[list[Any]]:
    term_id, quarter_key = _export_params(params)
    tenant = await _export_tenant(session)
    term = await resolve_term(session, tenant, term_id)
    for row in await _deputy_rows(session, tenant, system_caller("system:export"), term, quarter_of(quarter_key)):
        d = row.deputy
        yield [
            d.name,
            d.levels_label,
            d.township_name or "",
            d.group_name or "",
            d.sector or "",
            row.member_name or "",
            row.channel_label,
            row.contacts_in_quarter,
            row.contacts_in_term,
            row.last_contact_on.isoformat() if row.last_contact_on else "",
        ]


async def export_quarter_rows(session: AsyncSession, params: dict[str, Any]) -> AsyncIterator[list[Any]]:
    """The figures of the 各季度联系情况 chart and table, one quarter a row, newest first."""
    term_id, _ = _export_params(params)
    tenant = await _export_tenant(session)
    report = await quarter_report(session, tenant, system_caller("system:export"), term_id)
    for q in report.rows:
        yield [
            q.quarter_label,
            q.records,
            q.members_contacting,
            q.deputies_contacted,
            q.assigned_contacted,
            q.assigned,
            q.behind if q.behind is not None else "",
        ]
