"""A deputy's year written straight into the duty tables and the ledger (as the activities, points and
rating parts would leave it), and reading a PDF page by page."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from renda.core.timezone import LOCAL_TZ
from renda.modules.duty.models import (
    Activity,
    Attendance,
    Evidence,
    PointEntry,
    Rating,
    RatingStep,
    Talk,
)
from renda.modules.duty.points_watch import QUIET
from renda.tenants.scoping import load_tenant, tenant_session
from tests.modules.duty.support import ACTOR
from tests.modules.portal.support import BFCHAR, BFRANGE, HEX, SHOWN, _streams, _unicode

YEAR = 2026


def at(day: date, hour: int = 9) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=LOCAL_TZ)


def activity(kind: str, title: str, day: date, *, hours: str | None = None, status: str = "finished") -> Activity:
    return Activity(
        kind=kind,
        title=title,
        place="县人大常委会会议室",
        starts_at=at(day),
        ends_at=at(day, 17),
        year=day.year,
        hours=Decimal(hours) if hours else None,
        organiser="县人大常委会代表工委",
        status=status,
        sign_in_secret=uuid.uuid4().hex,
        created_by=ACTOR,
    )


def entry(
    person_id: uuid.UUID,
    kind: str,
    category: str,
    points: str,
    label: str,
    day: date,
    *,
    source: str = "suggestion",
    source_id: uuid.UUID | None = None,
    reason: str = "event",
) -> PointEntry:
    return PointEntry(
        year=day.year,
        person_id=person_id,
        category=category,
        event_kind=kind,
        source=source,
        source_id=source_id or uuid.uuid4(),
        source_label=label,
        occurred_on=day,
        points=Decimal(points),
        reason=reason,
        created_by=ACTOR,
    )


@dataclass
class FilledYear:
    """What `fill_year` wrote, for the assertions."""

    person_id: uuid.UUID
    year: int
    reversed_label: str = "关于已撤回事项的建议"
    labels: dict[str, str] = field(default_factory=dict)


async def fill_year(
    code: str, person_id: uuid.UUID, year: int = YEAR, *, filler_entries: int = 0, rating: bool = True
) -> FilledYear:
    """The scenario's year of one deputy: the session (present), an inspection (absent), a research
    (on leave), a cancelled activity, a training signed in (3 h) and one verified by evidence (2 h),
    a pending evidence; a suggestion led (and made key), one co-signed (0 points), one undone; two
    receptions and an invited attendance; a rating decided with its steps and a talk. Plus
    `filler_entries` ledger lines (a long archive for the PDF's pages) and one entry of the year before."""
    filled = FilledYear(person_id, year)
    async with tenant_session(await load_tenant(code), actor=ACTOR) as session:
        # The ledger lines below stand for events of other modules that these tests do not make: no
        # reconcile may be asked for, or it would reverse them.
        session.info[QUIET] = True
        session_meeting = activity("session", f"{year}年县人民代表大会第五次会议", date(year, 1, 10))
        inspection = activity("inspection", "视察农村公路建设", date(year, 4, 8))
        research = activity("research", "调研义务教育均衡发展", date(year, 5, 12))
        cancelled = activity("themed_action", "已取消的主题活动", date(year, 6, 1), status="cancelled")
        training = activity("training", "代表履职能力专题培训", date(year, 6, 20), hours="3")
        session.add_all([session_meeting, inspection, research, cancelled, training])
        await session.flush()
        for act, status, source in (
            (session_meeting, "present", "list"),
            (inspection, "absent", "list"),
            (research, "leave", "list"),
            (cancelled, "present", "list"),
            (training, "present", "qr"),
        ):
            session.add(
                Attendance(activity_id=act.id, person_id=person_id, status=status, source=source, recorded_by=ACTOR)
            )
        session.add_all(
            [
                Evidence(
                    person_id=person_id,
                    year=year,
                    kind="training",
                    title="省人大代表学习班(线上)",
                    occurred_on=date(year, 7, 3),
                    hours=Decimal(2),
                    status="verified",
                    submitted_by=ACTOR,
                    reviewed_by=ACTOR,
                    reviewed_at=at(date(year, 7, 5)),
                ),
                Evidence(
                    person_id=person_id,
                    year=year,
                    kind="people",
                    title="尚未核实的走访记录",
                    occurred_on=date(year, 7, 9),
                    status="pending",
                    submitted_by=ACTOR,
                ),
            ]
        )
        led, cosigned, undone = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
        session.add_all(
            [
                entry(
                    person_id,
                    "session",
                    "meetings",
                    "20",
                    f"{year}年1月 出席县人民代表大会",
                    date(year, 1, 10),
                    source="duty_activity",
                    source_id=session_meeting.id,
                ),
                entry(
                    person_id,
                    "absence",
                    "activities",
                    "0",
                    f"{year}年4月 无故缺席:视察农村公路建设",
                    date(year, 4, 8),
                    source="duty_activity",
                    source_id=inspection.id,
                ),
                entry(
                    person_id,
                    "training",
                    "learning",
                    "3",
                    f"{year}年6月 培训:代表履职能力专题培训",
                    date(year, 6, 20),
                    source="duty_activity",
                    source_id=training.id,
                ),
                entry(
                    person_id,
                    "suggestion_lead",
                    "suggestions",
                    "5",
                    "关于硬化宝丰镇至溢水镇公路的建议",
                    date(year, 3, 2),
                    source_id=led,
                ),
                entry(
                    person_id,
                    "key_suggestion",
                    "bonus",
                    "3",
                    "关于硬化宝丰镇至溢水镇公路的建议",
                    date(year, 3, 20),
                    source_id=led,
                ),
                entry(
                    person_id,
                    "suggestion_cosign",
                    "suggestions",
                    "0",
                    "关于增设公交候车亭的建议",
                    date(year, 3, 5),
                    source_id=cosigned,
                ),
                entry(
                    person_id,
                    "suggestion_lead",
                    "suggestions",
                    "5",
                    filled.reversed_label,
                    date(year, 3, 6),
                    source_id=undone,
                ),
                entry(
                    person_id,
                    "suggestion_lead",
                    "suggestions",
                    "-5",
                    filled.reversed_label,
                    date(year, 3, 6),
                    source_id=undone,
                    reason="reversal",
                ),
                entry(
                    person_id,
                    "reception",
                    "people",
                    "2",
                    f"{year}年5月10日 城关镇代表联络站接待选民",
                    date(year, 5, 10),
                    source="reception",
                ),
                entry(
                    person_id,
                    "reception",
                    "people",
                    "2",
                    f"{year}年8月20日 城关镇代表联络站接待选民",
                    date(year, 8, 20),
                    source="reception",
                ),
                entry(
                    person_id,
                    "invited_attendance",
                    "meetings",
                    "2",
                    "列席县人大常委会第十八次会议",
                    date(year, 9, 28),
                    source="contact_meeting",
                ),
                entry(
                    person_id,
                    "session",
                    "meetings",
                    "20",
                    "上一年度的会议",
                    date(year - 1, 1, 12),
                    source="duty_activity",
                ),
            ]
        )
        session.add_all(
            entry(
                person_id,
                "people",
                "people",
                "0.5",
                f"走访群众记录第{n}次(用于分页)",
                date(year, 10, 1 + n % 28),
                source="contact_record",
            )
            for n in range(filler_entries)
        )
        if rating:
            await add_rating(session, person_id, year)
        await session.commit()
    return filled


async def add_rating(session: AsyncSession, person_id: uuid.UUID, year: int) -> None:
    """The year's rating decided 基本称职 by the committee, its four steps and a reminder talk."""
    rating = Rating(
        year=year,
        person_id=person_id,
        step="committee",
        self_summary="认真履职",
        self_grade="good",
        group_grade="competent",
        township_grade="basic",
        grade="basic",
        stars=2,
        points=Decimal("57"),
        advise_resign=False,
    )
    session.add(rating)
    await session.flush()
    for n, (step, grade) in enumerate(
        (("self", "good"), ("group", "competent"), ("township", "basic"), ("committee", "basic"))
    ):
        session.add(
            RatingStep(
                rating_id=rating.id,
                step=step,
                grade=grade,
                note=f"第{n + 1}步意见",
                actor=f"user:x:评议人{n}",
                created_at=at(date(year, 12, 1 + n)),
            )
        )
    session.add(
        Talk(
            rating_id=rating.id,
            person_id=person_id,
            scheduled_on=date(year, 12, 20),
            place="代表工委办公室",
            talker="王主任",
            created_by=ACTOR,
        )
    )


# --- a PDF page by page ----------------------------------------------------------------------------
PAGE_OBJECTS = re.compile(rb"/Type\s*/Page(?!s)\b")


def pdf_pages(pdf: bytes) -> list[str]:
    """The text of each content stream that shows text (WeasyPrint writes one per page), in order,
    decoded through the embedded font's ToUnicode map like `tests.modules.portal.support.pdf_text`."""
    streams = _streams(pdf)
    cmap: dict[int, str] = {}
    for stream in streams:
        for block in BFCHAR.findall(stream):
            pairs = HEX.findall(block)
            for src, dst in zip(pairs[::2], pairs[1::2], strict=False):
                cmap[int(src, 16)] = _unicode(dst)
        for block in BFRANGE.findall(stream):
            for line in block.strip().splitlines():
                parts = HEX.findall(line)
                if len(parts) == 3:
                    low, high, dst = int(parts[0], 16), int(parts[1], 16), _unicode(parts[2])
                    for offset in range(high - low + 1):
                        cmap[low + offset] = dst[:-1] + chr(ord(dst[-1]) + offset)
    pages = []
    for stream in streams:
        if b"BT" not in stream or b"beginbfchar" in stream or b"beginbfrange" in stream:
            continue
        text = []
        for array, single in SHOWN.findall(stream):
            for chunk in HEX.findall(array) if array else [single]:
                codes = chunk.decode()
                text.extend(cmap.get(int(codes[i : i + 4], 16), "") for i in range(0, len(codes), 4))
        if text:
            pages.append("".join(text))
    return pages


def pdf_page_count(pdf: bytes) -> int:
    """How many page objects the PDF has (in its body or its compressed object streams)."""
    return len(PAGE_OBJECTS.findall(pdf + b"".join(_streams(pdf))))
