"""An office's first administrator, before any identity provider knows them: `renda tenants create
--admin-email` prints a one-use sign-in link; opening and confirming it makes the account, joins the
office and signs in; a provider that later vouches for the same email signs in to that account."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

from sqlalchemy import update

from renda.core.db import utcnow
from renda.modules.members import service as members
from renda.modules.members.models import Invitation
from renda.modules.members.schemas import InvitationIn
from renda.modules.sso import service as sso
from renda.tenants.scoping import load_tenant
from tests.conftest import ensure_tenant, raw_fetchval
from tests.test_cli import renda
from tests.test_sso import register

OFFICE = ("610928", "旬阳市人大常委会")
LINK = re.compile(r"/invitations/(inv_[A-Za-z0-9_-]+)")


async def test_first_administrator_signs_in_by_link_then_through_a_provider(
    client, database, database_url, hierarchy
) -> None:
    email = f"admin-{uuid.uuid4().hex[:8]}@xunyang.gov.cn"
    status, out, err = await renda(
        database_url,
        "tenants",
        "create",
        *("--code", OFFICE[0], "--name", OFFICE[1], "--level", "county", "--parent", "610900"),
        *("--admin-name", "王主任", "--admin-email", email),
    )
    assert status == 0, err
    token = LINK.search(out).group(1)

    shown = await client.get(f"/invitations/{token}")
    assert shown.status_code == 200
    assert OFFICE[1] in shown.text and "王主任" in shown.text and "机关管理员" in shown.text

    accepted = await client.post(f"/invitations/{token}", follow_redirects=False)
    assert accepted.status_code in (302, 303) and accepted.headers["location"] == f"/t/{OFFICE[0]}/"
    assert "renda_session" in accepted.headers.get("set-cookie", "")
    home = await client.get(f"/t/{OFFICE[0]}/")  # the client keeps the session cookie
    assert home.status_code == 200 and OFFICE[1] in home.text
    user_id = await raw_fetchval(
        database_url,
        "select accepted_user_id from platform.invitations where link_hash is not null and "
        "tenant_id = (select id from platform.tenants where code = $1)",
        OFFICE[0],
    )
    roles = await raw_fetchval(database_url, "select roles from platform.memberships where user_id = $1", user_id)
    assert roles == ["office_admin"]

    client.cookies.clear()
    again = await client.post(f"/invitations/{token}")
    assert again.status_code == 409 and again.json()["code"] == "invitation_link_used"
    forged = await client.get("/invitations/inv_forged")
    assert forged.status_code == 404

    # Later, a provider serving the office vouches for the same email: the same account, no new one.
    issuer = f"https://xunyang-{uuid.uuid4().hex[:6]}.example"
    provider_id = await register(database, issuer, office_codes=(OFFICE[0],))
    async with database.platform_session() as session:
        session.info["actor"] = "system:test"
        provider = await sso.get_provider(session, provider_id)
        claims = {"iss": issuer, "sub": uuid.uuid4().hex, "name": "王主任", "email": email, "email_verified": True}
        user = await sso.sign_in_user(session, provider, claims)
        await session.commit()
    assert user.id == user_id


async def test_an_expired_or_revoked_link_is_refused_and_changes_nothing(client, database, hierarchy) -> None:
    await ensure_tenant(database, *OFFICE, "county", "610900")
    tokens = []
    async with database.platform_session() as session:
        session.info["actor"] = "system:test"
        for n in range(2):
            data = InvitationIn("李干事", ["staff"], email=f"late-{n}-{uuid.uuid4().hex[:6]}@xunyang.gov.cn")
            invitation = await members.invite(session, await load_tenant(OFFICE[0]), data, "system:test")
            tokens.append((invitation.id, await members.issue_sign_in_link(session, invitation)))
        (expired, _), (revoked, _) = tokens
        await session.execute(
            update(Invitation).where(Invitation.id == expired).values(expires_at=utcnow() - timedelta(minutes=1))
        )
        await session.execute(update(Invitation).where(Invitation.id == revoked).values(revoked_at=utcnow()))
        await session.commit()
    for invitation_id, token in tokens:
        response = await client.post(f"/invitations/{token}")
        assert response.status_code == 410 and response.json()["code"] == "invitation_link_expired"
        accepted = await raw_fetchval(
            database.url, "select accepted_at from platform.invitations where id = $1", invitation_id
        )
        assert accepted is None
