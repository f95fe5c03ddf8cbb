"""What a deputy's archive of a year says, read from the records (一人一档).

The archive is a plain JSON document: while the year is open it is made again on each reading; at year
end it is frozen as it is in `duty_archives.content`, so it keeps what the records said then. Its
sections: the person and their mandates (the register), trainings with hours and activities with the
attendance status (duty's own tables), verified evidence, suggestions, receptions and contacts (the
ledger's entries: every event of another module has at least one entry, a 0-point one too), points
(`totals.points_of` and the entries) and the rating with its steps and talks.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from renda.core.db import read_rows, utcnow
from renda.core.timezone import to_local
from renda.modules.deputies import service as deputies
from renda.modules.deputies.models import END_REASONS, LEVEL_LABELS, STATUS_LABELS
from renda.modules.duty.models import (
    ACTIVITY_KINDS,
    ATTENDANCE_SOURCES,
    ATTENDANCE_STATUSES,
    AWARD_LEVELS,
    ENTRY_REASONS,
    EVENT_KINDS,
    EVIDENCE_KINDS,
    GRADES,
    POINT_CATEGORIES,
    RATING_STEPS,
    TALK_STATUSES,
    Activity,
    Attendance,
    Evidence,
    PointEntry,
    Rating,
    RatingStep,
    Talk,
)
from renda.modules.duty.totals import points_of

CONTENT_VERSION = 1
# The sections of an archive, in the order they are shown; a correction names one of them.
SECTIONS = {
    "person": "基本情况",
    "mandates": "代表资格",
    "trainings": "学习培训",
    "activities": "履职活动",
    "evidence": "履职佐证",
    "suggestions": "建议议案",
    "receptions": "进站接待选民",
    "contacts": "联系代表与列席会议",
    "points": "履职积分",
    "rating": "年度评价",
    "other": "其他",
}
# Events of other modules, by the section they go in (read from the ledger, never from their tables).
SUGGESTION_ROLES = {
    "suggestion_lead": "领衔",
    "suggestion_cosign": "联名",
    "motion_lead": "领衔(议案)",
    "key_suggestion": "列为重点建议",
}
DUTY_SOURCES = frozenset({"duty_activity", "duty_evidence"})  # in the archive from duty's own tables


def number(value: Decimal | int | None) -> str:
    """A point or hour figure as the archive writes it: 20, 2.5, -5."""
    if value is None:
        return ""
    text = f"{Decimal(value):f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _day(value: date | datetime | None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return to_local(value).date().isoformat()
    return value.isoformat()


def _moment(value: datetime | None) -> str:
    return to_local(value).strftime("%Y-%m-%d %H:%M") if value else ""


def _actor(actor: str) -> str:
    return actor.split(":", 2)[-1]


def serving_in(mandate: Any, year: int) -> bool:
    """The mandate was held at some time of the year."""
    ended = mandate.ended_on
    return mandate.starts_on <= date(year, 12, 31) and (ended is None or ended >= date(year, 1, 1))


async def generate(session: AsyncSession, office: str, person_id: uuid.UUID, year: int) -> dict[str, Any]:
    """The archive of `person_id`'s `year` as the records say now (the person must be of this office)."""
    profile = await deputies.profile(session, person_id)
    person = profile.person
    activities, trainings = await _attendance(session, person_id, year)
    evidence = await _evidence(session, person_id, year)
    entries = await _entries(session, person_id, year)
    events = _events(entries)
    trainings += [
        {
            "date": e["date"],
            "title": e["title"],
            "hours": e["hours"],
            "status_label": "已核实",
            "source_label": "佐证材料",
        }
        for e in evidence
        if e["kind"] == "training"
    ]
    trainings.sort(key=lambda t: t["date"])
    # Hours count for a training attended (present) or one whose evidence was verified.
    credited = [t.pop("counted", True) for t in trainings]
    hours = sum((Decimal(t["hours"]) for t, c in zip(trainings, credited, strict=True) if c and t["hours"]), Decimal(0))
    points = (await points_of(session, year, [person_id]))[person_id]
    content: dict[str, Any] = {
        "version": CONTENT_VERSION,
        "year": year,
        "office": office,
        "generated_at": _moment(utcnow()),
        "person": {
            "id": str(person.id),
            "name": person.name,
            "gender": deputies.GENDER_LABELS.get(person.gender, person.gender),
            "ethnicity": person.ethnicity or "",
            "party": person.party or "",
            "workplace": person.workplace or "",
            "position": person.position or "",
            "sector": person.sector or "",
            "groups": [g.name for g in profile.groups],
            "stations": [s.name for s in profile.stations],
        },
        "mandates": [
            {
                "congress": congress.name,
                "term": deputies.term_label(term.number),
                "level_label": LEVEL_LABELS.get(mandate.level, mandate.level),
                "constituency": mandate.constituency or mandate.electoral_unit or "",
                "status_label": STATUS_LABELS.get(mandate.status, mandate.status),
                "starts_on": _day(mandate.starts_on),
                "ended_on": _day(mandate.ended_on),
                "end_reason": END_REASONS.get(mandate.end_reason or "", ""),
            }
            for mandate, term, congress in profile.mandates
            if serving_in(mandate, year)
        ],
        "trainings": trainings,
        "training_hours": number(hours),
        "activities": activities,
        "evidence": evidence,
        "suggestions": events["suggestions"],
        "receptions": events["receptions"],
        "contacts": events["contacts"],
        "points": {
            "total": number(points.total),
            "base": number(points.base),
            "bonus": number(points.bonus),
            "categories": [
                {
                    "code": c.code,
                    "label": c.label,
                    "earned": number(c.earned),
                    "counted": number(c.counted),
                    "cap": number(c.cap),
                    "is_bonus": c.is_bonus,
                }
                for c in points.categories
            ],
            "entries": [
                {
                    "date": _day(e.occurred_on),
                    "kind_label": EVENT_KINDS.get(e.event_kind, e.event_kind),
                    "category_label": POINT_CATEGORIES.get(e.category, e.category),
                    "label": e.source_label,
                    "points": number(e.points),
                    "reason_label": ENTRY_REASONS.get(e.reason, e.reason),
                }
                for e in entries
            ],
        },
        "rating": await _rating(session, person_id, year),
    }
    content["summary"] = _summary(content)
    return content


async def _attendance(
    session: AsyncSession, person_id: uuid.UUID, year: int
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The year's activities the deputy's attendance was recorded at (cancelled ones left out): the
    trainings apart, with their hours credited when present."""
    query = (
        select(
            Activity.kind,
            Activity.title,
            Activity.place,
            Activity.starts_at,
            Activity.hours,
            Activity.organiser,
            Attendance.status,
            Attendance.source,
        )
        .join(Activity, Activity.id == Attendance.activity_id)
        .where(Attendance.person_id == person_id, Activity.year == year, Activity.status != "cancelled")
        .order_by(Activity.starts_at, Activity.title)
    )
    activities, trainings = [], []
    for row in await read_rows(session, query):
        item = {
            "date": _day(row.starts_at),
            "title": row.title,
            "status": row.status,
            "status_label": ATTENDANCE_STATUSES.get(row.status, row.status),
            "source_label": ATTENDANCE_SOURCES.get(row.source, row.source),
        }
        if row.kind == "training":
            present = row.status == "present"
            trainings.append({**item, "hours": number(row.hours) if present else "0", "counted": present})
        else:
            kind = {"kind_label": ACTIVITY_KINDS.get(row.kind, row.kind), "place": row.place or ""}
            activities.append({**item, **kind, "organiser": row.organiser or ""})
    return activities, trainings


async def _evidence(session: AsyncSession, person_id: uuid.UUID, year: int) -> list[dict[str, Any]]:
    query = (
        select(
            Evidence.kind,
            Evidence.title,
            Evidence.occurred_on,
            Evidence.hours,
            Evidence.award_level,
            Evidence.reviewed_at,
        )
        .where(Evidence.person_id == person_id, Evidence.year == year, Evidence.status == "verified")
        .order_by(Evidence.occurred_on, Evidence.title)
    )
    return [
        {
            "date": _day(row.occurred_on),
            "kind": row.kind,
            "kind_label": EVIDENCE_KINDS.get(row.kind, row.kind),
            "title": row.title,
            "hours": number(row.hours),
            "award_level_label": AWARD_LEVELS.get(row.award_level or "", ""),
            "verified_on": _day(row.reviewed_at),
        }
        for row in await read_rows(session, query)
    ]


async def _entries(session: AsyncSession, person_id: uuid.UUID, year: int) -> list[Any]:
    query = (
        select(
            PointEntry.id,
            PointEntry.category,
            PointEntry.event_kind,
            PointEntry.source,
            PointEntry.source_id,
            PointEntry.source_label,
            PointEntry.occurred_on,
            PointEntry.points,
            PointEntry.reason,
        )
        .where(PointEntry.person_id == person_id, PointEntry.year == year)
        .order_by(PointEntry.occurred_on, PointEntry.id)
    )
    return await read_rows(session, query)


def _events(entries: list[Any]) -> dict[str, list[dict[str, Any]]]:
    """The events of other modules, one per (source, record, kind), as the ledger says they are now: an
    event whose last entry reverses it is gone; its points are the sum of its entries."""
    by_event: dict[tuple[str, uuid.UUID, str], list[Any]] = defaultdict(list)
    for entry in entries:
        if entry.source not in DUTY_SOURCES:
            by_event[(entry.source, entry.source_id, entry.event_kind)].append(entry)
    found: dict[str, list[dict[str, Any]]] = {"suggestions": [], "receptions": [], "contacts": []}
    for (_, _, kind), rows in by_event.items():
        last = max(rows, key=lambda r: r.id)
        if last.reason == "reversal":
            continue
        item = {
            "date": _day(last.occurred_on),
            "label": last.source_label,
            "kind_label": EVENT_KINDS.get(kind, kind),
            "points": number(sum((r.points for r in rows), Decimal(0))),
        }
        if kind in SUGGESTION_ROLES:
            found["suggestions"].append({**item, "role": kind, "role_label": SUGGESTION_ROLES[kind]})
        elif kind == "reception":
            found["receptions"].append(item)
        else:
            found["contacts"].append(item)
    for items in found.values():
        items.sort(key=lambda i: (i["date"], i["label"]))
    return found


async def _rating(session: AsyncSession, person_id: uuid.UUID, year: int) -> dict[str, Any] | None:
    rating = (
        await session.execute(select(Rating).where(Rating.person_id == person_id, Rating.year == year))
    ).scalar_one_or_none()
    if rating is None:
        return None
    steps = (
        await session.execute(
            select(RatingStep).where(RatingStep.rating_id == rating.id).order_by(RatingStep.created_at, RatingStep.id)
        )
    ).scalars()
    talks = (
        await session.execute(select(Talk).where(Talk.rating_id == rating.id).order_by(Talk.scheduled_on, Talk.id))
    ).scalars()

    def grade(value: str | None) -> str:
        return GRADES.get(value or "", "")

    return {
        "step_label": RATING_STEPS.get(rating.step, rating.step),
        "grade_label": grade(rating.grade),
        "stars": rating.stars or 0,
        "self_grade_label": grade(rating.self_grade),
        "group_grade_label": grade(rating.group_grade),
        "township_grade_label": grade(rating.township_grade),
        "points": number(rating.points),
        "advise_resign": rating.advise_resign,
        "self_summary": rating.self_summary,
        "steps": [
            {
                "step_label": RATING_STEPS.get(s.step, s.step),
                "grade_label": grade(s.grade),
                "note": s.note,
                "actor": _actor(s.actor),
                "at": _moment(s.created_at),
            }
            for s in steps
        ],
        "talks": [
            {
                "date": _day(t.scheduled_on),
                "place": t.place,
                "talker": t.talker,
                "status_label": TALK_STATUSES.get(t.status, t.status),
                "note": t.note,
            }
            for t in talks
        ],
    }


def _summary(content: dict[str, Any]) -> dict[str, Any]:
    statuses = [a["status"] for a in content["activities"]]
    return {
        "present": statuses.count("present"),
        "leave": statuses.count("leave"),
        "absent": statuses.count("absent"),
        "trainings": len(content["trainings"]),
        "training_hours": content["training_hours"],
        "evidence": len(content["evidence"]),
        "suggestions_lead": sum(s["role"] in ("suggestion_lead", "motion_lead") for s in content["suggestions"]),
        "suggestions_cosign": sum(s["role"] == "suggestion_cosign" for s in content["suggestions"]),
        "receptions": len(content["receptions"]),
        "contacts": len(content["contacts"]),
        "points": content["points"]["total"],
        "grade": content["rating"]["grade_label"] if content["rating"] else "",
    }
