"""Telling deputies about their rating: the published grade, a reminder talk scheduled. Each notice
has a key naming its event, so telling it twice tells nobody twice; a deputy without an account on
the platform is not told."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from renda.modules.deputies import service as deputies
from renda.modules.duty import rating_people as people
from renda.modules.duty.models import Rating, Talk
from renda.modules.duty.rating_labels import grade_label, stars_text
from renda.modules.notifications import service as notifications


def mine_link(session: AsyncSession) -> str:
    return f"/t/{session.info['tenant_code']}/duty/ratings/mine"


async def tell_published(session: AsyncSession, ratings: Sequence[Rating]) -> None:
    person_ids = [r.person_id for r in ratings]
    users = await deputies.user_ids_of(session, person_ids)
    names = await people.names_of(session, person_ids)
    for rating in ratings:
        user = users.get(rating.person_id)
        if user is None:
            continue
        await notifications.notify(
            session,
            kind="duty_rating_published",
            event_key=f"duty-rating-published:{rating.id}",
            recipients=[user],
            variables={
                "name": names.get(rating.person_id, ""),
                "year": rating.year,
                "grade": grade_label(rating.grade) or "",
                "stars": stars_text(rating.stars),
                "points": rating.points if rating.points is not None else 0,
            },
            link=mine_link(session),
        )


async def tell_talk(session: AsyncSession, talk: Talk, rating: Rating) -> None:
    """The talk as scheduled now: a changed date, place or talker is a new notice."""
    user = (await deputies.user_ids_of(session, [talk.person_id])).get(talk.person_id)
    if user is None:
        return
    await notifications.notify(
        session,
        kind="duty_talk_scheduled",
        event_key=f"duty-talk:{talk.id}:{talk.scheduled_on.isoformat()}:{talk.place}:{talk.talker}"[:200],
        recipients=[user],
        variables={
            "name": (await people.names_of(session, [talk.person_id])).get(talk.person_id, ""),
            "year": rating.year,
            "grade": grade_label(rating.grade) or "",
            "date": f"{talk.scheduled_on:%Y年%m月%d日}",
            "place": talk.place or "另行通知的地点",
            "talker": talk.talker or "本机关负责同志",
        },
        link=mine_link(session),
    )
