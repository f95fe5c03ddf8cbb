"""Signing in keeps the email and mobile number the identity provider vouches for, so notifications
reach people who never filled in their contacts: a real provider, a real broker, a real SMTP server."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from litestar.testing import AsyncTestClient

from renda.core.crypto import decrypt
from renda.modules.accounts import service as accounts
from renda.modules.sso import service as sso
from renda.workers.outbox import OutboxRelay
from tests.conftest import raw_fetchval, running_worker
from tests.modules.notifications.conftest import deliveries_of, notify
from tests.support.oidc import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, OidcProvider, drive_login, make_client

CALLBACK = "http://testserver.local/auth/callback"
ADDRESS = f"sso-{uuid.uuid4().hex[:8]}@hanbin.gov.cn"
MOBILE = "13812345678"


@pytest.fixture(scope="module")
def provider() -> Iterator[OidcProvider]:
    account = {
        "id": "hanbin-staff",
        "password": "x",
        "claims": {
            "name": "汉滨区工作人员",
            "email": ADDRESS,
            "email_verified": True,
            "phone_number": "+86 138 1234 5678",
            "phone_number_verified": True,
            "division_codes": ["610902"],
            "renda_roles": ["staff"],
        },
    }
    with OidcProvider(clients=[make_client([CALLBACK])], accounts=[account]) as op:
        yield op


async def register(database, issuer: str) -> uuid.UUID:
    async with database.platform_session() as session:
        session.info["actor"] = "system:test"
        provider = await sso.save_provider(
            session,
            sso.ProviderIn(
                name="汉滨区统一身份认证",
                issuer=issuer,
                client_id=DEFAULT_CLIENT_ID,
                client_secret=DEFAULT_CLIENT_SECRET,
                scopes="openid profile email phone renda",
            ),
            environment="test",
        )
        await session.commit()
        return provider.id


async def sign_in(app, provider_id: uuid.UUID, login: str) -> uuid.UUID:
    async with AsyncTestClient(app, base_url="http://testserver.local") as client:
        started = await client.get("/auth/login", params={"provider": str(provider_id)}, follow_redirects=False)
        async with httpx.AsyncClient(timeout=15) as person:
            callback = urlsplit(await drive_login(person, started.headers["location"], login))
        done = await client.get(f"{callback.path}?{callback.query}", follow_redirects=False)
        assert done.status_code in (302, 303), done.text[:500]
        return uuid.UUID((await client.get("/api/v1/me")).json()["id"])


async def test_an_sso_user_gets_notification_email(app, database, database_url, hierarchy, mailbox, provider) -> None:
    code = hierarchy["a"]
    user_id = await sign_in(app, await register(database, provider.issuer), "hanbin-staff")

    assert await raw_fetchval(database_url, "select email from platform.users where id = $1", user_id) == ADDRESS
    stored = await raw_fetchval(
        database_url, "select signin_mobile_encrypted from platform.users where id = $1", user_id
    )
    assert stored and MOBILE not in stored and decrypt(stored) == MOBILE  # encrypted at rest
    async with database.platform_session() as session:
        contacts = (await accounts.contacts_of(session, [user_id], reveal=True))[user_id]
    assert (contacts.email, contacts.mobile, contacts.mobile_masked) == (ADDRESS, MOBILE, "138****5678")

    with running_worker("stub") as broker:
        await notify(code, [SimpleNamespace(user_id=user_id)], f"sso:{uuid.uuid4()}")
        await OutboxRelay(database, broker).drain()
        for _ in range(300):
            emails = [d for d in await deliveries_of(code, user_id) if d.channel == "email"]
            if emails and emails[0].status in ("sent", "failed", "skipped"):
                break
            await asyncio.sleep(0.1)
    assert [(d.status, d.last_error) for d in emails] == [("sent", None)]
    (received,) = mailbox.to(ADDRESS)
    assert received["Subject"] == "测试通知"


async def test_contacts_follow_the_provider_and_only_verified_ones(database, database_url, hierarchy) -> None:
    """A changed verified address replaces the stored one; an unverified one, or one another account
    already signs in with, is not stored (and the sign-in goes on)."""
    provider_id = await register(database, f"https://contacts-{uuid.uuid4().hex[:6]}.example")
    subject, first, second = (
        uuid.uuid4().hex,
        f"a-{uuid.uuid4().hex[:6]}@x.gov.cn",
        f"b-{uuid.uuid4().hex[:6]}@x.gov.cn",
    )

    async def sign_in_with(**contact: Any) -> uuid.UUID:
        async with database.platform_session() as session:
            session.info["actor"] = "system:test"
            provider = await sso.get_provider(session, provider_id)
            claims = {"iss": provider.issuer, "sub": subject, "division_codes": ["610902"], **contact}
            user = await sso.sign_in_user(session, provider, claims)
            await session.commit()
            return user.id

    def stored(user_id: uuid.UUID, column: str) -> Any:
        return raw_fetchval(database_url, f"select {column} from platform.users where id = $1", user_id)

    user_id = await sign_in_with(
        email=first, email_verified=True, phone_number="13800000001", phone_number_verified=True
    )
    assert await stored(user_id, "email") == first and await stored(user_id, "signin_mobile_masked") == "138****0001"
    async with database.platform_session() as session:  # the settings form sent back as it was shown
        session.info["actor"] = "system:test"
        await accounts.set_contacts(session, user_id, email=first, mobile=None, wechat_openid=None, keep_mobile=True)
        await session.commit()
    assert await stored(user_id, "contact_email") is None  # so the provider's next address takes over
    await sign_in_with(email=second, email_verified=True, phone_number="13800000002", phone_number_verified=True)
    assert await stored(user_id, "email") == second and await stored(user_id, "signin_mobile_masked") == "138****0002"
    await sign_in_with(email=first, phone_number="13800000003", phone_number_verified=False)
    assert await stored(user_id, "email") == second and await stored(user_id, "signin_mobile_masked") == "138****0002"

    async with database.platform_session() as session:
        session.info["actor"] = "system:test"
        holder = await accounts.create_user(session, "已用此邮箱的人", email=f"c-{uuid.uuid4().hex[:6]}@x.gov.cn")
        await session.commit()
    await sign_in_with(email=holder.email, email_verified=True)
    assert await stored(user_id, "email") == second
