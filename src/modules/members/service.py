"""An office's people and integrations: invitations, memberships, office API tokens.

These rows live in the platform schema; every query here is filtered by the office's id.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from renda.core.auth import hash_token, new_token
from renda.core.crypto import lookup_hashes, mask_email, mask_phone, normalize_phone
from renda.core.db import utcnow
from renda.core.errors import Conflict, Gone, InvalidInput, NotFound
from renda.core.permissions import OFFICE_ROLES, TOKEN_SCOPES
from renda.modules.accounts.models import ApiToken, Membership, User
from renda.modules.members.models import Invitation
from renda.modules.members.schemas import ApiTokenIn, InvitationIn
from renda.tenants.models import Tenant
from renda.tenants.scoping import TenantRef

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MOBILE = re.compile(r"^1[3-9]\d{9}$")


def _contact_key(kind: str, value: str) -> str:
    return _contact_keys(kind, value)[0]


def _contact_keys(kind: str, value: str) -> list[str]:
    """Under the current secret key and the old ones during a key rotation (invitations cannot be re-hashed)."""
    normalized = value.strip().lower() if kind == "email" else normalize_phone(value)
    return lookup_hashes(f"{kind}:{normalized}")


def _check_roles(roles: Iterable[str]) -> list[str]:
    roles = sorted(set(roles))
    unknown = [r for r in roles if r not in OFFICE_ROLES]
    if unknown or not roles:
        raise InvalidInput(f"角色无效:{'、'.join(unknown) or '未指定角色'}", code="invalid_roles")
    return roles


# --- invitations ---------------------------------------------------------------------------------
async def invite(session: AsyncSession, tenant: TenantRef, data: InvitationIn, actor: str) -> Invitation:
    if bool(data.email) == bool(data.phone):
        raise InvalidInput("请填写邮箱或手机号中的一项", code="invalid_contact")
    if data.email:
        if not EMAIL.match(data.email.strip()):
            raise InvalidInput("邮箱格式不正确", code="invalid_email")
        kind, value, masked = "email", data.email, mask_email(data.email.strip().lower())
    else:
        assert data.phone is not None
        if not MOBILE.match(normalize_phone(data.phone)):
            raise InvalidInput("手机号应为 11 位中国大陆手机号", code="invalid_phone")
        kind, value, masked = "phone", data.phone, mask_phone(data.phone)
    key = _contact_key(kind, value)
    open_one = await session.execute(
        select(Invitation.id).where(
            Invitation.tenant_id == tenant.id,
            Invitation.contact_hash == key,
            Invitation.accepted_at.is_(None),
            Invitation.revoked_at.is_(None),
            Invitation.expires_at > utcnow(),
        )
    )
    if open_one.first() is not None:
        raise Conflict("已向该联系方式发出邀请,尚未接受", code="invitation_exists")
    invitation = Invitation(
        tenant_id=tenant.id,
        contact_kind=kind,
        contact_hash=key,
        contact_masked=masked,
        display_name=data.display_name.strip(),
        roles=_check_roles(data.roles),
        invited_by=actor,
        expires_at=utcnow() + timedelta(days=data.valid_days),
    )
    session.add(invitation)
    await session.flush()
    return invitation


def invitation_status(invitation: Invitation) -> str:
    if invitation.accepted_at:
        return "accepted"
    if invitation.revoked_at:
        return "revoked"
    return "expired" if invitation.expires_at <= utcnow() else "pending"


async def list_invitations(session: AsyncSession, tenant: TenantRef) -> list[Invitation]:
    query = select(Invitation).where(Invitation.tenant_id == tenant.id).order_by(Invitation.created_at.desc())
    return list((await session.execute(query)).scalars())


async def revoke_invitation(session: AsyncSession, tenant: TenantRef, invitation_id: uuid.UUID) -> Invitation:
    invitation = (
        await session.execute(
            select(Invitation).where(Invitation.id == invitation_id, Invitation.tenant_id == tenant.id)
        )
    ).scalar_one_or_none()
    if invitation is None:
        raise NotFound("邀请不存在", code="invitation_not_found")
    if invitation.accepted_at:
        raise Conflict("邀请已被接受,请改为移除该成员", code="invitation_accepted")
    invitation.revoked_at = invitation.revoked_at or utcnow()
    await session.flush()
    return invitation


# --- sign-in links --------------------------------------------------------------------------------
async def issue_sign_in_link(session: AsyncSession, invitation: Invitation) -> str:
    """A one-use token that accepts `invitation` and signs its holder in, for an office whose first
    administrator no identity provider knows yet. Only its hash is kept; a new link voids the old."""
    token = new_token("inv_")
    invitation.link_hash = hash_token(token)
    await session.flush()
    return token


async def open_link(session: AsyncSession, token: str, *, lock: bool = False) -> tuple[Invitation, Tenant]:
    """The invitation a sign-in link names, if it can still be used."""
    query = (
        select(Invitation, Tenant)
        .join(Tenant, Tenant.id == Invitation.tenant_id)
        .where(Invitation.link_hash == hash_token(token))
    )
    found = (await session.execute(query.with_for_update(of=Invitation) if lock else query)).one_or_none()
    if found is None:
        raise NotFound("邀请链接无效,请向平台管理员索取新的链接", code="invitation_link_invalid")
    invitation, tenant = found
    status = invitation_status(invitation)
    if status == "accepted":
        raise Conflict("该邀请链接已经使用过,请直接登录", code="invitation_link_used")
    if status != "pending":
        raise Gone("邀请链接已过期或已撤销,请向平台管理员索取新的链接", code="invitation_link_expired")
    return invitation, tenant


async def accept_by_link(
    session: AsyncSession, token: str, user_for: Callable[[str], Awaitable[User]]
) -> tuple[Tenant, User]:
    """Use a sign-in link: `user_for(display_name)` makes the account; it joins the office with the
    invitation's roles. The row is locked, so of two uses at once the second finds it used."""
    invitation, tenant = await open_link(session, token, lock=True)
    user = await user_for(invitation.display_name)
    session.add(Membership(user_id=user.id, tenant_id=tenant.id, roles=invitation.roles, source="invitation"))
    invitation.accepted_at, invitation.accepted_user_id = utcnow(), user.id
    await session.flush()
    return tenant, user


async def link_accounts(session: AsyncSession, contacts: Iterable[tuple[str, str]]) -> list[uuid.UUID]:
    """Accounts made by a sign-in link sent to one of these contacts: the account an identity provider
    vouching for the same contact signs in to later, instead of a new one."""
    keys = [key for kind, value in contacts for key in _contact_keys(kind, value)]
    if not keys:
        return []
    query = select(Invitation.accepted_user_id).where(
        Invitation.contact_hash.in_(keys), Invitation.link_hash.is_not(None), Invitation.accepted_user_id.is_not(None)
    )
    return list((await session.execute(query.order_by(Invitation.accepted_at))).scalars())


@dataclass(frozen=True)
class Acceptance:
    accepted: int  # invitations bound to the user now
    taken: int  # invitations to the user's contacts that another account had already taken


async def accept_invitations(
    session: AsyncSession, user: User, contacts: Iterable[tuple[str, str]], serves: Callable[[Tenant], bool]
) -> Acceptance:
    """Bind every open invitation addressed to one of the user's verified contacts, in an office
    `serves` accepts (the identity provider's offices). An invitation binds one account only: the
    rows are locked, so of two sign-ins at once the second waits and then finds it taken."""
    keys = [key for kind, value in contacts for key in _contact_keys(kind, value)]
    if not keys:
        return Acceptance(0, 0)
    rows = await session.execute(
        select(Invitation, Tenant)
        .join(Tenant, Tenant.id == Invitation.tenant_id)
        .where(Invitation.contact_hash.in_(keys), Invitation.revoked_at.is_(None))
        .order_by(Invitation.id)  # one lock order for every sign-in: no deadlock between two
        .with_for_update(of=Invitation)
        .execution_options(populate_existing=True)
    )
    accepted = taken = 0
    now = utcnow()
    for invitation, tenant in rows.all():
        if invitation.accepted_user_id == user.id or not serves(tenant):
            continue
        if invitation.accepted_at is not None:
            taken += 1
            continue
        if invitation.expires_at <= now:
            continue
        membership = (
            await session.execute(
                select(Membership).where(Membership.user_id == user.id, Membership.tenant_id == invitation.tenant_id)
            )
        ).scalar_one_or_none()
        if membership is None:
            session.add(
                Membership(user_id=user.id, tenant_id=invitation.tenant_id, roles=invitation.roles, source="invitation")
            )
        else:
            membership.roles = sorted(set(membership.roles) | set(invitation.roles))
        invitation.accepted_at, invitation.accepted_user_id = now, user.id
        accepted += 1
    await session.flush()
    return Acceptance(accepted, taken)


# --- members -------------------------------------------------------------------------------------
async def list_members(session: AsyncSession, tenant: TenantRef) -> list[tuple[Membership, User]]:
    query = (
        select(Membership, User)
        .join(User, User.id == Membership.user_id)
        .where(Membership.tenant_id == tenant.id)
        .order_by(User.display_name)
    )
    return [(m, u) for m, u in (await session.execute(query)).all()]


async def remove_member(session: AsyncSession, tenant: TenantRef, user_id: uuid.UUID) -> None:
    membership = (
        await session.execute(
            select(Membership).where(Membership.tenant_id == tenant.id, Membership.user_id == user_id)
        )
    ).scalar_one_or_none()
    if membership is None:
        raise NotFound("该用户不是本机关成员", code="member_not_found")
    await session.delete(membership)
    await session.flush()


# --- office API tokens ---------------------------------------------------------------------------
async def issue_office_token(
    session: AsyncSession, tenant: TenantRef, creator_id: uuid.UUID, data: ApiTokenIn
) -> tuple[ApiToken, str]:
    unknown = sorted(set(data.scopes) - TOKEN_SCOPES)
    if unknown:
        raise InvalidInput(f"接口令牌不能授予这些权限:{'、'.join(unknown)}", code="invalid_scopes")
    token = new_token("rdo_")
    row = ApiToken(
        user_id=creator_id,
        tenant_id=tenant.id,
        name=data.name.strip(),
        scopes=sorted(set(data.scopes)),
        token_hash=hash_token(token),
    )
    session.add(row)
    await session.flush()
    return row, token


async def list_office_tokens(session: AsyncSession, tenant: TenantRef) -> list[tuple[ApiToken, str]]:
    query = (
        select(ApiToken, User.display_name)
        .join(User, User.id == ApiToken.user_id)
        .where(ApiToken.tenant_id == tenant.id)
        .order_by(ApiToken.created_at.desc())
    )
    return [(t, name) for t, name in (await session.execute(query)).all()]


async def revoke_office_token(session: AsyncSession, tenant: TenantRef, token_id: uuid.UUID) -> ApiToken:
    token = (
        await session.execute(select(ApiToken).where(ApiToken.id == token_id, ApiToken.tenant_id == tenant.id))
    ).scalar_one_or_none()
    if token is None:
        raise NotFound("接口令牌不存在", code="api_token_not_found")
    token.revoked_at = token.revoked_at or utcnow()
    await session.flush()
    return token
