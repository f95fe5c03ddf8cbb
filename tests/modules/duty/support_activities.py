"""Helpers of the activity and evidence tests: the API's address, a pinned clock, an activity's body, and
a count of everything these tests write (to prove a refused request left it as it was)."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

import time_machine
from sqlalchemy import func, select

from renda.core.timezone import LOCAL_TZ
from renda.modules.duty.models import Activity, Attendance, Evidence, EvidenceFile
from renda.tenants.scoping import load_tenant, tenant_session
from tests.modules.duty.support import ACTOR, DutyOffice, duty_office
from tests.modules.organisation.support import fresh_term

# A Monday in May: the inspection of the tests runs 09:00–11:30 Beijing time.
START = datetime(2027, 5, 10, 9, 0, tzinfo=LOCAL_TZ)
END = START + timedelta(hours=2, minutes=30)
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000001e221bc330000000049454e44ae426082"
)
PDF = b"%PDF-1.4\n%%EOF\n"
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 32


_terms: dict[str, uuid.UUID] = {}


async def activity_office(database, code: str, place: str, deputies: int = 3) -> DutyOffice:
    """`duty_office` with the office's people of these tests in one term for the run: an office has only
    80 term numbers for the tests to take, and these tests need fresh people, not fresh terms."""
    if code not in _terms:
        _terms[code] = await fresh_term(code)
    return await duty_office(database, code, place, deputies, term_id=_terms[code])


def api(code: str) -> str:
    return f"/api/v1/t/{code}/duty"


def pages(code: str) -> str:
    return f"/t/{code}/duty"


def at(moment: datetime) -> time_machine.travel:
    """The clock at `moment` (Beijing time), running on from there."""
    return time_machine.travel(moment, tick=True)


def activity_body(**fields: Any) -> dict[str, Any]:
    body = {
        "kind": "inspection",
        "title": "视察城区农贸市场改造",
        "starts_at": START.isoformat(),
        "ends_at": END.isoformat(),
        "place": "城关镇农贸市场",
    }
    return body | fields


async def new_activity(client, office, **fields: Any) -> dict[str, Any]:
    made = await client.post(
        f"{api(office.code)}/activities", json=activity_body(**fields), headers=office.staff.headers
    )
    assert made.status_code == 201, made.text
    return made.json()


async def sign_in_token(client, office, activity_id: str) -> str:
    code = await client.get(f"{api(office.code)}/activities/{activity_id}/sign-in-code", headers=office.staff.headers)
    assert code.status_code == 200, code.text
    return code.json()["url"].rsplit("/", 1)[1]


async def duty_state(code: str) -> dict[str, int]:
    """How many activities, attendance rows, evidence and files the office holds, and of which status."""
    async with tenant_session(await load_tenant(code), actor=ACTOR, read_only=True) as session:
        counts = {}
        for name, query in (
            ("activities", select(func.count()).select_from(Activity)),
            ("cancelled", select(func.count()).where(Activity.status == "cancelled")),
            ("attendance", select(func.count()).select_from(Attendance)),
            ("present", select(func.count()).where(Attendance.status == "present")),
            ("evidence", select(func.count()).select_from(Evidence)),
            ("verified", select(func.count()).where(Evidence.status == "verified")),
            ("files", select(func.count()).select_from(EvidenceFile)),
        ):
            counts[name] = int(await session.scalar(query) or 0)
        return counts


async def attendance_of(code: str, activity_id: str) -> dict[uuid.UUID, tuple[str, str]]:
    """Person → (status, source) recorded at the activity."""
    async with tenant_session(await load_tenant(code), actor=ACTOR, read_only=True) as session:
        rows = await session.execute(
            select(Attendance.person_id, Attendance.status, Attendance.source).where(
                Attendance.activity_id == uuid.UUID(activity_id)
            )
        )
        return {r.person_id: (r.status, r.source) for r in rows}


def refused(response, status: int, code: str) -> None:
    assert response.status_code == status, (response.status_code, response.text)
    body = response.json()
    assert body["code"] == code and body["message"], body


async def seed_activities(code: str, marker: str, person_id: uuid.UUID | str) -> dict[str, str]:
    """One object of every kind an activity or evidence route addresses by id, in office `code` (for the
    isolation tests: `activity_id`, `evidence_id`, `file_id`), each holding `marker`."""
    from renda.modules.duty.models import Activity, Attendance, Evidence, EvidenceFile

    person = uuid.UUID(str(person_id))
    async with tenant_session(await load_tenant(code), actor=ACTOR) as session:
        activity = Activity(
            kind="inspection",
            title=marker,
            place=marker,
            organiser=marker[:100],
            starts_at=START,
            ends_at=END,
            year=START.year,
            status="planned",
            sign_in_secret=uuid.uuid4().hex,
            created_by=ACTOR,
        )
        evidence = Evidence(
            person_id=person,
            year=START.year,
            kind="other",
            title=marker,
            description=marker,
            occurred_on=START.date(),
            status="pending",
            submitted_by=ACTOR,
        )
        session.add_all([activity, evidence])
        await session.flush()
        attendance = Attendance(
            activity_id=activity.id,
            person_id=person,
            status="present",
            source="list",
            note=marker[:200],
            recorded_by=ACTOR,
        )
        file = EvidenceFile(
            evidence_id=evidence.id, filename=f"{marker}.png", content_type="image/png", size=len(PNG), content=PNG
        )
        session.add_all([attendance, file])
        await session.commit()
        return {"activity_id": str(activity.id), "evidence_id": str(evidence.id), "file_id": str(file.id)}
