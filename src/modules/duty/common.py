"""Who the caller is in duty performance, and the checks every part of the module shares."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from renda.core.errors import PermissionDenied
from renda.core.permissions import Role
from renda.modules.deputies import service as deputies
from renda.tenants.scoping import TenantAccess

# Who sees every deputy's duty (the office's staff, committee members, viewers, office tokens) and who
# takes the office's decisions (rules, verification, ratings, handover): the staff.
FULL_ROLES = frozenset({Role.OFFICE_ADMIN, Role.STAFF, Role.COMMITTEE_MEMBER, Role.VIEWER})
MANAGE_ROLES = frozenset({Role.OFFICE_ADMIN, Role.STAFF})


@dataclass(frozen=True)
class DutyCaller:
    user_id: uuid.UUID | None
    actor: str  # what audit rows and `*_by` columns record
    full: bool  # sees every deputy of the office
    manage: bool  # records attendance, verifies evidence, edits rules, rates, hands over
    person_id: uuid.UUID | None  # the deputy the caller is, if a deputy

    def may_see(self, person_id: uuid.UUID) -> bool:
        return self.full or person_id == self.person_id


SYSTEM_CALLER = DutyCaller(None, "system:duty", full=True, manage=True, person_id=None)


async def duty_caller_for(session: AsyncSession, access: TenantAccess) -> DutyCaller:
    token = access.scopes is not None
    roles = access.roles
    person_id = None
    if Role.DEPUTY in roles and access.principal.user_id is not None:
        person = await deputies.person_of_user(session, access.principal.user_id)
        person_id = person.id if person is not None else None
    return DutyCaller(
        access.principal.user_id,
        access.principal.actor,
        full=token or bool(roles & FULL_ROLES),
        manage=access.can("duty.write") and (token or bool(roles & MANAGE_ROLES)),
        person_id=person_id,
    )


def require_manage(caller: DutyCaller) -> None:
    if not caller.manage:
        raise PermissionDenied("只有本机关工作人员可以执行此操作", code="duty_staff_only")


def require_deputy(caller: DutyCaller) -> uuid.UUID:
    """The caller's own person: for what only a deputy does for themselves (sign in, submit evidence,
    assess themselves, redeem points)."""
    if caller.person_id is None:
        raise PermissionDenied("只有本机关的代表本人可以执行此操作", code="duty_deputy_only")
    return caller.person_id


def require_sees(caller: DutyCaller, person_id: uuid.UUID) -> None:
    if not caller.may_see(person_id):
        raise PermissionDenied("只能查看本人的履职情况", code="duty_not_own")
