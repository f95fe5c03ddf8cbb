"""Helpers of the star rating tests: the clock at a local time, the API's paths, what the office holds
of a rating (to show that a refused step changed nothing), the notices a user got."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import time_machine
from sqlalchemy import select

from renda.core.timezone import LOCAL_TZ
from renda.modules.duty.models import PointEntry, Rating, RatingStep, RatingWindow, Talk
from renda.modules.notifications.models import Notification
from renda.modules.organisation.models import DeputyGroup
from renda.tenants.scoping import load_tenant, tenant_session
from tests.modules.duty.support import ACTOR


def at(day: date, hour: int = 10, minute: int = 0, second: int = 0) -> time_machine.travel:
    """The clock at this Asia/Shanghai time (running on from there)."""
    moment = datetime(day.year, day.month, day.day, hour, minute, second, tzinfo=LOCAL_TZ)
    return time_machine.travel(moment, tick=True)


def ratings_api(code: str, tail: str = "") -> str:
    return f"/api/v1/t/{code}/duty/ratings{tail}"


async def state_of(code: str, person_ids: list[uuid.UUID]) -> list[Any]:
    """Everything the office holds of these deputies' ratings, and every window: equal before and after
    a refused call when it changed nothing."""
    async with tenant_session(await load_tenant(code), actor=ACTOR, read_only=True) as session:
        ratings = (
            await session.execute(select(Rating).where(Rating.person_id.in_(person_ids)).order_by(Rating.id))
        ).scalars()
        columns = ("id", "year", "step", "self_summary", "self_grade", "group_grade", "township_grade", "grade")
        columns += ("stars", "points", "advise_resign", "updated_at")
        rating_rows = [tuple(getattr(r, c) for c in columns) for r in ratings]
        ids = [row[0] for row in rating_rows]
        steps = (
            await session.execute(
                select(RatingStep.id, RatingStep.step, RatingStep.grade).where(RatingStep.rating_id.in_(ids))
            )
        ).all()
        talks = (
            await session.execute(
                select(Talk.id, Talk.status, Talk.scheduled_on, Talk.place, Talk.talker).where(Talk.rating_id.in_(ids))
            )
        ).all()
        windows = (
            await session.execute(
                select(
                    RatingWindow.year,
                    RatingWindow.opens_on,
                    RatingWindow.closes_on,
                    RatingWindow.published_at,
                    RatingWindow.public_list,
                )
            )
        ).all()
        return [rating_rows, sorted(steps), sorted(talks), sorted(windows)]


async def rating_row(code: str, year: int, person_id: uuid.UUID) -> Rating | None:
    async with tenant_session(await load_tenant(code), actor=ACTOR, read_only=True) as session:
        query = select(Rating).where(Rating.year == year, Rating.person_id == person_id)
        return (await session.execute(query)).scalar_one_or_none()


async def steps_of(code: str, rating_id: uuid.UUID) -> list[RatingStep]:
    async with tenant_session(await load_tenant(code), actor=ACTOR, read_only=True) as session:
        query = select(RatingStep).where(RatingStep.rating_id == rating_id).order_by(RatingStep.created_at)
        return list((await session.execute(query)).scalars())


async def notices(code: str, user_id: uuid.UUID, kind: str) -> list[Notification]:
    async with tenant_session(await load_tenant(code), actor=ACTOR, read_only=True) as session:
        query = (
            select(Notification)
            .where(Notification.user_id == user_id, Notification.kind == kind)
            .order_by(Notification.created_at)
        )
        return list((await session.execute(query)).scalars())


async def add_points(code: str, person_id: uuid.UUID, year: int, points: int, kind: str = "session") -> None:
    """A ledger entry (what the points part records from an event): the rating reads the total."""
    category = {"session": "meetings", "inspection": "activities", "key_suggestion": "bonus"}[kind]
    async with tenant_session(await load_tenant(code), actor=ACTOR) as session:
        session.add(
            PointEntry(
                year=year,
                person_id=person_id,
                category=category,
                event_kind=kind,
                source="duty_activity",
                source_id=uuid.uuid4(),
                source_label="测试",
                occurred_on=date(year, 5, 1),
                points=Decimal(points),
                created_by=ACTOR,
            )
        )
        await session.commit()


async def make_leader(code: str, group_id: uuid.UUID, person_id: uuid.UUID) -> None:
    async with tenant_session(await load_tenant(code), actor=ACTOR) as session:
        (await session.get_one(DeputyGroup, group_id)).leader_person_id = person_id
        await session.commit()


async def set_window(client, staff, code: str, year: int, opens_on: date, closes_on: date) -> None:
    body = {"year": year, "opens_on": opens_on.isoformat(), "closes_on": closes_on.isoformat()}
    response = await client.put(ratings_api(code, "/window"), json=body, headers=staff.headers)
    assert response.status_code == 200, response.text


async def assess(client, deputy, code: str, year: int, grade: str = "good", summary: str = "全年出席会议、进站接待。"):
    body = {"year": year, "summary": summary, "grade": grade}
    return await client.post(ratings_api(code, "/mine"), json=body, headers=deputy.headers)


async def step(client, caller, code: str, rating_id: uuid.UUID | str, name: str, grade: str, **extra: Any):
    body = {"step": name, "grade": grade, **extra}
    return await client.post(ratings_api(code, f"/{rating_id}/steps"), json=body, headers=caller.headers)


async def decide(client, staff, code: str, rating_id: uuid.UUID | str, grade: str, **extra: Any) -> None:
    """The group check, the township review and the committee's decision, each with `grade`."""
    for name in ("group", "township", "committee"):
        response = await step(client, staff, code, rating_id, name, grade, **(extra if name == "committee" else {}))
        assert response.status_code == 200, response.text
