"""Contact assignments of a term: committee members ↔ deputies, council members ↔ townships, special
committees ↔ sectors; the coverage they give; suggested and carried-over proposals staff review.

A deputy counts as covered when a committee member is fixed to them (direct), else when a council
member oversees their township, else when a special committee covers their sector. The upper bound
of deputies per member is a hard limit (refused, nothing stored); the lower bound is a target the
board and proposals flag, since a member set up by hand starts below it.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from renda.core.errors import Conflict, InvalidInput, NotFound
from renda.core.pagination import check_paging
from renda.modules.contacts import repository as repo
from renda.modules.contacts import suggest
from renda.modules.contacts.common import (
    Caller,
    Register,
    bounds_status,
    committee_members,
    eligible,
    member_ref,
    own_terms,
    register,
    resolve_term,
    serving_member,
    settings_of,
    settings_out,
    term_ref,
)
from renda.modules.contacts.models import (
    CHANNELS,
    PROPOSAL_KINDS,
    AssignmentProposal,
    ContactAssignment,
    ContactSettings,
    ProposalItem,
    SectorLink,
    TownshipAssignment,
)
from renda.modules.contacts.schemas import (
    AssignedDeputy,
    AssignedTownship,
    AssignmentBoard,
    AssignmentIn,
    BodySectors,
    CarryOverIn,
    CoveragePage,
    CoverageSummary,
    DeputyCoverage,
    DeputyRef,
    MemberBoard,
    ProposalIn,
    ProposalItemIn,
    ProposalItemsIn,
    ProposalMember,
    ProposalOut,
    ProposedDeputy,
    ProposedTownship,
    SectorLinksIn,
    SectorOverview,
    SettingsIn,
    SettingsOut,
    TownshipAssignmentIn,
    TownshipRef,
)
from renda.modules.organisation import service as organisation
from renda.modules.organisation.service import CommitteeMemberOut, TermOut
from renda.tenants.scoping import TenantRef


# --- settings -------------------------------------------------------------------------------------
async def get_settings(session: AsyncSession) -> SettingsOut:
    return settings_out(await settings_of(session))


async def update_settings(session: AsyncSession, tenant: TenantRef, caller: Caller, data: SettingsIn) -> SettingsOut:
    """Bounds below which no member's current assignments fall; refused (nothing stored) otherwise."""
    caller.require_staff()
    if data.min_per_member > data.max_per_member:
        raise InvalidInput("每名组成人员联系代表人数的下限不能大于上限", code="invalid_bounds")
    try:
        term = await resolve_term(session, tenant)
    except NotFound:
        term = None
    if term is not None:
        counts = await repo.counts_per_member(session, term.id)
        names = {m.id: m.name for m in await committee_members(session, tenant, term)}
        over = [f"{names.get(m, '')}({n} 名)" for m, n in counts.items() if n > data.max_per_member]
        if over:
            raise Conflict(
                f"以下组成人员已联系的代表超过新的上限 {data.max_per_member} 名:{'、'.join(over)}。请先调整其联系代表",
                code="bounds_conflict",
            )
    settings = await session.get(ContactSettings, 1)
    if settings is None:
        settings = ContactSettings(id=1)
        session.add(settings)
    settings.min_per_member, settings.max_per_member = data.min_per_member, data.max_per_member
    settings.behind_rule = data.behind_rule
    await session.flush()
    return settings_out(settings)


# --- coverage -------------------------------------------------------------------------------------
@dataclass
class Coverage:
    """Who covers whom in a term (as saved, or as a proposal would have it)."""

    member_of: dict[uuid.UUID, uuid.UUID] = field(default_factory=dict)  # person → committee member
    overseer_of: dict[str, uuid.UUID] = field(default_factory=dict)  # township → council member
    bodies_of: dict[str, list[str]] = field(default_factory=dict)  # sector → special committee names

    def channel(self, info: repo.DeputyInfo) -> str | None:
        if info.id in self.member_of:
            return "direct"
        if info.township_code and info.township_code in self.overseer_of:
            return "township"
        if info.sector and info.sector in self.bodies_of:
            return "sector"
        return None

    def covered_otherwise(self, info: repo.DeputyInfo) -> bool:
        return bool(
            (info.township_code and info.township_code in self.overseer_of)
            or (info.sector and info.sector in self.bodies_of)
        )


async def sector_bodies(session: AsyncSession) -> dict[str, list[str]]:
    """Sector → the special committees covering it."""
    names = {b.id: b.name for b in await organisation.list_bodies(session) if b.kind == "special_committee"}
    found: dict[str, list[str]] = defaultdict(list)
    for link in await repo.sector_links(session):
        if link.body_id in names:
            found[link.sector].append(names[link.body_id])
    return dict(found)


async def saved_coverage(session: AsyncSession, term_id: uuid.UUID) -> Coverage:
    return Coverage(
        {a.person_id: a.committee_member_id for a in await repo.assignments(session, term_id)},
        {t.township_code: t.committee_member_id for t in await repo.township_assignments(session, term_id)},
        await sector_bodies(session),
    )


def summarise(reg: Register, coverage: Coverage) -> tuple[CoverageSummary, list[DeputyRef]]:
    """Counts per first channel, and the deputies no channel covers."""
    counts = dict.fromkeys(CHANNELS, 0)
    uncovered = []
    to_cover = reg.to_cover()
    for info in to_cover:
        channel = coverage.channel(info)
        if channel is None:
            uncovered.append(reg.ref(info.id))
        else:
            counts[channel] += 1
    covered = len(to_cover) - len(uncovered)
    percent = round(100 * covered / len(to_cover), 1) if to_cover else None
    summary = CoverageSummary(
        len(to_cover), covered, counts["direct"], counts["township"], counts["sector"], len(uncovered), percent
    )
    return summary, uncovered


async def coverage(
    session: AsyncSession,
    tenant: TenantRef,
    caller: Caller,
    term_id: uuid.UUID | None = None,
    *,
    q: str | None = None,
    uncovered_only: bool = False,
    page: int = 1,
    page_size: int = 50,
) -> CoveragePage:
    """Every deputy to cover with who covers them; a committee member sees their own deputies only."""
    check_paging(page, page_size)
    term = await resolve_term(session, tenant, term_id)
    reg = await register(session, tenant, term)
    cov = await saved_coverage(session, term.id)
    names = {m.id: m.name for m in await committee_members(session, tenant, term)}
    summary, _ = summarise(reg, cov)
    rows = []
    for info in reg.to_cover():
        if not caller.sees_all and cov.member_of.get(info.id) not in caller.member_ids:
            continue
        channel = cov.channel(info)
        if (uncovered_only and channel is not None) or not info.matches(q):
            continue
        overseer = cov.overseer_of.get(info.township_code or "")
        rows.append(
            DeputyCoverage(
                reg.ref(info.id),
                [names[cov.member_of[info.id]]] if info.id in cov.member_of else [],
                [names[overseer]] if overseer else [],
                cov.bodies_of.get(info.sector or "", []),
                channel,
                CHANNELS[channel] if channel else "未覆盖",
            )
        )
    start = (page - 1) * page_size
    return CoveragePage(term_ref(term), summary, rows[start : start + page_size], len(rows), page, page_size)


# --- the board ------------------------------------------------------------------------------------
async def assignment_board(
    session: AsyncSession, tenant: TenantRef, caller: Caller, term_id: uuid.UUID | None = None
) -> AssignmentBoard:
    """Each serving member with their deputies (and, for council members, townships), the coverage,
    and the deputies nobody covers."""
    term = await resolve_term(session, tenant, term_id)
    reg = await register(session, tenant, term)
    settings = await settings_of(session)
    assignments = await repo.assignments(session, term.id)
    townships = await repo.township_assignments(session, term.id)
    cov = await saved_coverage(session, term.id)
    per_township: dict[str, int] = defaultdict(int)
    for info in reg.to_cover():
        if info.township_code:
            per_township[info.township_code] += 1
    rows = []
    for member in await committee_members(session, tenant, term):
        if not caller.may_see(member.id):
            continue
        mine = [a for a in assignments if a.committee_member_id == member.id]
        if not member.is_serving and not mine:
            continue
        status, label = bounds_status(len(mine), settings)
        rows.append(
            MemberBoard(
                member_ref(member),
                [AssignedDeputy(a.id, _ref(reg, a.person_id)) for a in mine],
                [
                    AssignedTownship(t.id, TownshipRef(t.township_code, reg.township_name(t.township_code)), n)
                    for t in townships
                    if t.committee_member_id == member.id
                    for n in [per_township.get(t.township_code, 0)]
                ],
                status,
                label,
            )
        )
    summary, uncovered = summarise(reg, cov)
    proposal = await _open_proposal(session, term.id)
    return AssignmentBoard(
        term_ref(term),
        settings_out(settings),
        rows,
        summary,
        uncovered if caller.sees_all else [],
        proposal.id if proposal and caller.sees_all else None,
    )


def _ref(reg: Register, person_id: uuid.UUID) -> DeputyRef:
    """A deputy of the register, or one whose mandate has ended since (kept in the list, marked)."""
    if person_id in reg.deputies:
        return reg.ref(person_id)
    return DeputyRef(person_id, "(已不是本级在任代表)", "", None, None, None, None)


async def unassigned_deputies(session: AsyncSession, tenant: TenantRef, term: TermOut) -> list[DeputyRef]:
    """Deputies to cover without a committee member, to choose from when assigning by hand."""
    reg = await register(session, tenant, term)
    taken = {a.person_id for a in await repo.assignments(session, term.id)}
    return [reg.ref(d.id) for d in reg.to_cover() if d.id not in taken]


async def add_assignment(
    session: AsyncSession, tenant: TenantRef, caller: Caller, data: AssignmentIn
) -> ContactAssignment:
    caller.require_staff()
    term = await resolve_term(session, tenant, data.term_id)
    member = await serving_member(session, tenant, term, data.committee_member_id)
    reg = await register(session, tenant, term)
    info = eligible(reg, data.person_id)
    if not info.active:
        raise InvalidInput(f"{info.name}的代表职务暂停执行,暂不安排联系", code="deputy_suspended")
    await repo.lock_member(session, member.id)
    existing = await repo.assignment_of(session, term.id, info.id)
    if existing is not None:
        names = {m.id: m.name for m in await committee_members(session, tenant, term)}
        other = names.get(existing.committee_member_id, "")
        raise Conflict(f"{info.name}已由{other}固定联系,每名代表只安排一名组成人员", code="already_assigned")
    settings = await settings_of(session)
    count = await repo.assignment_count(session, member.id)
    if count >= settings.max_per_member:
        raise Conflict(
            f"{member.name}已联系 {count} 名代表,达到上限 {settings.max_per_member} 名;"
            "如需调整,请先移出其他代表或修改联系人数上限",
            code="over_bounds",
        )
    assignment = ContactAssignment(term_id=term.id, committee_member_id=member.id, person_id=info.id)
    session.add(assignment)
    await _flush(session)
    return assignment


async def get_assignment(session: AsyncSession, assignment_id: uuid.UUID) -> ContactAssignment:
    found = await session.get(ContactAssignment, assignment_id)
    if found is None:
        raise NotFound("联系安排不存在", code="assignment_not_found")
    return found


async def remove_assignment(session: AsyncSession, caller: Caller, assignment: ContactAssignment) -> None:
    caller.require_staff()
    await session.delete(assignment)
    await session.flush()


async def add_township_assignment(
    session: AsyncSession, tenant: TenantRef, caller: Caller, data: TownshipAssignmentIn
) -> TownshipAssignment:
    caller.require_staff()
    term = await resolve_term(session, tenant, data.term_id)
    member = await serving_member(session, tenant, term, data.committee_member_id)
    _check_council(member)
    code = organisation.check_township(tenant, data.township_code)
    assert code is not None
    taken = (
        await session.execute(
            select(TownshipAssignment).where(
                TownshipAssignment.term_id == term.id, TownshipAssignment.township_code == code
            )
        )
    ).scalar_one_or_none()
    if taken is not None:
        names = {m.id: m.name for m in await committee_members(session, tenant, term)}
        raise Conflict(f"该乡镇已由{names.get(taken.committee_member_id, '')}督导", code="township_taken")
    row = TownshipAssignment(term_id=term.id, committee_member_id=member.id, township_code=code)
    session.add(row)
    await _flush(session)
    return row


def _check_council(member: CommitteeMemberOut) -> None:
    if not member.on_council:
        raise InvalidInput(f"{member.name}不是主任会议成员,只有主任会议成员督导乡镇", code="not_on_council")


async def get_township_assignment(session: AsyncSession, township_assignment_id: uuid.UUID) -> TownshipAssignment:
    found = await session.get(TownshipAssignment, township_assignment_id)
    if found is None:
        raise NotFound("乡镇督导安排不存在", code="township_assignment_not_found")
    return found


async def remove_township_assignment(session: AsyncSession, caller: Caller, row: TownshipAssignment) -> None:
    caller.require_staff()
    await session.delete(row)
    await session.flush()


async def _delete_all(session: AsyncSession, rows: list[Any]) -> None:
    """Row by row, so the audit log records each, and flushed before any replacement is added (the
    unit of work would otherwise insert before it deletes and trip the unique constraints)."""
    for row in rows:
        await session.delete(row)
    await session.flush()


async def _flush(session: AsyncSession) -> None:
    """The unique constraints decide under concurrent writes; the caller gets a message, not a 500."""
    try:
        await session.flush()
    except IntegrityError as exc:
        text = str(exc.orig)
        if "uq_contact_assignments_term_id" in text:
            raise Conflict("该代表已安排了联系的组成人员", code="already_assigned") from exc
        if "uq_contact_township_assignments_term_id" in text:
            raise Conflict("该乡镇已安排了督导的主任会议成员", code="township_taken") from exc
        if "uq_contact_proposals_term_id" in text:
            raise Conflict("本届已有待审核的联系安排建议", code="proposal_open") from exc
        raise


# --- special committees ↔ sectors -----------------------------------------------------------------
async def sector_overview(session: AsyncSession, tenant: TenantRef) -> SectorOverview:
    links = await repo.sector_links(session)
    reg = await register(session, tenant, None)
    per_sector: dict[str, int] = defaultdict(int)
    for info in reg.deputies.values():
        if info.sector and info.active:
            per_sector[info.sector] += 1
    bodies = []
    for body in await organisation.list_bodies(session):
        if body.kind != "special_committee":
            continue
        sectors = [link.sector for link in links if link.body_id == body.id]
        bodies.append(BodySectors(body.id, body.name, sectors, sum(per_sector.get(s, 0) for s in sectors)))
    linked = {s for b in bodies for s in b.sectors}
    return SectorOverview(bodies, sorted(per_sector), sorted(set(per_sector) - linked))


async def set_sectors(
    session: AsyncSession, tenant: TenantRef, caller: Caller, body_id: uuid.UUID, data: SectorLinksIn
) -> BodySectors:
    """The sectors a special committee covers, replacing the previous ones."""
    caller.require_staff()
    body = await organisation.get_body(session, body_id)
    if body.kind != "special_committee":
        raise InvalidInput(f"{body.name}不是专门委员会,对口联系代表由专门委员会负责", code="not_special_committee")
    sectors = list(dict.fromkeys(s.strip() for s in data.sectors if s.strip()))
    await _delete_all(session, [link for link in await repo.sector_links(session) if link.body_id == body.id])
    session.add_all(SectorLink(body_id=body.id, sector=s) for s in sectors)
    await session.flush()
    return next(b for b in (await sector_overview(session, tenant)).bodies if b.body_id == body.id)


# --- proposals ------------------------------------------------------------------------------------
async def _open_proposal(session: AsyncSession, term_id: uuid.UUID) -> AssignmentProposal | None:
    query = select(AssignmentProposal).where(AssignmentProposal.term_id == term_id)
    return (await session.execute(query)).scalar_one_or_none()


async def get_proposal(session: AsyncSession, proposal_id: uuid.UUID) -> AssignmentProposal:
    found = await session.get(AssignmentProposal, proposal_id)
    if found is None:
        raise NotFound("联系安排建议不存在或已处理", code="proposal_not_found")
    return found


async def _replace_open(session: AsyncSession, term_id: uuid.UUID, proposal: AssignmentProposal) -> None:
    """A new proposal replaces the term's open one (staff asked for a fresh suggestion)."""
    old = await _open_proposal(session, term_id)
    if old is not None:
        await session.delete(old)
        await session.flush()
    session.add(proposal)
    await _flush(session)


async def _kept(
    session: AsyncSession, term_id: uuid.UUID, reg: Register, members: list[CommitteeMemberOut], high: int
) -> tuple[dict[uuid.UUID, list[uuid.UUID]], dict[uuid.UUID, list[str]]]:
    """The term's assignments a suggestion keeps: serving members' active deputies (up to the upper
    bound) and council members' townships."""
    serving = {m.id for m in members}
    council = {m.id for m in members if m.on_council}
    direct: dict[uuid.UUID, list[uuid.UUID]] = defaultdict(list)
    for a in await repo.assignments(session, term_id):
        info = reg.deputies.get(a.person_id)
        usable = info is not None and info.active and a.person_id not in reg.committee_persons
        if a.committee_member_id in serving and usable and len(direct[a.committee_member_id]) < high:
            direct[a.committee_member_id].append(a.person_id)
    townships: dict[uuid.UUID, list[str]] = defaultdict(list)
    for t in await repo.township_assignments(session, term_id):
        if t.committee_member_id in council:
            townships[t.committee_member_id].append(t.township_code)
    return direct, townships


async def suggest_assignments(
    session: AsyncSession, tenant: TenantRef, caller: Caller, data: ProposalIn
) -> AssignmentProposal:
    """A balanced proposal for the term (see `suggest`), stored for staff to review, edit and save."""
    caller.require_staff()
    term = await resolve_term(session, tenant, data.term_id)
    reg = await register(session, tenant, term)
    settings = await settings_of(session)
    members = [m for m in await committee_members(session, tenant, term) if m.is_serving]
    kept_direct, kept_townships = (
        await _kept(session, term.id, reg, members, settings.max_per_member) if data.keep_existing else ({}, {})
    )
    council = [m.id for m in members if m.on_council]
    known = set(await repo.known_townships(session)) | {d.township_code for d in reg.to_cover() if d.township_code}
    new_townships = suggest.spread_townships(council, kept_townships, sorted(known))
    overseen = {m: [*kept_townships.get(m, []), *new_townships.get(m, [])] for m in council}
    coverage = Coverage(
        overseer_of={code: m for m, codes in overseen.items() for code in codes},
        bodies_of=await sector_bodies(session),
    )
    kept_ids = {p for ids in kept_direct.values() for p in ids}
    candidates = [
        suggest.Candidate(
            d.id,
            d.township_code,
            str(d.group_id) if d.group_id else None,
            d.sector,
            d.pinyin,
            coverage.covered_otherwise(d),
        )
        for d in reg.to_cover()
        if d.id not in kept_ids
    ]
    seats = [
        suggest.Seat(
            m.id,
            kept_direct.get(m.id, []),
            {str(reg.deputies[p].group_id) for p in kept_direct.get(m.id, []) if reg.deputies[p].group_id},
        )
        for m in members
    ]
    dealt = suggest.balance(seats, candidates, settings.max_per_member)
    proposal = AssignmentProposal(term_id=term.id, kind="suggested", created_by=caller.actor)
    await _replace_open(session, term.id, proposal)
    session.add_all(
        ProposalItem(proposal_id=proposal.id, committee_member_id=seat.member_id, person_id=p)
        for seat in seats
        for p in [*seat.kept, *dealt.get(seat.member_id, [])]
    )
    session.add_all(
        ProposalItem(proposal_id=proposal.id, committee_member_id=m, township_code=code)
        for m, codes in overseen.items()
        for code in codes
    )
    await session.flush()
    return proposal


def _continuing(old: CommitteeMemberOut, new_members: list[CommitteeMemberOut]) -> CommitteeMemberOut | None:
    """The same person's seat in the new term: by linked deputy, else by platform user, else by name."""
    for attribute in ("person_id", "user_id", "name"):
        value = getattr(old, attribute)
        if value is not None:
            found = next((m for m in new_members if getattr(m, attribute) == value), None)
            if found is not None:
                return found
    return None


async def carry_over(session: AsyncSession, tenant: TenantRef, caller: Caller, data: CarryOverIn) -> AssignmentProposal:
    """A proposal for the new term from the old one's assignments, kept only where both the member and
    the deputy continue (and within the bounds), for staff to review before saving."""
    caller.require_staff()
    target = await resolve_term(session, tenant, data.to_term_id)
    terms = await own_terms(session, tenant)
    if data.from_term_id is not None:
        source = await resolve_term(session, tenant, data.from_term_id)
    else:
        earlier = [t for t in terms if t.number < target.number]
        if not earlier:
            raise InvalidInput(f"第{target.number}届之前没有可结转的届次", code="no_previous_term")
        source = max(earlier, key=lambda t: t.number)
    if source.number >= target.number:
        raise InvalidInput("只能把上一届的联系安排结转到之后的届次", code="invalid_carry_over")
    reg = await register(session, tenant, target)
    settings = await settings_of(session)
    old_members = {m.id: m for m in await committee_members(session, tenant, source)}
    new_members = [m for m in await committee_members(session, tenant, target) if m.is_serving]
    successor = {old_id: _continuing(old, new_members) for old_id, old in old_members.items()}
    proposal = AssignmentProposal(
        term_id=target.id, kind="carried_over", source_term_id=source.id, created_by=caller.actor
    )
    await _replace_open(session, target.id, proposal)
    counts: dict[uuid.UUID, int] = defaultdict(int)
    items = []
    for a in await repo.assignments(session, source.id):
        member = successor.get(a.committee_member_id)
        info = reg.deputies.get(a.person_id)
        if member is None or info is None or not info.active or info.id in reg.committee_persons:
            continue
        if counts[member.id] >= settings.max_per_member:
            continue
        counts[member.id] += 1
        items.append(ProposalItem(proposal_id=proposal.id, committee_member_id=member.id, person_id=info.id))
    for t in await repo.township_assignments(session, source.id):
        member = successor.get(t.committee_member_id)
        if member is not None and member.on_council:
            items.append(
                ProposalItem(proposal_id=proposal.id, committee_member_id=member.id, township_code=t.township_code)
            )
    session.add_all(items)
    await session.flush()
    return proposal


async def _items(session: AsyncSession, proposal_id: uuid.UUID) -> list[ProposalItem]:
    query = select(ProposalItem).where(ProposalItem.proposal_id == proposal_id)
    return list((await session.execute(query)).scalars())


async def proposal_out(session: AsyncSession, tenant: TenantRef, proposal: AssignmentProposal) -> ProposalOut:
    terms = {t.id: t for t in await own_terms(session, tenant)}
    term = terms[proposal.term_id]
    reg = await register(session, tenant, term)
    settings = await settings_of(session)
    items = await _items(session, proposal.id)
    members = await committee_members(session, tenant, term)
    coverage = Coverage(
        {i.person_id: i.committee_member_id for i in items if i.person_id},
        {i.township_code: i.committee_member_id for i in items if i.township_code},
        await sector_bodies(session),
    )
    rows, under = [], []
    for member in members:
        deputies = [
            ProposedDeputy(i.id, _ref(reg, i.person_id))
            for i in items
            if i.committee_member_id == member.id and i.person_id
        ]
        townships = [
            ProposedTownship(i.id, TownshipRef(i.township_code, reg.township_name(i.township_code)))
            for i in items
            if i.committee_member_id == member.id and i.township_code
        ]
        if not member.is_serving and not deputies and not townships:
            continue
        status, label = bounds_status(len(deputies), settings)
        if status in ("under", "none") and member.is_serving and settings.min_per_member:
            under.append(member.name)
        rows.append(ProposalMember(member_ref(member), deputies, townships, status, label))
    summary, uncovered = summarise(reg, coverage)
    warnings = []
    if under:
        warnings.append(f"{len(under)} 名组成人员联系代表不足 {settings.min_per_member} 名:{'、'.join(under)}")
    if uncovered:
        warnings.append(f"尚有 {len(uncovered)} 名代表未被联系覆盖,请在保存前安排")
    if not any(m.on_council and m.is_serving for m in members):
        warnings.append("本届未设主任会议成员,无法安排督导乡镇")
    source = terms.get(proposal.source_term_id) if proposal.source_term_id else None
    return ProposalOut(
        proposal.id,
        term_ref(term),
        proposal.kind,
        PROPOSAL_KINDS[proposal.kind],
        term_ref(source) if source else None,
        proposal.created_by,
        settings_out(settings),
        rows,
        summary,
        uncovered,
        warnings,
    )


@dataclass
class _Checked:
    term: TermOut
    members: dict[uuid.UUID, CommitteeMemberOut]
    reg: Register
    settings: ContactSettings


async def _checker(session: AsyncSession, tenant: TenantRef, proposal: AssignmentProposal) -> _Checked:
    term = next(t for t in await own_terms(session, tenant) if t.id == proposal.term_id)
    members = {m.id: m for m in await committee_members(session, tenant, term) if m.is_serving}
    return _Checked(term, members, await register(session, tenant, term), await settings_of(session))


def _check_item(tenant: TenantRef, ctx: _Checked, item: ProposalItemIn) -> ProposalItemIn:
    member = ctx.members.get(item.committee_member_id)
    if member is None:
        raise InvalidInput(f"所选组成人员不是第{ctx.term.number}届在任组成人员", code="unknown_committee_member")
    if (item.person_id is None) == (item.township_code is None):
        raise InvalidInput("每一项应为一名代表或一个乡镇", code="invalid_item")
    if item.person_id is not None:
        info = eligible(ctx.reg, item.person_id)
        if not info.active:
            raise InvalidInput(f"{info.name}的代表职务暂停执行,暂不安排联系", code="deputy_suspended")
        return item
    _check_council(member)
    organisation.check_township(tenant, item.township_code)
    return item


def _check_set(ctx: _Checked, items: list[ProposalItemIn]) -> None:
    persons: set[uuid.UUID] = set()
    townships: set[str] = set()
    counts: dict[uuid.UUID, int] = defaultdict(int)
    for item in items:
        if item.person_id is not None:
            if item.person_id in persons:
                name = ctx.reg.deputies[item.person_id].name
                raise InvalidInput(f"{name}被安排了两次,每名代表只安排一名组成人员", code="duplicate_deputy")
            persons.add(item.person_id)
            counts[item.committee_member_id] += 1
        elif item.township_code in townships:
            name = ctx.reg.township_name(item.township_code or "")
            raise InvalidInput(f"乡镇 {name} 被安排了两次", code="duplicate_township")
        else:
            townships.add(item.township_code or "")
    over = [f"{ctx.members[m].name}({n} 名)" for m, n in counts.items() if n > ctx.settings.max_per_member]
    if over:
        raise Conflict(
            f"每名组成人员最多联系 {ctx.settings.max_per_member} 名代表,以下超出上限:{'、'.join(over)}",
            code="over_bounds",
        )


async def replace_proposal_items(
    session: AsyncSession, tenant: TenantRef, caller: Caller, proposal: AssignmentProposal, data: ProposalItemsIn
) -> None:
    """The reviewed proposal as a whole; checked first, so a refused one changes nothing."""
    caller.require_staff()
    ctx = await _checker(session, tenant, proposal)
    items = [_check_item(tenant, ctx, item) for item in data.items]
    _check_set(ctx, items)
    await _delete_all(session, await _items(session, proposal.id))
    session.add_all(
        ProposalItem(
            proposal_id=proposal.id,
            committee_member_id=i.committee_member_id,
            person_id=i.person_id,
            township_code=i.township_code,
        )
        for i in items
    )
    await session.flush()


async def put_proposal_item(
    session: AsyncSession, tenant: TenantRef, caller: Caller, proposal: AssignmentProposal, data: ProposalItemIn
) -> None:
    """Add a deputy or township to a member in the proposal, moving it from another member if there."""
    caller.require_staff()
    ctx = await _checker(session, tenant, proposal)
    item = _check_item(tenant, ctx, data)
    current = await _items(session, proposal.id)
    kept = [
        ProposalItemIn(i.committee_member_id, i.person_id, i.township_code)
        for i in current
        if not (
            (item.person_id and i.person_id == item.person_id)
            or (item.township_code and i.township_code == item.township_code)
        )
    ]
    _check_set(ctx, [*kept, item])
    for existing in current:
        if (item.person_id and existing.person_id == item.person_id) or (
            item.township_code and existing.township_code == item.township_code
        ):
            await session.delete(existing)
    await session.flush()
    session.add(
        ProposalItem(
            proposal_id=proposal.id,
            committee_member_id=item.committee_member_id,
            person_id=item.person_id,
            township_code=item.township_code,
        )
    )
    await session.flush()


async def get_proposal_item(session: AsyncSession, proposal: AssignmentProposal, item_id: uuid.UUID) -> ProposalItem:
    item = await session.get(ProposalItem, item_id)
    if item is None or item.proposal_id != proposal.id:
        raise NotFound("建议中没有这一项", code="proposal_item_not_found")
    return item


async def remove_proposal_item(session: AsyncSession, caller: Caller, item: ProposalItem) -> None:
    caller.require_staff()
    await session.delete(item)
    await session.flush()


async def apply_proposal(
    session: AsyncSession, tenant: TenantRef, caller: Caller, proposal: AssignmentProposal
) -> uuid.UUID:
    """Save the reviewed proposal as the term's assignments, replacing them, in the caller's one
    transaction: every item is checked again first, so a refused proposal changes nothing."""
    caller.require_staff()
    ctx = await _checker(session, tenant, proposal)
    items = [
        _check_item(tenant, ctx, ProposalItemIn(i.committee_member_id, i.person_id, i.township_code))
        for i in await _items(session, proposal.id)
    ]
    _check_set(ctx, items)
    term_id = proposal.term_id
    await _delete_all(
        session, [*await repo.assignments(session, term_id), *await repo.township_assignments(session, term_id)]
    )
    session.add_all(
        ContactAssignment(term_id=term_id, committee_member_id=i.committee_member_id, person_id=i.person_id)
        for i in items
        if i.person_id
    )
    session.add_all(
        TownshipAssignment(term_id=term_id, committee_member_id=i.committee_member_id, township_code=i.township_code)
        for i in items
        if i.township_code
    )
    await session.delete(proposal)
    await _flush(session)
    return term_id


async def discard_proposal(session: AsyncSession, caller: Caller, proposal: AssignmentProposal) -> None:
    caller.require_staff()
    await session.delete(proposal)
    await session.flush()
