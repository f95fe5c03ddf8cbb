"""The standing committee of each term: its members and the council of chairpersons."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from renda.core.errors import Conflict, NotFound
from renda.modules.deputies.models import Term
from renda.modules.organisation import repository as repo
from renda.modules.organisation.common import BODY_ROLE_LABELS, COUNCIL_POSITIONS, clean_name, flush, sent_fields
from renda.modules.organisation.models import (
    COMMITTEE_POSITIONS,
    CommitteeMember,
)
from renda.modules.organisation.refs import check_dates, check_user, find_person, own_term
from renda.modules.organisation.schemas import (
    BodyRoleOut,
    CommitteeMemberIn,
    CommitteeMemberOut,
    CommitteeMemberPatch,
    CommitteeOut,
    TermOut,
)
from renda.tenants.scoping import TenantRef


# --- the standing committee -----------------------------------------------------------------------
def term_out(term: Term) -> TermOut:
    return TermOut(term.id, term.number, term.starts_on, term.ends_on, term.is_current)


async def own_terms(session: AsyncSession, tenant: TenantRef) -> list[TermOut]:
    return [term_out(t) for t in await repo.own_terms(session, tenant.code)]


async def members_out(session: AsyncSession, members: list[CommitteeMember]) -> list[CommitteeMemberOut]:
    terms = {t.id: t for t in [await session.get(Term, tid) for tid in {m.term_id for m in members}] if t}
    roles = await repo.body_roles(session, [m.id for m in members])
    return [
        CommitteeMemberOut(
            m.id,
            m.term_id,
            terms[m.term_id].number,
            m.name,
            m.position,
            COMMITTEE_POSITIONS[m.position],
            m.on_council,
            m.person_id,
            m.user_id,
            m.started_on,
            m.ended_on,
            m.ended_on is None,
            [BodyRoleOut(b.id, b.name, bm.role, BODY_ROLE_LABELS[b.kind][bm.role]) for b, bm in roles.get(m.id, [])],
        )
        for m in members
    ]


async def committee_member_out(session: AsyncSession, member: CommitteeMember) -> CommitteeMemberOut:
    return (await members_out(session, [member]))[0]


async def committee(session: AsyncSession, tenant: TenantRef, term_id: uuid.UUID | None = None) -> CommitteeOut:
    """The committee of one term; without a term, of the current one (else the latest)."""
    terms = await repo.own_terms(session, tenant.code)
    if term_id is not None:
        term = next((t for t in terms if t.id == term_id), None)
    else:
        term = next((t for t in terms if t.is_current), terms[0] if terms else None)
    if term is None:
        message = "届次不存在" if term_id else "尚未建立本级人民代表大会的届次,请先在代表名册中添加届次"
        raise NotFound(message, code="term_not_found")
    return CommitteeOut(term_out(term), await members_out(session, await repo.committee_members(session, term.id)))


async def get_committee_member(session: AsyncSession, member_id: uuid.UUID) -> CommitteeMember:
    member = await session.get(CommitteeMember, member_id)
    if member is None:
        raise NotFound("常委会组成人员不存在", code="committee_member_not_found")
    return member


async def _check_committee(session: AsyncSession, member: CommitteeMember) -> None:
    """One serving chair per term; a deputy or a user appears at most once among the serving members."""
    if member.ended_on is not None:
        return
    checks = [
        ("position", "chair", "second_chair", "本届常委会已有在任主任{name};如需更换,请先为其填写离任日期"),
        ("person_id", member.person_id, "already_on_committee", "{name}已是本届常委会组成人员"),
        ("user_id", member.user_id, "user_already_linked", "该用户已关联到组成人员{name}"),
    ]
    with session.no_autoflush:  # the pending change must not reach the database before it is checked
        for column, value, code, message in checks:
            if value is None or getattr(member, column) != value:
                continue
            where = {column: value}
            other = await repo.serving_committee_member(session, member.term_id, exclude=member.id, **where)
            if other is not None:
                raise Conflict(message.format(name=other.name), code=code)


async def create_committee_member(session: AsyncSession, tenant: TenantRef, data: CommitteeMemberIn) -> CommitteeMember:
    term = await own_term(session, tenant, data.term_id)
    person = await find_person(session, data.person_id) if data.person_id else None
    name = clean_name(data.name or (person.name if person else ""), "姓名,或选择一名代表")
    started_on = data.started_on or term.starts_on
    check_dates(term, started_on, data.ended_on)
    if data.user_id:
        await check_user(tenant, data.user_id)
    member = CommitteeMember(
        term_id=term.id,
        person_id=data.person_id,
        name=name,
        position=data.position,
        on_council=data.position in COUNCIL_POSITIONS if data.on_council is None else data.on_council,
        user_id=data.user_id,
        started_on=started_on,
        ended_on=data.ended_on,
    )
    await _check_committee(session, member)
    session.add(member)
    await flush(session)
    return member


async def update_committee_member(
    session: AsyncSession, tenant: TenantRef, member: CommitteeMember, patch: CommitteeMemberPatch
) -> CommitteeMember:
    changes = sent_fields(patch)
    term = await session.get(Term, member.term_id)
    assert term is not None  # the foreign key keeps it
    if changes.get("person_id"):
        person = await find_person(session, changes["person_id"])
        changes.setdefault("name", person.name)
    if "name" in changes:
        changes["name"] = clean_name(changes["name"], "姓名")
    if changes.get("user_id"):
        await check_user(tenant, changes["user_id"])
    check_dates(term, changes.get("started_on", member.started_on), changes.get("ended_on", member.ended_on))
    with session.no_autoflush:
        for key, value in changes.items():
            setattr(member, key, value)
        await _check_committee(session, member)
    await flush(session)
    return member


async def delete_committee_member(session: AsyncSession, member: CommitteeMember) -> None:
    await session.delete(member)
    await flush(session)
