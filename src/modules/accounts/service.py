"""Users, memberships, sign-in sessions and API tokens."""

from __future__ import annotations

import logging
import re
import secrets
import uuid
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import bindparam, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from renda.core.auth import hash_token, new_token
from renda.core.crypto import decrypt, encrypt, mask_phone, normalize_phone
from renda.core.db import read_rows, utcnow
from renda.core.errors import InvalidInput, NotFound
from renda.core.permissions import OFFICE_ROLES
from renda.modules.accounts.models import ApiToken, Membership, User, WebSession
from renda.tenants.models import Tenant
from renda.tenants.service import get_by_code

log = logging.getLogger("renda.accounts")
EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$")
MOBILE = re.compile(r"^1[3-9]\d{9}$")
OPENID = re.compile(r"^[A-Za-z0-9_-]{6,64}$")


@dataclass(frozen=True)
class Contacts:
    """Where notifications reach a user; the mobile number is decrypted only for sending."""

    user_id: uuid.UUID
    display_name: str
    email: str | None
    mobile: str | None
    mobile_masked: str | None
    wechat_openid: str | None


@dataclass(frozen=True)
class MembershipView:
    tenant_code: str
    tenant_name: str
    tenant_level: str
    tenant_status: str
    roles: list[str]


async def create_user(
    session: AsyncSession,
    display_name: str,
    *,
    email: str | None = None,
    platform_admin: bool = False,
    demo: bool = False,
) -> User:
    display_name = display_name.strip()
    if not 1 <= len(display_name) <= 100:
        raise InvalidInput("姓名不能为空,且不超过 100 个字", code="invalid_name")
    if email and (await session.execute(select(User).where(User.email == email))).scalar() is not None:
        raise InvalidInput(f"邮箱 {email} 已被其他用户使用", code="email_taken")
    user = User(display_name=display_name, email=email, is_platform_admin=platform_admin, is_demo=demo)
    session.add(user)
    await session.flush()
    return user


async def get_user(session: AsyncSession, user_id: uuid.UUID) -> User:
    user = await session.get(User, user_id)
    if user is None:
        raise NotFound("用户不存在", code="user_not_found")
    return user


async def grant_membership(session: AsyncSession, user: User, tenant_code: str, roles: list[str]) -> Membership:
    unknown = sorted(set(roles) - set(OFFICE_ROLES))
    if unknown or not roles:
        raise InvalidInput(f"角色无效:{'、'.join(unknown) or '未指定角色'}", code="invalid_roles")
    tenant = await get_by_code(session, tenant_code)
    membership = (
        await session.execute(
            select(Membership).where(Membership.user_id == user.id, Membership.tenant_id == tenant.id)
        )
    ).scalar_one_or_none()
    if membership is None:
        membership = Membership(user_id=user.id, tenant_id=tenant.id, roles=sorted(set(roles)))
        session.add(membership)
    else:
        membership.roles = sorted(set(roles))
    await session.flush()
    return membership


# Built once: every page's header and /api/v1/me read it.
_MEMBERSHIPS = (
    select(Tenant.code, Tenant.name, Tenant.level, Tenant.status, Membership.roles)
    .join(Membership, Membership.tenant_id == Tenant.id)
    .where(Membership.user_id == bindparam("user_id"))
    .order_by(Tenant.path)
)


async def memberships_of(session: AsyncSession, user_id: uuid.UUID) -> list[MembershipView]:
    rows = await read_rows(session, _MEMBERSHIPS, {"user_id": user_id})
    return [MembershipView(code, name, level, status, list(roles)) for code, name, level, status, roles in rows]


@dataclass(frozen=True)
class ReachableOffice:
    """An office the user may open: their own (with their roles there), or one beneath it (read-only).
    `reachable` is False for an office above theirs, listed only to name where the user is."""

    code: str
    name: str
    level: str
    path: str
    status: str
    roles: list[str]
    reachable: bool = True

    @property
    def read_only(self) -> bool:
        return not self.roles or self.status == "archived"


# Every office a user reaches (the `resolve_tenant_access` rule: a membership reaches its office and,
# read-only, every office beneath it), and the offices above the one being viewed: one statement for
# the header's switcher and the breadcrumbs.
_REACHABLE = text(
    """
    SELECT t.code, t.name, t.level, t.path, t.status, coalesce(own.roles, '{}') AS roles, true AS reachable
    FROM platform.tenants t
    LEFT JOIN platform.memberships own ON own.tenant_id = t.id AND own.user_id = :user_id
    WHERE own.id IS NOT NULL
       OR (t.status <> 'suspended' AND EXISTS (
             SELECT 1 FROM platform.memberships m JOIN platform.tenants a ON a.id = m.tenant_id
             WHERE m.user_id = :user_id AND t.path LIKE a.path || '/%'))
    UNION ALL
    SELECT t.code, t.name, t.level, t.path, t.status, '{}', false
    FROM platform.tenants t WHERE t.code = ANY(:above)
    ORDER BY path, reachable DESC
    """
)


async def reachable_offices(
    session: AsyncSession, user_id: uuid.UUID, viewing_path: str | None = None
) -> list[ReachableOffice]:
    """The offices the user reaches, in the order of the hierarchy; with `viewing_path` (the path of the
    office being viewed) also the offices above it that the user does not reach."""
    above = viewing_path.split("/")[:-1] if viewing_path else []
    rows = await read_rows(session, _REACHABLE, {"user_id": user_id, "above": above})
    found: dict[str, ReachableOffice] = {}
    for code, name, level, path, status, roles, reachable in rows:
        found.setdefault(code, ReachableOffice(code, name, level, path, status, list(roles), reachable))
    return list(found.values())


async def issue_api_token(session: AsyncSession, user: User, name: str) -> str:
    """Create a token and return it; only its hash is kept, so this is the one time it is seen."""
    token = new_token("rdt_")
    session.add(ApiToken(user_id=user.id, name=name, token_hash=hash_token(token)))
    await session.flush()
    return token


async def start_web_session(
    session: AsyncSession,
    user: User,
    absolute: timedelta,
    *,
    provider_id: uuid.UUID | None = None,
    id_token: str | None = None,
) -> str:
    """A server-side session; the returned token goes into the cookie and only its hash is kept."""
    token = new_token()
    session.add(
        WebSession(
            token_hash=hash_token(token),
            user_id=user.id,
            csrf_token=secrets.token_urlsafe(24),
            expires_at=utcnow() + absolute,
            provider_id=provider_id,
            id_token_encrypted=encrypt(id_token) if id_token else None,
        )
    )
    await session.flush()
    return token


async def get_web_session(session: AsyncSession, token_hash: str) -> WebSession | None:
    return await session.get(WebSession, token_hash)


async def sync_memberships_from_source(
    session: AsyncSession, user: User, source: str, wanted: dict[uuid.UUID, list[str]]
) -> None:
    """Make the user's memberships from `source` exactly `wanted` (office id → roles).

    Memberships from other sources (an administrator, an invitation) are left alone.
    """
    current = {
        m.tenant_id: m
        for m in (await session.execute(select(Membership).where(Membership.user_id == user.id))).scalars()
    }
    for tenant_id, membership in current.items():
        if membership.source == source and tenant_id not in wanted:
            await session.delete(membership)
    for tenant_id, roles in wanted.items():
        membership = current.get(tenant_id)
        if membership is None:
            session.add(Membership(user_id=user.id, tenant_id=tenant_id, roles=sorted(set(roles)), source=source))
        elif membership.source == source and sorted(membership.roles) != sorted(set(roles)):
            membership.roles = sorted(set(roles))
    await session.flush()


async def record_verified_contacts(
    session: AsyncSession, user: User, *, email: str | None = None, phone: str | None = None
) -> None:
    """Keep the sign-in email and mobile number the identity provider vouches for (verified) in step.

    Notifications fall back to them when the user has set no address of their own. An address
    another account already signs in with stays with that account; a number that is not a mainland
    mobile is not kept (SMS cannot reach it).
    """
    email = (email or "").strip() or None
    if email is not None and len(email) <= 200 and EMAIL.match(email) and email != user.email:
        try:
            async with session.begin_nested():  # a concurrent sign-in may take the address first
                taken = await session.execute(select(User.id).where(User.email == email, User.id != user.id))
                if taken.first() is None:
                    user.email = email
                    await session.flush()
                else:
                    log.warning("verified email already belongs to another user", extra={"user": str(user.id)})
        except IntegrityError:
            await session.refresh(user)  # the savepoint's rollback expired it
            log.warning("verified email already belongs to another user", extra={"user": str(user.id)})
    number = normalize_phone(phone) if phone else None
    if number is not None and MOBILE.match(number):
        if user.signin_mobile_encrypted is None or decrypt(user.signin_mobile_encrypted) != number:
            user.signin_mobile_encrypted = encrypt(number)
            user.signin_mobile_masked = mask_phone(number)
    await session.flush()


async def has_memberships(session: AsyncSession, user_id: uuid.UUID) -> bool:
    query = select(Membership.id).where(Membership.user_id == user_id).limit(1)
    return (await session.execute(query)).first() is not None


async def end_web_session(session: AsyncSession, token_hash: str) -> None:
    web_session = await session.get(WebSession, token_hash)
    if web_session is not None:
        await session.delete(web_session)
        await session.flush()


async def demo_users(session: AsyncSession) -> list[User]:
    return list(
        (await session.execute(select(User).where(User.is_demo, User.is_active).order_by(User.display_name))).scalars()
    )


async def demo_users_by_office(session: AsyncSession) -> tuple[list[User], uuid.UUID | None]:
    """The demo users as the sign-in page lists them, office by office down the hierarchy (a city, then
    each county with its townships), by role within an office, the platform administrator last; and
    which one to preselect: the first of the office where the demo has the most roles, whose pages
    are the fullest (the seeded register and its work are there)."""
    users = await demo_users(session)
    rows = (
        await session.execute(
            select(Membership.user_id, Tenant.path, Membership.roles)
            .join(Tenant, Tenant.id == Membership.tenant_id)
            .where(Membership.user_id.in_([u.id for u in users]))
        )
    ).all()
    first: dict[uuid.UUID, tuple[str, int]] = {}
    for user_id, path, roles in rows:
        rank = min((OFFICE_ROLES.index(r) for r in roles if r in OFFICE_ROLES), default=len(OFFICE_ROLES))
        first[user_id] = min(first.get(user_id, (path, rank)), (path, rank))
    last = ("~", 0)  # after every path: users with no office (the platform administrator)
    ordered = sorted(users, key=lambda u: (*first.get(u.id, last), u.display_name))
    crowd: dict[str, int] = {}
    for path, _ in first.values():
        crowd[path] = crowd.get(path, 0) + 1
    richest = max(crowd, key=lambda path: (crowd[path], -len(path)), default=None)
    preselected = next((u.id for u in ordered if first.get(u.id, last)[0] == richest), None)
    return ordered, preselected


async def contacts_of(
    session: AsyncSession, user_ids: list[uuid.UUID], *, reveal: bool = False
) -> dict[uuid.UUID, Contacts]:
    """The users' notification addresses; the full mobile number only with `reveal` (for sending)."""
    if not user_ids:
        return {}
    users = (await session.execute(select(User).where(User.id.in_(set(user_ids))))).scalars()
    return {
        u.id: Contacts(
            u.id,
            u.display_name,
            u.contact_email or u.email,
            _reveal(u.mobile_encrypted or u.signin_mobile_encrypted) if reveal else None,
            u.mobile_masked or u.signin_mobile_masked,
            u.wechat_openid,
        )
        for u in users
    }


def _reveal(encrypted: str | None) -> str | None:
    return decrypt(encrypted) if encrypted else None


async def set_contacts(
    session: AsyncSession,
    user_id: uuid.UUID,
    *,
    email: str | None,
    mobile: str | None,
    wechat_openid: str | None,
    keep_mobile: bool = False,
) -> Contacts:
    """A user's own notification addresses; empty clears one. `keep_mobile` leaves the stored number
    (a form shows only its masked copy)."""
    user = await get_user(session, user_id)
    email = (email or "").strip() or None
    if email is not None and (len(email) > 200 or not EMAIL.match(email)):
        raise InvalidInput("邮箱格式不正确", code="invalid_email")
    openid = (wechat_openid or "").strip() or None
    if openid is not None and not OPENID.match(openid):
        raise InvalidInput("微信 OpenID 格式不正确(6 到 64 位字母、数字、下划线或连字符)", code="invalid_openid")
    if not keep_mobile:
        number = normalize_phone(mobile or "") if (mobile or "").strip() else None
        if number is not None and not MOBILE.match(number):
            raise InvalidInput("手机号应为 11 位中国大陆手机号", code="invalid_phone")
        user.mobile_encrypted = encrypt(number) if number else None
        user.mobile_masked = mask_phone(number) if number else None
    # The sign-in address shown back in the form is not the user's own choice: it keeps following the provider.
    user.contact_email = email if email != user.email else None
    user.wechat_openid = openid
    await session.flush()
    return (await contacts_of(session, [user.id]))[user.id]
