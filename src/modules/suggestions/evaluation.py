"""Evaluation (评): the lead deputy rates the reply of a round in one step, from the notification.

A reply (handling) calls `on_replied`: the rating window opens, B and C replies go to follow-up, and
the lead deputy is asked to rate. Only the lead deputy rates, within the window, once per round; the
rating is never edited. Satisfied or basically satisfied closes the suggestion; dissatisfied tells the
staff and the unit and opens a second round with the same lead unit and its own deadline. A daily
job closes replied suggestions whose window passed without a rating, counted as not rated.
"""

from __future__ import annotations

import uuid
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from renda.core.db import get_database, utcnow
from renda.core.errors import Conflict, InvalidInput, PermissionDenied
from renda.core.permissions import Role
from renda.core.timezone import local_today, to_local
from renda.modules.deputies import service as deputies
from renda.modules.members import service as members
from renda.modules.notifications import service as notifications
from renda.modules.suggestions.common import (
    LoopCaller,
    add_months,
    current_units,
    load_settings,
    number_label,
    record_step,
)
from renda.modules.suggestions.models import RATINGS, REPLY_CLASSES, Suggestion, SuggestionUnit
from renda.modules.units import service as units
from renda.tenants.scoping import load_tenant

MAX_COMMENT = 1000
FOLLOWED_UP_CLASSES = ("B", "C")  # 正在解决或列入计划 / 因条件限制暂时难以解决: 回头看 until resolved
SECOND_ROUND = 2  # one more round after a dissatisfied rating (重新办理); a second "dissatisfied" closes it


def item_link(code: str, suggestion: Suggestion, tail: str = "") -> str:
    return f"/t/{code}/suggestions/items/{suggestion.id}{tail}"


def _code(session: AsyncSession) -> str:
    return str(session.info["tenant_code"])


async def _lead_user(session: AsyncSession, suggestion: Suggestion) -> uuid.UUID | None:
    return (await deputies.user_ids_of(session, [suggestion.lead_person_id])).get(suggestion.lead_person_id)


async def _unit_name(session: AsyncSession, suggestion: Suggestion) -> str:
    if suggestion.lead_unit_id is None:
        return "承办单位"
    return (await units.unit_names(session, [suggestion.lead_unit_id])).get(suggestion.lead_unit_id, "承办单位")


async def office_staff_user_ids(code: str) -> list[uuid.UUID]:
    """The office's staff (代表工作人员), who follow every dissatisfied rating up."""
    tenant = await load_tenant(code)
    async with get_database().platform_session() as platform:
        return [u.id for m, u in await members.list_members(platform, tenant) if Role.STAFF in (m.roles or [])]


# --- after the reply ---------------------------------------------------------------------------------
async def on_replied(session: AsyncSession, suggestion: Suggestion) -> None:
    """What follows a reply (called by handling once status, reply_class and replied_at are set): the
    rating window (when handling set none), follow-up of B and C replies, and the deputy's notice."""
    if suggestion.rating_due is None:
        settings = await load_settings(session)
        replied_on = to_local(suggestion.replied_at).date() if suggestion.replied_at else local_today()
        suggestion.rating_due = replied_on + timedelta(days=settings.rating_window_days)
    if suggestion.reply_class in FOLLOWED_UP_CLASSES and suggestion.follow_up == "none":
        suggestion.follow_up = "open"
    await notify_reply_given(session, suggestion)


async def notify_reply_given(session: AsyncSession, suggestion: Suggestion) -> None:
    """答复已送达,请评价: to the lead deputy (if they sign in), once per round, linking the rating page."""
    user = await _lead_user(session, suggestion)
    if user is None:
        return
    assert suggestion.rating_due is not None and suggestion.reply_class is not None
    await notifications.notify(
        session,
        kind="suggestion_replied",
        event_key=f"suggestion-replied:{suggestion.id}:{suggestion.round}",
        recipients=[user],
        variables={
            "number": number_label(suggestion),
            "title": suggestion.title,
            "unit": await _unit_name(session, suggestion),
            "class": REPLY_CLASSES[suggestion.reply_class],
            "due": f"{suggestion.rating_due:%Y年%m月%d日}",
        },
        link=item_link(_code(session), suggestion, "/rate"),
    )


# --- the rating --------------------------------------------------------------------------------------
def check_may_rate(caller: LoopCaller, suggestion: Suggestion, today: date) -> None:
    """Why the caller may not rate now, as the error to show; nothing when they may."""
    if not caller.is_lead(suggestion):
        raise PermissionDenied("只有领衔代表本人可以评价办理答复", code="not_lead_deputy")
    if suggestion.rating is not None:
        raise Conflict("本轮答复已经评价,评价提交后不能修改", code="already_rated")
    if suggestion.status != "replied":
        if suggestion.status == "closed" and suggestion.replied_at is not None:
            raise Conflict("评价期限已过,该建议已办结,不能再评价", code="rating_window_closed")
        raise Conflict("承办单位尚未答复,暂不能评价", code="not_replied")
    if suggestion.rating_due is not None and today > suggestion.rating_due:
        raise Conflict(f"评价期限({suggestion.rating_due:%Y年%m月%d日})已过,不能再评价", code="rating_window_closed")


def clean_comment(comment: str | None) -> str | None:
    text = (comment or "").replace("\r\n", "\n").strip()
    if len(text) > MAX_COMMENT:
        raise InvalidInput(f"评价意见不能超过 {MAX_COMMENT} 个字", code="comment_too_long")
    return text or None


async def rate(
    session: AsyncSession, caller: LoopCaller, suggestion: Suggestion, rating: str, comment: str | None
) -> Suggestion:
    """The lead deputy's rating of the current round (the suggestion is locked by the caller)."""
    check_may_rate(caller, suggestion, local_today())
    if rating not in RATINGS:
        raise InvalidInput("请选择满意、基本满意或不满意", code="invalid_rating")
    text = clean_comment(comment)
    now = utcnow()
    suggestion.rating, suggestion.rating_comment, suggestion.rated_at = rating, text, now
    record_step(
        session, suggestion, "rated", f"第{suggestion.round}轮评价:{RATINGS[rating]}" + (f";{text}" if text else "")
    )
    if rating != "dissatisfied":
        _close(session, suggestion, "代表评价后办结")
    elif suggestion.round >= SECOND_ROUND:
        _close(session, suggestion, "重新办理后代表仍不满意,办结并如实统计")
        await notify_dissatisfied(session, suggestion)
    else:
        await notify_dissatisfied(session, suggestion)
        await open_second_round(session, suggestion)
    await session.flush()
    return suggestion


def _close(session: AsyncSession, suggestion: Suggestion, note: str) -> None:
    suggestion.status, suggestion.closed_at = "closed", utcnow()
    record_step(session, suggestion, "closed", note)


async def open_second_round(session: AsyncSession, suggestion: Suggestion) -> None:
    """重新办理: round 2 with the same units and a deadline of its own. The first round's reply and
    rating stay in the timeline (the step written here keeps them)."""
    settings = await load_settings(session)
    previous = await current_units(session, suggestion)
    kept = (
        f"第{suggestion.round}轮答复({REPLY_CLASSES.get(suggestion.reply_class or '', '未分类')}):"
        f"{suggestion.reply_text or ''}"
        + (f"\n承诺事项:{suggestion.reply_commitments}" if suggestion.reply_commitments else "")
        + f"\n代表评价:{RATINGS[suggestion.rating or 'dissatisfied']}"
        + (f";{suggestion.rating_comment}" if suggestion.rating_comment else "")
    )
    today, now = local_today(), utcnow()
    suggestion.round += 1
    suggestion.status, suggestion.assigned_at = "assigned", now
    suggestion.deadline = add_months(today, settings.second_round_months)
    suggestion.reply_class = suggestion.reply_text = suggestion.reply_commitments = None
    suggestion.replied_at = suggestion.replied_on_time = suggestion.rating_due = None
    suggestion.rating = suggestion.rating_comment = suggestion.rated_at = None
    suggestion.follow_up, suggestion.resolved_at = "none", None
    for unit in previous:
        session.add(
            SuggestionUnit(
                suggestion_id=suggestion.id,
                unit_id=unit.unit_id,
                round=suggestion.round,
                role=unit.role,
                assigned_at=now,
                opinion_due=today + timedelta(days=settings.cohandler_days) if unit.role == "co" else None,
            )
        )
    record_step(
        session,
        suggestion,
        "second_round",
        f"代表不满意,重新办理,期限至{suggestion.deadline:%Y年%m月%d日}\n{kept}",
    )


async def notify_dissatisfied(session: AsyncSession, suggestion: Suggestion) -> None:
    """代表不满意: the office's staff and the lead unit's users."""
    recipients = await office_staff_user_ids(_code(session))
    if suggestion.lead_unit_id is not None:
        recipients += await units.unit_user_ids(session, suggestion.lead_unit_id)
    await notifications.notify(
        session,
        kind="suggestion_dissatisfied",
        event_key=f"suggestion-dissatisfied:{suggestion.id}:{suggestion.round}",
        recipients=recipients,
        variables={
            "number": number_label(suggestion),
            "title": suggestion.title,
            "unit": await _unit_name(session, suggestion),
            "comment": suggestion.rating_comment or "(未填写)",
        },
        link=item_link(_code(session), suggestion),
    )


# --- the daily job -----------------------------------------------------------------------------------
async def close_unrated(session: AsyncSession, today: date) -> int:
    """Close every replied suggestion whose rating window ended before `today` without a rating. It
    counts as not rated (never as satisfied). A second run the same day finds nothing."""
    query = (
        select(Suggestion)
        .where(Suggestion.status == "replied", Suggestion.rating.is_(None), Suggestion.rating_due < today)
        .order_by(Suggestion.rating_due)
        .with_for_update(skip_locked=True)  # one being rated right now is the deputy's; tomorrow decides
    )
    expired = list((await session.execute(query)).scalars())
    for suggestion in expired:
        assert suggestion.rating_due is not None
        _close(
            session,
            suggestion,
            f"评价期限({suggestion.rating_due:%Y年%m月%d日})已过,代表未评价,视为未评价办结(不计入满意)",
        )
    await session.flush()
    return len(expired)
