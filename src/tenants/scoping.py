"""Running work inside exactly one tenant.

`resolve_tenant_access` finds the office of a request and the caller's rights there;
`tenant_session` is the only way to get a database session for tenant tables. Both HTTP handlers
(through `provide_tenant_session`) and workers use it.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from typing import Any

from litestar import Request
from litestar.di import Provide
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from renda.core.auth import Principal, office_and_roles
from renda.core.db import (
    OfficeBoundaryError,
    UnitOfWork,
    committed_on_success,
    current_unit,
    get_database,
    job_office,
)
from renda.core.errors import NotFound, PermissionDenied
from renda.core.logging import tenant_code_var
from renda.core.permissions import is_read, roles_grant, use_access_resolver
from renda.tenants.models import Tenant, TenantStatus


@dataclass(frozen=True)
class TenantRef:
    """What a request or job needs to know of its office."""

    id: uuid.UUID
    code: str
    name: str
    level: str
    status: str
    schema: str
    path: str

    @classmethod
    def of(cls, tenant: Tenant) -> TenantRef:
        return cls(tenant.id, tenant.code, tenant.name, tenant.level, tenant.status, tenant.schema_name, tenant.path)


@dataclass(frozen=True)
class TenantAccess:
    tenant: TenantRef
    principal: Principal
    roles: frozenset[str] = field(default_factory=frozenset)
    # Reached through an ancestor office's membership, or the office is archived: reads only.
    read_only: bool = False
    # Set for an office API token: exactly the permissions it was given.
    scopes: frozenset[str] | None = None

    def can(self, permission: str) -> bool:
        if self.read_only and not is_read(permission):
            return False
        if self.scopes is not None:
            return permission in self.scopes
        return roles_grant(self.roles, permission)

    def require(self, permission: str) -> None:
        if self.can(permission):
            return
        if self.read_only and not is_read(permission) and roles_grant(self.roles, permission.split(".")[0] + ".read"):
            raise PermissionDenied("您对该机关只有查看权限,不能修改其数据", code="read_only_access")
        raise PermissionDenied()


async def load_tenant(code: str) -> TenantRef:
    async with get_database().platform_session() as session:
        tenant = (await session.execute(select(Tenant).where(Tenant.code == code))).scalar_one_or_none()
    if tenant is None:
        raise NotFound(f"机关 {code} 不存在", code="tenant_not_found")
    return TenantRef.of(tenant)


_OFFICE_AND_ROLES = text(office_and_roles(":user_id"))


@dataclass(frozen=True)
class OfficeRoles:
    """An office, with the roles the caller holds in it and in the offices above it."""

    tenant: TenantRef
    own: frozenset[str]
    inherited: frozenset[str]

    @classmethod
    def from_row(cls, row: Sequence[Any]) -> OfficeRoles:
        return cls(TenantRef(*row[:7]), frozenset(row[7] or ()), frozenset(row[8] or ()))


async def office_roles(code: str, principal: Principal) -> OfficeRoles:
    """Read with the caller when the path names the office (`core.auth`); otherwise one statement."""
    row = principal.office_row
    if row is None or row[1] != code:
        async with get_database().platform_session() as session:
            row = (
                await session.execute(_OFFICE_AND_ROLES, {"office_code": code, "user_id": principal.user_id})
            ).first()
    if row is None:
        raise NotFound(f"机关 {code} 不存在", code="tenant_not_found")
    return OfficeRoles.from_row(row)


async def resolve_tenant_access(code: str, principal: Principal) -> TenantAccess:
    office = await office_roles(code, principal)
    tenant = office.tenant
    if tenant.status == TenantStatus.SUSPENDED:
        raise PermissionDenied(f"{tenant.name}已被停用,暂时无法访问。如有疑问请联系平台管理员", code="tenant_suspended")
    access = _access(office, principal)
    await enter_office(tenant, read_only=access.read_only)
    return access


def _access(office: OfficeRoles, principal: Principal) -> TenantAccess:
    tenant, archived = office.tenant, office.tenant.status == TenantStatus.ARCHIVED
    if principal.token_office is not None:
        if principal.token_office != tenant.code:
            raise PermissionDenied("该接口令牌只能用于签发它的机关", code="token_wrong_office")
        return TenantAccess(tenant, principal, scopes=principal.token_scopes, read_only=archived)
    if office.own:
        return TenantAccess(tenant, principal, office.own, read_only=archived)
    if office.inherited:
        return TenantAccess(tenant, principal, office.inherited, read_only=True)
    raise PermissionDenied(f"您不是{tenant.name}的成员,无权访问", code="not_a_member")


# --- the boundary: one office per request, one office per job ----------------------------------
async def enter_office(tenant: TenantRef, *, read_only: bool = False) -> None:
    """Bind the current request to `tenant` (its office routes' guard, the public portal's office
    lookup): from here on, a session for any other office is refused."""
    tenant_code_var.set(tenant.code)
    unit = current_unit()
    if unit is not None:
        await unit.bind_office(tenant.code, tenant.schema, read_only=read_only)


@contextmanager
def office_job(code: str) -> Iterator[None]:
    """A background job for one office (its message names it): sessions for others are refused."""
    token = job_office.set(code)
    try:
        yield
    finally:
        job_office.reset(token)


def _check_boundary(tenant: TenantRef) -> UnitOfWork | None:
    unit = current_unit()
    if unit is not None:
        if unit.office_code != tenant.code:
            raise OfficeBoundaryError(
                f"a request for office {unit.office_code or '(none)'} opened a session for office {tenant.code}"
            )
        return unit
    office = job_office.get()
    if office is not None and office != tenant.code:
        raise OfficeBoundaryError(f"a job for office {office} opened a session for office {tenant.code}")
    return None


@asynccontextmanager
async def tenant_session(tenant: TenantRef, *, actor: str, read_only: bool = False) -> AsyncIterator[AsyncSession]:
    """A session whose tenant tables live in `tenant`'s schema; rolled back unless committed. Inside a
    request it is on the request's connection and only for the request's own office."""
    unit = _check_boundary(tenant)
    session = unit.session() if unit is not None else get_database().session_for_schema(tenant.schema)
    session.info.update(tenant_schema=tenant.schema, tenant_code=tenant.code, actor=actor)
    try:
        # A request's transaction is shared by its sessions: it is read-only when the caller's access
        # is (`resolve_tenant_access`), whatever one session asks.
        if read_only and unit is None:
            await session.execute(text("SET TRANSACTION READ ONLY"))
        yield session
    finally:
        await session.close()


async def provide_tenant_session(request: Request) -> AsyncIterator[AsyncSession]:
    """Litestar dependency: the request's tenant session, committed when the handler succeeds."""
    access: TenantAccess = request.state.tenant_access
    async with (
        tenant_session(access.tenant, actor=access.principal.actor, read_only=access.read_only) as session,
        committed_on_success(session),
    ):
        yield session


def provide_tenant_access(request: Request) -> TenantAccess:
    return request.state.tenant_access


# Every tenant route's `db` (the office's session) and `access` (who asks, with what roles).
TENANT_DEPENDENCIES = {
    "db": Provide(provide_tenant_session),
    "access": Provide(provide_tenant_access, sync_to_thread=False),
}


use_access_resolver(resolve_tenant_access)  # what `requires(...)` guards call
