"""The feedback SMS to the person (反馈): the message row with its rating link, and sending it exactly
once from a worker.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from renda.core.crypto import decrypt, encrypt
from renda.core.db import utcnow
from renda.modules.opinions.common import WORKER_ACTOR, add_step, excerpt, format_ticket
from renda.modules.opinions.models import Opinion, OpinionSms
from renda.tenants.scoping import TenantRef
from renda.workers.outbox import enqueue

RATING_TOKEN_BYTES = 16  # 22 characters in the link, 128 bits


def token_hash(token: str) -> str:
    """Rating links carry 128 random bits, so a plain SHA-256 suffices (and survives a key rotation)."""
    return hashlib.sha256(token.encode()).hexdigest()


def rating_path(tenant: TenantRef, token: str) -> str:
    return f"/p/{tenant.code}/opinions/rate/{token}"


async def feedback_to_person(session: AsyncSession, tenant: TenantRef, opinion: Opinion, unit_name: str) -> None:
    if opinion.submitter_phone_encrypted is None:
        add_step(
            session,
            opinion,
            "feedback",
            note="反映人未留手机号码,未发短信;可电话或当面回访后由工作人员记录评价",
            public_note="办理结果已反馈,可凭编号查看答复",
        )
        return
    if await session.scalar(select(OpinionSms.id).where(OpinionSms.opinion_id == opinion.id)) is not None:
        return  # already told (the loop never answers twice, but a message must never go twice)
    from renda.modules.notifications.service import channel_setup
    from renda.modules.opinions.tasks import send_opinion_sms

    token = secrets.token_urlsafe(RATING_TOKEN_BYTES)
    opinion.rating_token_hash = token_hash(token)
    url = channel_setup().public_url + rating_path(tenant, token)
    body = (
        f"您反映的问题(编号{format_ticket(opinion.ticket)})已由{excerpt(unit_name, 20)}答复。"
        f"请查看答复并评价办理结果:{url}"
    )
    sms = OpinionSms(
        id=uuid.uuid4(),
        opinion_id=opinion.id,
        purpose="feedback",
        text_encrypted=encrypt(body),
        address_masked=opinion.submitter_phone_masked,
        status="pending",
    )
    session.add(sms)
    await session.flush()
    enqueue(session, send_opinion_sms, tenant.code, str(sms.id))


SMS_TITLE = "意见办理答复"
SMS_LEASE = timedelta(minutes=5)
SMS_MAX_ATTEMPTS = 6


class SendSmsLater(Exception):
    """The message broker should try again (a temporary refusal, or another worker holds the lease)."""


async def send_feedback_sms(tenant: TenantRef, sms_id: uuid.UUID, *, last_try: bool) -> str:
    """Send one feedback SMS at most once per attempt, never after it was sent: the row is locked and
    marked `sending` under a lease (committed) before the gateway is called, and `sent` after. A second
    delivery of the message finds it sent and does nothing. Returns the row's final status."""
    from renda.modules.notifications.service import ChannelUnavailable, Outgoing, TransportError, channel_setup
    from renda.tenants.scoping import tenant_session

    now = utcnow()
    async with tenant_session(tenant, actor=WORKER_ACTOR) as session:
        query = select(OpinionSms).where(OpinionSms.id == sms_id).with_for_update()
        sms = (await session.execute(query)).scalar_one_or_none()
        if sms is None or sms.status in ("sent", "failed", "skipped"):
            return sms.status if sms else "missing"
        if sms.status == "sending" and sms.lease_until and sms.lease_until > now:
            raise SendSmsLater("another worker is sending this message")
        opinion = await session.get(Opinion, sms.opinion_id)
        assert opinion is not None and opinion.submitter_phone_encrypted is not None
        address, body = decrypt(opinion.submitter_phone_encrypted), decrypt(sms.text_encrypted)
        sms.status, sms.lease_until, sms.attempts = "sending", now + SMS_LEASE, sms.attempts + 1
        await session.commit()
    channel = channel_setup().channels["sms"]
    outcome, error = "sent", None
    try:
        await channel.send(Outgoing(key=str(sms_id), address=address, title=SMS_TITLE, body=body, link=None))
    except ChannelUnavailable as exc:
        outcome, error = "skipped", str(exc)
    except TransportError as exc:
        outcome, error = ("failed" if exc.permanent or last_try else "pending"), str(exc)
    await _record_sms_outcome(tenant, sms_id, outcome, error)
    if outcome == "pending":
        raise SendSmsLater(error)
    return outcome


async def _record_sms_outcome(tenant: TenantRef, sms_id: uuid.UUID, outcome: str, error: str | None) -> None:
    from renda.tenants.scoping import tenant_session

    async with tenant_session(tenant, actor=WORKER_ACTOR) as session:
        sms = (await session.execute(select(OpinionSms).where(OpinionSms.id == sms_id).with_for_update())).scalar_one()
        sms.status, sms.last_error, sms.lease_until = outcome, error, None
        opinion = await session.get(Opinion, sms.opinion_id)
        assert opinion is not None
        if outcome == "sent":
            sms.sent_at = utcnow()
            add_step(
                session,
                opinion,
                "feedback",
                note=f"已向反映人 {sms.address_masked} 发送答复短信(含评价链接)",
                public_note="办理结果已短信告知反映人",
                actor=WORKER_ACTOR,
            )
        elif outcome in ("failed", "skipped"):
            add_step(
                session,
                opinion,
                "feedback",
                note=f"答复短信未能发送:{error};请电话回访反映人并记录评价",
                actor=WORKER_ACTOR,
            )
        await session.commit()
