"""Who is calling: a signed-in browser session (cookie) or an API token (Bearer).

The middleware only identifies the caller; the guards in `permissions.py` decide what they may do.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from litestar.datastructures import Cookie
from litestar.enums import ScopeType
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Receive, Scope, Send
from sqlalchemy import select, update

from renda.core.db import get_database, utcnow

if TYPE_CHECKING:
    from renda.tenants.scoping import TenantRef

SESSION_COOKIE = "renda_session"


def http_only_cookie(key: str, value: str, *, secure: bool, max_age: int, path: str = "/") -> Cookie:
    """A cookie scripts cannot read, sent on top-level navigation but not on cross-site posts."""
    return Cookie(key=key, value=value, path=path, max_age=max_age, httponly=True, secure=secure, samesite="lax")


def cleared_cookie(key: str, path: str = "/") -> Cookie:
    return Cookie(key=key, value="", path=path, max_age=0, httponly=True, samesite="lax")


def safe_return_path(value: str | None) -> str:
    """Only a path on this site: never another host (an open redirect)."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return "/"
    return value[:500]


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_token(prefix: str = "") -> str:
    return prefix + secrets.token_urlsafe(32)


@dataclass(frozen=True)
class Principal:
    user_id: uuid.UUID
    display_name: str
    is_platform_admin: bool
    session_hash: str | None = None
    csrf_token: str | None = None
    # An office API token: usable in that office only, for exactly these permissions.
    token_office: str | None = None
    token_scopes: frozenset[str] | None = None

    @property
    def actor(self) -> str:
        """How the audit log names this caller."""
        return f"user:{self.user_id}:{self.display_name}"

    async def roles_in(self, tenant: TenantRef) -> tuple[frozenset[str], frozenset[str]]:
        """Roles held in the office itself, and roles held in its ancestor offices."""
        from renda.modules.accounts.models import Membership
        from renda.tenants.models import Tenant

        codes = tenant.path.split("/")
        query = (
            select(Tenant.code, Membership.roles)
            .join(Membership, Membership.tenant_id == Tenant.id)
            .where(Membership.user_id == self.user_id, Tenant.code.in_(codes))
        )
        async with get_database().platform_session() as session:
            rows = (await session.execute(query)).all()
        own = frozenset(role for code, roles in rows if code == tenant.code for role in roles)
        inherited = frozenset(role for code, roles in rows if code != tenant.code for role in roles)
        return own, inherited


async def principal_from_session(token: str, idle: timedelta) -> Principal | None:
    from renda.modules.accounts.models import User, WebSession

    now = utcnow()
    token_hash = hash_token(token)
    async with get_database().platform_session() as session:
        row = (
            await session.execute(
                select(WebSession, User)
                .join(User, User.id == WebSession.user_id)
                .where(WebSession.token_hash == token_hash, WebSession.expires_at > now, User.is_active)
            )
        ).first()
        if row is None:
            return None
        web_session, user = row
        if now - web_session.last_seen_at > idle:
            await session.delete(web_session)
            await session.commit()
            return None
        if now - web_session.last_seen_at > timedelta(minutes=1):  # avoid a write on every request
            web_session.last_seen_at = now
            await session.commit()
        return Principal(user.id, user.display_name, user.is_platform_admin, token_hash, web_session.csrf_token)


async def principal_from_api_token(token: str) -> Principal | None:
    from renda.modules.accounts.models import ApiToken, User
    from renda.tenants.models import Tenant

    async with get_database().platform_session() as session:
        row = (
            await session.execute(
                select(ApiToken, User, Tenant.code)
                .join(User, User.id == ApiToken.user_id)
                .outerjoin(Tenant, Tenant.id == ApiToken.tenant_id)
                .where(ApiToken.token_hash == hash_token(token), ApiToken.revoked_at.is_(None), User.is_active)
            )
        ).first()
        if row is None:
            return None
        api_token, user, office = row
        now = utcnow()
        # Last-used to the minute: no write on every request of a busy integration.
        if api_token.last_used_at is None or now - api_token.last_used_at > timedelta(minutes=1):
            await session.execute(update(ApiToken).where(ApiToken.id == api_token.id).values(last_used_at=now))
            await session.commit()
    if office is None:
        return Principal(user.id, user.display_name, user.is_platform_admin)
    # An office token is never a platform administrator, whoever made it.
    name = f"{api_token.name}(接口令牌)"
    return Principal(user.id, name, False, token_office=office, token_scopes=frozenset(api_token.scopes))


class AuthenticationMiddleware(ASGIMiddleware):
    """Sets `scope["user"]` to the caller's Principal, or None for an anonymous caller."""

    scopes = (ScopeType.HTTP,)

    def __init__(self, idle_minutes: int = 120) -> None:
        self.idle = timedelta(minutes=idle_minutes)

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        scope["user"] = await self._identify(scope)
        await next_app(scope, receive, send)

    async def _identify(self, scope: Scope) -> Principal | None:
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        authorization = headers.get("authorization", "")
        if authorization.lower().startswith("bearer "):
            return await principal_from_api_token(authorization[7:].strip())
        cookie = _cookie_value(headers.get("cookie", ""), SESSION_COOKIE)
        if cookie:
            return await principal_from_session(cookie, self.idle)
        return None


def _cookie_value(header: str, name: str) -> str | None:
    for part in header.split(";"):
        key, _, value = part.strip().partition("=")
        if key == name and value:
            return value
    return None


def user_from_scope(scope: dict[str, Any]) -> Principal | None:
    return scope.get("user")


SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


async def csrf_protect(connection: Any, _: Any) -> None:
    """App-wide guard: a state-changing request riding on a session cookie must carry the session's
    CSRF token (form field `_csrf` or header `X-CSRF-Token`). Bearer tokens are not sent by browsers
    on their own, so they need none."""
    from renda.core.errors import PermissionDenied

    principal = connection.scope.get("user")
    if connection.scope.get("method") in SAFE_METHODS or principal is None or principal.session_hash is None:
        return
    sent = connection.headers.get("x-csrf-token")
    if sent is None and connection.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        sent = (await connection.form()).get("_csrf")
    if not sent or not principal.csrf_token or not hmac.compare_digest(str(sent), principal.csrf_token):
        raise PermissionDenied("页面已过期或请求来源不明,请刷新页面后重试", code="csrf_failed")
