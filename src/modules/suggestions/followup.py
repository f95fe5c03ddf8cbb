"""Follow-up (回头看) and carry-over (滚动办理).

B and C replies promise work still to come: staff look back at them until the promise is kept.
On 1 January every open follow-up and every unfinished suggestion is carried into the new year, also
across a term change (办理工作不换届): it keeps its term, its lead deputy and that deputy's mandate even
when the mandate has ended, and goes on being handled and rated.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from renda.core.db import utcnow
from renda.core.errors import Conflict, InvalidInput
from renda.core.timezone import local_today, to_local
from renda.modules.suggestions.common import LoopCaller, record_step, require_manage
from renda.modules.suggestions.models import OPEN_STATUSES, Suggestion, SuggestionFollowUp

MAX_PROGRESS = 2000
FIRST_YEAR = 2000


async def record_follow_up(
    session: AsyncSession,
    caller: LoopCaller,
    suggestion: Suggestion,
    *,
    checked_on: date,
    progress: str,
    resolved: bool,
) -> SuggestionFollowUp:
    """One look back at what a B or C reply promised; `resolved` ends the follow-up."""
    require_manage(caller)
    if suggestion.follow_up == "resolved":
        raise Conflict("该建议的答复承诺已落实,不需要再回头看", code="follow_up_resolved")
    if suggestion.follow_up != "open":
        raise Conflict("只有答复为B类、C类的建议需要回头看", code="no_follow_up")
    if checked_on > local_today():
        raise InvalidInput("回头看日期不能晚于今天", code="follow_up_in_future")
    if suggestion.replied_at is not None and checked_on < to_local(suggestion.replied_at).date():
        raise InvalidInput("回头看日期不能早于答复日期", code="follow_up_before_reply")
    text = (progress or "").replace("\r\n", "\n").strip()
    if not text:
        raise InvalidInput("请填写落实进展", code="progress_required")
    if len(text) > MAX_PROGRESS:
        raise InvalidInput(f"落实进展不能超过 {MAX_PROGRESS} 个字", code="progress_too_long")
    entry = SuggestionFollowUp(
        suggestion_id=suggestion.id,
        year=checked_on.year,
        checked_on=checked_on,
        progress=text,
        resolved=resolved,
        recorded_by=str(session.info.get("actor", "system")),
    )
    session.add(entry)
    if resolved:
        suggestion.follow_up, suggestion.resolved_at = "resolved", utcnow()
    record_step(
        session, suggestion, "follow_up", f"{checked_on:%Y年%m月%d日}回头看:{text}" + (";已落实" if resolved else "")
    )
    await session.flush()
    return entry


async def follow_ups_of(session: AsyncSession, suggestion: Suggestion) -> list[SuggestionFollowUp]:
    query = (
        select(SuggestionFollowUp)
        .where(SuggestionFollowUp.suggestion_id == suggestion.id)
        .order_by(SuggestionFollowUp.checked_on, SuggestionFollowUp.created_at)
    )
    return list((await session.execute(query)).scalars())


def check_year(year: int) -> None:
    if not FIRST_YEAR <= year <= local_today().year:
        raise InvalidInput("只能结转到今年或以前的年度", code="invalid_carry_year")


async def carry_over(session: AsyncSession, year: int) -> int:
    """滚动办理: carry into `year` every suggestion of an earlier year still being handled or followed up.
    Only the year it was carried into changes (and a step says so); term, lead deputy and mandate stay.
    Run twice for the same year, it carries nothing more."""
    query = (
        select(Suggestion)
        .where(
            Suggestion.year < year,
            or_(Suggestion.status.in_(OPEN_STATUSES), Suggestion.follow_up == "open"),
            or_(Suggestion.carried_to_year.is_(None), Suggestion.carried_to_year < year),
        )
        .order_by(Suggestion.year, Suggestion.seq)
        .with_for_update()  # waits for a request changing one: none is left behind for a year
    )
    found = list((await session.execute(query)).scalars())
    for suggestion in found:
        suggestion.carried_to_year = year
        what = "继续办理" if suggestion.status in OPEN_STATUSES else "继续跟踪落实(回头看)"
        record_step(session, suggestion, "carried_over", f"结转至{year}年度{what}")
    await session.flush()
    return len(found)
