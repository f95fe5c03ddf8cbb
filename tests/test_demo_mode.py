"""Demo mode (`renda demo`): switching demo users is not rate limited there (and only there), email goes
to the demo mailbox page instead of a mail server, and the sign-in page lists the demo users office by
office with the fullest office's first user preselected."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from pathlib import Path

import dramatiq
import pytest
from litestar.testing import AsyncTestClient

import renda.core.db as db_module
from renda.app import create_app
from renda.config import Settings
from renda.modules.accounts import service as accounts
from renda.modules.accounts.routes import demo_login_limiter
from renda.modules.notifications import sending
from renda.modules.notifications.channels import configure_channels
from renda.tenants.scoping import load_tenant
from renda.workers.broker import create_broker, use_broker
from tests.modules.notifications.conftest import deliveries_of, notify

SWITCHES = 25  # well past the limit of 10 a minute


@asynccontextmanager
async def demo_app(settings: Settings, database_url: str, **changes: object) -> AsyncIterator[AsyncTestClient]:
    """A second app with the demo sign-in on (and what `changes` sets). create_app installs its database,
    broker and channels process-wide, so the suite's are put back afterwards."""
    previous_database, previous_broker = db_module.get_database(), dramatiq.get_broker()
    app = create_app(replace(settings, demo_login=True, **changes), database_url, broker=create_broker(None))
    demo_login_limiter.hits.clear()
    try:
        async with AsyncTestClient(app, base_url=settings.public_url) as client:
            yield client
    finally:
        demo_login_limiter.hits.clear()
        db_module._database = previous_database
        use_broker(previous_broker)
        configure_channels(settings)


async def demo_user(database, code: str, name: str, roles: list[str], email: str | None = None) -> uuid.UUID:
    async with database.platform_session() as session:
        session.info["actor"] = "system:test"
        user = await accounts.create_user(session, name, email=email, demo=True)
        await accounts.grant_membership(session, user, code, roles)
        await session.commit()
    return user.id


async def test_demo_mode_switches_users_without_a_rate_limit(database, database_url, settings, hierarchy) -> None:
    staff = await demo_user(database, hierarchy["a"], "演示模式工作人员", ["staff"])
    deputy = await demo_user(database, hierarchy["a"], "演示模式代表", ["deputy"])
    async with demo_app(settings, database_url, demo=True) as client:
        for n in range(SWITCHES):  # from the sign-in page while signed in as the other one
            user_id = staff if n % 2 else deputy
            form = {"user_id": str(user_id)}
            token = re.search(r'name="_csrf" value="([^"]+)"', (await client.get("/login")).text)
            assert (token is None) == (n == 0)
            if token:
                form["_csrf"] = token.group(1)
            response = await client.post("/login/demo", data=form, follow_redirects=False)
            assert response.status_code in (302, 303), (n, response.text)
            me = await client.get("/api/v1/me")
            assert me.json()["id"] == str(user_id)


async def test_without_demo_mode_the_demo_sign_in_keeps_its_limit(database, database_url, settings, hierarchy) -> None:
    staff = await demo_user(database, hierarchy["a"], "限流演示工作人员", ["staff"])
    async with demo_app(settings, database_url) as client:  # RENDA_DEMO_LOGIN alone, as on a dev server
        codes = []
        for _ in range(demo_login_limiter.limit + 1):
            client.cookies.clear()
            response = await client.post("/login/demo", data={"user_id": str(staff)}, follow_redirects=False)
            codes.append(response.status_code)
    assert codes[:-1] == [302] * demo_login_limiter.limit or codes[:-1] == [303] * demo_login_limiter.limit
    assert codes[-1] == 429


def test_production_cannot_have_demo_mode() -> None:
    production = {
        "environment": "production",
        "secret_key": "s" * 32,
        "database_url": "postgresql://db/renda",
        "public_url": "https://renda.example.gov.cn",
    }
    assert not Settings(**production).demo_mode
    with pytest.raises(ValueError, match="RENDA_DEMO"):
        Settings(demo=True, **production)
    assert Settings(demo=True).demo_mode


async def test_demo_mailbox_shows_a_notification_sent_in_demo_mode(
    database, database_url, settings, hierarchy, tmp_path: Path
) -> None:
    code = hierarchy["a"]
    address = f"mailbox{uuid.uuid4().hex[:8]}@example.cn"
    user_id = await demo_user(database, code, "演示邮箱收件人", ["deputy"], email=address)
    box = tmp_path / "mailbox.jsonl"
    async with demo_app(settings, database_url, demo=True, demo_mailbox_file=box) as client:
        empty = await client.get("/demo/mailbox")
        assert empty.status_code == 200 and "还没有邮件" in empty.text

        class Recipient:
            pass

        recipient = Recipient()
        recipient.user_id = user_id  # type: ignore[attr-defined]
        await notify(
            code, [recipient], f"demo-mailbox:{uuid.uuid4()}", subject="代表小组活动通知", content="周五下午三点开会"
        )
        (delivery,) = await deliveries_of(code, user_id)
        assert await sending.send_delivery(await load_tenant(code), delivery.id, last_try=True) == "sent"
        assert (await deliveries_of(code, user_id))[0].status == "sent"

        page = await client.get("/demo/mailbox")
        assert page.status_code == 200
        assert "演示邮箱" in page.text and address in page.text
        assert "代表小组活动通知" in page.text and "周五下午三点开会" in page.text
        assert re.search(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}", page.text)
        login = await client.get("/login")
        assert 'href="/demo/mailbox"' in login.text


async def test_no_demo_mailbox_without_demo_mode(database_url, settings, client) -> None:
    assert (await client.get("/demo/mailbox")).status_code == 404  # the suite's app
    async with demo_app(settings, database_url) as demo_login_only:
        assert (await demo_login_only.get("/demo/mailbox")).status_code == 404
        assert "/demo/mailbox" not in (await demo_login_only.get("/login")).text


async def test_sign_in_page_lists_users_by_office_and_preselects_the_fullest(
    database, database_url, settings, hierarchy
) -> None:
    county, township = hierarchy["a"], hierarchy["a_township"]
    suffix = uuid.uuid4().hex[:6]
    lone = await demo_user(database, township, f"乙镇 人大主席团 一{suffix}", ["office_admin"])
    viewer = await demo_user(database, county, f"甲县 只读 二{suffix}", ["viewer"])
    admin = await demo_user(database, county, f"甲县 代表工委 三{suffix}", ["office_admin"])
    async with database.platform_session() as session:
        ordered, preselected = await accounts.demo_users_by_office(session)
    ids = [u.id for u in ordered]
    assert ids.index(admin) < ids.index(viewer) < ids.index(lone)  # the county before its township; admin first
    async with demo_app(settings, database_url, demo=True) as client:
        page = (await client.get("/login")).text
    assert f'value="{preselected}" selected' in page
    assert page.count(" selected>") == 1
