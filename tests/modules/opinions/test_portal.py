"""The public portal (no sign-in): submitting to the office, a deputy or a station; the status by
ticket; and abuse protection: size limits, markup, the honeypot, per-IP and per-phone limits with a
clear 429, nothing stored beyond them, and the portal still up. Another office's deputy, station,
ticket or rating link through this office's portal is not found."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import delete, select

from renda.core.db import utcnow
from renda.core.errors import TooManyRequests
from renda.modules.notifications.models import Notification
from renda.modules.opinions import limits
from renda.modules.opinions.common import format_ticket
from renda.modules.opinions.limits import (
    LOOKUP_MISSES_PER_IP,
    SUBMIT_PER_IP,
    SUBMIT_PER_PHONE,
    check_limits,
    check_lookup_allowed,
    purge_rate_hits,
    record_lookup_miss,
)
from renda.modules.opinions.models import Opinion, PortalRateHit
from renda.modules.opinions.portal import portal_submit
from renda.modules.organisation.models import Station
from renda.tenants.scoping import load_tenant, tenant_session
from tests.modules.opinions.support import HTML, count_opinions, intake, office, unique


async def station(code: str, name: str) -> uuid.UUID:
    async with tenant_session(await load_tenant(code), actor="system:test") as session:
        row = Station(kind="liaison_station", name=unique(name), reception_days=[10, 20, 30], is_active=True)
        session.add(row)
        await session.commit()
        return row.id


async def submit(client, code: str, query: str = "", **fields):
    data = {"content": "村口道路坑洼不平,雨天积水严重,希望尽快修补。", **fields}
    return await client.post(f"/p/{code}/opinions/new{query}", data=data, headers=HTML, follow_redirects=False)


def ticket_of(response) -> str:
    location = response.headers["location"]
    return location.split("ticket=")[1].split("&")[0]


async def test_submit_to_a_deputy_and_look_it_up_by_ticket(client, database, offices) -> None:
    a = offices["a"]
    people = await office(database, a, "岐山门户")
    deputy_form = await client.get(f"/p/{a}/opinions/new?deputy={people.deputy_person}", headers=HTML)
    assert deputy_form.status_code == 200 and "代表反映意见" in deputy_form.text
    office_form = await client.get(f"/p/{a}/opinions/new", headers=HTML)
    assert office_form.status_code == 200 and "宝鸡市岐山县人大常委会" in office_form.text

    sent = await submit(
        client, a, f"?deputy={people.deputy_person}", submitter_name="钱先生", submitter_phone="13511112222"
    )
    assert sent.status_code in (302, 303), sent.text
    ticket = ticket_of(sent)
    landed = await client.get(sent.headers["location"], headers=HTML)
    assert landed.status_code == 200 and "提交成功" in landed.text and ticket in landed.text

    async with tenant_session(await load_tenant(a), actor="system:test") as session:
        stored = (await session.execute(select(Opinion).where(Opinion.ticket == ticket.replace("-", "")))).scalar_one()
        inbox = (
            await session.execute(select(Notification).where(Notification.user_id == people.deputy.user_id))
        ).scalars()
        assert stored.source == "portal" and stored.deputy_person_id == people.deputy_person
        assert stored.submitter_phone_masked == "135****2222"
        assert any(n.kind == "opinion_received" for n in inbox)

    # Typed carelessly: lower case, spaces instead of dashes.
    lookup = await client.get(f"/p/{a}/opinions/status?ticket={ticket.lower().replace('-', ' ')}", headers=HTML)
    assert lookup.status_code == 200 and "已受理" in lookup.text and "村口道路坑洼" in lookup.text
    assert "钱先生" not in lookup.text and "13511112222" not in lookup.text and "135****2222" not in lookup.text


async def test_submit_to_a_station(client, database, offices) -> None:
    a = offices["a"]
    station_id = await station(a, "凤鸣镇代表联络站")
    form = await client.get(f"/p/{a}/opinions/new?station={station_id}", headers=HTML)
    assert form.status_code == 200 and "凤鸣镇代表联络站" in form.text
    sent = await submit(client, a, f"?station={station_id}")
    assert sent.status_code in (302, 303)
    async with tenant_session(await load_tenant(a), actor="system:test") as session:
        stored = (
            await session.execute(select(Opinion).where(Opinion.ticket == ticket_of(sent).replace("-", "")))
        ).scalar_one()
        assert stored.station_id == station_id and stored.deputy_person_id is None


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"content": "   "}, "请填写意见内容"),
        ({"content": "长" * 1001}, "不能超过 1000 个字"),
        ({"content": "请看<a href='http://x.example'>这里</a>"}, "网页代码"),
        ({"content": "<script>alert(1)</script>"}, "网页代码"),
        ({"submitter_name": "<b>张三</b>"}, "网页代码"),
        ({"submitter_phone": "1234"}, "11 位"),
        ({"website": "http://spam.example"}, "提交未被受理"),
        ({"category": "nonsense"}, "类别无效"),
    ],
)
async def test_bad_submissions_are_refused_and_nothing_is_stored(client, database, offices, fields, message) -> None:
    a = offices["a"]
    before = await count_opinions(a)
    refused = await submit(client, a, **fields)
    assert refused.status_code == 400 and message in refused.text
    assert await count_opinions(a) == before


async def test_flooding_from_one_address_is_limited_and_the_portal_stays_up(client, database, offices) -> None:
    a = offices["a"]
    before = await count_opinions(a)
    for n in range(SUBMIT_PER_IP.count):
        assert (await submit(client, a, content=f"第{n}条:小区路灯不亮")).status_code in (302, 303)
    limited = await submit(client, a, content="第六条:小区路灯不亮")
    assert limited.status_code == 429
    assert (
        "提交过于频繁" in limited.text
        and "同一网络每小时最多提交 5 条意见" in limited.text
        and "之后再试" in limited.text
    )
    assert 0 < int(limited.headers["retry-after"]) <= 3600
    assert "第六条" in limited.text  # what was typed is kept for later
    assert await count_opinions(a) == before + SUBMIT_PER_IP.count
    # Still up: the form and the lookup answer. The limit is per address across all offices' portals.
    assert (await client.get(f"/p/{a}/opinions/new", headers=HTML)).status_code == 200
    assert (await client.get(f"/p/{a}/opinions/status", headers=HTML)).status_code == 200
    assert (await submit(client, offices["b"])).status_code == 429


async def test_one_phone_is_limited_per_day_from_any_address(client, database, offices) -> None:
    a = offices["a"]
    tenant = await load_tenant(a)
    phone = "13822223333"
    for n in range(SUBMIT_PER_PHONE.count):
        async with tenant_session(tenant, actor="system:test") as session:
            await portal_submit(session, tenant, ip=f"10.0.0.{n}", content=f"意见{n}", submitter_phone=phone)
            await session.commit()
    before = await count_opinions(a)
    async with tenant_session(tenant, actor="system:test") as session:
        with pytest.raises(TooManyRequests) as limited:
            await portal_submit(session, tenant, ip="10.0.0.99", content="第四条", submitter_phone=phone)
        assert "同一手机号码每天最多提交 3 条意见" in limited.value.message
    assert await count_opinions(a) == before
    # Through the portal too, from the test client's address (its own count is still low).
    refused = await submit(client, a, submitter_phone="138 2222 3333")
    assert refused.status_code == 429 and "同一手机号码" in refused.text
    assert (await submit(client, a, submitter_phone="13822224444")).status_code in (302, 303)


async def test_limits_hold_under_concurrent_submissions(database, offices) -> None:
    """Ten submissions from one address at once: the advisory lock lets exactly five through."""
    import asyncio

    a = offices["a"]
    tenant = await load_tenant(a)

    async def one(n: int) -> bool:
        async with tenant_session(tenant, actor="system:test") as session:
            try:
                await portal_submit(session, tenant, ip="10.9.9.9", content=f"并发意见{n}")
            except TooManyRequests:
                return False
            await session.commit()
            return True

    results = await asyncio.gather(*(one(n) for n in range(10)))
    assert sum(results) == SUBMIT_PER_IP.count


async def test_bad_or_foreign_tickets_are_not_found(client, database, offices) -> None:
    a, b = offices["a"], offices["b"]
    theirs = await intake(b, "扶风县的意见:公交站台缺少遮阳棚")
    ours = await intake(a, "岐山县的意见:公园厕所损坏")
    for ticket in ("ABCD-EFGH-JKMN", "not a ticket", format_ticket(theirs.ticket)):
        missing = await client.get(f"/p/{a}/opinions/status?ticket={ticket}", headers=HTML)
        assert missing.status_code == 404 and "没有找到该编号的意见" in missing.text
    assert (await client.get(f"/p/{b}/opinions/status?ticket={ours.ticket}", headers=HTML)).status_code == 404
    assert (await client.get(f"/p/{a}/opinions/status?ticket={ours.ticket}", headers=HTML)).status_code == 200
    assert (await client.get("/p/999999/opinions/new", headers=HTML)).status_code == 404


async def test_wrong_ticket_guesses_are_limited(database, offices) -> None:
    a = offices["a"]
    tenant = await load_tenant(a)
    async with tenant_session(tenant, actor="system:test") as session:
        for _ in range(LOOKUP_MISSES_PER_IP.count):
            await record_lookup_miss(session, a, "10.1.1.1")
        await session.commit()
        with pytest.raises(TooManyRequests):
            await check_lookup_allowed(session, "10.1.1.1")
        await check_lookup_allowed(session, "10.1.1.2")
        # An hour later the address may look up again.
        await check_lookup_allowed(session, "10.1.1.1", now=utcnow() + timedelta(hours=1, seconds=1))


async def test_a_limited_lookup_says_so_and_when_to_try_again(client, database, offices) -> None:
    a = offices["a"]
    tenant = await load_tenant(a)
    client_ip = "testclient"  # the address the test client's requests come from
    async with tenant_session(tenant, actor="system:test") as session:
        for _ in range(LOOKUP_MISSES_PER_IP.count):
            await record_lookup_miss(session, a, client_ip)
        await session.commit()
    try:
        limited = await client.get(f"/p/{a}/opinions/status?ticket=ABCD-EFGH-JKMN", headers=HTML)
        assert limited.status_code == 429
        assert "查询过于频繁" in limited.text and "提交过于频繁" not in limited.text
        assert "输错 30 次查询编号" in limited.text
        assert 3500 < int(limited.headers["retry-after"]) <= 3600
    finally:
        async with tenant_session(tenant, actor="system:test") as session:
            await session.execute(
                delete(PortalRateHit).where(
                    PortalRateHit.scope == LOOKUP_MISSES_PER_IP.scope,
                    PortalRateHit.key_hash == limits.ip_key(client_ip),
                )
            )
            await session.commit()


async def test_another_offices_deputy_or_station_is_not_found(client, database, offices) -> None:
    a, b = offices["a"], offices["b"]
    theirs = await office(database, b, "扶风门户")
    their_station = await station(b, "扶风县城关代表联络站")
    before = await count_opinions(a)
    for query in (f"?deputy={theirs.deputy_person}", f"?station={their_station}", f"?deputy={uuid.uuid4()}"):
        assert (await client.get(f"/p/{a}/opinions/new{query}", headers=HTML)).status_code == 404
        assert (await submit(client, a, query)).status_code == 404
    assert await count_opinions(a) == before


async def test_an_oversized_body_is_refused(client, database, offices) -> None:
    a = offices["a"]
    before = await count_opinions(a)
    huge = await client.post(f"/p/{a}/opinions/new", data={"content": "长" * 20000}, headers=HTML)
    assert huge.status_code == 413
    assert await count_opinions(a) == before


async def test_old_rate_hits_are_purged(database, offices) -> None:
    from renda.modules.opinions.models import PortalRateHit
    from renda.workers.broker import load_actor_modules
    from renda.workers.scheduler import registered_jobs

    async with database.platform_session() as session:
        await check_limits(session, offices["a"], [(SUBMIT_PER_IP, "old")], now=utcnow() - timedelta(days=3))
        await check_limits(session, offices["a"], [(SUBMIT_PER_IP, "new")])
        assert await purge_rate_hits(session) == 1
        left = set((await session.execute(select(PortalRateHit.key_hash))).scalars())
        await session.commit()
    assert left == {"new"}
    load_actor_modules()
    assert "opinions.purge_rate_hits" in registered_jobs()
