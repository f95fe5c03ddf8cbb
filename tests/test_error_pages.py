"""Error pages in Chinese: what happened, what to do, and the right way back (the sign-in page, the
office's home, the page the person came from, the public portal's own home); English codes only in
the small print for support. And the favicon."""

from __future__ import annotations

import html
import re
import uuid

import pytest
from sqlalchemy.exc import OperationalError

from renda.core.db import UnitOfWork
from renda.modules.notifications.models import Notification, NotificationDelivery
from renda.tenants.scoping import load_tenant, tenant_session
from tests.conftest import make_caller
from tests.test_member_pages import signed_in

HTML = {"Accept": "text/html"}
ENGLISH_WORD = re.compile(r"\b[a-z_]{3,}\b")


def shown(page: str) -> str:
    """The error's text as read, without the small print for support."""
    section = page.split('class="card', 1)[1].split("</section>", 1)[0]
    section = section.split('class="support"', 1)[0]
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", section.split(">", 1)[1])).split())


def links(page: str) -> dict[str, str]:
    section = page.split('class="card', 1)[1].split("</section>", 1)[0]
    return {text: href for href, text in re.findall(r'<a[^>]* href="([^"]+)"[^>]*>([^<]+)</a>', section)}


def assert_chinese_page(page: str, title: str) -> str:
    assert f"<title>{title} - 人大代表工作平台</title>" in page
    assert f'<h1 id="error-title">{title}</h1>' in page
    text = shown(page)
    assert not ENGLISH_WORD.search(text), ENGLISH_WORD.findall(text)
    return text


async def test_not_found_in_an_office_and_outside(client, database, hierarchy) -> None:
    a = hierarchy["a"]
    clerk = await make_caller(database, "找不到页面的人", {a: ["staff"]})
    await signed_in(database, client, clerk.user_id)

    unknown = await client.get(f"/t/{a}/no-such-page", headers=HTML)
    assert unknown.status_code == 404
    text = assert_chinese_page(unknown.text, "页面不存在")
    assert "网址有误" in text and "请从首页重新进入" in text
    assert links(unknown.text) == {"返回首页": "/"}
    assert "错误代码 not_found" in unknown.text  # the small print, for support

    # A deputy that is not there: the office itself is, so its home is a way back.
    missing = await client.get(f"/t/{a}/deputies/{uuid.uuid4()}", headers=HTML)
    assert missing.status_code == 404
    assert_chinese_page(missing.text, "页面不存在")
    assert links(missing.text) == {"返回机关首页": f"/t/{a}/", "返回首页": "/"}

    client.cookies.clear()
    outside = await client.get("/no-such-page", headers=HTML)
    assert outside.status_code == 404
    assert_chinese_page(outside.text, "页面不存在")
    assert links(outside.text) == {"返回首页": "/"}


async def test_forbidden_says_whom_to_ask(client, database, hierarchy) -> None:
    clerk = await make_caller(database, "走错机关的人", {hierarchy["a"]: ["staff"]})
    await signed_in(database, client, clerk.user_id)
    page = await client.get(f"/t/{hierarchy['b']}/", headers=HTML)
    assert page.status_code == 403
    text = assert_chinese_page(page.text, "没有访问权限")
    assert "您不是汉阴县人大常委会的成员,无权访问" in text and "请联系本机关的管理员" in text
    assert links(page.text) == {"返回首页": "/"}
    assert "走错机关的人" in page.text  # still signed in: the header stays


async def test_signed_out_goes_to_sign_in(client, hierarchy) -> None:
    a = hierarchy["a"]
    page = await client.get(f"/t/{a}/", headers=HTML, follow_redirects=False)
    assert page.status_code in (302, 303) and page.headers["location"].rstrip("/") == f"/login?next=/t/{a}"
    # A form sent after the session ended: a page that says so, with the way to sign in again.
    sent = await client.post(f"/t/{a}/notifications/read-all", data={}, headers=HTML)
    assert sent.status_code == 401
    text = assert_chinese_page(sent.text, "请先登录")
    assert "登录已过期" in text
    assert links(sent.text)["重新登录"] == f"/login?next=/t/{a}/notifications/read-all"


async def test_bad_request_leads_back(client, database, hierarchy) -> None:
    a = hierarchy["a"]
    clerk = await make_caller(database, "填错条件的人", {a: ["staff"]})
    await signed_in(database, client, clerk.user_id)
    came_from = f"/t/{a}/audit?actor=%E5%BC%A0"
    page = await client.get(
        f"/t/{a}/audit", params={"action": "bogus"}, headers={**HTML, "Referer": f"http://testserver.local{came_from}"}
    )
    assert page.status_code == 400
    assert "请检查填写或选择的内容" in shown(page.text)
    assert page.text.count("<title>请求有误 - 人大代表工作平台</title>") == 1
    assert links(page.text) == {"返回上一页": came_from, "返回机关首页": f"/t/{a}/", "返回首页": "/"}
    # Another site's address is never a way back.
    elsewhere = await client.get(
        f"/t/{a}/audit", params={"action": "bogus"}, headers={**HTML, "Referer": "https://example.com/t/1/"}
    )
    assert "返回上一页" not in links(elsewhere.text)


@pytest.mark.smoke
async def test_conflict_says_to_look_again(client, database, hierarchy) -> None:
    a = hierarchy["a"]
    clerk = await make_caller(database, "重发通知的人", {a: ["staff"]})
    async with tenant_session(await load_tenant(a), actor="system:test") as session:
        notification = Notification(user_id=clerk.user_id, kind="x", event_key=str(uuid.uuid4()), title="t", body="b")
        session.add(notification)
        await session.flush()
        delivery = NotificationDelivery(
            notification_id=notification.id, user_id=clerk.user_id, channel="email", status="sent"
        )
        session.add(delivery)
        await session.commit()
    csrf = await signed_in(database, client, clerk.user_id)
    page = await client.post(
        f"/t/{a}/notifications/deliveries/{delivery.id}/resend",
        data={"_csrf": csrf},
        headers={**HTML, "Referer": f"http://testserver.local/t/{a}/notifications/deliveries"},
    )
    assert page.status_code == 409
    text = assert_chinese_page(page.text, "操作未能完成")
    assert "只有发送失败或未发送的通知可以重发" in text and "刷新后查看最新情况" in text
    assert links(page.text)["返回上一页"] == f"/t/{a}/notifications/deliveries"


async def test_server_error_gives_the_request_number(client, database, hierarchy, monkeypatch) -> None:
    from renda.modules.audit import service as audit

    a = hierarchy["a"]
    clerk = await make_caller(database, "遇到故障的人", {a: ["staff"]})
    await signed_in(database, client, clerk.user_id)

    async def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(audit, "readable_page", broken)
    page = await client.get(f"/t/{a}/audit", headers={**HTML, "X-Request-ID": "req-500-test"})
    assert page.status_code == 500
    text = assert_chinese_page(page.text, "系统出错了")
    assert "错误已被记录" in text and "请求编号" in text
    assert "请求编号 req-500-test" in page.text and "boom" not in page.text
    assert links(page.text)["重新加载本页"] == f"/t/{a}/audit"


@pytest.mark.parametrize(
    "failure",
    [
        ConnectionRefusedError(111, "Connection refused"),
        OperationalError("connect", {}, type("CannotConnectNow", (Exception,), {"sqlstate": "57P03"})()),
    ],
    ids=["refused", "starting"],
)
async def test_database_unavailable_says_try_later(client, hierarchy, monkeypatch, failure) -> None:
    async def unreachable(self):
        raise failure

    monkeypatch.setattr(UnitOfWork, "connect", unreachable)
    page = await client.get(f"/t/{hierarchy['a']}/", headers=HTML)
    assert page.status_code == 503 and page.headers["retry-after"] == "5"
    text = assert_chinese_page(page.text, "服务暂时不可用")
    assert "请过几分钟再试" in text
    api = await client.get(f"/api/v1/t/{hierarchy['a']}/audit")
    assert api.status_code == 503 and api.json()["code"] == "database_unavailable"


async def test_the_portal_leads_to_its_own_home(client, hierarchy) -> None:
    a = hierarchy["a"]
    for path in (f"/p/{a}/no-such-page", f"/p/{a}/deputies/{uuid.uuid4()}", f"/p/{a}/opinions/no-such-page"):
        page = await client.get(path, headers=HTML)
        assert page.status_code == 404, path
        assert '<body class="portal">' in page.text
        assert '<h1 id="error-title">页面不存在</h1>' in page.text
        assert links(page.text) == {"返回首页": f"/p/{a}/"}, path
        assert "/login" not in page.text
    # An office that is not there has no home to go back to.
    unknown = await client.get("/p/999999/", headers=HTML)
    assert unknown.status_code == 404 and links(unknown.text) == {}
    assert "请核对网址或二维码" in unknown.text


async def test_the_favicon(client, hierarchy) -> None:
    icon = await client.get("/favicon.ico")
    assert icon.status_code == 200 and icon.headers["content-type"] == "image/x-icon"
    assert icon.content[:4] == b"\x00\x00\x01\x00"  # an ICO file
    svg = await client.get("/static/favicon.svg")
    assert svg.status_code == 200 and svg.text.startswith("<svg")
    for path in ("/login", f"/p/{hierarchy['a']}/"):
        page = await client.get(path, headers=HTML)
        assert '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">' in page.text
