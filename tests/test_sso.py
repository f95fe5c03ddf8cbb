"""Sign-in through a real OpenID Connect provider (infra/oidc-provider), and every way it must fail.

The negative cases follow the OpenID conformance suite's Basic RP tests: each ends on an error page
with its code, and no session is created.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import RSAKey
from litestar.testing import AsyncTestClient

from renda.core.auth import SESSION_COOKIE, hash_token
from renda.modules.sso import service as sso
from renda.modules.sso.oidc import JWKS_MAX_TTL, JWKS_REFETCH_INTERVAL, ClientRegistration, OidcClient, SignInFailed
from tests.conftest import make_caller, raw_fetchval
from tests.support.oidc import (
    DEFAULT_CLIENT_ID,
    DEFAULT_CLIENT_SECRET,
    OidcProvider,
    drive_login,
    make_client,
    make_rsa_jwk,
    private_jwks,
)
from tests.support.tampering_op import TamperingProvider

CALLBACK = "http://testserver.local/auth/callback"


def account(login: str, name: str, codes: list[str], roles: list[str], **claims: Any) -> dict[str, Any]:
    return {
        "id": login,
        "password": "x",
        "claims": {"name": name, "division_codes": codes, "renda_roles": roles, **claims},
    }


ACCOUNTS = [
    account("shiquan-staff", "石泉县工作人员王芳", ["610922"], ["staff"]),
    account("ankang-viewer", "安康市人大查看员", ["610900"], ["viewer"]),
    account("nowhere", "无机关用户", ["999999"], ["staff"]),
    account("invitee", "受邀请的同志", [], [], email="invitee@shiquan.gov.cn", email_verified=True),
    account("hanyin-admin", "汉阴县管理员", ["610921"], ["610921:office_admin"]),
    # A provider that does not say whether it checked the address or number vouches for neither.
    account(
        "unverified", "未验证联系方式的人", [], [], email="unverified@shiquan.gov.cn", phone_number="+86 139 0000 0009"
    ),
    account("first-taker", "先接受邀请的人", [], [], email="shared@shiquan.gov.cn", email_verified=True),
    account("second-taker", "后接受邀请的人", [], [], email="shared@shiquan.gov.cn", email_verified=True),
]


@pytest.fixture(scope="module")
def provider() -> Iterator[OidcProvider]:
    client = make_client([CALLBACK], post_logout_redirect_uris=["http://testserver.local/login"])
    with OidcProvider(clients=[client], accounts=ACCOUNTS, jwks=private_jwks(make_rsa_jwk("key-1"))) as op:
        yield op


async def register(database, issuer: str, **options: Any) -> uuid.UUID:
    async with database.platform_session() as session:
        session.info["actor"] = "system:test"
        registered = await sso.save_provider(
            session,
            sso.ProviderIn(
                name=options.pop("name", "测试统一身份认证"),
                issuer=issuer,
                client_id=DEFAULT_CLIENT_ID,
                client_secret=DEFAULT_CLIENT_SECRET,
                scopes="openid profile email phone renda",
                **options,
            ),
            environment="test",
        )
        await session.commit()
        return registered.id


@pytest.fixture(scope="module")
async def provider_id(provider: OidcProvider, database, hierarchy) -> uuid.UUID:
    return await register(database, provider.issuer)


@pytest.fixture
def front(provider: OidcProvider) -> Iterator[TamperingProvider]:
    with TamperingProvider(provider) as tampering:
        yield tampering


@pytest.fixture
async def front_id(front: TamperingProvider, database, hierarchy) -> uuid.UUID:
    return await register(database, front.issuer, name="恶意身份认证")


@pytest.fixture
async def browser() -> AsyncIterator[httpx.AsyncClient]:
    """The person's browser at the provider (cookies of its own)."""
    async with httpx.AsyncClient(timeout=15) as http:
        yield http


async def authorize(client: AsyncTestClient, provider_id: uuid.UUID, next_path: str = "/") -> str:
    response = await client.get(
        "/auth/login", params={"provider": str(provider_id), "next": next_path}, follow_redirects=False
    )
    assert response.status_code in (302, 303), response.text
    return response.headers["location"]


async def callback_url(client: AsyncTestClient, browser: httpx.AsyncClient, provider_id: uuid.UUID, login: str) -> str:
    return await drive_login(browser, await authorize(client, provider_id), login)


def local(url: str, drop: tuple[str, ...] = (), **replace: str) -> str:
    """The callback as the app sees it, optionally with parameters removed or replaced."""
    parts = urlsplit(url)
    params = {k: v[0] for k, v in parse_qs(parts.query).items() if k not in drop}
    return f"{parts.path}?{urlencode({**params, **replace})}"


async def session_count(database_url: str) -> int:
    return await raw_fetchval(database_url, "select count(*) from platform.web_sessions")


async def assert_refused(response: httpx.Response, code: str, database_url: str, sessions_before: int) -> None:
    assert response.status_code == 400, (response.status_code, response.text[:500])
    assert code in response.text, response.text[:1000]
    assert "重新登录" in response.text
    assert SESSION_COOKIE not in response.headers.get("set-cookie", "")
    assert await session_count(database_url) == sessions_before


# --- the whole flow ------------------------------------------------------------------------------
async def test_county_staff_land_in_their_office(client, browser, provider_id, database_url) -> None:
    url = await callback_url(client, browser, provider_id, "shiquan-staff")
    response = await client.get(follow_redirects=False, url=local(url))
    assert response.status_code in (302, 303), response.text
    assert response.headers["location"] == "/"
    cookie = response.cookies.get(SESSION_COOKIE) or client.cookies.get(SESSION_COOKIE)
    assert cookie and "httponly" in response.headers["set-cookie"].lower()
    assert "samesite=lax" in response.headers["set-cookie"].lower()

    me = (await client.get("/api/v1/me")).json()
    assert me["display_name"] == "石泉县工作人员王芳"
    assert [(m["tenant_code"], m["roles"]) for m in me["memberships"]] == [("610922", ["staff"])]
    home = await client.get("/", follow_redirects=False)
    assert home.headers["location"] == "/t/610922/"
    office = await client.get("/t/610922/")
    assert office.status_code == 200 and "石泉县" in office.text
    # Another county is closed to them.
    other = await client.get("/api/v1/t/610921/audit")
    assert other.status_code == 403 and other.json()["code"] == "not_a_member"

    # Linked by (issuer, subject): a second sign-in is the same user, not a new one.
    users = await raw_fetchval(
        database_url, "select count(*) from platform.user_identities where subject = 'shiquan-staff'"
    )
    assert users == 1


async def test_second_sign_in_keeps_one_user_and_refreshes_roles(app, browser, provider_id, database_url) -> None:
    for _ in range(2):
        async with AsyncTestClient(app, base_url="http://testserver.local") as fresh:
            async with httpx.AsyncClient(timeout=15) as person:
                url = await callback_url(fresh, person, provider_id, "hanyin-admin")
            assert (await fresh.get(follow_redirects=False, url=local(url))).status_code in (302, 303)
            roles = (await fresh.get("/api/v1/me")).json()["memberships"]
    assert roles == [{**roles[0], "tenant_code": "610921", "roles": ["office_admin"]}]
    identities = await raw_fetchval(
        database_url, "select count(*) from platform.user_identities where subject = 'hanyin-admin'"
    )
    assert identities == 1


async def test_city_viewer_reads_counties_but_cannot_change_them(client, browser, provider_id) -> None:
    url = await callback_url(client, browser, provider_id, "ankang-viewer")
    assert (await client.get(follow_redirects=False, url=local(url))).status_code in (302, 303)
    me = (await client.get("/api/v1/me")).json()
    assert [m["tenant_code"] for m in me["memberships"]] == ["610900"]
    for county in ("610922", "610921"):
        assert (await client.get(f"/api/v1/t/{county}/audit")).status_code == 200
        csrf = await csrf_of(client)
        write = await client.post(
            f"/api/v1/t/{county}/exports",
            json={"kind": "audit_log", "params": {}},
            headers={"X-CSRF-Token": csrf},
        )
        assert write.status_code == 403 and write.json()["code"] == "read_only_access", write.text


async def csrf_of(client: AsyncTestClient) -> str:
    from renda.core.db import get_database
    from renda.modules.accounts.models import WebSession

    async with get_database().platform_session() as session:
        row = await session.get(WebSession, hash_token(client.cookies[SESSION_COOKIE]))
        assert row is not None
        return row.csrf_token


async def test_invitation_binds_on_first_sign_in(client, browser, provider_id, database, database_url) -> None:
    admin = await make_caller(database, "石泉县机关管理员", {"610922": ["office_admin"]})
    invited = await client.post(
        "/api/v1/t/610922/invitations",
        json={"display_name": "受邀请的同志", "email": "Invitee@Shiquan.gov.cn", "roles": ["committee_member"]},
        headers=admin.headers,
    )
    assert invited.status_code == 201, invited.text
    client.cookies.clear()

    url = await callback_url(client, browser, provider_id, "invitee")
    assert (await client.get(follow_redirects=False, url=local(url))).status_code in (302, 303)
    me = (await client.get("/api/v1/me")).json()
    assert [(m["tenant_code"], m["roles"]) for m in me["memberships"]] == [("610922", ["committee_member"])]
    listed = (await client.get("/api/v1/t/610922/invitations", headers=admin.headers)).json()
    assert [i["status"] for i in listed if i["id"] == invited.json()["id"]] == ["accepted"]


async def invite(client: AsyncTestClient, admin: Any, **contact: str) -> str:
    invited = await client.post(
        "/api/v1/t/610922/invitations",
        json={"display_name": "受邀请的同志", "roles": ["committee_member"], **contact},
        headers=admin.headers,
    )
    assert invited.status_code == 201, invited.text
    return invited.json()["id"]


async def invitation_status(client: AsyncTestClient, admin: Any, invitation_id: str) -> str:
    listed = (await client.get("/api/v1/t/610922/invitations", headers=admin.headers)).json()
    return next(i["status"] for i in listed if i["id"] == invitation_id)


async def test_unverified_contacts_take_no_invitation(client, browser, provider_id, database, database_url) -> None:
    """The claims carry the invited email and phone, but not `email_verified` / `phone_number_verified`."""
    admin = await make_caller(database, "石泉县机关管理员", {"610922": ["office_admin"]})
    by_email = await invite(client, admin, email="unverified@shiquan.gov.cn")
    by_phone = await invite(client, admin, phone="13900000009")
    before = await session_count(database_url)
    url = await callback_url(client, browser, provider_id, "unverified")
    await assert_refused(await client.get(follow_redirects=False, url=local(url)), "no_office", database_url, before)
    assert await invitation_status(client, admin, by_email) == "pending"
    assert await invitation_status(client, admin, by_phone) == "pending"


async def test_an_invitation_binds_once(app, client, database, database_url, provider_id) -> None:
    """Two accounts with the same verified email: the first takes the invitation, the second is told so."""
    admin = await make_caller(database, "石泉县机关管理员", {"610922": ["office_admin"]})
    invitation_id = await invite(client, admin, email="shared@shiquan.gov.cn")
    responses = []
    for login in ("first-taker", "second-taker"):
        async with AsyncTestClient(app, base_url="http://testserver.local") as fresh:
            async with httpx.AsyncClient(timeout=15) as person:
                url = await callback_url(fresh, person, provider_id, login)
            before = await session_count(database_url)
            responses.append(await fresh.get(follow_redirects=False, url=local(url)))
    first, second = responses
    assert first.status_code in (302, 303), first.text[:500]
    assert second.status_code == 409 and "invitation_taken" in second.text, second.text[:1000]
    assert SESSION_COOKIE not in second.headers.get("set-cookie", "")
    assert await session_count(database_url) == before
    assert await invitation_status(client, admin, invitation_id) == "accepted"
    members = await raw_fetchval(
        database_url,
        "select count(*) from platform.memberships m join platform.user_identities i on i.user_id = m.user_id"
        " where i.subject in ('first-taker', 'second-taker')",
    )
    assert members == 1


async def test_concurrent_acceptances_bind_one_account(database, database_url, hierarchy) -> None:
    """Two sign-ins with the same verified email at once: one takes the invitation, the other is refused."""
    import asyncio

    from renda.modules.members import service as members
    from renda.modules.members.schemas import InvitationIn
    from renda.tenants.scoping import load_tenant

    address = f"race-{uuid.uuid4().hex[:8]}@shiquan.gov.cn"
    async with database.platform_session() as session:
        session.info["actor"] = "system:test"
        tenant = await load_tenant("610922")
        invitation = await members.invite(
            session, tenant, InvitationIn("赛跑的人", ["staff"], email=address), "system:test"
        )
        await session.commit()
    provider_id = await register(database, f"https://race-{uuid.uuid4().hex[:6]}.example")

    def claims(issuer: str) -> dict[str, Any]:
        return {"iss": issuer, "sub": uuid.uuid4().hex, "name": "赛跑的人", "email": address, "email_verified": True}

    async with database.platform_session() as first, database.platform_session() as second:
        first.info["actor"] = second.info["actor"] = "system:test"
        provider = await sso.get_provider(first, provider_id)
        await sso.sign_in_user(first, provider, claims(provider.issuer))  # holds the invitation, uncommitted
        other = await sso.get_provider(second, provider_id)
        racing = asyncio.create_task(sso.sign_in_user(second, other, claims(other.issuer)))
        for _ in range(200):  # until the second sign-in waits for the first one's lock
            waiting = await raw_fetchval(
                database_url,
                "select count(*) from pg_stat_activity where wait_event_type = 'Lock' and datname = current_database()",
            )
            if waiting or racing.done():
                break
            await asyncio.sleep(0.05)
        await first.commit()
        with pytest.raises(SignInFailed) as refused:
            await racing
        assert refused.value.code == "invitation_taken" and refused.value.status == 409
        await second.rollback()
    members_made = await raw_fetchval(
        database_url,
        "select count(*) from platform.memberships m join platform.users u on u.id = m.user_id"
        " where u.display_name = '赛跑的人' and m.tenant_id = $1",
        tenant.id,
    )
    bound_to = await raw_fetchval(
        database_url, "select accepted_user_id from platform.invitations where id = $1", invitation.id
    )
    assert members_made == 1 and bound_to is not None


async def test_invitation_only_through_a_provider_of_its_office(database, database_url, hierarchy) -> None:
    """A provider registered for 汉阴县 cannot be used to take an invitation to 石泉县."""
    from renda.modules.members import service as members
    from renda.modules.members.schemas import InvitationIn
    from renda.tenants.scoping import load_tenant

    address = f"elsewhere-{uuid.uuid4().hex[:8]}@shiquan.gov.cn"
    async with database.platform_session() as session:
        session.info["actor"] = "system:test"
        invitation = await members.invite(
            session, await load_tenant("610922"), InvitationIn("受邀请的同志", ["staff"], email=address), "system:test"
        )
        await session.commit()
    hanyin = await register(database, f"https://hanyin-{uuid.uuid4().hex[:6]}.example", office_codes=("610921",))
    async with database.platform_session() as session:
        session.info["actor"] = "system:test"
        provider = await sso.get_provider(session, hanyin)
        claims = {"iss": provider.issuer, "sub": uuid.uuid4().hex, "email": address, "email_verified": True}
        with pytest.raises(SignInFailed) as refused:
            await sso.sign_in_user(session, provider, claims)
        assert refused.value.code == "no_office"
        await session.rollback()
    accepted = await raw_fetchval(
        database_url, "select accepted_at from platform.invitations where id = $1", invitation.id
    )
    assert accepted is None


async def test_logout_ends_the_session_here_and_at_the_provider(client, browser, provider_id, database_url) -> None:
    url = await callback_url(client, browser, provider_id, "shiquan-staff")
    await client.get(follow_redirects=False, url=local(url))
    token_hash = hash_token(client.cookies[SESSION_COOKIE])
    response = await client.post("/auth/logout", data={"_csrf": await csrf_of(client)}, follow_redirects=False)
    assert response.status_code in (302, 303)
    end_session = urlsplit(response.headers["location"])
    query = parse_qs(end_session.query)
    assert query["post_logout_redirect_uri"] == ["http://testserver.local/login"]
    assert query["client_id"] == [DEFAULT_CLIENT_ID] and query["id_token_hint"]
    assert (
        await raw_fetchval(database_url, "select count(*) from platform.web_sessions where token_hash = $1", token_hash)
        == 0
    )
    assert (await client.get("/api/v1/me")).status_code == 401
    # The provider accepts the hint and offers its own sign-out.
    at_provider = await browser.get(response.headers["location"])
    assert at_provider.status_code == 200 and "logout" in at_provider.text.lower()


async def test_key_rotation_refetches_the_key_set_once(app, provider, provider_id) -> None:
    async def sign_in() -> int:
        async with AsyncTestClient(app, base_url="http://testserver.local") as fresh:
            async with httpx.AsyncClient(timeout=15) as person:
                url = await callback_url(fresh, person, provider_id, "shiquan-staff")
            return (await fresh.get(follow_redirects=False, url=local(url))).status_code

    assert await sign_in() in (302, 303)  # the relying party now holds key-1
    provider.rotate_keys(private_jwks(make_rsa_jwk("key-2")))
    assert await sign_in() in (302, 303)  # signed by key-2: unknown kid, one refetch, accepted


class CountingTransport(httpx.AsyncBaseTransport):
    """Sends every request on to the network; counts the fetches of the provider's key set."""

    def __init__(self) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.key_set_fetches = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/jwks":
            self.key_set_fetches += 1
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


class StoppedClock:
    """The relying party's monotonic clock, moved on by the test instead of waited for."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_withdrawn_key_is_refused_once_the_cached_key_set_expires() -> None:
    """The provider withdraws its key: tokens signed by it are trusted only until the cached key set
    expires. Unknown kids refetch the key set, but at most once a minute, so forged tokens cannot make
    the relying party hammer the provider."""
    clock, transport = StoppedClock(), CountingTransport()
    rp = OidcClient(transport=transport, clock=clock)
    with OidcProvider(
        clients=[make_client([CALLBACK])], accounts=ACCOUNTS, jwks=private_jwks(make_rsa_jwk("withdrawn"))
    ) as op:
        client = ClientRegistration(op.issuer, DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, "openid profile", CALLBACK)

        async def id_token() -> tuple[str, str]:
            request = await rp.authorization_request(client)
            async with httpx.AsyncClient(timeout=15) as person:
                url = await drive_login(person, request.url, "shiquan-staff")
            token = await rp.exchange_code(client, parse_qs(urlsplit(url).query)["code"][0], request.code_verifier)
            return token["id_token"], request.nonce

        async def refused(token: str, nonce: str) -> str:
            with pytest.raises(SignInFailed) as failure:
                await rp.verify_id_token(client, token, nonce)
            return failure.value.code

        old_token, old_nonce = await id_token()
        assert (await rp.verify_id_token(client, old_token, old_nonce))["sub"] == "shiquan-staff"
        assert transport.key_set_fetches == 1
        op.rotate_keys(private_jwks(make_rsa_jwk("current")))  # "withdrawn" is no longer published

        # Within the cache's lifetime the withdrawn key still verifies: that is the bounded window.
        await rp.verify_id_token(client, old_token, old_nonce)
        clock.now += JWKS_MAX_TTL + 1
        assert await refused(old_token, old_nonce) == "id_token_unknown_key"
        assert transport.key_set_fetches == 2  # expired, fetched once, and not again for the same call

        new_token, new_nonce = await id_token()
        assert (await rp.verify_id_token(client, new_token, new_nonce))["sub"] == "shiquan-staff"
        assert transport.key_set_fetches == 2

        def forged(kid: str) -> str:
            key = RSAKey.import_key(make_rsa_jwk(kid))
            claims = {"iss": op.issuer, "sub": "x", "aud": DEFAULT_CLIENT_ID}
            return jwt.encode({"alg": "RS256", "kid": kid}, claims, key, algorithms=["RS256"])

        for n in range(5):
            assert await refused(forged(f"forged-{n}"), new_nonce) == "id_token_unknown_key"
        assert transport.key_set_fetches == 3  # the first unknown kid refetched; the rest waited
        clock.now += JWKS_REFETCH_INTERVAL + 1
        assert await refused(forged("forged-later"), new_nonce) == "id_token_unknown_key"
        assert transport.key_set_fetches == 4


# --- refused at the callback ---------------------------------------------------------------------
async def test_missing_state(client, browser, provider_id, database_url) -> None:
    url = await callback_url(client, browser, provider_id, "shiquan-staff")
    before = await session_count(database_url)
    await assert_refused(
        await client.get(follow_redirects=False, url=local(url, drop=("state",))), "state_missing", database_url, before
    )


async def test_bad_state(client, browser, provider_id, database_url) -> None:
    url = await callback_url(client, browser, provider_id, "shiquan-staff")
    before = await session_count(database_url)
    response = await client.get(follow_redirects=False, url=local(url, state="forged-state"))
    await assert_refused(response, "state_invalid", database_url, before)


async def test_state_from_another_browser(app, client, browser, provider_id, database_url) -> None:
    url = await callback_url(client, browser, provider_id, "shiquan-staff")
    before = await session_count(database_url)
    async with AsyncTestClient(app, base_url="http://testserver.local") as attacker:
        await assert_refused(
            await attacker.get(follow_redirects=False, url=local(url)), "state_invalid", database_url, before
        )


async def test_replayed_callback_and_replayed_code(client, browser, provider_id, database_url) -> None:
    first = await callback_url(client, browser, provider_id, "shiquan-staff")
    assert (await client.get(follow_redirects=False, url=local(first))).status_code in (302, 303)
    before = await session_count(database_url)
    # The same callback again: its state is spent.
    await assert_refused(
        await client.get(follow_redirects=False, url=local(first)), "state_invalid", database_url, before
    )
    # A fresh sign-in carrying the old code: the provider refuses to redeem it twice.
    second = await callback_url(client, browser, provider_id, "shiquan-staff")
    old_code = parse_qs(urlsplit(first).query)["code"][0]
    await assert_refused(
        await client.get(follow_redirects=False, url=local(second, code=old_code)),
        "code_rejected",
        database_url,
        before,
    )


async def test_provider_error_response(client, browser, provider_id, database_url) -> None:
    url = await callback_url(client, browser, provider_id, "shiquan-staff")
    before = await session_count(database_url)
    response = await client.get(follow_redirects=False, url=local(url, drop=("code",), error="access_denied"))
    await assert_refused(response, "provider_error", database_url, before)


async def test_authorization_response_from_another_issuer(client, browser, provider_id, database_url) -> None:
    """RFC 9207 mix-up defence: the response's `iss` must be the provider the request went to."""
    url = await callback_url(client, browser, provider_id, "shiquan-staff")
    before = await session_count(database_url)
    response = await client.get(follow_redirects=False, url=local(url, iss="https://idp.attacker.example"))
    await assert_refused(response, "issuer_mismatch", database_url, before)


async def test_claims_that_map_to_no_office(client, browser, provider_id, database_url) -> None:
    url = await callback_url(client, browser, provider_id, "nowhere")
    before = await session_count(database_url)
    await assert_refused(await client.get(follow_redirects=False, url=local(url)), "no_office", database_url, before)


async def test_provider_grants_only_offices_it_serves(database) -> None:
    """A provider registered for 汉阴县 cannot make anyone a member of 石泉县; one registered for the
    city (a province- or city-wide login) can, for every office beneath it."""

    hanyin = await register(database, f"https://hanyin-{uuid.uuid4().hex[:6]}.example", office_codes=("610921",))
    ankang = await register(database, f"https://ankang-{uuid.uuid4().hex[:6]}.example", office_codes=("610900",))
    claims = {"sub": f"person-{uuid.uuid4().hex[:6]}", "name": "跨县用户", "division_codes": ["610922"]}
    async with database.platform_session() as session:
        session.info["actor"] = "system:test"
        provider = await sso.get_provider(session, hanyin)
        with pytest.raises(SignInFailed) as refused:
            await sso.sign_in_user(session, provider, {**claims, "iss": provider.issuer})
        assert refused.value.code == "no_office"
        await session.rollback()
        provider = await sso.get_provider(session, ankang)
        user = await sso.sign_in_user(session, provider, {**claims, "iss": provider.issuer, "renda_roles": ["staff"]})
        from renda.modules.accounts.service import memberships_of

        assert [(m.tenant_code, m.roles) for m in await memberships_of(session, user.id)] == [("610922", ["staff"])]
        await session.rollback()


# --- bad ID tokens, from the tampering provider --------------------------------------------------
def _now() -> int:
    return int(time.time())


def without(name: str) -> Any:
    return lambda claims: {k: v for k, v in claims.items() if k != name}


BAD_CLAIMS: dict[str, tuple[str, Any]] = {
    "wrong_nonce": ("id_token_nonce", lambda c: {**c, "nonce": "another-request"}),
    "missing_nonce": ("id_token_nonce", without("nonce")),
    "wrong_audience": ("id_token_aud", lambda c: {**c, "aud": "another-client"}),
    # Core §3.1.3.7: an azp, when present, must be this client, even beside a single audience.
    "foreign_azp": ("id_token_azp", lambda c: {**c, "aud": DEFAULT_CLIENT_ID, "azp": "another-client"}),
    "foreign_azp_in_aud_list": ("id_token_azp", lambda c: {**c, "aud": [DEFAULT_CLIENT_ID], "azp": "another-client"}),
    "several_audiences_no_azp": ("id_token_aud", lambda c: {**c, "aud": [DEFAULT_CLIENT_ID, "another-client"]}),
    "expired": ("id_token_exp", lambda c: {**c, "iat": _now() - 7200, "exp": _now() - 3600}),
    "missing_sub": ("id_token_sub", without("sub")),
    "missing_iat": ("id_token_iat", without("iat")),
}


async def refused_with(code: str, client, browser, front: TamperingProvider, front_id, database_url) -> None:
    url = await callback_url(client, browser, front_id, "shiquan-staff")
    before = await session_count(database_url)
    # This provider announces no `iss` response parameter; the real one behind it adds its own.
    response = await client.get(follow_redirects=False, url=local(url, drop=("iss",)))
    await assert_refused(response, code, database_url, before)


@pytest.mark.parametrize("case", sorted(BAD_CLAIMS))
async def test_bad_id_token_claims(case, client, browser, front, front_id, database_url) -> None:
    code, mutate = BAD_CLAIMS[case]
    front.tamper = lambda h, c: (h, mutate({**c, "iss": front.issuer}), front.real.private_jwks)
    await refused_with(code, client, browser, front, front_id, database_url)


async def test_id_token_from_another_issuer(client, browser, front, front_id, database_url) -> None:
    """Mix-up: the token keeps the real provider's issuer, not the one the request went to."""
    front.tamper = lambda h, c: (h, c, front.real.private_jwks)
    await refused_with("id_token_iss", client, browser, front, front_id, database_url)


async def test_unsigned_id_token(client, browser, front, front_id, database_url) -> None:
    front.tamper = lambda h, c: ({"alg": "none", "typ": "JWT"}, {**c, "iss": front.issuer}, None)
    await refused_with("id_token_algorithm", client, browser, front, front_id, database_url)


async def test_id_token_signed_by_another_key(client, browser, front, front_id, database_url) -> None:
    def tamper(header: dict[str, Any], claims: dict[str, Any]) -> Any:
        foreign = make_rsa_jwk(header["kid"])  # the kid of a published key, but another key
        return header, {**claims, "iss": front.issuer}, private_jwks(foreign)

    front.tamper = tamper
    await refused_with("id_token_signature", client, browser, front, front_id, database_url)


async def test_hmac_signed_with_the_client_secret(client, browser, front, front_id, database_url) -> None:
    """Algorithm confusion: an HS256 token keyed with the (known) client secret is refused."""
    from joserfc.jwk import OctKey

    secret = {"keys": [dict(OctKey.import_key(DEFAULT_CLIENT_SECRET).as_dict(private=True))]}
    front.tamper = lambda h, c: ({"alg": "HS256", "typ": "JWT"}, {**c, "iss": front.issuer}, secret)
    url = await callback_url(client, browser, front_id, "shiquan-staff")
    before = await session_count(database_url)
    await assert_refused(
        await client.get(follow_redirects=False, url=local(url, drop=("iss",))),
        "id_token_algorithm",
        database_url,
        before,
    )


async def test_missing_kid_with_several_keys(client, browser, front, front_id, database_url) -> None:
    front.extra_public_keys = [
        {k: v for k, v in make_rsa_jwk("spare").items() if k in ("kty", "n", "e", "kid", "use", "alg")}
    ]
    front.tamper = lambda h, c: ({"alg": h["alg"], "typ": "JWT"}, {**c, "iss": front.issuer}, front.real.private_jwks)
    await refused_with("id_token_kid_missing", client, browser, front, front_id, database_url)


async def test_azp_naming_this_client_is_accepted(client, browser, front, front_id) -> None:
    front.tamper = lambda h, c: (h, {**c, "iss": front.issuer, "azp": DEFAULT_CLIENT_ID}, front.real.private_jwks)
    url = await callback_url(client, browser, front_id, "shiquan-staff")
    response = await client.get(follow_redirects=False, url=local(url, drop=("iss",)))
    assert response.status_code in (302, 303), response.text[:500]


async def test_tampering_provider_is_honest_by_default(client, browser, front_id) -> None:
    """The negative cases above fail for their tampering alone: untouched, the same path signs in."""
    url = await callback_url(client, browser, front_id, "shiquan-staff")
    response = await client.get(follow_redirects=False, url=local(url, drop=("iss",)))
    assert response.status_code in (302, 303), response.text[:500]
