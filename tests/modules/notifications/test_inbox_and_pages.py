"""The inbox over the API and the pages: unread count, mark read, one's own items only; preferences,
contacts and templates with clear 4xx on bad input; who may see deliveries."""

from __future__ import annotations

import uuid

from renda.modules.audit.models import AuditLog
from renda.tenants.scoping import load_tenant, tenant_session
from tests.conftest import make_caller, raw_fetchval
from tests.modules.notifications.conftest import inbox_of, new_user, notify
from tests.test_member_pages import signed_in

HTML = {"Accept": "text/html"}


async def test_unread_count_and_mark_read(client, database, hierarchy) -> None:
    code = hierarchy["a"]
    user = await new_user(database, code, "读通知的人")
    for n in range(3):
        await notify(code, [user], f"inbox:{uuid.uuid4()}", subject=f"第{n}条")
    base = f"/api/v1/t/{code}/notifications"
    assert (await client.get(f"{base}/unread-count", headers=user.headers)).json() == {"unread": 3}
    listed = (await client.get(f"{base}/?page_size=2", headers=user.headers)).json()
    assert listed["total"] == 3 and listed["unread"] == 3 and len(listed["items"]) == 2
    first = listed["items"][0]["id"]
    read = await client.post(f"{base}/{first}/read", headers=user.headers)
    assert read.status_code == 200 and read.json()["read_at"] is not None
    assert (await client.get(f"{base}/unread-count", headers=user.headers)).json() == {"unread": 2}
    unread = (await client.get(f"{base}/?unread=true", headers=user.headers)).json()
    assert unread["total"] == 2 and first not in [i["id"] for i in unread["items"]]

    page = await client.get(f"/t/{code}/notifications", headers={**user.headers, **HTML})
    assert page.status_code == 200 and "第0条" in page.text
    assert 'class="unread-badge" aria-label="2 条未读"' in page.text  # the header's badge
    assert (await client.post(f"{base}/read-all", headers=user.headers)).json() == {"marked": 2}
    assert (await client.get(f"{base}/unread-count", headers=user.headers)).json() == {"unread": 0}
    home = await client.get(f"/t/{code}/", headers={**user.headers, **HTML})
    assert "unread-badge" not in home.text and "我的通知" in home.text


async def test_open_follows_the_link_and_marks_read(client, database, hierarchy) -> None:
    code = hierarchy["a"]
    user = await new_user(database, code, "点链接的人")
    (item,) = await notify(code, [user], f"open:{uuid.uuid4()}")
    csrf = await signed_in(database, client, user.user_id)
    inbox = await client.get(f"/t/{code}/notifications")
    # The inbox opens an item with a form that carries the session's CSRF token.
    assert f'action="/t/{code}/notifications/{item.id}/open"' in inbox.text and csrf in inbox.text
    opened = await client.post(f"/t/{code}/notifications/{item.id}/open", data={"_csrf": csrf}, follow_redirects=False)
    assert opened.status_code in (301, 302, 303) and opened.headers["location"] == f"/t/{code}/"
    assert (await inbox_of(code, user.user_id))[0].read_at is not None


async def test_a_cross_site_get_marks_nothing_read(client, database, hierarchy) -> None:
    """Another site can make the browser GET the open address with its cookie (SameSite=Lax lets a
    top-level navigation through), and POST without the token: neither changes the inbox."""
    code = hierarchy["a"]
    user = await new_user(database, code, "被诱导点击的人")
    (item,) = await notify(code, [user], f"cross-site:{uuid.uuid4()}")
    await signed_in(database, client, user.user_id)
    url = f"/t/{code}/notifications/{item.id}/open"
    cross_site = {"Referer": "https://attacker.example/", "Sec-Fetch-Site": "cross-site", **HTML}
    followed = await client.get(url, headers=cross_site, follow_redirects=False)
    assert followed.status_code in (301, 302, 303) and followed.headers["location"] == f"/t/{code}/"
    assert (await inbox_of(code, user.user_id))[0].read_at is None
    forged = await client.post(url, headers=cross_site, follow_redirects=False)
    assert forged.status_code == 403 and "csrf_failed" in forged.text
    assert (await inbox_of(code, user.user_id))[0].read_at is None


async def test_nobody_reads_or_marks_another_users_items(client, database, hierarchy) -> None:
    code = hierarchy["a"]
    owner = await new_user(database, code, "通知主人")
    other = await new_user(database, code, "旁人", roles=["staff"])
    (item,) = await notify(code, [owner], f"private:{uuid.uuid4()}", subject="只给主人看的通知")
    base = f"/api/v1/t/{code}/notifications"
    assert (await client.post(f"{base}/{item.id}/read", headers=other.headers)).status_code == 404
    assert (await client.post(f"{base}/read-all", headers=other.headers)).status_code == 200
    listed = await client.get(f"{base}/", headers=other.headers)
    assert "只给主人看的通知" not in listed.text
    page = await client.get(f"/t/{code}/notifications", headers={**other.headers, **HTML})
    assert "只给主人看的通知" not in page.text
    opened = await client.get(f"/t/{code}/notifications/{item.id}/open", headers=other.headers)
    assert opened.status_code == 404
    assert (await inbox_of(code, owner.user_id))[0].read_at is None


async def test_parent_office_and_tokens_cannot_write_an_inbox(client, database, hierarchy) -> None:
    city_admin = await make_caller(database, "市里的管理员", {hierarchy["city"]: ["office_admin"]})
    base = f"/api/v1/t/{hierarchy['a']}/notifications"
    assert (await client.get(f"{base}/", headers=city_admin.headers)).status_code == 200
    refused = await client.post(f"{base}/read-all", headers=city_admin.headers)
    assert refused.status_code == 403 and refused.json()["code"] == "read_only_access"


async def test_preferences_quiet_hours_and_bad_input(client, database, database_url, hierarchy) -> None:
    code = hierarchy["a"]
    user = await new_user(database, code, "设置偏好的人")
    url = f"/api/v1/t/{code}/notifications/preferences"
    saved = await client.put(
        url,
        json={
            "preferences": [{"kind": "office_notice", "channel": "sms", "mode": "daily"}],
            "quiet_hours": {"start": "22:00", "end": "07:00"},
        },
        headers=user.headers,
    )
    assert saved.status_code == 200
    body = saved.json()
    assert {"kind": "office_notice", "channel": "sms", "mode": "daily"} in body["preferences"]
    assert body["quiet_hours"] == {"start": "22:00", "end": "07:00"}
    before = await raw_fetchval(
        database_url, f"select count(*) from t_{code}.notification_preferences where user_id=$1", user.user_id
    )

    bad = [
        (b'{"preferences": [', "malformed_json"),
        ({"preferences": [{"kind": "office_notice", "channel": "sms", "mode": 5}]}, "validation_error"),
        ({"preferences": [{"kind": "no_such_kind", "channel": "sms", "mode": "now"}]}, "unknown_notification_kind"),
        ({"preferences": [{"kind": "office_notice", "channel": "pigeon", "mode": "now"}]}, "unknown_channel"),
        ({"preferences": [{"kind": "office_notice", "channel": "sms", "mode": "hourly"}]}, "unknown_mode"),
        ({"quiet_hours": {"start": "08:00", "end": "08:00"}}, "invalid_quiet_hours"),
        ({"quiet_hours": {"start": "25:00", "end": "07:00"}}, "validation_error"),
        ({"surprise": 1}, "validation_error"),
    ]
    for payload, code_expected in bad:
        if isinstance(payload, bytes):
            response = await client.put(
                url, content=payload, headers={**user.headers, "Content-Type": "application/json"}
            )
        else:
            # A valid choice before the bad one: nothing of the request may be written.
            if "preferences" in payload:
                payload["preferences"].insert(0, {"kind": "office_notice", "channel": "email", "mode": "off"})
            response = await client.put(url, json=payload, headers=user.headers)
        assert response.status_code == 400, (payload, response.text)
        assert response.json()["code"] == code_expected and response.json()["message"]
    after = await raw_fetchval(
        database_url, f"select count(*) from t_{code}.notification_preferences where user_id=$1", user.user_id
    )
    assert after == before
    assert (await client.get(url, headers=user.headers)).json()["quiet_hours"]["start"] == "22:00"

    page = await client.get(f"/t/{code}/notifications/preferences", headers={**user.headers, **HTML})
    assert page.status_code == 200 and "免打扰时段" in page.text and 'value="22:00"' in page.text


async def test_own_contacts_mobile_encrypted_and_never_logged(client, database, database_url, hierarchy) -> None:
    code = hierarchy["a"]
    user = await new_user(database, code, "填手机号的人")
    url = f"/api/v1/t/{code}/notifications/contacts"
    bad = await client.put(url, json={"email": "x@y.cn", "mobile": "12345"}, headers=user.headers)
    assert bad.status_code == 400 and bad.json()["code"] == "invalid_phone"
    saved = await client.put(
        url,
        json={"email": "me@example.gov.cn", "mobile": "13987654321", "wechat_openid": "oWx_abcdef"},
        headers=user.headers,
    )
    assert saved.status_code == 200
    assert saved.json() == {"email": "me@example.gov.cn", "mobile_masked": "139****4321", "wechat_openid": "oWx_abcdef"}
    stored = await raw_fetchval(database_url, "select mobile_encrypted from platform.users where id=$1", user.user_id)
    assert stored and "13987654321" not in stored
    logged = await raw_fetchval(
        database_url,
        "select string_agg(changes::text, ' ') from platform.audit_events where entity_id=$1",
        str(user.user_id),
    )
    assert logged and "13987654321" not in logged and "me@example.gov.cn" not in logged
    kept = await client.put(url, json={"email": "me@example.gov.cn"}, headers=user.headers)  # mobile absent: kept
    assert kept.json()["mobile_masked"] == "139****4321"


async def test_staff_pages_and_permissions(client, database, hierarchy) -> None:
    code = hierarchy["a"]
    deputy = await new_user(database, code, "普通代表")
    viewer = await make_caller(database, "只读用户", {code: ["viewer"]})
    staff = await make_caller(database, "工作人员", {code: ["staff"]})
    base = f"/api/v1/t/{code}/notifications"
    assert (await client.get(f"{base}/deliveries", headers=deputy.headers)).status_code == 403
    assert (await client.get(f"{base}/deliveries", headers=viewer.headers)).status_code == 200
    missing = await client.post(f"{base}/deliveries/{uuid.uuid4()}/resend", headers=staff.headers)
    assert missing.status_code == 404
    refused = await client.post(f"{base}/deliveries/{uuid.uuid4()}/resend", headers=viewer.headers)
    assert refused.status_code == 403
    bad_status = await client.get(f"{base}/deliveries?status=lost", headers=staff.headers)
    assert bad_status.status_code == 400 and bad_status.json()["code"] == "unknown_status"
    for path in ("deliveries", "templates"):
        page = await client.get(f"/t/{code}/notifications/{path}", headers={**staff.headers, **HTML})
        assert page.status_code == 200
    assert (
        await client.get(f"/t/{code}/notifications/deliveries", headers={**deputy.headers, **HTML})
    ).status_code == 403


async def test_templates_override_and_bad_templates(client, database, database_url, hierarchy) -> None:
    code = hierarchy["a_township"]
    staff = await make_caller(database, "镇工作人员", {code: ["staff"]})
    user = await new_user(database, code, "镇代表")
    url = f"/api/v1/t/{code}/notifications/templates"
    before = await raw_fetchval(database_url, f"select count(*) from t_{code}.notification_templates")
    bad = [
        ({"kind": "office_notice", "title_template": "{subject", "body_template": "x"}, "invalid_template"),
        ({"kind": "office_notice", "title_template": "{secret}", "body_template": "x"}, "unknown_template_variable"),
        (
            {"kind": "office_notice", "title_template": "{subject.__class__}", "body_template": "x"},
            "unknown_template_variable",
        ),
        ({"kind": "office_notice", "title_template": "t", "body_template": "长" * 2001}, "invalid_template"),
        ({"kind": "office_notice", "title_template": "t", "body_template": "长" * 9000}, "validation_error"),
        ({"kind": "no_such_kind", "title_template": "t", "body_template": "b"}, "unknown_notification_kind"),
        ({"kind": "office_notice", "title_template": 3, "body_template": "b"}, "validation_error"),
    ]
    for payload, expected in bad:
        response = await client.put(url, json=payload, headers=staff.headers)
        assert response.status_code == 400 and response.json()["code"] == expected, (payload, response.text)
    assert await raw_fetchval(database_url, f"select count(*) from t_{code}.notification_templates") == before
    assert (await client.put(url, json=bad[0][0], headers=user.headers)).status_code == 403

    saved = await client.put(
        url,
        json={"kind": "office_notice", "title_template": "【{office}】{subject}", "body_template": "{content}(请回复)"},
        headers=staff.headers,
    )
    assert saved.status_code == 200 and saved.json()["customised"] is True
    (item,) = await notify(code, [user], f"tpl:{uuid.uuid4()}", office="城关镇", subject="开会", content="周五开会")
    assert (item.title, item.body) == ("【城关镇】开会", "周五开会(请回复)")
    reset = await client.post(f"{url}/reset", json={"kind": "office_notice"}, headers=staff.headers)
    assert reset.status_code == 200 and reset.json()["title_template"] == "{subject}"

    async with tenant_session(await load_tenant(code), actor="test") as session:
        from sqlalchemy import select

        entities = set((await session.execute(select(AuditLog.entity))).scalars())
    assert "notification_templates" in entities


async def test_demo_users_find_notices_in_their_inbox(database, hierarchy) -> None:
    from renda.demo import DEMO_NOTICES, seed_notifications
    from renda.modules.accounts import service as accounts

    code = hierarchy["a"]
    async with database.platform_session() as session:
        session.info["actor"] = "system:test"
        user = await accounts.create_user(session, "演示代表", demo=True)
        await accounts.grant_membership(session, user, code, ["deputy"])
        await session.commit()
    await seed_notifications(database)
    await seed_notifications(database)  # repeated start of the demo: nothing twice
    assert len(await inbox_of(code, user.id)) == len(DEMO_NOTICES)
