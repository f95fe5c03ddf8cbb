"""Staff UI: an office's members and invitations, and its integration tokens."""

from __future__ import annotations

import uuid
from typing import Any

import msgspec
from litestar import Controller, Request, get, post
from litestar.di import Provide
from litestar.enums import RequestEncodingType
from litestar.params import Body
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from renda.core.db import provide_platform_session
from renda.core.errors import AppError, InvalidFields
from renda.core.permissions import OFFICE_ROLES, PERMISSION_LABELS, ROLE_LABELS, TOKEN_SCOPES, requires
from renda.modules.members import service
from renda.modules.members.schemas import ApiTokenIn, InvitationIn
from renda.tenants.scoping import TenantAccess, provide_tenant_access
from renda.web.actions import refusal
from renda.web.pages import shell_context

SOURCE_LABELS = {"manual": "管理员添加", "invitation": "邀请加入"}
STATUS_LABELS = {"pending": "待接受", "accepted": "已接受", "revoked": "已撤销", "expired": "已过期"}
Form = dict[str, Any]
# The invitation form's field each refusal of the service is about.
INVITE_FIELDS = {
    "invalid_contact": "contact",
    "invalid_email": "contact",
    "invalid_phone": "contact",
    "invalid_roles": "roles",
    "invalid_name": "display_name",
}


def _form_list(form: Form, key: str) -> list[str]:
    value = form.get(key, [])
    return value if isinstance(value, list) else [value]


class MemberPages(Controller):
    path = "/t/{code:str}"
    include_in_schema = False
    dependencies = {
        "db": Provide(provide_platform_session),
        "access": Provide(provide_tenant_access, sync_to_thread=False),
    }

    async def _members_page(
        self, request: Request, db: AsyncSession, access: TenantAccess, status: int = 200, **extra: Any
    ) -> Template:
        context = {
            **await shell_context(request, access),
            "members": await service.list_members(db, access.tenant),
            "invitations": await service.list_invitations(db, access.tenant),
            "invitation_status": service.invitation_status,
            "role_labels": ROLE_LABELS,
            "office_roles": OFFICE_ROLES,
            "source_labels": SOURCE_LABELS,
            "status_labels": STATUS_LABELS,
            **extra,
        }
        return Template("members.html", context=context, status_code=status)

    @get("/members", guards=[requires("members.read")])
    async def members(self, request: Request, db: AsyncSession, access: TenantAccess) -> Template:
        return await self._members_page(request, db, access)

    @post("/members/invite", guards=[requires("members.write")])
    async def invite(
        self,
        request: Request,
        db: AsyncSession,
        access: TenantAccess,
        data: Form = Body(media_type=RequestEncodingType.URL_ENCODED),
    ) -> Template | Redirect:
        contact = str(data.get("contact", "")).strip()
        name = str(data.get("display_name", "")).strip()
        roles = _form_list(data, "roles")
        try:
            missing = {
                field: message
                for field, message, given in (
                    ("display_name", "请填写姓名", name),
                    ("contact", "请填写邮箱或手机号", contact),
                    ("roles", "请至少选择一个角色", roles),
                )
                if not given
            }
            if missing:
                raise InvalidFields(missing)
            invitation = InvitationIn(
                display_name=name,
                roles=roles,
                email=contact if "@" in contact else None,
                phone=None if "@" in contact else contact,
            )
            await service.invite(db, access.tenant, invitation, access.principal.actor)
        except (AppError, msgspec.ValidationError) as error:
            await db.rollback()
            if isinstance(error, msgspec.ValidationError):
                error = InvalidFields({"display_name": "姓名不能超过 100 个字"})
            message = await refusal(error, request, INVITE_FIELDS)
            return await self._members_page(request, db, access, status=400, error=message, form=data)
        return Redirect(f"/t/{access.tenant.code}/members")

    @post("/members/invitations/{invitation_id:uuid}/revoke", guards=[requires("members.write")])
    async def revoke_invitation(self, db: AsyncSession, access: TenantAccess, invitation_id: uuid.UUID) -> Redirect:
        await service.revoke_invitation(db, access.tenant, invitation_id)
        return Redirect(f"/t/{access.tenant.code}/members")

    @get("/api-tokens", guards=[requires("api_tokens.read")])
    async def api_tokens(self, request: Request, db: AsyncSession, access: TenantAccess) -> Template:
        return await self._tokens_page(request, db, access)

    async def _tokens_page(
        self, request: Request, db: AsyncSession, access: TenantAccess, status: int = 200, **extra: Any
    ) -> Template:
        context = {
            **await shell_context(request, access),
            "tokens": await service.list_office_tokens(db, access.tenant),
            "scopes": {p: PERMISSION_LABELS[p] for p in sorted(TOKEN_SCOPES)},
            **extra,
        }
        return Template("api_tokens.html", context=context, status_code=status)

    @post("/api-tokens/issue", guards=[requires("api_tokens.write")])
    async def issue_token(
        self,
        request: Request,
        db: AsyncSession,
        access: TenantAccess,
        data: Form = Body(media_type=RequestEncodingType.URL_ENCODED),
    ) -> Template:
        try:
            spec = ApiTokenIn(name=str(data.get("name", "")).strip(), scopes=_form_list(data, "scopes"))
            _, token = await service.issue_office_token(db, access.tenant, access.principal.user_id, spec)
        except (AppError, msgspec.ValidationError) as error:
            await db.rollback()
            message = error.message if isinstance(error, AppError) else "请填写令牌名称并至少选择一项权限"
            return await self._tokens_page(request, db, access, status=400, error=message)
        await db.flush()
        return await self._tokens_page(request, db, access, new_token=token)

    @post("/api-tokens/{token_id:uuid}/revoke", guards=[requires("api_tokens.write")])
    async def revoke_token(self, db: AsyncSession, access: TenantAccess, token_id: uuid.UUID) -> Redirect:
        await service.revoke_office_token(db, access.tenant, token_id)
        return Redirect(f"/t/{access.tenant.code}/api-tokens")


PAGES = [MemberPages]
