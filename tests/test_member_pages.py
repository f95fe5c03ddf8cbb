"""The office admin's pages for members, invitations and API tokens, used through a browser session."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from litestar.testing import AsyncTestClient

from renda.core.auth import SESSION_COOKIE, hash_token
from renda.modules.accounts import service as accounts
from renda.modules.accounts.models import WebSession
from tests.conftest import make_caller, raw_fetchval


async def signed_in(database, client: AsyncTestClient, user_id) -> str:
    """Gives the client a session cookie; returns the session's CSRF token."""
    async with database.platform_session() as session:
        session.info["actor"] = "system:test"
        token = await accounts.start_web_session(session, await accounts.get_user(session, user_id), timedelta(hours=1))
        await session.commit()
        csrf = (await session.get(WebSession, hash_token(token))).csrf_token
    client.cookies.set(SESSION_COOKIE, token)
    return csrf


@pytest.mark.smoke
async def test_admin_invites_and_revokes_from_the_page(client, database, database_url, hierarchy) -> None:
    a = hierarchy["a"]
    admin = await make_caller(database, "页面管理员", {a: ["office_admin"]})
    csrf = await signed_in(database, client, admin.user_id)
    page = await client.get(f"/t/{a}/members")
    assert page.status_code == 200 and "成员与邀请" in page.text and "页面管理员" in page.text

    form = {"_csrf": csrf, "display_name": "陈静", "contact": "13912345678", "roles": ["staff", "deputy"]}
    sent = await client.post(f"/t/{a}/members/invite", data=form, follow_redirects=False)
    assert sent.status_code in (302, 303), sent.text
    page = await client.get(f"/t/{a}/members")
    assert "139****5678" in page.text and "13912345678" not in page.text and "待接受" in page.text

    invitation_id = re.search(r"/members/invitations/([0-9a-f-]{36})/revoke", page.text).group(1)
    revoked = await client.post(
        f"/t/{a}/members/invitations/{invitation_id}/revoke", data={"_csrf": csrf}, follow_redirects=False
    )
    assert revoked.status_code in (302, 303)
    assert "已撤销" in (await client.get(f"/t/{a}/members")).text


async def test_bad_invitation_form_shows_the_error_and_creates_nothing(client, database, database_url, hierarchy):
    a = hierarchy["a"]
    admin = await make_caller(database, "页面管理员乙", {a: ["office_admin"]})
    csrf = await signed_in(database, client, admin.user_id)
    before = await raw_fetchval(database_url, "select count(*) from platform.invitations")
    for form in (
        {"display_name": "张三", "contact": "12345", "roles": ["staff"]},  # not a mobile number
        {"display_name": "张三", "contact": "zhang@shiquan.gov.cn"},  # no role
    ):
        response = await client.post(f"/t/{a}/members/invite", data={"_csrf": csrf, **form})
        assert response.status_code == 400 and 'role="alert"' in response.text
    assert await raw_fetchval(database_url, "select count(*) from platform.invitations") == before


async def test_form_post_without_csrf_token_is_refused(client, database, database_url, hierarchy) -> None:
    a = hierarchy["a"]
    admin = await make_caller(database, "页面管理员丙", {a: ["office_admin"]})
    await signed_in(database, client, admin.user_id)
    before = await raw_fetchval(database_url, "select count(*) from platform.invitations")
    form = {"display_name": "李四", "contact": "lisi@shiquan.gov.cn", "roles": ["staff"]}
    response = await client.post(f"/t/{a}/members/invite", data=form)
    assert response.status_code == 403 and "csrf_failed" in response.text
    assert await raw_fetchval(database_url, "select count(*) from platform.invitations") == before


async def test_api_token_is_shown_once_and_works(client, database, hierarchy) -> None:
    a = hierarchy["a"]
    admin = await make_caller(database, "页面管理员丁", {a: ["office_admin"]})
    csrf = await signed_in(database, client, admin.user_id)
    issued = await client.post(
        f"/t/{a}/api-tokens/issue", data={"_csrf": csrf, "name": "数据共享平台", "scopes": ["audit.read"]}
    )
    assert issued.status_code == 200 and "新令牌已签发" in issued.text
    token = re.search(r'<code class="token">(rdo_[^<]+)</code>', issued.text).group(1)
    listing = await client.get(f"/t/{a}/api-tokens")
    assert "数据共享平台" in listing.text and token not in listing.text

    client.cookies.clear()
    bearer = {"Authorization": f"Bearer {token}"}
    assert (await client.get(f"/api/v1/t/{a}/audit", headers=bearer)).status_code == 200
    assert (await client.get(f"/api/v1/t/{hierarchy['b']}/audit", headers=bearer)).status_code == 403


async def test_staff_see_no_admin_pages(client, database, hierarchy) -> None:
    a = hierarchy["a"]
    staff = await make_caller(database, "页面工作人员", {a: ["staff"]})
    await signed_in(database, client, staff.user_id)
    office = await client.get(f"/t/{a}/")
    assert office.status_code == 200 and "成员与邀请" not in office.text and "接口令牌" not in office.text
    assert (await client.get(f"/t/{a}/members")).status_code == 403
