"""What the rating pages and the API show: one rating with its steps and talks, the year's list of the
office's deputies with their ratings (filters, a page at a time), the counts per step, the deputy's
own page, the talks and the deputies advised to resign.

A deputy reads only their own rating and a group's leader their members'; to them the grades given
after their own step stay hidden until the year's results are published.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, and_, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from renda.core.errors import InvalidInput
from renda.core.pagination import Page, paginate_rows
from renda.modules.deputies.models import Person
from renda.modules.duty import rating as rules
from renda.modules.duty import rating_labels as labels
from renda.modules.duty import rating_people as people
from renda.modules.duty.common import DutyCaller
from renda.modules.duty.models import (
    GRADES,
    LOW_GRADES,
    RATING_STEPS,
    TALK_STATUSES,
    Rating,
    RatingStep,
    Talk,
)
from renda.modules.duty.rating_schemas import (
    AdviseResignRow,
    Count,
    MineOut,
    Overview,
    RatingOut,
    RatingRow,
    StepOut,
    TalkOut,
    WindowOut,
)
from renda.modules.duty.totals import points_of

# The list's step filter: `none` is a deputy whose rating has not been started.
LIST_STEPS = {"none": "未发起", **RATING_STEPS}
MAX_QUERY = 50


def _number(value: Decimal | None) -> float | None:
    """Points as a JSON number (they have one decimal place)."""
    return None if value is None else float(value)


def window_out(window: rules.Window, today: date) -> WindowOut:
    state = window.state(today)
    return WindowOut(
        window.year,
        window.opens_on,
        window.closes_on,
        window.is_default,
        state,
        rules.WINDOW_STATES[state],
        window.published_at,
        window.public_list,
    )


# --- one rating ----------------------------------------------------------------------------------------
def _talk_out(talk: Talk, name: str, rated: Rating) -> TalkOut:
    return TalkOut(
        talk.id,
        talk.rating_id,
        talk.person_id,
        name,
        rated.year,
        labels.grade_label(rated.grade),
        talk.scheduled_on,
        talk.place,
        talk.talker,
        talk.status,
        TALK_STATUSES[talk.status],
        talk.note,
    )


async def rating_out(session: AsyncSession, caller: DutyCaller, rated: Rating) -> RatingOut:
    names = await people.names_of(session, [rated.person_id])
    groups = await people.group_names_of(session, [rated.person_id])
    published = rated.step == "published"
    # Staff and the office's readers see every grade; the deputy and a leader only once published.
    shows_all = caller.full or published
    steps = (
        await session.execute(
            select(RatingStep).where(RatingStep.rating_id == rated.id).order_by(RatingStep.created_at, RatingStep.id)
        )
    ).scalars()
    step_rows = [
        StepOut(
            s.step,
            RATING_STEPS[s.step],
            s.grade if shows_all or s.step == "self" else None,
            labels.grade_label(s.grade) if shows_all or s.step == "self" else None,
            s.note if shows_all else "",
            s.actor.split(":", 2)[-1],
            s.created_at,
        )
        for s in steps
    ]
    talks = (await session.execute(select(Talk).where(Talk.rating_id == rated.id).order_by(Talk.created_at))).scalars()
    name = names.get(rated.person_id, "")
    following = rules.NEXT.get(rated.step)
    return RatingOut(
        id=rated.id,
        year=rated.year,
        person_id=rated.person_id,
        name=name,
        group_name=groups.get(rated.person_id),
        step=rated.step,
        step_label=RATING_STEPS[rated.step],
        published=published,
        self_summary=rated.self_summary,
        self_grade=rated.self_grade,
        self_grade_label=labels.grade_label(rated.self_grade),
        group_grade=rated.group_grade if shows_all else None,
        township_grade=rated.township_grade if shows_all else None,
        grade=rated.grade if shows_all else None,
        grade_label=labels.grade_label(rated.grade) if shows_all else None,
        stars=rated.stars if shows_all else None,
        points=_number(rated.points) if shows_all else None,
        advise_resign=rated.advise_resign if caller.full else False,
        next_step=following,
        next_step_label=RATING_STEPS[following] if following else None,
        steps=step_rows,
        talks=[_talk_out(t, name, rated) for t in talks],
    )


async def talk_out(session: AsyncSession, talk: Talk) -> TalkOut:
    rated = await session.get_one(Rating, talk.rating_id)
    return _talk_out(talk, (await people.names_of(session, [talk.person_id])).get(talk.person_id, ""), rated)


# --- the year's list ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class RatingFilter:
    year: int
    step: str | None = None  # a key of LIST_STEPS
    grade: str | None = None
    group_id: uuid.UUID | None = None
    q: str | None = None
    low: bool = False  # decided 基本称职 or 不称职
    advise_resign: bool = False
    leader_id: uuid.UUID | None = None  # only the members of the groups this deputy leads


def parse_filter(params: dict[str, Any], default_year: int) -> RatingFilter:
    """The list's filters from query parameters (text), refusing what is not one of them."""
    raw_year = params.get("year") or ""
    try:
        year = int(raw_year) if raw_year else default_year
    except ValueError:
        raise InvalidInput("年度应为数字", code="invalid_year") from None
    rules.check_year(year)
    step = params.get("step") or None
    if step is not None and step not in LIST_STEPS:
        raise InvalidInput("评价环节不正确", code="invalid_rating_step")
    grade = params.get("grade") or None
    if grade is not None and grade not in GRADES:
        raise InvalidInput("等次不正确", code="invalid_grade")
    group = params.get("group_id") or None
    try:
        group_id = uuid.UUID(group) if group else None
    except ValueError:
        raise InvalidInput("代表小组不正确", code="invalid_group") from None
    q = (params.get("q") or "").strip() or None
    if q is not None and len(q) > MAX_QUERY:
        raise InvalidInput(f"姓名关键词不超过 {MAX_QUERY} 个字", code="query_too_long")
    truthy = ("1", "true", "on", "yes")
    return RatingFilter(
        year,
        step,
        grade,
        group_id,
        q,
        str(params.get("low") or "").lower() in truthy,
        str(params.get("advise_resign") or "").lower() in truthy,
    )


def _talk_status(rating_id: Any) -> Any:
    """The latest talk's status of a rating, as a column."""
    return (
        select(Talk.status)
        .where(Talk.rating_id == rating_id)
        .order_by(Talk.created_at.desc())
        .limit(1)
        .scalar_subquery()
    )


def list_statement(caller: DutyCaller, chosen: RatingFilter) -> Select[Any]:
    """The office's deputies of the year: every one with a live mandate, and anyone rated that year
    (a mandate ended since), with their rating if started. A group's leader sees their members only."""
    joined = and_(Rating.person_id == Person.id, Rating.year == chosen.year)
    query = (
        select(
            Rating.id,
            Person.id.label("person_id"),
            Person.name,
            people.group_name_of(Person.id).label("group_name"),
            func.coalesce(Rating.step, "none").label("step"),
            Rating.self_grade,
            Rating.group_grade,
            Rating.township_grade,
            Rating.grade,
            Rating.stars,
            Rating.points,
            func.coalesce(Rating.advise_resign, False).label("advise_resign"),
            _talk_status(Rating.id).label("talk_status"),
        )
        .select_from(Person)
        .outerjoin(Rating, joined)
        .where(or_(Rating.id.is_not(None), people.has_live_mandate(Person.id)))
        .order_by(Person.name_pinyin, Person.id)
    )
    if not caller.full:
        mine = Person.id == caller.person_id if caller.person_id is not None else Person.id.is_(None)
        led = people.led_by(Person.id, caller.person_id) if caller.person_id is not None else Person.id.is_(None)
        query = query.where(or_(mine, led))
    if chosen.leader_id is not None:
        query = query.where(people.led_by(Person.id, chosen.leader_id))
    if chosen.step == "none":
        query = query.where(Rating.id.is_(None))
    elif chosen.step is not None:
        query = query.where(Rating.step == chosen.step)
    if chosen.grade is not None:
        query = query.where(Rating.grade == chosen.grade)
    if chosen.low:
        query = query.where(Rating.grade.in_(LOW_GRADES))
    if chosen.advise_resign:
        query = query.where(Rating.advise_resign.is_(True))
    if chosen.group_id is not None:
        query = query.where(people.in_group(Person.id, chosen.group_id))
    if chosen.q:
        key = chosen.q.lower()
        query = query.where(
            or_(
                Person.name.contains(chosen.q, autoescape=True),
                Person.name_pinyin.startswith(key, autoescape=True),
                Person.name_initials.startswith(key, autoescape=True),
            )
        )
    return query


async def rows_out(session: AsyncSession, caller: DutyCaller, year: int, rows: list[Any]) -> list[RatingRow]:
    """Rows of the list; the points of a rating not yet decided are the year's as they stand."""
    undecided = [r.person_id for r in rows if r.points is None]
    current = await points_of(session, year, undecided) if undecided else {}
    found = []
    for r in rows:
        shows_all = caller.full or r.step == "published"
        points = r.points if r.points is not None else current[r.person_id].total
        found.append(
            RatingRow(
                id=r.id,
                person_id=r.person_id,
                name=r.name,
                group_name=r.group_name,
                step=r.step,
                step_label=LIST_STEPS[r.step],
                self_grade_label=labels.grade_label(r.self_grade),
                group_grade_label=labels.grade_label(r.group_grade) if shows_all else None,
                township_grade_label=labels.grade_label(r.township_grade) if shows_all else None,
                grade=r.grade if shows_all else None,
                grade_label=labels.grade_label(r.grade) if shows_all else None,
                stars=r.stars if shows_all else None,
                points=_number(points) if shows_all else None,
                advise_resign=bool(r.advise_resign) and caller.full,
                talk_status=r.talk_status if caller.full else None,
                talk_status_label=TALK_STATUSES[r.talk_status] if r.talk_status and caller.full else None,
            )
        )
    return found


async def list_ratings(
    session: AsyncSession, caller: DutyCaller, chosen: RatingFilter, page: int, page_size: int
) -> Page[RatingRow]:
    found = await paginate_rows(session, list_statement(caller, chosen), page, page_size)
    return Page(await rows_out(session, caller, chosen.year, list(found.items)), found.total, page, page_size)


# --- the counts --------------------------------------------------------------------------------------
async def overview(session: AsyncSession, year: int, today: date) -> Overview:
    window = await rules.window_of(session, year)
    by_step = dict(
        (
            await session.execute(select(Rating.step, func.count()).where(Rating.year == year).group_by(Rating.step))
        ).all()
    )
    live = await session.scalar(select(func.count()).select_from(Person).where(people.has_live_mandate(Person.id)))
    rated_live = await session.scalar(
        select(func.count()).select_from(Rating).where(Rating.year == year, people.has_live_mandate(Rating.person_id))
    )
    not_started = (live or 0) - (rated_live or 0)
    by_grade = dict(
        (
            await session.execute(
                select(Rating.grade, func.count())
                .where(Rating.year == year, Rating.grade.is_not(None))
                .group_by(Rating.grade)
            )
        ).all()
    )
    advise = await session.scalar(
        select(func.count()).select_from(Rating).where(Rating.year == year, Rating.advise_resign.is_(True))
    )
    steps = [Count("none", LIST_STEPS["none"], not_started)]
    steps += [Count(step, label, by_step.get(step, 0)) for step, label in RATING_STEPS.items()]
    return Overview(
        year=year,
        window=window_out(window, today),
        deputies=not_started + sum(by_step.values()),
        steps=steps,
        grades=[Count(g, label, by_grade.get(g, 0)) for g, label in GRADES.items()],
        advise_resign=advise or 0,
        talks_to_schedule=await _talks_to_schedule(session, year),
    )


def _needs_talk(year: int) -> Any:
    """Decided low, with no talk scheduled or held."""
    talked = exists().where(Talk.rating_id == Rating.id, Talk.status.in_(("scheduled", "held")))
    return and_(Rating.year == year, Rating.step.in_(("committee", "published")), Rating.grade.in_(LOW_GRADES), ~talked)


async def _talks_to_schedule(session: AsyncSession, year: int) -> int:
    return await session.scalar(select(func.count()).select_from(Rating).where(_needs_talk(year))) or 0


# --- the deputy's own page --------------------------------------------------------------------------------
async def mine(session: AsyncSession, caller: DutyCaller, person_id: uuid.UUID, today: date) -> MineOut:
    year = await rules.rating_year(session, today)
    window = await rules.window_of(session, year)
    ratings = list(
        (
            await session.execute(select(Rating).where(Rating.person_id == person_id).order_by(Rating.year.desc()))
        ).scalars()
    )
    current = next((r for r in ratings if r.year == year), None)
    state = window.state(today)
    reason = None
    if current is not None and current.step not in rules.AFTER["self"]:
        reason = f"本年度评价已进入“{RATING_STEPS[current.step]}”,自评不能再修改"
    elif state == "before":
        reason = f"{year}年度代表自评自{window.opens_on:%Y年%m月%d日}起开放"
    elif state == "closed":
        reason = f"{year}年度代表自评已于{window.closes_on:%Y年%m月%d日}截止"
    return MineOut(
        year=year,
        window=window_out(window, today),
        may_assess=reason is None,
        reason=reason,
        rating=await rating_out(session, caller, current) if current is not None else None,
        history=[await rating_out(session, caller, r) for r in ratings if r.year != year],
    )


# --- talks and the advice to resign ---------------------------------------------------------------------
async def talks_of_year(session: AsyncSession, year: int, status: str | None = None) -> list[TalkOut]:
    if status is not None and status not in TALK_STATUSES:
        raise InvalidInput("约谈状态不正确", code="invalid_talk_status")
    query = (
        select(Talk, Rating)
        .join(Rating, Rating.id == Talk.rating_id)
        .where(Rating.year == year)
        .order_by(Talk.scheduled_on, Talk.created_at)
    )
    if status is not None:
        query = query.where(Talk.status == status)
    rows = (await session.execute(query)).all()
    names = await people.names_of(session, [t.person_id for t, _ in rows])
    return [_talk_out(t, names.get(t.person_id, ""), r) for t, r in rows]


async def needing_talks(session: AsyncSession, year: int) -> list[tuple[uuid.UUID, str, str]]:
    """(rating id, name, grade) of the year's low ratings without a talk scheduled or held."""
    query = select(Rating.id, Person.name, Rating.grade).join(Person, Person.id == Rating.person_id)
    rows = (await session.execute(query.where(_needs_talk(year)).order_by(Person.name_pinyin))).all()
    return [(r.id, r.name, GRADES[r.grade]) for r in rows]


async def advise_resign(session: AsyncSession, year: int) -> list[AdviseResignRow]:
    """Deputies rated low this year and the year before (劝辞), for staff."""
    before = aliased(Rating)
    query = (
        select(
            Rating.id,
            Rating.person_id,
            Person.name,
            people.group_name_of(Person.id).label("group_name"),
            Rating.year,
            Rating.grade,
            before.grade.label("previous_grade"),
            Rating.points,
            _talk_status(Rating.id).label("talk_status"),
        )
        .join(Person, Person.id == Rating.person_id)
        .outerjoin(before, and_(before.person_id == Rating.person_id, before.year == Rating.year - 1))
        .where(Rating.year == year, Rating.advise_resign.is_(True))
        .order_by(Person.name_pinyin, Person.id)
    )
    return [
        AdviseResignRow(
            r.id,
            r.person_id,
            r.name,
            r.group_name,
            r.year,
            GRADES.get(r.grade, ""),
            GRADES.get(r.previous_grade, "") if r.previous_grade else "",
            _number(r.points),
            TALK_STATUSES[r.talk_status] if r.talk_status else None,
        )
        for r in (await session.execute(query)).all()
    ]
