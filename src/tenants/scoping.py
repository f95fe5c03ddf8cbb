"""Running work inside exactly one tenant.

`resolve_tenant_access` finds the office of a request and the caller's rights there;
`tenant_session` is the only way to get a database session for tenant tables. Both HTTP handlers
(through `provide_tenant_session`) and workers use it.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from litestar import Request
from litestar.di import Provide
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from renda.core.auth import Principal
from renda.core.db import committed_on_success, get_database
from renda.core.errors import NotFound, PermissionDenied
from renda.core.logging import tenant_code_var
from renda.core.permissions import is_read, roles_grant
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


async def resolve_tenant_access(code: str, principal: Principal) -> TenantAccess:
    tenant = await load_tenant(code)
    if tenant.status == TenantStatus.SUSPENDED:
        raise PermissionDenied(f"{tenant.name}已被停用,暂时无法访问。如有疑问请联系平台管理员", code="tenant_suspended")
    tenant_code_var.set(tenant.code)
    if principal.token_office is not None:
        if principal.token_office != tenant.code:
            raise PermissionDenied("该接口令牌只能用于签发它的机关", code="token_wrong_office")
        return TenantAccess(
            tenant, principal, scopes=principal.token_scopes, read_only=tenant.status == TenantStatus.ARCHIVED
        )
    own_roles, inherited_roles = await principal.roles_in(tenant)
    if own_roles:
        return TenantAccess(tenant, principal, own_roles, read_only=tenant.status == TenantStatus.ARCHIVED)
    if inherited_roles:
        return TenantAccess(tenant, principal, inherited_roles, read_only=True)
    raise PermissionDenied(f"您不是{tenant.name}的成员,无权访问", code="not_a_member")


@asynccontextmanager
async def tenant_session(tenant: TenantRef, *, actor: str, read_only: bool = False) -> AsyncIterator[AsyncSession]:
    """A session whose tenant tables live in `tenant`'s schema; rolled back unless committed."""
    session = get_database().session_for_schema(tenant.schema)
    session.info.update(tenant_code=tenant.code, actor=actor)
    try:
        if read_only:
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
