"""Who is calling: a signed-in browser session (cookie) or an API token (Bearer).

The middleware only identifies the caller; the guards in `permissions.py` decide what they may do.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from litestar.datastructures import Cookie
from litestar.enums import ScopeType
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Receive, Scope, Send
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from renda.core.db import current_unit, get_database, utcnow
from renda.core.transactions import WITHOUT_DATABASE

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
    # The office of the request's path and the caller's roles there and above, read in the same
    # statement as the caller (`OFFICE_AND_ROLES`); None when the path names no office or it is unknown.
    office_row: tuple[Any, ...] | None = field(default=None, compare=False, repr=False)

    @property
    def actor(self) -> str:
        """How the audit log names this caller."""
        return f"user:{self.user_id}:{self.display_name}"


def office_and_roles(user_id: str) -> str:
    """SQL: the office `:office_code` with the roles user `user_id` holds in it (`own`) and in the
    offices above it (`inherited`)."""
    return f"""
    SELECT t.id, t.code, t.name, t.level, t.status, t.schema_name, t.path,
           coalesce((SELECT array_agg(DISTINCT r) FROM platform.memberships m, unnest(m.roles) r
                     WHERE m.user_id = {user_id} AND m.tenant_id = t.id), '{{}}') AS own,
           coalesce((SELECT array_agg(DISTINCT r) FROM platform.memberships m
                     JOIN platform.tenants a ON a.id = m.tenant_id, unnest(m.roles) r
                     WHERE m.user_id = {user_id} AND a.id <> t.id
                       AND a.code = ANY(string_to_array(t.path, '/'))), '{{}}') AS inherited
    FROM platform.tenants t WHERE t.code = :office_code"""


OFFICE_COLUMNS = "o.id, o.code, o.name, o.level, o.status, o.schema_name, o.path, o.own, o.inherited"

_CALLER_BY_SESSION = text(
    f"""
    SELECT u.id, u.display_name, u.is_platform_admin, s.csrf_token, s.last_seen_at, {OFFICE_COLUMNS}
    FROM platform.web_sessions s
    JOIN platform.users u ON u.id = s.user_id
    LEFT JOIN LATERAL ({office_and_roles("u.id")}) o ON true
    WHERE s.token_hash = :token_hash AND s.expires_at > :now AND u.is_active
    """
)
_CALLER_BY_TOKEN = text(
    f"""
    SELECT u.id, u.display_name, u.is_platform_admin, k.id, k.name, k.scopes, k.last_used_at, kt.code,
           {OFFICE_COLUMNS}
    FROM platform.api_tokens k
    JOIN platform.users u ON u.id = k.user_id
    LEFT JOIN platform.tenants kt ON kt.id = k.tenant_id
    LEFT JOIN LATERAL ({office_and_roles("u.id")}) o ON true
    WHERE k.token_hash = :token_hash AND k.revoked_at IS NULL AND u.is_active
    """
)
# Seen to the minute: no write on every request of a busy user or integration.
_TOUCH_SESSION = text("UPDATE platform.web_sessions SET last_seen_at = :now WHERE token_hash = :token_hash")
_END_SESSION = text("DELETE FROM platform.web_sessions WHERE token_hash = :token_hash")
_TOUCH_TOKEN = text("UPDATE platform.api_tokens SET last_used_at = :now WHERE id = :id")
TOUCH_EVERY = timedelta(minutes=1)


def _office(row: Sequence[Any], start: int) -> tuple[Any, ...] | None:
    return tuple(row[start:]) if row[start] is not None else None


async def principal_from_session(
    token: str, idle: timedelta, office_code: str | None = None, connection: AsyncConnection | None = None
) -> Principal | None:
    """The signed-in user of a session cookie (and the office of the path, in the same statement)."""
    now = utcnow()
    token_hash = hash_token(token)
    async with _connection(connection) as conn:
        row = (
            await conn.execute(_CALLER_BY_SESSION, {"token_hash": token_hash, "now": now, "office_code": office_code})
        ).first()
        if row is None:
            return None
        user_id, name, admin, csrf_token, last_seen = row[:5]
        if now - last_seen > idle:
            # Ended for good, whatever becomes of the request that found it idle.
            await conn.execute(_END_SESSION, {"token_hash": token_hash})
            await conn.commit()
            await conn.begin()
            return None
        if now - last_seen > TOUCH_EVERY:
            await conn.execute(_TOUCH_SESSION, {"token_hash": token_hash, "now": now})
    return Principal(user_id, name, admin, token_hash, csrf_token, office_row=_office(row, 5))


async def principal_from_api_token(
    token: str, office_code: str | None = None, connection: AsyncConnection | None = None
) -> Principal | None:
    """The user of a Bearer token (and the office of the path, in the same statement)."""
    async with _connection(connection) as conn:
        params = {"token_hash": hash_token(token), "office_code": office_code}
        row = (await conn.execute(_CALLER_BY_TOKEN, params)).first()
        if row is None:
            return None
        user_id, name, admin, token_id, token_name, scopes, last_used, token_office = row[:8]
        now = utcnow()
        if last_used is None or now - last_used > TOUCH_EVERY:
            await conn.execute(_TOUCH_TOKEN, {"id": token_id, "now": now})
    office = _office(row, 8)
    if token_office is None:
        return Principal(user_id, name, admin, office_row=office)
    # An office token is never a platform administrator, whoever made it.
    return Principal(
        user_id,
        f"{token_name}(接口令牌)",
        False,
        token_office=token_office,
        token_scopes=frozenset(scopes),
        office_row=office,
    )


@asynccontextmanager
async def _connection(connection: AsyncConnection | None) -> AsyncIterator[AsyncConnection]:
    """The request's connection; outside a request, a connection of its own, committed."""
    if connection is not None:
        yield connection
        return
    async with get_database().engine.begin() as own:
        yield own


# The office a path names: /t/{code}/… and /api/v1/t/{code}/…
OFFICE_PATH = re.compile(r"^/(?:api/v1/)?t/(\d{6,9})(?:/|$)")


class AuthenticationMiddleware(ASGIMiddleware):
    """Sets `scope["user"]` to the caller's Principal, or None for an anonymous caller. For a path
    under an office, the same statement reads the office and the caller's roles there."""

    scopes = (ScopeType.HTTP,)

    def __init__(self, idle_minutes: int = 120) -> None:
        self.idle = timedelta(minutes=idle_minutes)

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        # Probes, static files and the API document are public: no caller to look up, so they answer
        # (/health above all) while the database is away.
        scope["user"] = None if scope["path"].startswith(WITHOUT_DATABASE) else await self._identify(scope)
        await next_app(scope, receive, send)

    async def _identify(self, scope: Scope) -> Principal | None:
        authorization = cookie_header = None
        for key, value in scope.get("headers", []):
            if key == b"authorization":
                authorization = value.decode("latin-1")
            elif key == b"cookie":
                cookie_header = value.decode("latin-1")
        bearer = authorization[7:].strip() if authorization and authorization[:7].lower() == "bearer " else None
        cookie = None if bearer or not cookie_header else _cookie_value(cookie_header, SESSION_COOKIE)
        if not bearer and not cookie:
            return None
        office = OFFICE_PATH.match(scope["path"])
        office_code = office.group(1) if office else None
        unit = current_unit()
        connection = await unit.connect() if unit is not None else None
        if bearer:
            return await principal_from_api_token(bearer, office_code, connection)
        return await principal_from_session(cookie, self.idle, office_code, connection)  # type: ignore[arg-type]


def _cookie_value(header: str, name: str) -> str | None:
    for part in header.split(";"):
        key, _, value = part.strip().partition("=")
        if key == name and value:
            return value
    return None


def user_from_scope(scope: dict[str, Any]) -> Principal | None:
    return scope.get("user")


SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


async def csrf_protect(connection: Any) -> None:
    """Every route's guard runs this: a state-changing request riding on a session cookie must carry
    the session's CSRF token (form field `_csrf` or header `X-CSRF-Token`). Bearer tokens are not sent
    by browsers on their own, so they need none."""
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
