"""How the audit log names opinions, their steps and the SMS sent back."""

from __future__ import annotations

from collections.abc import Collection, Mapping

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from renda.modules.audit.service import register_entity, register_reference, uuid_keys
from renda.modules.opinions.common import CATEGORIES, excerpt, format_ticket
from renda.modules.opinions.models import RATINGS, SOURCES, STATUSES, STEP_KINDS, Opinion

SMS_STATUSES = {"pending": "待发送", "sending": "发送中", "sent": "已发送", "failed": "发送失败", "skipped": "未发送"}


async def _opinions(session: AsyncSession, ids: Collection[str]) -> Mapping[str, tuple[str, str | None]]:
    """An opinion by its ticket (as printed for the person) and the start of what they said."""
    rows = await session.execute(
        select(Opinion.id, Opinion.ticket, Opinion.content).where(Opinion.id.in_(uuid_keys(ids)))
    )
    return {
        str(opinion_id): (f"{format_ticket(ticket)} {excerpt(content, 20)}", "/t/{code}/opinions/" + str(opinion_id))
        for opinion_id, ticket, content in rows
    }


register_reference("opinions", _opinions)
register_entity(
    "opinions",
    "群众意见",
    fields={
        "ticket": "意见编号",
        "content": "意见内容",
        "submitter_name": "反映人",
        "submitter_phone_encrypted": "反映人电话",
        "submitter_phone_masked": "反映人电话(部分隐藏)",
        "deputy_person_id": "代表",
        "unit_id": "承办单位",
        "assigned_at": "交办时间",
        "answer": "答复",
        "answered_at": "答复时间",
        "rating": "群众评价",
        "rated_at": "评价时间",
        "rating_token_hash": "评价链接",
        "duplicate_of_id": "重复于",
        "suggestion_draft_id": "转为建议草稿",
    },
    values={"source": SOURCES, "status": STATUSES, "category": CATEGORIES, "rating": RATINGS},
    refs={"suggestion_draft_id": "suggestion_drafts"},
    formats={"ticket": format_ticket},
    hidden={"submitter_phone_hash", "source_id"},  # the phone's hash; the id of what it came from (see 来源)
)
register_entity(
    "opinion_steps",
    "意见办理环节",
    fields={"kind": "环节", "note": "说明", "public_note": "公开说明"},
    values={"kind": STEP_KINDS},
)
register_entity(
    "opinion_sms",
    "意见反馈短信",
    fields={"purpose": "用途", "text_encrypted": "短信内容", "address_masked": "手机号码(部分隐藏)"},
    values={"purpose": {"feedback": "办理结果反馈"}, "status": SMS_STATUSES},
)
