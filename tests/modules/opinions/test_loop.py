"""The whole loop through the API and the portal: intake → analysis → assignment → the unit's answer
→ the deputy told and an SMS with a rating link (through the outbox and a real broker) → the person's
rating from the link → closed; every step a timestamped row. And the SMS goes exactly once."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from renda.core.errors import Conflict
from renda.modules.notifications.models import Notification
from renda.modules.opinions.common import SYSTEM_VIEWER, get_opinion
from renda.modules.opinions.feedback import SendSmsLater, send_feedback_sms
from renda.modules.opinions.handling import answer, assign, rate_on_behalf
from renda.modules.opinions.intake import intake
from renda.modules.opinions.models import OpinionSms
from renda.modules.opinions.tasks import send_opinion_sms
from renda.tenants.scoping import load_tenant, tenant_session
from renda.workers.outbox import OutboxRelay
from tests.conftest import broker_params, running_worker
from tests.modules.opinions.support import HTML, get, office, rating_link, steps, wait_for

PHONE = "13912345678"


@pytest.fixture(params=broker_params())
def broker(request):
    with running_worker(request.param) as broker:
        yield broker


async def inbox(code: str, user_id: uuid.UUID) -> list[Notification]:
    from sqlalchemy import select

    async with tenant_session(await load_tenant(code), actor="system:test") as session:
        query = select(Notification).where(Notification.user_id == user_id).order_by(Notification.created_at)
        return list((await session.execute(query)).scalars())


async def sms_rows(code: str, opinion_id: uuid.UUID) -> list[OpinionSms]:
    from sqlalchemy import select

    async with tenant_session(await load_tenant(code), actor="system:test") as session:
        return list((await session.execute(select(OpinionSms).where(OpinionSms.opinion_id == opinion_id))).scalars())


async def test_the_whole_loop_ends_with_the_persons_rating(broker, client, database, offices, sms) -> None:
    a = offices["a"]
    people = await office(database, a, "岐山")
    api = f"/api/v1/t/{a}/opinions"

    created = await client.post(
        api,
        json={
            "content": "凤鸣镇东街路灯损坏两个多月,夜间出行很不安全,希望尽快修复。",
            "source": "reception",
            "submitter_name": "赵女士",
            "submitter_phone": PHONE,
            "deputy_person_id": str(people.deputy_person),
        },
        headers=people.staff.headers,
    )
    assert created.status_code == 201, created.text
    opinion = created.json()
    assert opinion["status"] == "received" and opinion["submitter_phone_masked"] == "139****5678"
    url = f"{api}/{opinion['id']}"

    analysed = await client.post(
        f"{url}/analysis", json={"category": "urban_construction"}, headers=people.staff.headers
    )
    assert analysed.status_code == 200 and analysed.json()["opinion"]["category_label"] == "城乡建设"

    assigned = await client.post(
        f"{url}/assignment", json={"unit_id": str(people.unit_id)}, headers=people.staff.headers
    )
    assert assigned.status_code == 200, assigned.text
    assert assigned.json()["opinion"]["status"] == "assigned" and assigned.json()["opinion"]["deadline"]
    assert any(n.kind == "opinion_assigned" for n in await inbox(a, people.unit_user.user_id))

    # The other unit does not see it; the deputy sees it but cannot answer.
    assert (await client.get(url, headers=people.other_unit_user.headers)).status_code == 404
    assert (await client.get(url, headers=people.deputy.headers)).status_code == 200
    refused = await client.post(f"{url}/answer", json={"answer": "已修复"}, headers=people.deputy.headers)
    assert refused.status_code == 403

    answered = await client.post(
        f"{url}/answer", json={"answer": "经核查,已于本周更换路灯 6 盏,恢复照明。"}, headers=people.unit_user.headers
    )
    assert answered.status_code == 200, answered.text
    assert answered.json()["opinion"]["status"] == "answered"
    assert any(n.kind == "opinion_answered" for n in await inbox(a, people.deputy.user_id))

    await OutboxRelay(database, broker).drain()

    async def texted() -> bool:
        return len(sms.to(PHONE)) == 1 and (await sms_rows(a, uuid.UUID(opinion["id"])))[0].status == "sent"

    await wait_for(texted)
    [(_, text, key)] = sms.to(PHONE)
    assert opinion["ticket"] in text and "评价" in text
    link_office, token = rating_link(text)
    assert link_office == a
    assert key == str((await sms_rows(a, uuid.UUID(opinion["id"])))[0].id)

    # Opening the link changes nothing; one click rates; the second click shows the recorded rating.
    page = await client.get(f"/p/{a}/opinions/rate/{token}", headers=HTML)
    assert page.status_code == 200 and "已解决" in page.text and "更换路灯" in page.text
    assert "赵女士" not in page.text and PHONE not in page.text
    assert (await get(a, uuid.UUID(opinion["id"]))).rating is None
    rated = await client.post(f"/p/{a}/opinions/rate/{token}", data={"rating": "partly"}, headers=HTML)
    assert rated.status_code == 200 and "感谢您的评价" in rated.text and "部分解决" in rated.text
    again = await client.post(f"/p/{a}/opinions/rate/{token}", data={"rating": "solved"}, headers=HTML)
    assert again.status_code == 200 and "已经评价过" in again.text and "部分解决" in again.text
    # A token of this office through another office's portal is not there.
    assert (await client.get(f"/p/{offices['b']}/opinions/rate/{token}", headers=HTML)).status_code == 404
    assert (await client.get(f"/p/{a}/opinions/rate/{token}x", headers=HTML)).status_code == 404

    final = await get(a, uuid.UUID(opinion["id"]))
    assert final.status == "closed" and final.rating == "partly" and final.closed_at is not None
    assert final.rating_token_hash != token  # stored hashed
    timeline = await steps(a, final.id)
    kinds = [s.kind for s in timeline]
    assert kinds == ["intake", "analysis", "assignment", "answer", "feedback", "rating", "close"]
    assert all(s.created_at is not None and s.actor for s in timeline)
    assert [s.created_at for s in timeline] == sorted(s.created_at for s in timeline)
    assert timeline[3].actor.startswith(f"user:{people.unit_user.user_id}")
    assert "139****5678" in (timeline[4].note or "")

    # The message delivered twice more sends nothing more.
    sms_id = str((await sms_rows(a, final.id))[0].id)
    await asyncio.to_thread(send_opinion_sms.fn, a, sms_id)  # run by hand, as a worker would
    send_opinion_sms.send(a, sms_id)
    await asyncio.to_thread(broker.join, send_opinion_sms.queue_name)
    assert len(sms.to(PHONE)) == 1


async def test_two_workers_at_once_send_one_sms(database, offices, sms) -> None:
    """Both deliveries of the message run together: the row lock and lease let one send, and the
    other is told to retry later, when it finds the message sent."""
    a = offices["a"]
    people = await office(database, a, "岐山并发")
    tenant = await load_tenant(a)
    async with tenant_session(tenant, actor="system:test") as session:
        opinion = await intake(
            session, tenant, source="staff", content="并发测试:小区门前积水", submitter_phone="13700001111"
        )
        await assign(session, SYSTEM_VIEWER, tenant, opinion, unit_id=people.unit_id)
        await answer(session, SYSTEM_VIEWER, tenant, opinion, text="已疏通排水")
        await session.commit()
    [row] = await sms_rows(a, opinion.id)
    results = await asyncio.gather(
        send_feedback_sms(tenant, row.id, last_try=False),
        send_feedback_sms(tenant, row.id, last_try=False),
        return_exceptions=True,
    )
    assert sorted(type(r).__name__ for r in results) in (["SendSmsLater", "str"], ["str", "str"])
    assert await send_feedback_sms(tenant, row.id, last_try=False) == "sent"
    assert len(sms.to("13700001111")) == 1


async def test_refused_sms_is_retried_then_recorded_for_a_call_back(database, offices, sms) -> None:
    """(No app runs here: its relay would hand the message to its own worker meanwhile.)"""
    from renda.modules.notifications.channels import TransportError

    a = offices["a"]
    people = await office(database, a, "岐山短信失败")
    tenant = await load_tenant(a)
    async with tenant_session(tenant, actor="system:test") as session:
        opinion = await intake(
            session, tenant, source="staff", content="短信网关故障测试", submitter_phone="13600002222"
        )
        await assign(session, SYSTEM_VIEWER, tenant, opinion, unit_id=people.unit_id)
        await answer(session, SYSTEM_VIEWER, tenant, opinion, text="已处理")
        await session.commit()
    [row] = await sms_rows(a, opinion.id)
    sms.refuse = TransportError("网关超时")
    with pytest.raises(SendSmsLater):
        await send_feedback_sms(tenant, row.id, last_try=False)
    assert (await sms_rows(a, opinion.id))[0].status == "pending"
    assert await send_feedback_sms(tenant, row.id, last_try=True) == "failed"
    [failed] = await sms_rows(a, opinion.id)
    assert failed.attempts == 2 and "网关超时" in (failed.last_error or "")
    assert "回访" in ((await steps(a, opinion.id))[-1].note or "")
    assert sms.sent == []
    # Staff record the rating given on the call-back.
    async with tenant_session(tenant, actor="system:test") as session:
        opinion = await get_opinion(session, SYSTEM_VIEWER, opinion.id, for_update=True)
        await rate_on_behalf(session, SYSTEM_VIEWER, opinion, rating="solved", note="电话回访")
        await session.commit()
        with pytest.raises(Conflict) as twice:
            await rate_on_behalf(session, SYSTEM_VIEWER, opinion, rating="unsolved")
        assert twice.value.code == "cannot_rate"
    assert (await get(a, opinion.id)).status == "closed"


async def test_without_a_phone_the_feedback_is_recorded_and_staff_close_it(client, database, offices) -> None:
    a = offices["a"]
    people = await office(database, a, "岐山无电话")
    api = f"/api/v1/t/{a}/opinions"
    created = await client.post(api, json={"content": "村里自来水水压低"}, headers=people.staff.headers)
    url = f"{api}/{created.json()['id']}"
    await client.post(f"{url}/assignment", json={"unit_id": str(people.unit_id)}, headers=people.staff.headers)
    await client.post(f"{url}/answer", json={"answer": "已加装增压泵"}, headers=people.unit_user.headers)
    detail = (await client.get(url, headers=people.staff.headers)).json()
    assert [s["kind"] for s in detail["steps"]][-1] == "feedback"
    assert "未留手机号码" in detail["steps"][-1]["note"]
    closed = await client.post(f"{url}/close", json={"note": "已当面告知"}, headers=people.staff.headers)
    assert closed.status_code == 200 and closed.json()["opinion"]["status"] == "closed"
    assert closed.json()["opinion"]["rating"] is None
    again = await client.post(f"{url}/answer", json={"answer": "再次答复"}, headers=people.unit_user.headers)
    assert again.status_code == 409 and again.json()["code"] == "cannot_answer"
