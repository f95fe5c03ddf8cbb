"""The demo's activities and evidence in 石泉县: the congress session (two months ago, or when the
term began) with everyone's attendance (one on leave), an inspection last week (one absent), a training
next week, and the demo deputy 王建国's pending evidence of a training, for staff to verify. Seeded once."""

from __future__ import annotations

import uuid
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from sqlalchemy import func, select

from renda.core.timezone import LOCAL_TZ, local_today
from renda.modules.deputies.models import Mandate, Person
from renda.modules.duty.activities import new_secret
from renda.modules.duty.attendance import serving_on
from renda.modules.duty.models import Activity, Attendance, Evidence
from renda.tenants.scoping import load_tenant, tenant_session

OFFICE = "610922"
ACTOR = "system:demo:演示数据"
ORGANISER = "石泉县人大常委会代表工作委员会"
SEEDED_ACTIVITIES = 3  # the session, the inspection and the training
FIRST_DEPUTIES = 12  # demo_register's hand-written deputies, 王建国 among them


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), LOCAL_TZ)


async def seed_activities() -> None:
    tenant = await load_tenant(OFFICE)
    today = local_today()
    async with tenant_session(tenant, actor=ACTOR) as session:
        if await session.scalar(select(func.count()).select_from(Activity)):
            return
        # The register's first (hand-written) deputies in name order, then the other county deputies:
        # the whole county congress sits in the session.
        query = select(Person.id, Person.name, Person.name_pinyin).where(serving_on(today))
        first = sorted(
            (await session.execute(query.order_by(Person.created_at, Person.id).limit(FIRST_DEPUTIES))).all(),
            key=lambda d: d.name_pinyin,
        )
        county = select(Mandate.id).where(Mandate.person_id == Person.id, Mandate.level == "county").exists()
        rest = (
            await session.execute(
                query.where(county, Person.id.not_in([d.id for d in first])).order_by(Person.name_pinyin)
            )
        ).all()
        deputies = first + rest
        if not deputies:
            return  # the register's demo data is not there
        # The session after the deputies' term began (the demo register's began on 1 October 2026).
        began = await session.scalar(
            select(func.max(Mandate.starts_on)).where(Mandate.person_id.in_([d.id for d in deputies]))
        )
        session_day = max(today - timedelta(days=60), began or today)
        inspection_day, training_day = today - timedelta(days=7), today + timedelta(days=7)
        congress = _activity("session", "石泉县第十九届人民代表大会第一次会议", session_day, 9, 66, "县人民会堂")
        inspection = _activity("inspection", "视察城关镇农贸市场改造", inspection_day, 9, 2.5, "城关镇农贸市场")
        training = _activity("training", "县人大代表履职能力提升培训", training_day, 9, 6, "县委党校", hours=Decimal(6))
        session.add_all([congress, inspection, training])
        await session.flush()
        for index, deputy in enumerate(deputies):
            status = "leave" if index == 1 else "present"
            session.add(_attendance(congress, deputy.id, status, "因病请假" if status == "leave" else ""))
        for index, deputy in enumerate(deputies[:4]):
            session.add(_attendance(inspection, deputy.id, "absent" if index == 3 else "present", ""))
        wang = next((d.id for d in deputies if d.name == "王建国"), None)
        if wang is not None:
            occurred = today - timedelta(days=10)
            session.add(
                Evidence(
                    person_id=wang,
                    year=occurred.year,
                    kind="training",
                    title="参加省人大代表履职能力提升培训",
                    description="在省人大常委会培训中心参加为期一天的履职能力提升培训,已取得结业证书。",
                    occurred_on=occurred,
                    hours=Decimal(6),
                    status="pending",
                    submitted_by=ACTOR,
                )
            )
        await session.commit()


def _activity(
    kind: str, title: str, day: date, hour: int, length_hours: float, place: str, hours: Decimal | None = None
) -> Activity:
    starts_at = _at(day, hour)
    return Activity(
        kind=kind,
        title=title,
        place=place,
        organiser=ORGANISER,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=length_hours),
        year=day.year,
        hours=hours,
        status="planned",
        sign_in_secret=new_secret(),
        created_by=ACTOR,
    )


def _attendance(activity: Activity, person_id: uuid.UUID, status: str, note: str) -> Attendance:
    return Attendance(
        activity_id=activity.id,
        person_id=person_id,
        status=status,
        source="list",
        note=note,
        recorded_by=ACTOR,
        recorded_at=activity.ends_at,
    )
