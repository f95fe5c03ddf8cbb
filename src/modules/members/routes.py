"""`/api/v1/t/{code}/members`, `/invitations` and `/api-tokens`: an office's people and integrations."""

from __future__ import annotations

import uuid

from litestar import Controller, delete, get, post
from litestar.di import Provide
from sqlalchemy.ext.asyncio import AsyncSession

from renda.core.db import provide_platform_session
from renda.core.permissions import requires
from renda.modules.accounts.models import ApiToken
from renda.modules.members import service
from renda.modules.members.models import Invitation
from renda.modules.members.schemas import (
    ApiTokenCreated,
    ApiTokenIn,
    ApiTokenOut,
    InvitationIn,
    InvitationOut,
    MemberOut,
)
from renda.tenants.scoping import TenantAccess, provide_tenant_access

DEPENDENCIES = {
    "db": Provide(provide_platform_session),
    "access": Provide(provide_tenant_access, sync_to_thread=False),
}


def invitation_out(invitation: Invitation) -> InvitationOut:
    return InvitationOut(
        invitation.id,
        invitation.display_name,
        invitation.contact_masked,
        invitation.contact_kind,
        invitation.roles,
        invitation.invited_by.split(":", 2)[-1],
        invitation.created_at,
        invitation.expires_at,
        service.invitation_status(invitation),
    )


def token_out(token: ApiToken, created_by: str) -> ApiTokenOut:
    return ApiTokenOut(
        token.id, token.name, token.scopes, token.created_at, token.last_used_at, token.revoked_at, created_by
    )


class MembersController(Controller):
    path = "/api/v1/t/{code:str}"
    tags = ["成员"]
    dependencies = DEPENDENCIES

    @get("/members", guards=[requires("members.read")])
    async def list_members(self, db: AsyncSession, access: TenantAccess) -> list[MemberOut]:
        rows = await service.list_members(db, access.tenant)
        return [MemberOut(u.id, u.display_name, m.roles, m.source, m.created_at) for m, u in rows]

    @delete("/members/{user_id:uuid}", guards=[requires("members.write")], status_code=204)
    async def remove_member(self, db: AsyncSession, access: TenantAccess, user_id: uuid.UUID) -> None:
        await service.remove_member(db, access.tenant, user_id)

    @get("/invitations", guards=[requires("members.read")])
    async def list_invitations(self, db: AsyncSession, access: TenantAccess) -> list[InvitationOut]:
        return [invitation_out(i) for i in await service.list_invitations(db, access.tenant)]

    @post("/invitations", guards=[requires("members.write")], status_code=201)
    async def invite(self, db: AsyncSession, access: TenantAccess, data: InvitationIn) -> InvitationOut:
        return invitation_out(await service.invite(db, access.tenant, data, access.principal.actor))

    @post("/invitations/{invitation_id:uuid}/revoke", guards=[requires("members.write")], status_code=200)
    async def revoke_invitation(
        self, db: AsyncSession, access: TenantAccess, invitation_id: uuid.UUID
    ) -> InvitationOut:
        return invitation_out(await service.revoke_invitation(db, access.tenant, invitation_id))


class ApiTokensController(Controller):
    path = "/api/v1/t/{code:str}/api-tokens"
    tags = ["接口令牌"]
    dependencies = DEPENDENCIES

    @get("/", guards=[requires("api_tokens.read")])
    async def list_tokens(self, db: AsyncSession, access: TenantAccess) -> list[ApiTokenOut]:
        return [token_out(t, name) for t, name in await service.list_office_tokens(db, access.tenant)]

    @post("/", guards=[requires("api_tokens.write")], status_code=201)
    async def issue(self, db: AsyncSession, access: TenantAccess, data: ApiTokenIn) -> ApiTokenCreated:
        row, token = await service.issue_office_token(db, access.tenant, access.principal.user_id, data)
        return ApiTokenCreated(token, token_out(row, access.principal.display_name))

    @post("/{token_id:uuid}/revoke", guards=[requires("api_tokens.write")], status_code=200)
    async def revoke(self, db: AsyncSession, access: TenantAccess, token_id: uuid.UUID) -> ApiTokenOut:
        token = await service.revoke_office_token(db, access.tenant, token_id)
        return token_out(token, "")


ROUTES = [MembersController, ApiTokensController]
