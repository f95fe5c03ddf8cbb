"""The yearly star rating (亮星 / 星级评价): its window, and its steps in their one order.

A year's window is 1–31 December unless the office sets another (`duty_rating_windows`); deputies
assess themselves only inside it. Then the group check (代表小组评议: staff, or the leader of a group
the deputy belongs to), the township review (乡镇审核: staff), the committee's decision (常委会审定:
staff; the final grade, its stars and the year's points as they stand then) and publication. Staff
may start every deputy's rating at once, so that those who never assess themselves are rated too.

Every step is a row of `duty_rating_steps` (who, when, the grade it gave). A step out of order, or a
self-assessment outside the window, is refused with a Chinese message and a code, before anything is
written. The rating row is locked while a step is taken, so two steps never race.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from renda.core.db import utcnow
from renda.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from renda.modules.duty import rating_people as people
from renda.modules.duty.common import DutyCaller, require_deputy, require_manage
from renda.modules.duty.models import GRADES, LOW_GRADES, RATING_STEPS, STARS, Rating, RatingStep, RatingWindow
from renda.modules.duty.rating_notices import tell_published
from renda.modules.duty.totals import points_of

MIN_YEAR, MAX_YEAR = 2000, 2100
DEFAULT_OPENS, DEFAULT_CLOSES = (12, 1), (12, 31)
# A window opens in its own year and closes by the end of the next March at the latest.
LATEST_CLOSE = (3, 31)
WINDOW_STATES = {"before": "未开始", "open": "自评进行中", "closed": "自评已截止"}
# The step a rating must be at for each step to be taken next.
AFTER = {
    "self": ("opened", "self"),  # a self-assessment may be revised until the group check
    "group": ("opened", "self"),  # the group check does not wait for a deputy who does not assess
    "township": ("group",),
    "committee": ("township",),
    "published": ("committee",),
}
NEXT = {"opened": "group", "self": "group", "group": "township", "township": "committee", "committee": "published"}
STAFF_STEPS = ("group", "township", "committee")


def check_year(year: int) -> int:
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise InvalidInput(f"年度应在 {MIN_YEAR} 到 {MAX_YEAR} 之间", code="invalid_year")
    return year


def check_grade(grade: str) -> str:
    if grade not in GRADES:
        raise InvalidInput("请选择等次:优秀、良好、称职、基本称职或不称职", code="invalid_grade")
    return grade


# --- the window ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Window:
    year: int
    opens_on: date
    closes_on: date
    is_default: bool
    published_at: datetime | None = None
    public_list: bool = False

    def state(self, today: date) -> str:
        if today < self.opens_on:
            return "before"
        return "open" if today <= self.closes_on else "closed"

    def has_opened(self, today: date) -> bool:
        return today >= self.opens_on


def default_window(year: int) -> Window:
    return Window(year, date(year, *DEFAULT_OPENS), date(year, *DEFAULT_CLOSES), is_default=True)


async def _window_row(session: AsyncSession, year: int, *, for_update: bool = False) -> RatingWindow | None:
    query = select(RatingWindow).where(RatingWindow.year == year)
    if for_update:
        query = query.with_for_update()
    return (await session.execute(query)).scalar_one_or_none()


def _window(row: RatingWindow) -> Window:
    return Window(row.year, row.opens_on, row.closes_on, False, row.published_at, row.public_list)


async def window_of(session: AsyncSession, year: int) -> Window:
    row = await _window_row(session, check_year(year))
    if row is None:
        return default_window(year)
    found = _window(row)
    if (found.opens_on, found.closes_on) == (date(year, *DEFAULT_OPENS), date(year, *DEFAULT_CLOSES)):
        return Window(year, found.opens_on, found.closes_on, True, found.published_at, found.public_list)
    return found


async def _window_for_update(session: AsyncSession, year: int) -> RatingWindow:
    """The year's window row, made with the default dates if the office has none, and locked: what
    changes the year as a whole (setting the window, starting all, publishing) runs one at a time."""
    row = await _window_row(session, year, for_update=True)
    if row is None:
        default = default_window(year)
        row = RatingWindow(year=year, opens_on=default.opens_on, closes_on=default.closes_on, public_list=False)
        session.add(row)
        await session.flush()
    return row


async def set_window(
    session: AsyncSession,
    caller: DutyCaller,
    year: int,
    opens_on: date,
    closes_on: date,
    public_list: bool | None = None,
) -> Window:
    require_manage(caller)
    check_year(year)
    if opens_on.year != year:
        raise InvalidInput(f"{year}年度的评价应在{year}年内开始", code="invalid_rating_window")
    latest = date(year + 1, *LATEST_CLOSE)
    if not opens_on <= closes_on <= latest:
        raise InvalidInput(f"截止日期应不早于开始日期,且不晚于{latest:%Y年%m月%d日}", code="invalid_rating_window")
    row = await _window_for_update(session, year)
    row.opens_on, row.closes_on = opens_on, closes_on
    if public_list is not None:
        row.public_list = public_list
    await session.flush()
    return await window_of(session, year)


async def rating_year(session: AsyncSession, today: date) -> int:
    """The year being rated on `today`: last year's while its window (into January, say) is still
    open, else this year's."""
    last = await window_of(session, today.year - 1)
    return last.year if today <= last.closes_on else today.year


# --- reading one rating ---------------------------------------------------------------------------
async def get_rating(
    session: AsyncSession, caller: DutyCaller, rating_id: uuid.UUID, *, for_update: bool = False
) -> Rating:
    """A rating the caller may see: staff and the office's readers every one, a deputy their own, a
    group's leader their members'. Anyone else's is not found."""
    query = select(Rating).where(Rating.id == rating_id)
    if for_update:
        query = query.with_for_update()
    rating = (await session.execute(query)).scalar_one_or_none()
    if rating is None or not await may_see(session, caller, rating.person_id):
        raise NotFound("评价记录不存在", code="rating_not_found")
    return rating


async def may_see(session: AsyncSession, caller: DutyCaller, person_id: uuid.UUID) -> bool:
    if caller.may_see(person_id):
        return True
    return caller.person_id is not None and await people.leads_group_of(session, caller.person_id, person_id)


async def rating_of(
    session: AsyncSession, year: int, person_id: uuid.UUID, *, for_update: bool = False
) -> Rating | None:
    query = select(Rating).where(Rating.year == year, Rating.person_id == person_id)
    if for_update:
        query = query.with_for_update()
    return (await session.execute(query)).scalar_one_or_none()


# --- the order of the steps --------------------------------------------------------------------------
def check_order(rating: Rating, step: str, name: str) -> None:
    """Refuse `step` unless the rating stands where it must (nothing is written before this)."""
    if rating.step in AFTER[step]:
        return
    if rating.step == "published":
        message = f"{name}的{rating.year}年度评价结果已公示,不能再进行“{RATING_STEPS[step]}”"
    elif step == "self":
        message = f"{name}的{rating.year}年度评价已进入“{RATING_STEPS[rating.step]}”,不能再修改代表自评"
    else:
        expected = RATING_STEPS[NEXT[rating.step]] if rating.step in NEXT else "无"
        message = (
            f"{name}的{rating.year}年度评价当前为“{RATING_STEPS[rating.step]}”,下一步应为“{expected}”,"
            f"不能进行“{RATING_STEPS[step]}”"
        )
    raise Conflict(message, code="rating_step_out_of_order")


def _record(session: AsyncSession, rating: Rating, step: str, grade: str | None, note: str, actor: str) -> None:
    rating.step = step
    session.add(RatingStep(rating_id=rating.id, step=step, grade=grade, note=note.strip(), actor=actor))


async def _name(session: AsyncSession, person_id: uuid.UUID) -> str:
    return (await people.names_of(session, [person_id])).get(person_id, "该代表")


# --- the deputy's self-assessment ------------------------------------------------------------------
async def self_assess(
    session: AsyncSession, caller: DutyCaller, year: int, summary: str, grade: str, today: date
) -> Rating:
    """The deputy's summary of their year and the grade they give themselves; revisable until the
    group check, inside the window only."""
    person_id = require_deputy(caller)
    check_year(year)
    text = summary.strip()
    if not text:
        raise InvalidInput("请填写年度履职总结", code="summary_required")
    check_grade(grade)
    rating = await rating_of(session, year, person_id, for_update=True)
    if rating is not None:
        check_order(rating, "self", await _name(session, person_id))
    window = await window_of(session, year)
    state = window.state(today)
    if state == "before":
        raise Conflict(
            f"{year}年度代表自评自{window.opens_on:%Y年%m月%d日}起开放,请届时再填写", code="rating_window_closed"
        )
    if state == "closed":
        raise Conflict(f"{year}年度代表自评已于{window.closes_on:%Y年%m月%d日}截止", code="rating_window_closed")
    if rating is None:
        rating = Rating(year=year, person_id=person_id, step="self")
        session.add(rating)
        await session.flush()
    rating.self_summary, rating.self_grade = text, grade
    _record(session, rating, "self", grade, "", caller.actor)
    await session.flush()
    return rating


# --- staff: start everyone's rating -----------------------------------------------------------------
async def start_all(session: AsyncSession, caller: DutyCaller, year: int, today: date) -> int:
    """A rating for every deputy with a live mandate who has none this year; returns how many."""
    require_manage(caller)
    check_year(year)
    window = await window_of(session, year)
    if not window.has_opened(today):
        raise Conflict(f"{year}年度评价自{window.opens_on:%Y年%m月%d日}开始,此前不能发起", code="rating_window_closed")
    await _window_for_update(session, year)
    rated = set((await session.execute(select(Rating.person_id).where(Rating.year == year))).scalars())
    started = [p for p in await people.live_person_ids(session) if p not in rated]
    for person_id in started:
        rating = Rating(id=uuid.uuid4(), year=year, person_id=person_id, step="opened")
        session.add(rating)
        session.add(RatingStep(rating_id=rating.id, step="opened", note="工作人员统一发起年度评价", actor=caller.actor))
    await session.flush()
    return len(started)


# --- staff and group leaders: the steps after the self-assessment ------------------------------------
async def may_take(session: AsyncSession, caller: DutyCaller, step: str, person_id: uuid.UUID) -> bool:
    if caller.manage:
        return True
    if step != "group" or caller.person_id is None:
        return False
    return await people.leads_group_of(session, caller.person_id, person_id)


@dataclass(frozen=True)
class _Known:
    """What taking a step reads besides the rating, read once for a batch: names, windows, and for the
    committee's decision the year's points and the year before's ratings."""

    names: dict[uuid.UUID, str]
    windows: dict[int, Window]
    points: dict[tuple[int, uuid.UUID], Decimal]
    before: dict[tuple[int, uuid.UUID], Rating]


async def _read_known(session: AsyncSession, ratings: Sequence[Rating], step: str) -> _Known:
    years = {r.year for r in ratings}
    points: dict[tuple[int, uuid.UUID], Decimal] = {}
    before: dict[tuple[int, uuid.UUID], Rating] = {}
    if step == "committee":
        for year in years:
            persons = [r.person_id for r in ratings if r.year == year]
            points |= {(year, p): found.total for p, found in (await points_of(session, year, persons)).items()}
        query = select(Rating).where(
            Rating.year.in_([y - 1 for y in years]), Rating.person_id.in_({r.person_id for r in ratings})
        )
        before = {(r.year + 1, r.person_id): r for r in (await session.execute(query)).scalars()}
    return _Known(
        await people.names_of(session, [r.person_id for r in ratings]),
        {year: await window_of(session, year) for year in years},
        points,
        before,
    )


async def take_step(
    session: AsyncSession,
    caller: DutyCaller,
    rating: Rating,
    step: str,
    grade: str,
    note: str,
    today: date,
    known: _Known | None = None,
) -> Rating:
    """The group check, the township review or the committee's decision of a locked rating."""
    if step not in STAFF_STEPS:
        raise InvalidInput("请选择评价环节:代表小组评议、乡镇审核或常委会审定", code="invalid_rating_step")
    check_grade(grade)
    if not await may_take(session, caller, step, rating.person_id):
        if step == "group":
            raise PermissionDenied("代表小组评议由工作人员或该代表所在小组的组长进行", code="rating_not_your_group")
        raise PermissionDenied(f"“{RATING_STEPS[step]}”由本机关工作人员进行", code="duty_staff_only")
    known = known or await _read_known(session, [rating], step)
    check_order(rating, step, known.names.get(rating.person_id, "该代表"))
    window = known.windows[rating.year]
    if not window.has_opened(today):
        raise Conflict(
            f"{rating.year}年度评价自{window.opens_on:%Y年%m月%d日}开始,此前不能评议", code="rating_window_closed"
        )
    if step == "group":
        rating.group_grade = grade
    elif step == "township":
        rating.township_grade = grade
    else:
        _decide(rating, grade, known)
    _record(session, rating, step, grade, note, caller.actor)
    return rating


def _decide(rating: Rating, grade: str, known: _Known) -> None:
    """The committee's grade, its stars, the year's points as they stand now, and the advice to resign
    for a second low year running (that year's decision as it stands)."""
    rating.grade, rating.stars = grade, STARS[grade]
    rating.points = known.points[(rating.year, rating.person_id)]
    before = known.before.get((rating.year, rating.person_id))
    rating.advise_resign = (
        grade in LOW_GRADES
        and before is not None
        and before.grade in LOW_GRADES
        and before.step in ("committee", "published")
    )


async def take_steps(
    session: AsyncSession,
    caller: DutyCaller,
    rating_ids: Sequence[uuid.UUID],
    step: str,
    grade: str,
    note: str,
    today: date,
) -> list[Rating]:
    """One step for many ratings, all or none: the first refusal names its deputy and nothing is kept
    (the request's transaction rolls back)."""
    wanted = list(dict.fromkeys(rating_ids))
    query = select(Rating).where(Rating.id.in_(wanted)).order_by(Rating.id).with_for_update()
    found = {r.id: r for r in (await session.execute(query)).scalars()}
    visible = [found[i] for i in wanted if i in found and await may_see(session, caller, found[i].person_id)]
    if len(visible) != len(wanted):
        raise NotFound("所选的评价记录有的不存在", code="rating_not_found")
    known = await _read_known(session, visible, step) if step in STAFF_STEPS else None
    for rating in visible:
        await take_step(session, caller, rating, step, grade, note, today, known)
    await session.flush()
    return visible


# --- publication ---------------------------------------------------------------------------------------
async def publish(
    session: AsyncSession, caller: DutyCaller, year: int, public_list: bool, now: datetime | None = None
) -> tuple[list[Rating], RatingWindow]:
    """Publish every decided rating of the year (a later decision is published by publishing again);
    each deputy is told their grade. Returns the ratings published and the window."""
    require_manage(caller)
    check_year(year)
    window = await _window_for_update(session, year)
    query = select(Rating).where(Rating.year == year, Rating.step == "committee").with_for_update()
    decided = list((await session.execute(query)).scalars())
    if not decided:
        raise Conflict(f"{year}年度没有已经常委会审定、尚未公示的评价", code="nothing_to_publish")
    for rating in decided:
        _record(session, rating, "published", rating.grade, "", caller.actor)
    if window.published_at is None:
        window.published_at, window.published_by = now or utcnow(), caller.actor
    window.public_list = public_list
    await session.flush()
    await tell_published(session, decided)
    return decided, window
