"""Who may call, and with what: browser sessions (timeouts, CSRF, sign-out, cookie attributes, the
demo sign-in), office API tokens, invitations, members, and the identity provider registry."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any

import asyncpg
import dramatiq
import pytest
from litestar.testing import AsyncTestClient

import renda.core.db as db_module
from renda.app import create_app
from renda.config import Settings
from renda.core.auth import hash_token
from renda.core.crypto import decrypt
from renda.modules.accounts import service as accounts
from renda.modules.accounts.routes import demo_login_limiter
from renda.modules.members import service as members
from renda.workers.broker import create_broker, use_broker
from tests.conftest import _asyncpg_dsn, make_caller


# --- helpers -------------------------------------------------------------------------------------
async def sql(database_url: str, query: str, *args: Any) -> Any:
    """One value, read (or written) outside the app."""
    conn = await asyncpg.connect(_asyncpg_dsn(database_url), statement_cache_size=0)
    try:
        return await conn.fetchval(query, *args)
    finally:
        await conn.close()


async def occurrences(database_url: str, table: str, needle: str) -> int:
    """Rows of a platform table whose text (every column) contains `needle`, case-insensitively."""
    return await sql(
        database_url, f"select count(*) from platform.{table} r where strpos(lower(r::text), lower($1)) > 0", needle
    )


@dataclass
class Browser:
    user_id: uuid.UUID
    token: str
    csrf: str

    @property
    def cookie(self) -> dict[str, str]:
        return {"Cookie": f"renda_session={self.token}"}


async def sign_in(database, settings: Settings, memberships: dict[str, list[str]] | None = None) -> Browser:
    async with database.platform_session() as session:
        session.info["actor"] = "system:test"
        user = await accounts.create_user(session, "会话用户")
        for code, roles in (memberships or {}).items():
            await accounts.grant_membership(session, user, code, roles)
        token = await accounts.start_web_session(session, user, timedelta(hours=settings.session_absolute_hours))
        web_session = await accounts.get_web_session(session, hash_token(token))
        await session.commit()
    return Browser(user.id, token, web_session.csrf_token)


def session_cookie(response) -> str:
    return next(h for h in response.headers.get_list("set-cookie") if h.startswith("renda_session="))


def cookie_attributes(header: str) -> dict[str, str]:
    parts = [p.strip() for p in header.split(";")[1:]]
    return {k.lower(): v for k, _, v in (p.partition("=") for p in parts)}


def unique_email() -> str:
    return f"Li.{uuid.uuid4().hex[:10]}@Example.gov.cn"


def unique_phone() -> str:
    return f"138{uuid.uuid4().int % 10**8:08d}"


def unique_issuer() -> str:
    return f"https://idp-{uuid.uuid4().hex[:10]}.example.gov.cn"


async def count_invitations(database_url: str, code: str) -> int:
    return await sql(
        database_url,
        "select count(*) from platform.invitations i join platform.tenants t on t.id = i.tenant_id where t.code = $1",
        code,
    )


async def count_tokens(database_url: str, code: str) -> int:
    return await sql(
        database_url,
        "select count(*) from platform.api_tokens a join platform.tenants t on t.id = a.tenant_id where t.code = $1",
        code,
    )


# --- sessions ------------------------------------------------------------------------------------
@pytest.mark.smoke
async def test_session_cookie_signs_in_and_only_its_hash_is_stored(client, database, database_url, settings) -> None:
    browser = await sign_in(database, settings)
    me = await client.get("/api/v1/me", headers=browser.cookie)
    assert me.status_code == 200 and me.json()["id"] == str(browser.user_id)

    # A database dump must not hand out usable cookies.
    assert await occurrences(database_url, "web_sessions", browser.token) == 0
    stored = await sql(database_url, "select token_hash from platform.web_sessions where user_id = $1", browser.user_id)
    assert stored == hashlib.sha256(browser.token.encode()).hexdigest()
    lifetime = await sql(
        database_url, "select expires_at - created_at from platform.web_sessions where user_id = $1", browser.user_id
    )
    assert abs(lifetime - timedelta(hours=settings.session_absolute_hours)) < timedelta(seconds=5)


async def test_idle_session_expires_and_is_deleted(client, database, database_url, settings) -> None:
    browser = await sign_in(database, settings)
    set_last_seen = (
        "update platform.web_sessions set last_seen_at = now() - make_interval(mins => $2) where user_id = $1"
    )

    # Still inside the idle window: accepted, and the activity moves the window on.
    await sql(database_url, set_last_seen, browser.user_id, settings.session_idle_minutes - 5)
    assert (await client.get("/api/v1/me", headers=browser.cookie)).status_code == 200
    idle = await sql(
        database_url, "select now() - last_seen_at from platform.web_sessions where user_id = $1", browser.user_id
    )
    assert idle < timedelta(minutes=1)

    await sql(database_url, set_last_seen, browser.user_id, settings.session_idle_minutes + 1)
    response = await client.get("/api/v1/me", headers=browser.cookie)
    assert response.status_code == 401 and response.json()["code"] == "not_authenticated"
    assert (
        await sql(database_url, "select count(*) from platform.web_sessions where user_id = $1", browser.user_id) == 0
    )


async def test_session_past_its_absolute_lifetime_is_refused(client, database, database_url, settings) -> None:
    browser = await sign_in(database, settings)
    await sql(
        database_url,
        "update platform.web_sessions set expires_at = now() - interval '1 second' where user_id = $1",
        browser.user_id,
    )
    assert (await client.get("/api/v1/me", headers=browser.cookie)).status_code == 401


@pytest.mark.smoke
async def test_logout_needs_the_csrf_token_and_ends_the_session(client, database, database_url, settings) -> None:
    browser = await sign_in(database, settings)
    refused = [
        await client.post("/auth/logout", headers=browser.cookie, follow_redirects=False),
        await client.post("/auth/logout", data={"_csrf": "forged"}, headers=browser.cookie, follow_redirects=False),
        await client.post("/auth/logout", headers={**browser.cookie, "X-CSRF-Token": "forged"}, follow_redirects=False),
    ]
    for response in refused:
        assert response.status_code == 403 and response.json()["code"] == "csrf_failed"
    assert (await client.get("/api/v1/me", headers=browser.cookie)).status_code == 200

    response = await client.post(
        "/auth/logout", data={"_csrf": browser.csrf}, headers=browser.cookie, follow_redirects=False
    )
    assert response.status_code in (302, 303) and response.headers["location"] == "/login"
    assert cookie_attributes(session_cookie(response)).get("max-age") == "0"
    # Ended on the server, not merely forgotten by the browser: the old cookie no longer works.
    assert (
        await sql(database_url, "select count(*) from platform.web_sessions where user_id = $1", browser.user_id) == 0
    )
    assert (await client.get("/api/v1/me", headers=browser.cookie)).status_code == 401


async def test_csrf_token_guards_session_writes_but_not_bearer_ones(
    client, database, database_url, settings, hierarchy
) -> None:
    a = hierarchy["a"]
    browser = await sign_in(database, settings, {a: ["office_admin"]})
    url, body = f"/api/v1/t/{a}/api-tokens", {"name": "CSRF 检查", "scopes": ["audit.read"]}
    before = await count_tokens(database_url, a)

    forged = await client.post(url, json=body, headers=browser.cookie)
    assert forged.status_code == 403 and forged.json()["code"] == "csrf_failed"
    assert await count_tokens(database_url, a) == before

    with_header = await client.post(url, json=body, headers={**browser.cookie, "X-CSRF-Token": browser.csrf})
    assert with_header.status_code == 201
    # A browser never attaches a bearer token by itself, so there is nothing to forge.
    bearer = await make_caller(database, "接口调用者", {a: ["office_admin"]})
    assert (await client.post(url, json=body, headers=bearer.headers)).status_code == 201


# --- the demo sign-in and cookie attributes ------------------------------------------------------
@asynccontextmanager
async def demo_client(settings: Settings, database_url: str, public_url: str) -> AsyncIterator[AsyncTestClient]:
    """A second app with the demo sign-in on. create_app installs its database and broker
    process-wide, so the suite's are put back afterwards; the secret key is the suite's, so secrets
    encrypted by other tests stay readable."""
    previous_database, previous_broker = db_module.get_database(), dramatiq.get_broker()
    app = create_app(
        replace(settings, demo_login=True, public_url=public_url), database_url, broker=create_broker(None)
    )
    try:
        async with AsyncTestClient(app, base_url=public_url) as client:
            yield client
    finally:
        db_module._database = previous_database
        use_broker(previous_broker)


async def make_demo_user(database, code: str) -> uuid.UUID:
    async with database.platform_session() as session:
        session.info["actor"] = "system:test"
        user = await accounts.create_user(session, "演示账号", demo=True)
        await accounts.grant_membership(session, user, code, ["staff"])
        await session.commit()
    return user.id


async def session_count(database_url: str, user_id: uuid.UUID) -> int:
    return await sql(database_url, "select count(*) from platform.web_sessions where user_id = $1", user_id)


@pytest.mark.parametrize(
    ("public_url", "secure"), [("http://testserver.local", False), ("https://testserver.local", True)]
)
async def test_demo_sign_in_cookie_attributes(database, database_url, settings, hierarchy, public_url, secure) -> None:
    user_id = await make_demo_user(database, hierarchy["a"])
    demo_login_limiter.hits.clear()
    try:
        async with demo_client(settings, database_url, public_url) as client:
            response = await client.post("/login/demo", data={"user_id": str(user_id)}, follow_redirects=False)
            assert response.status_code in (302, 303), response.text
            cookie = session_cookie(response)
            attributes = cookie_attributes(cookie)
            assert "httponly" in attributes
            assert attributes.get("samesite", "").lower() == "lax"
            # Secure exactly when browsers reach the service over https (plain http would drop it).
            assert ("secure" in attributes) is secure
            token = cookie.split(";", 1)[0].partition("=")[2]
            me = await client.get("/api/v1/me", headers={"Cookie": f"renda_session={token}"})
            assert me.status_code == 200 and me.json()["id"] == str(user_id)
    finally:
        demo_login_limiter.hits.clear()


async def test_demo_sign_in_is_rate_limited(database, database_url, settings, hierarchy) -> None:
    user_id = await make_demo_user(database, hierarchy["a"])
    demo_login_limiter.hits.clear()
    try:
        async with demo_client(settings, database_url, "http://testserver.local") as client:
            for _ in range(10):  # failed guesses count as attempts too
                response = await client.post("/login/demo", data={"user_id": "guess"}, follow_redirects=False)
                assert response.status_code == 403 and response.json()["code"] == "invalid_demo_user"
            response = await client.post("/login/demo", data={"user_id": str(user_id)}, follow_redirects=False)
            assert response.status_code == 429 and response.json()["code"] == "too_many_requests"
            assert "登录尝试过于频繁" in response.json()["message"]
            assert 0 < int(response.headers["retry-after"]) <= 60
        assert await session_count(database_url, user_id) == 0
    finally:
        demo_login_limiter.hits.clear()


async def test_demo_sign_in_is_off_unless_enabled(client, database, database_url, hierarchy) -> None:
    user_id = await make_demo_user(database, hierarchy["a"])
    response = await client.post("/login/demo", data={"user_id": str(user_id)}, follow_redirects=False)
    assert response.status_code == 404
    assert await session_count(database_url, user_id) == 0


def test_production_refuses_demo_sign_in(monkeypatch) -> None:
    production = {"secret_key": "x", "database_url": "postgresql://x/y", "public_url": "https://a"}
    Settings(environment="production", **production)  # valid without the demo sign-in
    with pytest.raises(ValueError, match="DEMO_LOGIN"):
        Settings(environment="production", demo_login=True, **production)
    with pytest.raises(ValueError, match="RENDA_OIDC_ISSUER must be an https"):
        Settings(environment="production", oidc_issuer="http://idp.example.gov.cn", **production)

    for name, value in {
        "RENDA_ENV": "production",
        "RENDA_SECRET_KEY": "x",
        "RENDA_DATABASE_URL": "postgresql://x/y",
        "RENDA_PUBLIC_URL": "https://a",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("RENDA_DEMO_LOGIN", raising=False)
    assert Settings.from_env().is_production
    monkeypatch.setenv("RENDA_DEMO_LOGIN", "1")
    with pytest.raises(ValueError, match="DEMO_LOGIN"):
        Settings.from_env()


# --- office API tokens ---------------------------------------------------------------------------
async def issue_token(client, admin, code: str, scopes: list[str]) -> dict[str, Any]:
    response = await client.post(
        f"/api/v1/t/{code}/api-tokens", json={"name": "统计系统", "scopes": scopes}, headers=admin.headers
    )
    assert response.status_code == 201, response.text
    return response.json()


async def test_office_token_is_shown_once_and_stored_hashed(client, database, database_url, hierarchy) -> None:
    a = hierarchy["a"]
    admin = await make_caller(database, "石泉县管理员", {a: ["office_admin"]})
    created = await issue_token(client, admin, a, ["audit.read"])
    token, details = created["token"], created["details"]
    assert token.startswith("rdo_") and details["scopes"] == ["audit.read"] and details["last_used_at"] is None

    listed = await client.get(f"/api/v1/t/{a}/api-tokens", headers=admin.headers)
    assert listed.status_code == 200
    assert details["id"] in [t["id"] for t in listed.json()] and token not in listed.text

    assert await occurrences(database_url, "api_tokens", token) == 0
    assert await occurrences(database_url, "audit_events", token) == 0
    stored = await sql(
        database_url, "select token_hash from platform.api_tokens where id = $1", uuid.UUID(details["id"])
    )
    assert stored == hashlib.sha256(token.encode()).hexdigest()


async def test_office_token_works_only_in_its_office_within_its_scopes(
    client, database, database_url, hierarchy
) -> None:
    a, b, city, township = hierarchy["a"], hierarchy["b"], hierarchy["city"], hierarchy["a_township"]
    # The issuer is also a platform administrator: the token must not inherit that.
    admin = await make_caller(database, "石泉县管理员兼平台管理员", {a: ["office_admin"]}, admin=True)
    created = await issue_token(client, admin, a, ["audit.read"])
    bearer, token_id = {"Authorization": f"Bearer {created['token']}"}, uuid.UUID(created["details"]["id"])

    assert (await client.get(f"/api/v1/t/{a}/audit", headers=bearer)).status_code == 200
    assert await sql(database_url, "select last_used_at from platform.api_tokens where id = $1", token_id) is not None

    export = await client.post(f"/api/v1/t/{a}/exports", json={"kind": "audit_log", "params": {}}, headers=bearer)
    assert export.status_code == 403
    for other in (b, city, township):  # a sibling office, and offices above and below the token's own
        response = await client.get(f"/api/v1/t/{other}/audit", headers=bearer)
        assert response.status_code == 403 and response.json()["code"] == "token_wrong_office", other
    assert (await client.get("/api/v1/platform/tenants", headers=bearer)).status_code == 403
    assert (await client.get(f"/api/v1/t/{a}/api-tokens", headers=bearer)).status_code == 403

    # /me answers for the integration, never as the platform administrator who issued it.
    me = await client.get("/api/v1/me", headers=bearer)
    assert me.status_code == 200
    assert me.json()["is_platform_admin"] is False and "统计系统" in me.json()["display_name"]
    assert [m["tenant_code"] for m in me.json()["memberships"]] == [a]


async def test_revoked_or_forged_token_is_not_authenticated(client, database, hierarchy) -> None:
    a = hierarchy["a"]
    admin = await make_caller(database, "石泉县管理员", {a: ["office_admin"]})
    created = await issue_token(client, admin, a, ["audit.read"])
    bearer = {"Authorization": f"Bearer {created['token']}"}
    revoked = await client.post(f"/api/v1/t/{a}/api-tokens/{created['details']['id']}/revoke", headers=admin.headers)
    assert revoked.status_code == 200 and revoked.json()["revoked_at"] is not None

    for headers in (bearer, {"Authorization": "Bearer rdo_" + uuid.uuid4().hex}):
        response = await client.get(f"/api/v1/t/{a}/audit", headers=headers)
        assert response.status_code == 401
        body = response.json()
        assert body["code"] == "not_authenticated" and body["message"]


@pytest.mark.parametrize(
    "scopes", [["members.write"], ["api_tokens.read"], ["nonsense"], ["audit.read", "members.read"]]
)
async def test_token_scopes_exclude_people_and_token_management(
    client, database, database_url, hierarchy, scopes
) -> None:
    a = hierarchy["a"]
    admin = await make_caller(database, "石泉县管理员", {a: ["office_admin"]})
    before = await count_tokens(database_url, a)
    response = await client.post(
        f"/api/v1/t/{a}/api-tokens", json={"name": "越权令牌", "scopes": scopes}, headers=admin.headers
    )
    assert response.status_code == 400 and response.json()["code"] == "invalid_scopes"
    assert await count_tokens(database_url, a) == before


async def test_staff_cannot_issue_tokens(client, database, database_url, hierarchy) -> None:
    a = hierarchy["a"]
    staff = await make_caller(database, "石泉县工作人员", {a: ["staff"]})
    before = await count_tokens(database_url, a)
    response = await client.post(
        f"/api/v1/t/{a}/api-tokens", json={"name": "工作人员令牌", "scopes": ["audit.read"]}, headers=staff.headers
    )
    assert response.status_code == 403
    assert await count_tokens(database_url, a) == before


# --- invitations ---------------------------------------------------------------------------------
async def invite(client, caller, code: str, **contact: str) -> Any:
    body = {"display_name": "李四", "roles": ["staff", "deputy"], **contact}
    return await client.post(f"/api/v1/t/{code}/invitations", json=body, headers=caller.headers)


async def test_invitations_keep_only_a_masked_contact(client, database, database_url, hierarchy) -> None:
    a = hierarchy["a"]
    admin = await make_caller(database, "石泉县管理员", {a: ["office_admin"]})
    email, phone = unique_email(), unique_phone()
    local_part = email.split("@")[0]

    by_email, by_phone = await invite(client, admin, a, email=email), await invite(client, admin, a, phone=phone)
    assert by_email.status_code == 201 and by_phone.status_code == 201
    listed = await client.get(f"/api/v1/t/{a}/invitations", headers=admin.headers)
    assert listed.status_code == 200
    rows = {i["id"]: i for i in listed.json()}
    shown_email, shown_phone = rows[by_email.json()["id"]], rows[by_phone.json()["id"]]
    assert shown_email["status"] == shown_phone["status"] == "pending"
    assert shown_email["contact_kind"] == "email" and shown_phone["contact_kind"] == "phone"
    assert "***" in shown_email["contact"] and shown_email["contact"].endswith("@example.gov.cn")
    assert shown_phone["contact"] == f"{phone[:3]}****{phone[-4:]}"
    assert local_part.lower() not in listed.text.lower() and phone not in listed.text

    # Neither the invitation (any column) nor its audit trail holds the contact itself.
    for table in ("invitations", "audit_events"):
        assert await occurrences(database_url, table, local_part) == 0, table
        assert await occurrences(database_url, table, phone) == 0, table


BAD_INVITATIONS = {
    "both": {"display_name": "李四", "roles": ["staff"], "email": "a@b.cn", "phone": "13800138000"},
    "neither": {"display_name": "李四", "roles": ["staff"]},
    "bad_email": {"display_name": "李四", "roles": ["staff"], "email": "not-an-email"},
    "bad_phone": {"display_name": "李四", "roles": ["staff"], "phone": "12345"},
    "landline": {"display_name": "李四", "roles": ["staff"], "phone": "02988888888"},
    "unknown_role": {"display_name": "李四", "roles": ["superuser"], "email": "a@b.cn"},
    "unknown_field": {"display_name": "李四", "roles": ["staff"], "email": "a@b.cn", "is_admin": True},
}


@pytest.mark.parametrize(
    ("case", "code"),
    [
        ("both", "invalid_contact"),
        ("neither", "invalid_contact"),
        ("bad_email", "invalid_email"),
        ("bad_phone", "invalid_phone"),
        ("landline", "invalid_phone"),
        ("unknown_role", "invalid_roles"),
        ("unknown_field", "validation_error"),
        ("malformed_json", "malformed_json"),
    ],
)
async def test_bad_invitations_are_refused(client, database, database_url, hierarchy, case, code) -> None:
    a = hierarchy["a"]
    admin = await make_caller(database, "石泉县管理员", {a: ["office_admin"]})
    before = await count_invitations(database_url, a)
    url = f"/api/v1/t/{a}/invitations"
    if case == "malformed_json":
        headers = {**admin.headers, "Content-Type": "application/json"}
        response = await client.post(url, content=b'{"display_name": "\xe6\x9d\x8e', headers=headers)
    else:
        response = await client.post(url, json=BAD_INVITATIONS[case], headers=admin.headers)
    assert response.status_code == 400 and response.json()["code"] == code, response.text
    assert await count_invitations(database_url, a) == before


async def test_duplicate_invitation_conflicts_until_revoked(client, database, database_url, hierarchy) -> None:
    a = hierarchy["a"]
    admin = await make_caller(database, "石泉县管理员", {a: ["office_admin"]})
    email = unique_email()
    first = await invite(client, admin, a, email=email)
    assert first.status_code == 201
    again = await invite(client, admin, a, email=email.upper())  # the same address, differently typed
    assert again.status_code == 409 and again.json()["code"] == "invitation_exists"

    revoked = await client.post(f"/api/v1/t/{a}/invitations/{first.json()['id']}/revoke", headers=admin.headers)
    assert revoked.status_code == 200 and revoked.json()["status"] == "revoked"
    assert (await invite(client, admin, a, email=email)).status_code == 201


async def test_only_the_office_itself_can_invite(client, database, database_url, hierarchy) -> None:
    a = hierarchy["a"]
    staff = await make_caller(database, "石泉县工作人员", {a: ["staff"]})
    city_admin = await make_caller(database, "市代表工委管理员", {hierarchy["city"]: ["office_admin"]})
    before = await count_invitations(database_url, a)

    assert (await invite(client, staff, a, email=unique_email())).status_code == 403
    assert (await client.get(f"/api/v1/t/{a}/invitations", headers=staff.headers)).status_code == 403
    # The city office oversees the county: it may look, but the county manages its own people.
    assert (await client.get(f"/api/v1/t/{a}/invitations", headers=city_admin.headers)).status_code == 200
    response = await invite(client, city_admin, a, email=unique_email())
    assert response.status_code == 403 and response.json()["code"] == "read_only_access"
    assert await count_invitations(database_url, a) == before


async def accept(database, email: str) -> tuple[uuid.UUID, int]:
    async with database.platform_session() as session:
        session.info["actor"] = "system:test"
        user = await accounts.create_user(session, "王五")
        acceptance = await members.accept_invitations(session, user, [("email", email)], serves=lambda _: True)
        await session.commit()
    return user.id, acceptance.accepted


async def membership(database_url: str, user_id: uuid.UUID, code: str) -> asyncpg.Record | None:
    conn = await asyncpg.connect(_asyncpg_dsn(database_url), statement_cache_size=0)
    try:
        return await conn.fetchrow(
            "select m.source, m.roles from platform.memberships m join platform.tenants t on t.id = m.tenant_id"
            " where m.user_id = $1 and t.code = $2",
            user_id,
            code,
        )
    finally:
        await conn.close()


@pytest.mark.smoke
async def test_accepting_an_invitation_grants_its_roles(client, database, database_url, hierarchy) -> None:
    a = hierarchy["a"]
    admin = await make_caller(database, "石泉县管理员", {a: ["office_admin"]})
    email = unique_email()
    invitation = (await invite(client, admin, a, email=email)).json()

    user_id, accepted = await accept(database, email.upper())
    assert accepted == 1
    row = await membership(database_url, user_id, a)
    assert row is not None and row["source"] == "invitation" and sorted(row["roles"]) == ["deputy", "staff"]
    listed = (await client.get(f"/api/v1/t/{a}/invitations", headers=admin.headers)).json()
    assert next(i for i in listed if i["id"] == invitation["id"])["status"] == "accepted"
    # Spent: a second account with the same address gets nothing, and is told it was taken.
    assert (await accept(database, email))[1] == 0
    async with database.platform_session() as session:
        session.info["actor"] = "system:test"
        other = await accounts.create_user(session, "赵六")
        acceptance = await members.accept_invitations(session, other, [("email", email)], serves=lambda _: True)
        assert (acceptance.accepted, acceptance.taken) == (0, 1)
        await session.rollback()


async def test_expired_or_revoked_invitation_is_not_accepted(client, database, database_url, hierarchy) -> None:
    a = hierarchy["a"]
    admin = await make_caller(database, "石泉县管理员", {a: ["office_admin"]})
    expired_email, revoked_email = unique_email(), unique_email()
    expired = (await invite(client, admin, a, email=expired_email)).json()
    await sql(
        database_url,
        "update platform.invitations set expires_at = now() - interval '1 minute' where id = $1",
        uuid.UUID(expired["id"]),
    )
    revoked = (await invite(client, admin, a, email=revoked_email)).json()
    await client.post(f"/api/v1/t/{a}/invitations/{revoked['id']}/revoke", headers=admin.headers)

    listed = {
        i["id"]: i["status"] for i in (await client.get(f"/api/v1/t/{a}/invitations", headers=admin.headers)).json()
    }
    assert listed[expired["id"]] == "expired" and listed[revoked["id"]] == "revoked"
    for email in (expired_email, revoked_email):
        user_id, accepted = await accept(database, email)
        assert accepted == 0 and await membership(database_url, user_id, a) is None


# --- members -------------------------------------------------------------------------------------
async def test_members_are_listed_per_office_and_can_be_removed(client, database, hierarchy) -> None:
    a, b = hierarchy["a"], hierarchy["b"]
    admin = await make_caller(database, "石泉县管理员", {a: ["office_admin"]})
    staff = await make_caller(database, "石泉县工作人员", {a: ["staff"]})
    outsider = await make_caller(database, "汉阴县工作人员", {b: ["staff"]})

    listed = await client.get(f"/api/v1/t/{a}/members", headers=admin.headers)
    assert listed.status_code == 200
    ids = {m["user_id"] for m in listed.json()}
    assert {str(admin.user_id), str(staff.user_id)} <= ids and str(outsider.user_id) not in ids

    # B's member cannot be removed through A.
    foreign = await client.delete(f"/api/v1/t/{a}/members/{outsider.user_id}", headers=admin.headers)
    assert foreign.status_code == 404
    assert (await client.get(f"/api/v1/t/{b}/audit", headers=outsider.headers)).status_code == 200

    assert (await client.get(f"/api/v1/t/{a}/audit", headers=staff.headers)).status_code == 200
    removed = await client.delete(f"/api/v1/t/{a}/members/{staff.user_id}", headers=admin.headers)
    assert removed.status_code == 204
    response = await client.get(f"/api/v1/t/{a}/audit", headers=staff.headers)
    assert response.status_code == 403 and response.json()["code"] == "not_a_member"


# --- the identity provider registry --------------------------------------------------------------
PROVIDERS = "/api/v1/platform/identity-providers"


async def test_identity_provider_secret_is_kept_encrypted(client, database_url, platform_admin) -> None:
    secret, issuer = f"s3cret-{uuid.uuid4().hex}", unique_issuer()
    body = {"name": "测试统一认证", "issuer": issuer, "client_id": "renda", "client_secret": secret}
    created = await client.post(PROVIDERS, json=body, headers=platform_admin.headers)
    assert created.status_code == 201, created.text
    assert secret not in created.text and "client_secret" not in created.json()
    provider_id = uuid.UUID(created.json()["id"])
    listed = await client.get(PROVIDERS, headers=platform_admin.headers)
    assert created.json()["id"] in listed.text and secret not in listed.text

    stored = await sql(
        database_url, "select client_secret_encrypted from platform.identity_providers where id = $1", provider_id
    )
    assert secret not in stored and decrypt(stored) == secret
    assert await occurrences(database_url, "audit_events", secret) == 0

    assert (await client.delete(f"{PROVIDERS}/{provider_id}", headers=platform_admin.headers)).status_code == 204
    assert await sql(database_url, "select count(*) from platform.identity_providers where id = $1", provider_id) == 0


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"issuer": "ftp://idp.example.gov.cn"}, "invalid_issuer"),
        ({"issuer": "http://idp.example.gov.cn"}, "invalid_issuer"),  # plain http: a local test provider only
        ({"scopes": "profile email"}, "invalid_scopes"),
        ({"office_codes": ["619999"]}, "unknown_office"),
    ],
)
async def test_invalid_identity_provider_is_refused(client, database_url, platform_admin, change, code) -> None:
    body = {"name": "测试统一认证", "issuer": unique_issuer(), "client_id": "renda", "client_secret": "x", **change}
    response = await client.post(PROVIDERS, json=body, headers=platform_admin.headers)
    assert response.status_code == 400 and response.json()["code"] == code
    assert (
        await sql(database_url, "select count(*) from platform.identity_providers where issuer = $1", body["issuer"])
        == 0
    )


async def test_identity_provider_registry_is_for_platform_admins(client, database, database_url, hierarchy) -> None:
    office_admin = await make_caller(database, "石泉县管理员", {hierarchy["a"]: ["office_admin"]})
    issuer = unique_issuer()
    body = {"name": "越权登记", "issuer": issuer, "client_id": "renda", "client_secret": "x"}
    assert (await client.post(PROVIDERS, json=body, headers=office_admin.headers)).status_code == 403
    assert (await client.get(PROVIDERS, headers=office_admin.headers)).status_code == 403
    assert await sql(database_url, "select count(*) from platform.identity_providers where issuer = $1", issuer) == 0
