"""Preferences by kind and channel, digests every period (and never twice), quiet hours."""

from __future__ import annotations

import uuid
from datetime import datetime, time, timedelta

from sqlalchemy import select

from renda.core.timezone import LOCAL_TZ
from renda.modules.notifications import sending, service
from renda.modules.notifications.models import NotificationDigest
from renda.modules.notifications.service import PreferenceChoice, quiet_until
from renda.modules.notifications.tasks import run_digests
from renda.tenants.scoping import load_tenant, tenant_session
from renda.workers.models import OutboxMessage
from tests.modules.notifications.conftest import deliveries_of, inbox_of, new_user, notify


async def choose(code: str, user_id: uuid.UUID, *choices: tuple[str, str]) -> None:
    async with tenant_session(await load_tenant(code), actor="test") as session:
        await service.set_preferences(
            session, user_id, [PreferenceChoice("office_notice", channel, mode) for channel, mode in choices]
        )
        await session.commit()


async def digests_of(code: str, user_id: uuid.UUID) -> list[NotificationDigest]:
    async with tenant_session(await load_tenant(code), actor="test") as session:
        query = select(NotificationDigest).where(NotificationDigest.user_id == user_id)
        return list((await session.execute(query.order_by(NotificationDigest.period))).scalars())


async def test_off_daily_weekly(database, hierarchy, mailbox) -> None:
    code = hierarchy["a"]
    user = await new_user(database, code, "偏好用户", mobile="13800001111", wechat_openid="oWx_test_openid_1")
    await choose(code, user.user_id, ("email", "off"), ("sms", "daily"), ("wechat", "weekly"))
    await notify(code, [user], f"prefs:{uuid.uuid4()}")
    assert len(await inbox_of(code, user.user_id)) == 1  # the inbox item is always there
    by_channel = {d.channel: d for d in await deliveries_of(code, user.user_id)}
    assert set(by_channel) == {"sms", "wechat"}
    assert (by_channel["sms"].status, by_channel["sms"].frequency) == ("digest", "daily")
    assert (by_channel["wechat"].status, by_channel["wechat"].frequency) == ("digest", "weekly")

    # A daily job gathers only daily deliveries.
    await run_digests(code, "daily", "2026-11-02T08:00+08:00")
    assert [(d.channel, d.frequency) for d in await digests_of(code, user.user_id)] == [("sms", "daily")]
    await run_digests(code, "weekly", "2026-11-02T08:00+08:00")
    assert sorted((d.channel, d.frequency) for d in await digests_of(code, user.user_id)) == [
        ("sms", "daily"),
        ("wechat", "weekly"),
    ]


async def test_defaults_and_a_changed_choice(database, hierarchy) -> None:
    code = hierarchy["a"]
    user = await new_user(database, code, "默认用户")
    async with tenant_session(await load_tenant(code), actor="test") as session:
        chosen = await service.preferences_of(session, user.user_id)
    assert chosen[("office_notice", "email")] == "now" and chosen[("office_notice", "sms")] == "off"
    await choose(code, user.user_id, ("email", "weekly"))
    await choose(code, user.user_id, ("email", "now"))
    async with tenant_session(await load_tenant(code), actor="test") as session:
        assert (await service.preferences_of(session, user.user_id))[("office_notice", "email")] == "now"


async def test_a_digest_every_period_and_never_twice(database, hierarchy, mailbox) -> None:
    code = hierarchy["a"]
    tenant = await load_tenant(code)
    user = await new_user(database, code, "汇总用户")
    await choose(code, user.user_id, ("email", "daily"))
    first_period, second_period = "2026-11-03T08:00+08:00", "2026-11-04T08:00+08:00"

    await notify(code, [user], f"digest:{uuid.uuid4()}", subject="第一天的通知")
    await notify(code, [user], f"digest:{uuid.uuid4()}", subject="第一天的第二条")
    assert len(await run_digests(code, "daily", first_period)) >= 1
    (first,) = await digests_of(code, user.user_id)
    assert await sending.send_digest(tenant, first.id, last_try=False) == "sent"

    await notify(code, [user], f"digest:{uuid.uuid4()}", subject="第二天的通知")
    # The first period's job message delivered again: its digest exists, nothing new goes out.
    await run_digests(code, "daily", first_period)
    assert len(await digests_of(code, user.user_id)) == 1
    assert await sending.send_digest(tenant, first.id, last_try=False) == "sent"

    await run_digests(code, "daily", second_period)
    await run_digests(code, "daily", second_period)
    first_again, second = await digests_of(code, user.user_id)
    assert first_again.id == first.id and second.period == second_period
    assert await sending.send_digest(tenant, second.id, last_try=False) == "sent"
    assert await sending.send_digest(tenant, second.id, last_try=False) == "sent"

    one, two = mailbox.to(user.email)
    assert one["Subject"] == "每日通知汇总:您有 2 条新通知"
    assert "第一天的通知" in one.get_content() and "第一天的第二条" in one.get_content()
    assert two["Subject"] == "每日通知汇总:您有 1 条新通知"
    assert "第二天的通知" in two.get_content() and "第一天" not in two.get_content()
    assert one["Message-ID"] == f"<digest-{first.id}@renda.local>"
    assert {d.status for d in await deliveries_of(code, user.user_id)} == {"sent"}


def at(hour: int, minute: int = 0, day: int = 10) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=LOCAL_TZ)


def test_quiet_hours_windows() -> None:
    night = (time(22, 0), time(7, 0))
    assert quiet_until(*night, at(23, 30)) == at(7, 0, day=11)
    assert quiet_until(*night, at(6, 59)) == at(7, 0)
    assert quiet_until(*night, at(7, 0)) is None
    assert quiet_until(*night, at(12, 0)) is None
    lunch = (time(12, 0), time(14, 0))
    assert quiet_until(*lunch, at(13, 0)) == at(14, 0)
    assert quiet_until(*lunch, at(14, 30)) is None


async def test_quiet_hours_hold_and_release(database, hierarchy, mailbox) -> None:
    code = hierarchy["a"]
    tenant = await load_tenant(code)
    user = await new_user(database, code, "夜间免打扰用户")
    async with tenant_session(tenant, actor="test") as session:
        await service.set_quiet_hours(session, user.user_id, time(22, 0), time(7, 0))
        await session.commit()
    night = at(23, 0)
    await notify(code, [user], f"quiet:{uuid.uuid4()}", now=night)
    assert len(await inbox_of(code, user.user_id)) == 1  # the inbox is never held
    (delivery,) = await deliveries_of(code, user.user_id)
    assert delivery.status == "deferred" and delivery.not_before == at(7, 0, day=11)
    async with database.platform_session() as session:
        message = (
            await session.execute(select(OutboxMessage).where(OutboxMessage.args[1].astext.contains(str(delivery.id))))
        ).scalar_one()
    assert message.not_before is not None and message.not_before > message.created_at  # sent with a delay

    assert await sending.send_delivery(tenant, delivery.id, last_try=False, now=night + timedelta(hours=1)) == "held"
    assert mailbox.to(user.email) == []
    morning = at(7, 1, day=11)
    assert await sending.send_delivery(tenant, delivery.id, last_try=False, now=morning) == "sent"
    assert len(mailbox.to(user.email)) == 1

    # Outside quiet hours nothing waits.
    await notify(code, [user], f"quiet:{uuid.uuid4()}", now=at(9, 0, day=11))
    assert [d.status for d in await deliveries_of(code, user.user_id)][-1] == "pending"


async def test_sweep_resends_what_lost_its_message(database, hierarchy) -> None:
    code = hierarchy["a"]
    user = await new_user(database, code, "丢失消息的用户")
    await notify(code, [user], f"sweep:{uuid.uuid4()}")
    (delivery,) = await deliveries_of(code, user.user_id)
    query = select(OutboxMessage).where(OutboxMessage.args[1].astext.contains(str(delivery.id)))
    async with tenant_session(await load_tenant(code), actor="test") as session:
        # (Other tests' rows of this office may be overdue too: only this delivery's messages count.)
        await service.sweep(session, now=delivery.updated_at + service.STALE_AFTER)  # not overdue yet
        await session.flush()
        assert len((await session.execute(query)).scalars().all()) == 1  # the original only
        assert await service.sweep(session, now=delivery.updated_at + timedelta(minutes=6)) >= 1
        await session.flush()
        assert len((await session.execute(query)).scalars().all()) == 2  # the original and the sweep's
        # Marked as sent again: the next pass leaves it alone until it is overdue once more.
        await service.sweep(session, now=delivery.updated_at + timedelta(minutes=8))
        await session.flush()
        assert len((await session.execute(query)).scalars().all()) == 2
