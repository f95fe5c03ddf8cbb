"""Delivery through the outbox and a real broker to a real SMTP server: once per recipient and
channel, retried on refusal, finally failed and visible to staff, and resendable."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from renda.modules.notifications import sending
from renda.modules.notifications.tasks import deliver
from renda.tenants.scoping import load_tenant
from renda.workers.outbox import OutboxRelay
from tests.conftest import broker_params, make_caller, running_worker
from tests.modules.notifications.conftest import deliveries_of, inbox_of, new_user, notify


@pytest.fixture(params=broker_params())
def broker(request):
    with running_worker(request.param) as broker:
        yield broker


async def wait_for(predicate, seconds: float = 60.0) -> None:
    for _ in range(int(seconds / 0.1)):
        if await predicate():
            return
        await asyncio.sleep(0.1)
    raise AssertionError("condition not met in time")


async def statuses(code: str, user_id: uuid.UUID) -> list[str]:
    return [d.status for d in await deliveries_of(code, user_id)]


async def test_event_and_message_twice_give_one_item_and_one_email(broker, database, hierarchy, mailbox) -> None:
    code = hierarchy["a"]
    users = [await new_user(database, code, "收件人甲"), await new_user(database, code, "收件人乙")]
    event = f"meeting:{uuid.uuid4()}"
    assert len(await notify(code, users, event)) == 2
    assert await notify(code, users, event) == []  # the same event again: nothing new
    await OutboxRelay(database, broker).drain()

    async def all_sent() -> bool:
        return [await statuses(code, u.user_id) for u in users] == [["sent"], ["sent"]]

    await wait_for(all_sent)
    delivery_ids = [(await deliveries_of(code, u.user_id))[0].id for u in users]
    for delivery_id in delivery_ids:  # the deliver message delivered twice more
        deliver.send(code, str(delivery_id))
        deliver.send(code, str(delivery_id))
    await asyncio.to_thread(broker.join, deliver.queue_name)

    for user, delivery_id in zip(users, delivery_ids, strict=True):
        assert len(await inbox_of(code, user.user_id)) == 1
        received = mailbox.to(user.email)
        assert len(received) == 1
        assert received[0]["Message-ID"] == f"<{delivery_id}@renda.local>"
        assert received[0]["Subject"] == "测试通知"
        assert "请按时参加会议" in received[0].get_content()
        assert f"http://testserver.local/t/{code}/" in received[0].get_content()


async def test_refusal_is_retried_then_failed_shown_to_staff_and_resent(
    broker, client, database, hierarchy, mailbox, monkeypatch
) -> None:
    monkeypatch.setitem(deliver.options, "min_backoff", 20)
    monkeypatch.setitem(deliver.options, "max_backoff", 100)
    code = hierarchy["a"]
    user = await new_user(database, code, "收件人丙")
    staff = await make_caller(database, "通知管理员", {code: ["staff"]})
    mailbox.refuse_data = "451 4.3.0 邮箱暂时不可用"
    await notify(code, [user], f"retry:{uuid.uuid4()}")
    await OutboxRelay(database, broker).drain()

    async def failed() -> bool:
        return await statuses(code, user.user_id) == ["failed"]

    await wait_for(failed)
    delivery = (await deliveries_of(code, user.user_id))[0]
    assert delivery.attempts == deliver.options["max_retries"] + 1
    assert "451" in (delivery.last_error or "")
    assert mailbox.to(user.email) == []

    listed = await client.get(f"/api/v1/t/{code}/notifications/deliveries?status=failed", headers=staff.headers)
    assert listed.status_code == 200
    row = next(d for d in listed.json()["items"] if d["id"] == str(delivery.id))
    assert row["status_label"] == "发送失败" and row["recipient"] == "收件人丙"
    page = await client.get(
        f"/t/{code}/notifications/deliveries?status=failed", headers={**staff.headers, "Accept": "text/html"}
    )
    assert page.status_code == 200 and "收件人丙" in page.text and "重发" in page.text

    mailbox.refuse_data = None
    resent = await client.post(f"/api/v1/t/{code}/notifications/deliveries/{delivery.id}/resend", headers=staff.headers)
    assert resent.status_code == 202 and resent.json()["status"] == "pending"
    await OutboxRelay(database, broker).drain()

    async def sent() -> bool:
        return await statuses(code, user.user_id) == ["sent"]

    await wait_for(sent)
    assert len(mailbox.to(user.email)) == 1
    again = await client.post(f"/api/v1/t/{code}/notifications/deliveries/{delivery.id}/resend", headers=staff.headers)
    assert again.status_code == 409 and again.json()["code"] == "delivery_not_resendable"


async def test_permanent_refusal_fails_at_once(database, hierarchy, mailbox) -> None:
    code = hierarchy["a"]
    user = await new_user(database, code, "收件人丁")
    mailbox.refuse_rcpt = "550 5.1.1 用户不存在"
    await notify(code, [user], f"permanent:{uuid.uuid4()}")
    delivery = (await deliveries_of(code, user.user_id))[0]
    tenant = await load_tenant(code)
    assert await sending.send_delivery(tenant, delivery.id, last_try=False) == "failed"
    delivery = (await deliveries_of(code, user.user_id))[0]
    assert delivery.attempts == 1 and "550" in (delivery.last_error or "")
    assert mailbox.refusals == 1


async def test_transient_refusal_asks_for_a_retry(database, hierarchy, mailbox) -> None:
    code = hierarchy["a"]
    user = await new_user(database, code, "收件人戊")
    mailbox.refuse_data = "421 4.7.0 稍后再试"
    await notify(code, [user], f"transient:{uuid.uuid4()}")
    delivery = (await deliveries_of(code, user.user_id))[0]
    tenant = await load_tenant(code)
    with pytest.raises(sending.SendLater):
        await sending.send_delivery(tenant, delivery.id, last_try=False)
    assert await statuses(code, user.user_id) == ["pending"]
    mailbox.refuse_data = None
    assert await sending.send_delivery(tenant, delivery.id, last_try=False) == "sent"
    assert await sending.send_delivery(tenant, delivery.id, last_try=False) == "sent"  # a duplicate: no-op
    assert len(mailbox.to(user.email)) == 1


async def test_expired_lease_is_sent_again_under_the_same_message_id(database, hierarchy, mailbox) -> None:
    """A worker died mid-send: the next one sends again with the same Message-ID, for the receiver to
    drop if the first copy arrived; while the lease runs, nobody else sends."""
    from datetime import timedelta

    from renda.core.db import utcnow
    from renda.modules.notifications.models import NotificationDelivery
    from renda.tenants.scoping import tenant_session

    code = hierarchy["a"]
    user = await new_user(database, code, "收件人己")
    await notify(code, [user], f"lease:{uuid.uuid4()}")
    delivery = (await deliveries_of(code, user.user_id))[0]
    tenant = await load_tenant(code)
    async with tenant_session(tenant, actor="test") as session:
        row = await session.get(NotificationDelivery, delivery.id)
        row.status, row.lease_until, row.attempts = "sending", utcnow() + timedelta(minutes=5), 1
        await session.commit()
    with pytest.raises(sending.SendLater):
        await sending.send_delivery(tenant, delivery.id, last_try=False)
    assert mailbox.to(user.email) == []
    later = utcnow() + timedelta(minutes=6)
    assert await sending.send_delivery(tenant, delivery.id, last_try=False, now=later) == "sent"
    (received,) = mailbox.to(user.email)
    assert received["Message-ID"] == f"<{delivery.id}@renda.local>"
    assert (await deliveries_of(code, user.user_id))[0].attempts == 2


async def test_missing_address_is_skipped_with_a_reason(database, hierarchy, mailbox, sms) -> None:
    from renda.modules.notifications import service
    from renda.tenants.scoping import tenant_session

    code = hierarchy["a"]
    user = await new_user(database, code, "无手机号的人")
    tenant = await load_tenant(code)
    async with tenant_session(tenant, actor="test") as session:
        await service.set_preferences(session, user.user_id, [service.PreferenceChoice("office_notice", "sms", "now")])
        await session.commit()
    await notify(code, [user], f"skip:{uuid.uuid4()}")
    by_channel = {d.channel: d for d in await deliveries_of(code, user.user_id)}
    assert set(by_channel) == {"email", "sms"}
    assert await sending.send_delivery(tenant, by_channel["sms"].id, last_try=False) == "skipped"
    skipped = {d.channel: d for d in await deliveries_of(code, user.user_id)}["sms"]
    assert skipped.last_error == "用户未填写短信地址"
    assert sms.sent == []


async def test_sms_gets_the_delivery_id_as_idempotency_key_and_logs_stay_masked(
    database, hierarchy, mailbox, sms, caplog
) -> None:
    from renda.modules.notifications import service
    from renda.modules.notifications.channels import LoggingSmsTransport
    from renda.tenants.scoping import tenant_session

    code = hierarchy["a"]
    user = await new_user(database, code, "有手机号的人", mobile="13912345678")
    tenant = await load_tenant(code)
    async with tenant_session(tenant, actor="test") as session:
        await service.set_preferences(session, user.user_id, [service.PreferenceChoice("office_notice", "sms", "now")])
        await session.commit()
    await notify(code, [user], f"sms:{uuid.uuid4()}")
    delivery = {d.channel: d for d in await deliveries_of(code, user.user_id)}["sms"]
    assert await sending.send_delivery(tenant, delivery.id, last_try=False) == "sent"
    assert sms.sent == [
        ("13912345678", "【人大代表工作平台】测试通知:石泉县人大常委会通知:请按时参加会议", str(delivery.id))
    ]
    stored = {d.channel: d for d in await deliveries_of(code, user.user_id)}["sms"]
    assert stored.address_masked == "139****5678"

    caplog.set_level("INFO", logger="renda.notifications")
    await LoggingSmsTransport().send("13912345678", "测试", "k")
    assert "13912345678" not in caplog.text and "139****5678" in str([r.__dict__ for r in caplog.records])


async def test_one_event_reaches_thousands_of_recipients(database, hierarchy) -> None:
    """More recipients than one SQL statement can carry: the inbox rows go in chunks."""
    from renda.modules.notifications.service import INSERT_CHUNK
    from renda.modules.notifications.service import notify as notify_many
    from renda.tenants.scoping import tenant_session

    recipients = [uuid.uuid4() for _ in range(4 * INSERT_CHUNK + 200)]
    async with tenant_session(await load_tenant(hierarchy["a"]), actor="system:test") as session:
        items = await notify_many(
            session,
            kind="office_notice",
            event_key=f"many:{uuid.uuid4()}",
            recipients=recipients,
            variables={"office": "汉滨区人大常委会", "subject": "全体代表会议", "content": "请准时参加。"},
        )
        assert {item.user_id for item in items} == set(recipients)
        await session.rollback()  # nothing of it is kept or sent


async def test_a_batch_sends_each_delivery_once_and_retries_only_what_failed(database, hierarchy, mailbox) -> None:
    """One event to several users is one deliver message; inside it each delivery keeps its own
    rules: a busy mailbox is retried, a missing address skipped, a delivery leased by another worker
    left alone, and the retried message sends nothing twice."""
    from datetime import timedelta

    from sqlalchemy import select, update

    from renda.core.db import utcnow
    from renda.modules.notifications.models import NotificationDelivery
    from renda.tenants.scoping import tenant_session
    from renda.workers.models import OutboxMessage

    code = hierarchy["a"]
    ok, busy, leased = [await new_user(database, code, name) for name in ("批量甲", "批量乙", "批量丙")]
    no_address = await new_user(database, code, "批量丁", email=None)
    event = f"batch:{uuid.uuid4()}"
    await notify(code, [ok, busy, leased, no_address], event)
    ids = {u.user_id: (await deliveries_of(code, u.user_id))[0].id for u in (ok, busy, leased, no_address)}
    async with database.platform_session() as session:
        query = select(OutboxMessage).where(OutboxMessage.args[1].astext.contains(str(ids[ok.user_id])))
        (message,) = (await session.execute(query)).scalars().all()
    assert sorted(message.args[1]) == sorted(str(i) for i in ids.values())  # one message for the event

    tenant = await load_tenant(code)
    async with tenant_session(tenant, actor="system:test") as session:  # another worker is sending this one
        await session.execute(
            update(NotificationDelivery)
            .where(NotificationDelivery.id == ids[leased.user_id])
            .values(status="sending", lease_until=utcnow() + timedelta(minutes=5))
        )
        await session.commit()
    mailbox.busy.add(busy.email)
    with pytest.raises(sending.SendLater):
        await sending.send_deliveries(tenant, list(ids.values()), last_try=False)
    assert [await statuses(code, u.user_id) for u in (ok, busy, leased, no_address)] == [
        ["sent"],
        ["pending"],
        ["sending"],
        ["skipped"],
    ]
    assert (len(mailbox.to(ok.email)), len(mailbox.to(busy.email))) == (1, 0)

    mailbox.busy.clear()
    with pytest.raises(sending.SendLater):  # the leased one still holds the message back
        await sending.send_deliveries(tenant, list(ids.values()), last_try=False)
    later = utcnow() + timedelta(minutes=6)  # its lease ran out: its worker died mid-send
    outcome = await sending.send_deliveries(tenant, list(ids.values()), last_try=False, now=later)
    assert outcome == {
        ids[ok.user_id]: "sent",
        ids[busy.user_id]: "sent",
        ids[leased.user_id]: "sent",
        ids[no_address.user_id]: "skipped",
    }
    assert [len(mailbox.to(u.email)) for u in (ok, busy, leased)] == [1, 1, 1]
    (busy_row,) = await deliveries_of(code, busy.user_id)
    assert busy_row.attempts == 2 and busy_row.sent_at is not None and busy_row.last_error is None


async def all_statuses(code: str, users) -> list[str]:
    return sorted([s for u in users for s in await statuses(code, u.user_id)])


async def test_a_slow_batch_hands_the_rest_back_and_records_as_it_goes(
    database, hierarchy, mailbox, monkeypatch
) -> None:
    """A batch stops sending once its time budget is used and hands the rest back for the retry;
    each send is on record as it happens, so a worker dying mid-batch leaves only the one it was sending."""
    from datetime import timedelta

    from renda.core.db import utcnow

    code = hierarchy["a"]
    users = [await new_user(database, code, f"慢批次{n}") for n in range(4)]
    await notify(code, users, f"slow:{uuid.uuid4()}")
    ids = [(await deliveries_of(code, u.user_id))[0].id for u in users]
    tenant = await load_tenant(code)

    monkeypatch.setattr(sending, "SEND_BUDGET", timedelta(0))  # every send uses the whole budget
    with pytest.raises(sending.SendLater):
        await sending.send_deliveries(tenant, ids, last_try=False)
    sent_first = [u for u in users if mailbox.to(u.email)]
    assert len(sent_first) == 1  # one went out, the other three were handed back
    assert await all_statuses(code, users) == ["pending"] * 3 + ["sent"]

    # The worker dies after its second send of the next attempt: the first is already on record.
    monkeypatch.setattr(sending, "SEND_BUDGET", timedelta(minutes=2))
    channel = sending.channel_setup().channels["email"]
    real_send, calls = channel.send, []

    async def dying(message):
        calls.append(message)
        if len(calls) == 2:
            raise RuntimeError("worker killed")
        await real_send(message)

    monkeypatch.setattr(channel, "send", dying)
    with pytest.raises(RuntimeError):
        await sending.send_deliveries(tenant, ids, last_try=False)
    assert await all_statuses(code, users) == ["sending", "sending", "sent", "sent"]

    monkeypatch.setattr(channel, "send", real_send)
    later = utcnow() + sending.LEASE + timedelta(seconds=1)  # the dead worker's lease ran out
    outcome = await sending.send_deliveries(tenant, ids, last_try=False, now=later)
    assert set(outcome.values()) == {"sent"}
    assert [len(mailbox.to(u.email)) for u in users] == [1, 1, 1, 1]  # nobody had it twice
