"""The things deputies do, written straight into an office's schema for the points tests: activities and
attendance, evidence, suggestions and co-signers, receptions at a station, invited attendance at
committee meetings; and reading the ledger back.

Most tests price a year of their own (`YEAR`), which no job and no other test prices, and read only
their own deputies (fresh ones per test). Tests that save rules (only this year, last year and next
year may be edited) use offices of their own (`own_office`), so the rules they change change nothing
elsewhere.
"""

from __future__ import annotations

import random
import uuid
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from sqlalchemy import delete, func, select, update

from renda.core.timezone import LOCAL_TZ
from renda.modules.contacts.models import AttendanceMeeting, MeetingInvitation
from renda.modules.deputies.models import Mandate
from renda.modules.duty import ledger
from renda.modules.duty.models import Activity, Attendance, Evidence, PointEntry
from renda.modules.duty.totals import PersonPoints, points_of
from renda.modules.organisation.models import Station
from renda.modules.receptions.models import Reception, ReceptionDeputy
from renda.modules.suggestions.models import Suggestion, SuggestionCosigner
from renda.modules.units import service as units
from renda.tenants.scoping import load_tenant, tenant_session
from tests.conftest import ensure_tenant
from tests.modules.duty.support import ACTOR, DutyOffice, duty_office, unique
from tests.modules.organisation.support import fresh_term

YEAR = 2031
# Offices of their own for the tests that save rules or count a whole office: 宜昌市's other counties.
OWN_OFFICES = {
    "rules": ("420527", "宜昌市秭归县人大常委会"),
    "ledger": ("420528", "宜昌市长阳土家族自治县人大常委会"),
    "ranking": ("420529", "宜昌市五峰土家族自治县人大常委会"),
    "metrics": ("420581", "宜都市人大常委会"),
    "routes": ("420582", "当阳市人大常委会"),
    "watch": ("420583", "枝江市人大常委会"),
    "new_year": ("420502", "宜昌市西陵区人大常委会"),
}


_terms: dict[str, uuid.UUID] = {}


async def points_office(database, code: str, place: str, deputies: int = 3) -> DutyOffice:
    """`duty_office` with the people of these tests in one term per office for the run (an office has
    only 80 term numbers for the whole suite to take; these tests need fresh people, not terms)."""
    if code not in _terms:
        _terms[code] = await fresh_term(code)
    return await duty_office(database, code, place, deputies, term_id=_terms[code])


async def own_office(database, offices: dict[str, str], which: str) -> str:
    code, name = OWN_OFFICES[which]
    await ensure_tenant(database, code, name, "county", offices["city"])
    return code


def moment(day: date, hour: int = 9) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=LOCAL_TZ)


async def _session(code: str):
    return tenant_session(await load_tenant(code), actor=ACTOR)


# --- duty's own records -----------------------------------------------------------------------------
async def activity(
    code: str,
    kind: str = "inspection",
    *,
    on: date = date(YEAR, 3, 5),
    hours: Decimal | None = None,
    length: timedelta = timedelta(hours=3),
    status: str = "finished",
    title: str | None = None,
) -> uuid.UUID:
    async with await _session(code) as session:
        row = Activity(
            kind=kind,
            title=title or unique(f"{kind}活动"),
            starts_at=moment(on),
            ends_at=moment(on) + length,
            year=on.year,
            hours=hours,
            status=status,
            sign_in_secret=uuid.uuid4().hex,
            created_by=ACTOR,
        )
        session.add(row)
        await session.commit()
        return row.id


async def attend(code: str, activity_id: uuid.UUID, person_id: uuid.UUID, status: str = "present") -> None:
    async with await _session(code) as session:
        session.add(
            Attendance(activity_id=activity_id, person_id=person_id, status=status, source="list", recorded_by=ACTOR)
        )
        await session.commit()


async def set_attendance(code: str, activity_id: uuid.UUID, person_id: uuid.UUID, status: str | None) -> None:
    """Change a deputy's attendance; None deletes it (recorded by mistake)."""
    async with await _session(code) as session:
        row = (
            await session.execute(
                select(Attendance).where(Attendance.activity_id == activity_id, Attendance.person_id == person_id)
            )
        ).scalar_one()
        if status is None:
            await session.delete(row)
        else:
            row.status = status
        await session.commit()


async def set_activity(code: str, activity_id: uuid.UUID, **values) -> None:
    async with await _session(code) as session:
        row = await session.get_one(Activity, activity_id)
        for name, value in values.items():
            setattr(row, name, value)
        await session.commit()


async def evidence(
    code: str,
    person_id: uuid.UUID,
    kind: str = "training",
    *,
    on: date = date(YEAR, 4, 2),
    status: str = "verified",
    hours: Decimal | None = None,
    award_level: str | None = None,
    submitted_at: datetime | None = None,
    reviewed_at: datetime | None = None,
) -> uuid.UUID:
    async with await _session(code) as session:
        row = Evidence(
            person_id=person_id,
            year=on.year,
            kind=kind,
            title=unique(f"{kind}佐证"),
            occurred_on=on,
            hours=hours,
            award_level=award_level,
            status=status,
            submitted_by=ACTOR,
            submitted_at=submitted_at or moment(on),
            reviewed_by=None if status == "pending" else ACTOR,
            reviewed_at=reviewed_at if reviewed_at or status == "pending" else moment(on + timedelta(days=1)),
        )
        session.add(row)
        await session.commit()
        return row.id


async def set_evidence(code: str, evidence_id: uuid.UUID, **values) -> None:
    async with await _session(code) as session:
        row = await session.get_one(Evidence, evidence_id)
        for name, value in values.items():
            setattr(row, name, value)
        await session.commit()


# --- the other modules' records ---------------------------------------------------------------------
async def mandate_of(code: str, person_id: uuid.UUID) -> uuid.UUID:
    async with await _session(code) as session:
        return (await session.execute(select(Mandate.id).where(Mandate.person_id == person_id))).scalars().first()


async def suggestion(
    code: str,
    term_id: uuid.UUID,
    lead: uuid.UUID,
    *,
    status: str = "submitted",
    kind: str = "suggestion",
    year: int = YEAR,
    is_key: bool = False,
    key_chosen_at: datetime | None = None,
    cosigners: dict[uuid.UUID, str] | None = None,
) -> uuid.UUID:
    """A suggestion (or motion) of `lead` in `status`, with co-signers in theirs (person → status)."""
    async with await _session(code) as session:
        seq = (await session.execute(select(func.max(Suggestion.seq)).where(Suggestion.year == year))).scalar() or 0
        filed = None if status == "draft" else moment(date(year, 3, 1))
        row = Suggestion(
            year=year,
            seq=None if status == "draft" else seq + 1,
            kind=kind,
            term_id=term_id,
            lead_person_id=lead,
            lead_mandate_id=(await session.execute(select(Mandate.id).where(Mandate.person_id == lead))).scalar(),
            category="transport",
            title=unique("关于改善出行条件的建议"),
            content="建议加快公路硬化。",
            status=status,
            filed_at=filed,
            closed_at=moment(date(year, 6, 1)) if status == "closed" else None,
            is_key=is_key,
            key_chosen_at=key_chosen_at,
        )
        if status in ("assigned", "replied", "closed"):
            unit = await units.create_unit(session, True, units.UnitIn(name=unique("交通运输局")))
            row.lead_unit_id, row.assigned_at, row.deadline = unit.id, moment(date(year, 3, 10)), date(year, 6, 10)
        session.add(row)
        await session.flush()
        for person, cosign_status in (cosigners or {}).items():
            mandate = (await session.execute(select(Mandate.id).where(Mandate.person_id == person))).scalar()
            session.add(
                SuggestionCosigner(suggestion_id=row.id, person_id=person, mandate_id=mandate, status=cosign_status)
            )
        await session.commit()
        return row.id


async def set_suggestion(code: str, suggestion_id: uuid.UUID, **values) -> None:
    async with await _session(code) as session:
        row = await session.get_one(Suggestion, suggestion_id)
        for name, value in values.items():
            setattr(row, name, value)
        await session.commit()


async def set_cosigner(code: str, suggestion_id: uuid.UUID, person_id: uuid.UUID, status: str) -> None:
    async with await _session(code) as session:
        await session.execute(
            update(SuggestionCosigner)
            .where(SuggestionCosigner.suggestion_id == suggestion_id, SuggestionCosigner.person_id == person_id)
            .values(status=status)
        )
        await session.commit()


async def reception(code: str, person_ids: list[uuid.UUID], held_on: date = date(YEAR, 5, 10)) -> uuid.UUID:
    """A reception of the people at a fresh station, with these deputies present."""
    async with await _session(code) as session:
        station = Station(kind="liaison_station", name=unique("代表联络站"))
        session.add(station)
        await session.flush()
        row = Reception(
            station_id=station.id, held_on=held_on, visitor_name="来访群众", issue="反映道路问题", category="other"
        )
        session.add(row)
        await session.flush()
        session.add_all(ReceptionDeputy(reception_id=row.id, position=n, person_id=p) for n, p in enumerate(person_ids))
        await session.commit()
        return row.id


async def drop_reception(code: str, reception_id: uuid.UUID) -> None:
    async with await _session(code) as session:
        await session.execute(delete(ReceptionDeputy).where(ReceptionDeputy.reception_id == reception_id))
        await session.execute(delete(Reception).where(Reception.id == reception_id))
        await session.commit()


async def invitation(
    code: str, term_id: uuid.UUID, person_id: uuid.UUID, status: str = "attended", held_on: date = date(YEAR, 6, 20)
) -> uuid.UUID:
    """A standing-committee meeting the deputy was invited to sit in on, answered with `status`."""
    async with await _session(code) as session:
        meeting = AttendanceMeeting(
            term_id=term_id, number=random.randrange(1, 10**8), title=unique("常委会第N次会议"), held_on=held_on
        )
        session.add(meeting)
        await session.flush()
        session.add(MeetingInvitation(meeting_id=meeting.id, person_id=person_id, status=status))
        await session.commit()
        return meeting.id


# --- the ledger ----------------------------------------------------------------------------------------
async def reconcile(code: str, year: int = YEAR, persons: list[uuid.UUID] | None = None) -> ledger.ReconcileResult:
    async with await _session(code) as session:
        result = await ledger.reconcile(session, year, persons)
        await session.commit()
        return result


async def entries(code: str, persons: list[uuid.UUID], year: int = YEAR) -> list[PointEntry]:
    async with await _session(code) as session:
        query = (
            select(PointEntry).where(PointEntry.year == year, PointEntry.person_id.in_(persons)).order_by(PointEntry.id)
        )
        return list((await session.execute(query)).scalars())


async def totals(code: str, persons: list[uuid.UUID], year: int = YEAR) -> dict[uuid.UUID, PersonPoints]:
    async with await _session(code) as session:
        return await points_of(session, year, persons)


def utc(day: date) -> datetime:
    return datetime.combine(day, time(2), tzinfo=UTC)
