"""What every part of the contacts module needs: who is asking, which term, which deputies count.

Deputies to contact are persons with a live mandate of the office's own level (a city's: national,
provincial and city deputies of its register). Deputies who sit on the standing committee of the
term are contacting, not contacted: they are left out of the deputies to cover.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from renda.core.errors import InvalidInput, NotFound, PermissionDenied
from renda.core.permissions import Role
from renda.modules.contacts import repository as repo
from renda.modules.contacts.models import BEHIND_RULES, DEFAULT_MAX, DEFAULT_MIN, ContactSettings
from renda.modules.contacts.schemas import DeputyRef, MemberRef, SettingsOut, TermRef
from renda.modules.deputies import service as deputies_service
from renda.modules.deputies.models import LEVEL_LABELS, Level
from renda.modules.organisation import service as organisation
from renda.modules.organisation.models import CommitteeMember
from renda.modules.organisation.service import CommitteeMemberOut, TermOut
from renda.tenants.scoping import TenantAccess, TenantRef

OWN_LEVELS = {
    "city": (Level.NATIONAL, Level.PROVINCIAL, Level.CITY),
    "county": (Level.COUNTY,),
    "township": (Level.TOWNSHIP,),
}
# Roles that see every member's assignments and records; a committee member sees their own only.
SEES_ALL_ROLES = frozenset({Role.OFFICE_ADMIN, Role.STAFF, Role.VIEWER})


def own_levels(tenant: TenantRef) -> tuple[str, ...]:
    return OWN_LEVELS.get(tenant.level, (tenant.level,))


# --- who is asking --------------------------------------------------------------------------------
@dataclass(frozen=True)
class Caller:
    """The request's view of the contacts: all of them (staff, viewers, tokens, a parent office), or
    only those of the committee-member seats linked to the signed-in user."""

    actor: str
    sees_all: bool
    member_ids: frozenset[uuid.UUID]

    def may_see(self, committee_member_id: uuid.UUID | None) -> bool:
        return self.sees_all or (committee_member_id is not None and committee_member_id in self.member_ids)

    def require_staff(self) -> None:
        """Assignments, settings and meetings are the office's work, not a member's."""
        if not self.sees_all:
            raise PermissionDenied("只有代表工作机构的工作人员可以执行此操作", code="staff_only")


async def caller_of(session: AsyncSession, access: TenantAccess) -> Caller:
    sees_all = access.scopes is not None or bool(access.roles & SEES_ALL_ROLES)
    member_ids: frozenset[uuid.UUID] = frozenset()
    if not sees_all:
        query = select(CommitteeMember.id).where(CommitteeMember.user_id == access.principal.user_id)
        member_ids = frozenset((await session.execute(query)).scalars())
    return Caller(access.principal.actor, sees_all, member_ids)


def system_caller(actor: str) -> Caller:
    return Caller(actor, True, frozenset())


# --- terms ----------------------------------------------------------------------------------------
def term_ref(term: TermOut) -> TermRef:
    return TermRef(term.id, term.number, term.starts_on, term.ends_on, term.is_current)


async def own_terms(session: AsyncSession, tenant: TenantRef) -> list[TermOut]:
    """The terms of the office's own congress, newest first."""
    return await organisation.own_terms(session, tenant)


async def resolve_term(session: AsyncSession, tenant: TenantRef, term_id: uuid.UUID | None = None) -> TermOut:
    """The given term of the office's own congress, or the current one (else the latest)."""
    terms = await own_terms(session, tenant)
    if term_id is not None:
        term = next((t for t in terms if t.id == term_id), None)
        if term is None:
            raise InvalidInput("届次不存在,或不是本级人民代表大会的届次", code="invalid_term")
        return term
    term = next((t for t in terms if t.is_current), terms[0] if terms else None)
    if term is None:
        raise NotFound("尚未建立本级人民代表大会的届次,请先在代表名册中添加届次", code="term_not_found")
    return term


# --- committee members ----------------------------------------------------------------------------
def member_ref(member: CommitteeMemberOut) -> MemberRef:
    return MemberRef(
        member.id, member.name, member.position_label, member.on_council, member.is_serving, member.user_id is not None
    )


async def committee_members(session: AsyncSession, tenant: TenantRef, term: TermOut) -> list[CommitteeMemberOut]:
    """Every member of the term in protocol order (chair first), serving or not."""
    return (await organisation.committee(session, tenant, term.id)).members


async def serving_member(
    session: AsyncSession, tenant: TenantRef, term: TermOut, member_id: uuid.UUID
) -> CommitteeMemberOut:
    member = next((m for m in await committee_members(session, tenant, term) if m.id == member_id), None)
    if member is None:
        raise InvalidInput(f"所选组成人员不是第{term.number}届常委会组成人员", code="unknown_committee_member")
    if not member.is_serving:
        raise InvalidInput(f"{member.name}已离任,不再安排联系代表", code="member_not_serving")
    return member


# --- deputies -------------------------------------------------------------------------------------
def deputy_ref(info: repo.DeputyInfo, townships: dict[str, str]) -> DeputyRef:
    return DeputyRef(
        info.id,
        info.name,
        "、".join(LEVEL_LABELS[level] for level in info.levels),
        info.township_code,
        townships.get(info.township_code, info.township_code) if info.township_code else None,
        info.group_name,
        info.sector,
    )


@dataclass
class Register:
    """The deputies of the office's own level, and what names their townships."""

    deputies: dict[uuid.UUID, repo.DeputyInfo]
    townships: dict[str, str]
    committee_persons: frozenset[uuid.UUID]  # deputies on the term's standing committee

    def ref(self, person_id: uuid.UUID) -> DeputyRef:
        return deputy_ref(self.deputies[person_id], self.townships)

    def to_cover(self) -> list[repo.DeputyInfo]:
        """Active deputies who are not themselves committee members, in name order."""
        return [d for d in self.deputies.values() if d.active and d.id not in self.committee_persons]

    def township_name(self, code: str) -> str:
        return self.townships.get(code, code)


async def register(session: AsyncSession, tenant: TenantRef, term: TermOut | None) -> Register:
    deputies = await repo.deputies(session, own_levels(tenant))
    committee = await repo.committee_person_ids(session, term.id) if term else frozenset()
    return Register(deputies, await deputies_service.township_names(session), committee)


def eligible(reg: Register, person_id: uuid.UUID, *, what: str = "联系") -> repo.DeputyInfo:
    """A deputy of the office's own level with a live mandate, else a clear refusal."""
    info = reg.deputies.get(person_id)
    if info is None:
        raise InvalidInput(
            "所选代表不是本机关名册中本级在任代表(其他机关的代表、已终止资格的代表不能安排)", code="unknown_deputy"
        )
    if person_id in reg.committee_persons:
        raise InvalidInput(f"{info.name}是本届常委会组成人员,无需安排{what}", code="deputy_on_committee")
    return info


def unique_ids(ids: Iterable[uuid.UUID]) -> list[uuid.UUID]:
    return list(dict.fromkeys(ids))


# --- settings -------------------------------------------------------------------------------------
async def settings_of(session: AsyncSession) -> ContactSettings:
    """The office's settings, or the defaults (not stored until staff change them)."""
    found = await session.get(ContactSettings, 1)
    return found or ContactSettings(id=1, min_per_member=DEFAULT_MIN, max_per_member=DEFAULT_MAX, behind_rule="each")


def settings_out(settings: ContactSettings) -> SettingsOut:
    return SettingsOut(
        settings.min_per_member, settings.max_per_member, settings.behind_rule, BEHIND_RULES[settings.behind_rule]
    )


def bounds_status(count: int, settings: ContactSettings) -> tuple[str, str]:
    low, high = settings.min_per_member, settings.max_per_member
    if count > high:
        return "over", f"超过上限 {high} 名"
    if count == 0:
        return "none", "尚未安排"
    if count < low:
        return "under", f"不足下限 {low} 名"
    return "ok", f"{low}–{high} 名之内"
