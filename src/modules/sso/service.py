"""Identity providers, and what a verified sign-in means here: which user, which offices, which roles."""

from __future__ import annotations

import ipaddress
import logging
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import urlparse

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from renda.config import Settings
from renda.core.auth import hash_token
from renda.core.crypto import decrypt, encrypt
from renda.core.db import utcnow
from renda.core.errors import Conflict, InvalidInput, NotFound
from renda.core.permissions import OFFICE_ROLES
from renda.modules.accounts import service as accounts
from renda.modules.accounts.models import User
from renda.modules.members import service as members
from renda.modules.sso.models import DEFAULT_SCOPES, IdentityProvider, PendingSignIn, UserIdentity
from renda.modules.sso.oidc import AuthorizationRequest, ClientRegistration, SignInFailed
from renda.tenants.models import Tenant

log = logging.getLogger("renda.sso")
PENDING_TTL = timedelta(minutes=10)


@dataclass(frozen=True)
class ProviderIn:
    name: str
    issuer: str
    client_id: str
    client_secret: str
    scopes: str = DEFAULT_SCOPES
    office_claim: str = "division_codes"
    roles_claim: str = "renda_roles"
    default_roles: tuple[str, ...] = ("viewer",)
    office_codes: tuple[str, ...] = ()
    is_default: bool = False


# --- the provider registry -----------------------------------------------------------------------
def _is_loopback(host: str | None) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host or "").is_loopback
    except ValueError:
        return False


def _validate(data: ProviderIn, environment: str) -> None:
    url = urlparse(data.issuer)
    if url.scheme not in ("https", "http") or not url.netloc:
        raise InvalidInput("签发者(issuer)必须是 http(s) 地址", code="invalid_issuer")
    # Client secrets, codes and ID tokens travel to this address: plain http only for a local test provider.
    if url.scheme == "http" and not (environment in ("development", "test") and _is_loopback(url.hostname)):
        raise InvalidInput(
            "签发者(issuer)必须是 https:// 地址;http:// 仅允许开发或测试环境中的本机地址(127.0.0.1、localhost)",
            code="invalid_issuer",
        )
    if not data.name.strip() or not data.client_id.strip() or not data.client_secret:
        raise InvalidInput("名称、客户端编号和客户端密钥都不能为空", code="invalid_provider")
    if "openid" not in data.scopes.split():
        raise InvalidInput("授权范围必须包含 openid", code="invalid_scopes")
    unknown = sorted(set(data.default_roles) - set(OFFICE_ROLES))
    if unknown:
        raise InvalidInput(f"角色无效:{'、'.join(unknown)}", code="invalid_roles")


async def save_provider(session: AsyncSession, data: ProviderIn, *, environment: str) -> IdentityProvider:
    """Register a provider, or update the one with the same issuer and client id. `environment` is
    RENDA_ENV: outside development and test the issuer must be https."""
    _validate(data, environment)
    known = set((await session.execute(select(Tenant.code).where(Tenant.code.in_(data.office_codes)))).scalars())
    if missing := sorted(set(data.office_codes) - known):
        raise InvalidInput(f"机关不存在:{'、'.join(missing)}", code="unknown_office")
    provider = (
        await session.execute(
            select(IdentityProvider).where(
                IdentityProvider.issuer == data.issuer, IdentityProvider.client_id == data.client_id
            )
        )
    ).scalar_one_or_none()
    if provider is None:
        provider = IdentityProvider(issuer=data.issuer, client_id=data.client_id)
        session.add(provider)
    provider.name = data.name.strip()
    provider.client_secret_encrypted = encrypt(data.client_secret)
    provider.scopes = data.scopes
    provider.office_claim = data.office_claim
    provider.roles_claim = data.roles_claim
    provider.default_roles = list(data.default_roles)
    provider.office_codes = sorted(set(data.office_codes))
    provider.enabled = True
    if data.is_default:
        await session.execute(update(IdentityProvider).values(is_default=False))
    provider.is_default = data.is_default
    try:
        await session.flush()
    except IntegrityError:
        raise Conflict("该身份认证服务已登记", code="provider_exists") from None
    return provider


async def list_providers(session: AsyncSession) -> list[IdentityProvider]:
    query = select(IdentityProvider).order_by(IdentityProvider.is_default.desc(), IdentityProvider.name)
    return list((await session.execute(query)).scalars())


async def get_provider(session: AsyncSession, provider_id: uuid.UUID) -> IdentityProvider:
    provider = await session.get(IdentityProvider, provider_id)
    if provider is None:
        raise NotFound("身份认证服务不存在", code="provider_not_found")
    return provider


async def remove_provider(session: AsyncSession, provider_id: uuid.UUID) -> None:
    await session.delete(await get_provider(session, provider_id))
    await session.flush()


async def ensure_configured_provider(session: AsyncSession, settings: Settings) -> IdentityProvider | None:
    """The default provider of RENDA_OIDC_ISSUER / _CLIENT_ID / _CLIENT_SECRET, kept in the registry."""
    if not (settings.oidc_issuer and settings.oidc_client_id and settings.oidc_client_secret):
        return None
    return await save_provider(
        session,
        ProviderIn(
            name=settings.oidc_name,
            issuer=settings.oidc_issuer,
            client_id=settings.oidc_client_id,
            client_secret=settings.oidc_client_secret,
            is_default=True,
        ),
        environment=settings.environment,
    )


def registration(provider: IdentityProvider, settings: Settings) -> ClientRegistration:
    return ClientRegistration(
        issuer=provider.issuer,
        client_id=provider.client_id,
        client_secret=decrypt(provider.client_secret_encrypted),
        scopes=provider.scopes,
        redirect_uri=settings.public_url.rstrip("/") + "/auth/callback",
    )


def serves(provider: IdentityProvider, tenant: Tenant) -> bool:
    """A provider serves the offices it lists and every office beneath them; none listed: all."""
    if not provider.office_codes:
        return True
    return bool(set(tenant.path.split("/")) & set(provider.office_codes))


async def provider_for_office(session: AsyncSession, office_code: str) -> IdentityProvider:
    """The provider closest to the office: its own, else its county's or city's, else the default."""
    tenant = (await session.execute(select(Tenant).where(Tenant.code == office_code))).scalar_one_or_none()
    if tenant is None:
        raise NotFound(f"机关 {office_code} 不存在", code="tenant_not_found")
    providers = [p for p in await list_providers(session) if p.enabled]
    lineage = list(reversed(tenant.path.split("/")))  # the office first, then upwards
    for code in lineage:
        for provider in providers:
            if code in provider.office_codes:
                return provider
    for provider in providers:
        if provider.is_default:
            return provider
    raise NotFound("该机关尚未配置统一身份认证", code="no_identity_provider")


async def default_provider(session: AsyncSession) -> IdentityProvider | None:
    providers = [p for p in await list_providers(session) if p.enabled]
    defaults = [p for p in providers if p.is_default]
    return defaults[0] if defaults else (providers[0] if len(providers) == 1 else None)


# --- sign-ins in progress ------------------------------------------------------------------------
async def remember_request(
    session: AsyncSession, provider: IdentityProvider, request: AuthorizationRequest, browser: str, return_to: str
) -> None:
    await session.execute(delete(PendingSignIn).where(PendingSignIn.expires_at < utcnow()))
    session.add(
        PendingSignIn(
            state_hash=hash_token(request.state),
            browser_hash=hash_token(browser),
            provider_id=provider.id,
            nonce=request.nonce,
            code_verifier=request.code_verifier,
            return_to=return_to,
            expires_at=utcnow() + PENDING_TTL,
        )
    )
    await session.flush()


async def take_request(session: AsyncSession, state: str | None, browser: str | None) -> PendingSignIn:
    """The pending request for `state`, removed so it can never be used again."""
    if not state:
        raise SignInFailed("state_missing", "登录请求缺少 state 参数,请重新登录")
    pending = await session.get(PendingSignIn, hash_token(state), with_for_update=True)
    if pending is None:
        raise SignInFailed("state_invalid", "登录请求无效或已被使用,请重新登录")
    await session.delete(pending)
    await session.flush()
    if browser is None or hash_token(browser) != pending.browser_hash:
        raise SignInFailed("state_invalid", "登录请求不是由本浏览器发起的,请重新登录")
    if pending.expires_at < utcnow():
        raise SignInFailed("state_expired", "登录请求已超时,请重新登录")
    return pending


# --- from claims to a user with memberships ------------------------------------------------------
def _as_list(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [part for part in value.replace(",", " ").split() if part]
    if isinstance(value, list | tuple):
        return [str(v) for v in value if isinstance(v, str | int)]
    return []


def claimed_roles(provider: IdentityProvider, claims: dict[str, Any]) -> dict[str, set[str]]:
    """Office code → roles, from the provider's claim mapping.

    The roles claim holds plain roles (for every claimed office) or `<code>:<role>` for one office;
    roles this platform does not know are ignored; an office with none gets the provider's default.
    """
    codes = _as_list(claims.get(provider.office_claim))
    general: set[str] = set()
    specific: dict[str, set[str]] = {}
    for entry in _as_list(claims.get(provider.roles_claim)):
        code, _, role = entry.rpartition(":")
        if role in OFFICE_ROLES:
            (specific.setdefault(code, set()) if code else general).add(role)
    return {code: specific.get(code) or general or set(provider.default_roles) for code in codes}


async def sign_in_user(session: AsyncSession, provider: IdentityProvider, claims: dict[str, Any]) -> User:
    """The user these verified claims belong to, created on first sign-in, memberships refreshed."""
    issuer, subject = claims["iss"], str(claims["sub"])
    identity = (
        await session.execute(
            select(UserIdentity).where(UserIdentity.issuer == issuer, UserIdentity.subject == subject)
        )
    ).scalar_one_or_none()
    name = str(claims.get("name") or claims.get("preferred_username") or "未署名用户")[:100]
    if identity is None:
        user = await _link_account(session, claims) or await accounts.create_user(session, name)
        identity = UserIdentity(user_id=user.id, issuer=issuer, subject=subject)
        session.add(identity)
    else:
        user = await accounts.get_user(session, identity.user_id)
        if not user.is_active:
            raise SignInFailed("user_disabled", "该账号已停用,请联系机关管理员")
        user.display_name = name
        identity.last_sign_in_at = utcnow()
    await session.flush()
    await accounts.record_verified_contacts(session, user, **dict(_verified_contacts(claims)))

    wanted = await _offices_granted(session, provider, claims)
    await accounts.sync_memberships_from_source(session, user, f"idp:{provider.id}", wanted)
    invitations = await members.accept_invitations(
        session, user, _verified_contacts(claims), serves=lambda tenant: serves(provider, tenant)
    )
    if not user.is_platform_admin and not await accounts.has_memberships(session, user.id):
        if invitations.taken:
            raise SignInFailed(
                "invitation_taken", "该邀请已由其他账号接受,不能再次使用,请联系机关管理员重新邀请", status=409
            )
        raise SignInFailed("no_office", "您的账号没有关联任何已开通本平台的机关,请联系所在机关的管理员")
    return user


async def _link_account(session: AsyncSession, claims: dict[str, Any]) -> User | None:
    """The account a sign-in link made for a contact this provider vouches for, while no provider's
    identity is bound to it yet: the office's first administrator keeps their account and offices."""
    for user_id in await members.link_accounts(session, _verified_contacts(claims)):
        bound = await session.execute(select(UserIdentity.id).where(UserIdentity.user_id == user_id).limit(1))
        if bound.first() is None:
            return await accounts.get_user(session, user_id)
    return None


async def _offices_granted(
    session: AsyncSession, provider: IdentityProvider, claims: dict[str, Any]
) -> dict[uuid.UUID, list[str]]:
    roles_by_code = claimed_roles(provider, claims)
    tenants = (await session.execute(select(Tenant).where(Tenant.code.in_(roles_by_code)))).scalars()
    granted = {t.id: sorted(roles_by_code[t.code]) for t in tenants if serves(provider, t)}
    if len(granted) < len(roles_by_code):
        log.warning("claims name offices this provider cannot grant", extra={"provider": str(provider.id)})
    return granted


def _verified_contacts(claims: dict[str, Any]) -> Iterable[tuple[str, str]]:
    """The email and phone the provider asserts it verified; a claim without `*_verified: true` counts
    for nothing (Core §5.1: absent means the provider does not vouch for it)."""
    if claims.get("email") and claims.get("email_verified") is True:
        yield "email", str(claims["email"])
    if claims.get("phone_number") and claims.get("phone_number_verified") is True:
        yield "phone", str(claims["phone_number"])
