"""The staff's decisions and the unit's answer along the loop: category (分析), assignment (交办),
escalation to a suggestion, the answer (答复), the person's rating (评价) and closing (办结).
"""

from __future__ import annotations

import re
import uuid
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from renda.core.db import utcnow
from renda.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from renda.core.timezone import local_today, to_local
from renda.modules.notifications import service as notifications
from renda.modules.opinions.common import (
    CATEGORIES,
    CONTROL,
    PUBLIC_ACTOR,
    Viewer,
    actor_of,
    add_step,
    check_category,
    check_open,
    clean_note,
    deputy_user_of,
    excerpt,
    format_ticket,
    opinion_link,
    require_manage,
)
from renda.modules.opinions.feedback import feedback_to_person, token_hash
from renda.modules.opinions.models import RATINGS, Opinion
from renda.modules.opinions.units import get_unit, unit_user_ids
from renda.modules.suggestions import service as suggestions
from renda.tenants.scoping import TenantRef


async def analyse(
    session: AsyncSession, viewer: Viewer, opinion: Opinion, *, category: str, note: str | None = None
) -> Opinion:
    require_manage(viewer)
    check_open(opinion)
    checked = check_category(category)
    if checked is None:
        raise InvalidInput("请选择意见类别", code="category_required")
    note = clean_note(note)
    previous = opinion.category
    opinion.category = checked
    changed = f"由“{CATEGORIES[previous]}”改为" if previous and previous != checked else ""
    add_step(
        session,
        opinion,
        "analysis",
        note=f"类别{changed}“{CATEGORIES[checked]}”" + (f";{note}" if note else ""),
        public_note=f"已分析归类:{CATEGORIES[checked]}",
    )
    await session.flush()
    return opinion


DEFAULT_DEADLINE_DAYS = 15
MAX_DEADLINE_DAYS = 365


async def assign(
    session: AsyncSession,
    viewer: Viewer,
    tenant: TenantRef,
    opinion: Opinion,
    *,
    unit_id: uuid.UUID,
    deadline: date | None = None,
    note: str | None = None,
    today: date | None = None,
) -> Opinion:
    """交办: hand the opinion to a handling unit with a deadline (again, to change either)."""
    require_manage(viewer)
    check_open(opinion)
    if opinion.status not in ("received", "assigned"):
        raise Conflict("承办单位已答复的意见不能再交办", code="cannot_assign")
    today = today or local_today()
    note = clean_note(note)
    try:
        unit = await get_unit(session, unit_id)
    except NotFound:
        raise InvalidInput("所选承办单位不存在", code="unknown_unit") from None
    if not unit.is_active:
        raise InvalidInput(f"承办单位“{unit.name}”已停用", code="unit_inactive")
    deadline = deadline or today + timedelta(days=DEFAULT_DEADLINE_DAYS)
    if deadline < today:
        raise InvalidInput("办理期限不能早于今天", code="invalid_deadline")
    if deadline > today + timedelta(days=MAX_DEADLINE_DAYS):
        raise InvalidInput("办理期限不能超过一年", code="invalid_deadline")
    again = opinion.status == "assigned"
    now = utcnow()
    opinion.unit_id, opinion.deadline, opinion.assigned_at, opinion.status = unit.id, deadline, now, "assigned"
    add_step(
        session,
        opinion,
        "assignment",
        note=f"{'改为交办' if again else '交办'}{unit.name},办理期限 {deadline:%Y-%m-%d}"
        + (f";{note}" if note else ""),
        public_note=f"已交办{unit.name}办理,办理期限{deadline:%Y年%m月%d日}",
    )
    await notifications.notify(
        session,
        kind="opinion_assigned",
        event_key=f"opinion-assigned:{opinion.id}:{now.isoformat()}",
        recipients=await unit_user_ids(session, unit.id),
        variables={
            "unit": unit.name,
            "ticket": format_ticket(opinion.ticket),
            "summary": excerpt(opinion.content),
            "deadline": f"{deadline:%Y年%m月%d日}",
        },
        link=opinion_link(tenant, opinion),
    )
    await session.flush()
    return opinion


def default_title(opinion: Opinion) -> str:
    first = re.split(r"[。!?!?\n]", opinion.content, maxsplit=1)[0]
    return f"关于{excerpt(first, 40)}的建议"


async def escalate(
    session: AsyncSession,
    viewer: Viewer,
    tenant: TenantRef,
    opinion: Opinion,
    *,
    title: str | None = None,
    note: str | None = None,
) -> Opinion:
    """转为代表建议: a suggestion draft for the deputy the opinion was addressed to; the opinion ends
    here and the suggestion loop takes over."""
    require_manage(viewer)
    check_open(opinion)
    if opinion.status not in ("received", "assigned"):
        raise Conflict("承办单位已答复的意见不能再转为建议", code="cannot_escalate")
    note = clean_note(note)
    provenance = f"\n\n(来源:群众意见 {format_ticket(opinion.ticket)},{to_local(opinion.created_at):%Y年%m月%d日}受理)"
    draft = await suggestions.create_draft(
        session,
        tenant,
        deputy_person_id=opinion.deputy_person_id,
        title=(title or "").strip() or default_title(opinion),
        content=opinion.content + provenance,
        source="opinion",
        source_id=opinion.id,
    )
    opinion.status, opinion.suggestion_draft_id, opinion.closed_at = "escalated", draft.id, utcnow()
    add_step(
        session,
        opinion,
        "escalation",
        note=f"转为代表建议草稿《{draft.title}》" + (f";{note}" if note else ""),
        public_note="已转为人大代表建议,按代表建议办理程序交有关部门办理",
    )
    deputy_user = await deputy_user_of(session, opinion)
    if deputy_user is not None:
        await notifications.notify(
            session,
            kind="opinion_escalated",
            event_key=f"opinion-escalated:{opinion.id}",
            recipients=[deputy_user],
            variables={"ticket": format_ticket(opinion.ticket), "title": draft.title},
            link=f"/t/{tenant.code}/suggestions/{draft.id}",
        )
    await session.flush()
    return opinion


MAX_ANSWER = 2000


async def answer(session: AsyncSession, viewer: Viewer, tenant: TenantRef, opinion: Opinion, *, text: str) -> Opinion:
    """承办单位答复, then the feedback: the deputy in the inbox, the person by SMS with a rating link
    (sent by a worker after commit, exactly once)."""
    if not viewer.may_answer(opinion):
        raise PermissionDenied("只有承办该意见的单位或代表工作人员可以答复", code="not_assigned_to_you")
    if opinion.status != "assigned":
        raise Conflict("只有已交办、尚未答复的意见可以答复", code="cannot_answer")
    reply = CONTROL.sub("", (text or "").replace("\r\n", "\n")).strip()
    if not reply:
        raise InvalidInput("请填写答复内容", code="answer_required")
    if len(reply) > MAX_ANSWER:
        raise InvalidInput(f"答复内容不能超过 {MAX_ANSWER} 个字", code="answer_too_long")
    opinion.answer, opinion.answered_at, opinion.status = reply, utcnow(), "answered"
    unit_name = (await get_unit(session, opinion.unit_id)).name if opinion.unit_id else "承办单位"
    deputy_user = await deputy_user_of(session, opinion)
    add_step(
        session,
        opinion,
        "answer",
        note=f"{unit_name}答复" + (";已通知代表" if deputy_user else ""),
        public_note=f"{unit_name}已答复",
    )
    if deputy_user is not None:
        await notifications.notify(
            session,
            kind="opinion_answered",
            event_key=f"opinion-answered:{opinion.id}",
            recipients=[deputy_user],
            variables={"ticket": format_ticket(opinion.ticket), "unit": unit_name, "summary": excerpt(opinion.content)},
            link=opinion_link(tenant, opinion),
        )
    await feedback_to_person(session, tenant, opinion, unit_name)
    await session.flush()
    return opinion


def _record_rating(session: AsyncSession, opinion: Opinion, rating: str, *, actor: str, note: str | None) -> None:
    now = utcnow()
    opinion.rating, opinion.rated_at, opinion.status, opinion.closed_at = rating, now, "closed", now
    add_step(
        session,
        opinion,
        "rating",
        note=f"评价:{RATINGS[rating]}" + (f";{note}" if note else ""),
        public_note=f"反映人评价:{RATINGS[rating]}",
        actor=actor,
    )
    add_step(session, opinion, "close", note="评价后办结", public_note="已办结", actor=actor)


async def opinion_by_rating_token(session: AsyncSession, token: str, *, for_update: bool = False) -> Opinion:
    if not token or len(token) > 64:
        raise NotFound("评价链接无效或已失效", code="rating_link_invalid")
    query = select(Opinion).where(Opinion.rating_token_hash == token_hash(token))
    opinion = (await session.execute(query.with_for_update() if for_update else query)).scalar_one_or_none()
    if opinion is None:
        raise NotFound("评价链接无效或已失效", code="rating_link_invalid")
    return opinion


async def rate_by_token(session: AsyncSession, token: str, rating: str) -> tuple[Opinion, bool]:
    """The person's one-step rating from the SMS link. Recorded once: a second click (or a second
    rating) finds the first and changes nothing. Returns the opinion and whether this call rated it."""
    if rating not in RATINGS:
        raise InvalidInput("请选择“已解决”“部分解决”或“未解决”", code="invalid_rating")
    opinion = await opinion_by_rating_token(session, token, for_update=True)
    if opinion.rating is not None:
        return opinion, False
    if opinion.status != "answered":
        raise Conflict("该意见已办结,不能再评价", code="rating_closed")
    _record_rating(session, opinion, rating, actor=PUBLIC_ACTOR + "(短信评价链接)", note=None)
    await session.flush()
    return opinion, True


async def rate_on_behalf(
    session: AsyncSession, viewer: Viewer, opinion: Opinion, *, rating: str, note: str | None = None
) -> Opinion:
    """Staff record the rating the person gave by phone or in person (回访)."""
    require_manage(viewer)
    if rating not in RATINGS:
        raise InvalidInput("请选择“已解决”“部分解决”或“未解决”", code="invalid_rating")
    if opinion.status != "answered" or opinion.rating is not None:
        raise Conflict("只有已答复、尚未评价的意见可以记录评价", code="cannot_rate")
    note = clean_note(note)
    _record_rating(session, opinion, rating, actor=actor_of(session), note="回访记录" + (f":{note}" if note else ""))
    await session.flush()
    return opinion


async def close(session: AsyncSession, viewer: Viewer, opinion: Opinion, *, note: str | None = None) -> Opinion:
    """办结 an answered opinion the person did not rate (no phone, no answer to the call-back)."""
    require_manage(viewer)
    if opinion.status != "answered":
        raise Conflict("只有已答复的意见可以办结", code="cannot_close")
    note = clean_note(note)
    opinion.status, opinion.closed_at = "closed", utcnow()
    add_step(
        session, opinion, "close", note="未评价,由工作人员办结" + (f";{note}" if note else ""), public_note="已办结"
    )
    await session.flush()
    return opinion
