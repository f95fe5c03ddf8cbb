"""A county office with work waiting in every module, for the workbench tests: made with the other modules'
test builders and straight in the office's schema, each row in the state whose count it checks.

Offices (only these codes): 长沙市 430100 (city) with its counties 430102–430112 (one per test, since a
staff card counts the whole office), each county with two townships whose figures the viewer compares.
Dates are derived from today, never written out: the cards read "overdue" and "this quarter" from it.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import update

from renda.core.db import get_database, utcnow
from renda.core.timezone import local_today
from renda.modules.contacts.models import ContactAssignment, ContactRecord, RecordDeputy
from renda.modules.deputies.models import Person
from renda.modules.duty.models import Evidence
from renda.modules.exports.models import Export
from renda.modules.opinions.common import new_ticket
from renda.modules.opinions.models import Opinion
from renda.modules.organisation.models import DeputyGroup, Station, StationAssignment
from renda.modules.receptions.models import RosterEntry
from renda.modules.rollups.models import RollupFigure
from renda.modules.suggestions.models import SuggestionRequest
from renda.tenants.scoping import load_tenant, tenant_session
from tests.conftest import Caller, ensure_tenant, make_caller
from tests.modules.contacts import support as contacts
from tests.modules.duty.support_store import give_points
from tests.modules.suggestions import support as suggestions

ACTOR = "system:test:工作台"
CITY = "430100"
TODAY = local_today()
YEAR = TODAY.year


def unique(label: str) -> str:
    return f"{label}{uuid.uuid4().hex[:6]}"


async def county(database, code: str, place: str) -> str:
    """A county of 长沙市 (`place`: 芙蓉区) with two townships (codes <county>100 and <county>101)."""
    await ensure_tenant(database, CITY, "长沙市人大常委会", "city", None)
    await ensure_tenant(database, code, f"长沙市{place}人大常委会", "county", CITY)
    await ensure_tenant(database, f"{code}100", f"{place}城关街道人大工委", "township", code)
    await ensure_tenant(database, f"{code}101", f"{place}新河街道人大工委", "township", code)
    return code


@dataclass
class Office:
    code: str
    staff: Caller
    viewer: Caller
    committee: Caller
    deputy: Caller
    deputy_person: uuid.UUID
    unit_user: Caller
    unit_id: uuid.UUID
    admin: Caller | None = None
    # What each card must show: the labels of the items made to appear, and of those that must not.
    shown: dict[str, list[str]] = field(default_factory=dict)
    hidden: list[str] = field(default_factory=list)


async def _write(code: str, *rows: object) -> None:
    async with tenant_session(await load_tenant(code), actor=ACTOR) as session:
        session.add_all(rows)
        await session.commit()


def _opinion(content: str, status: str, **fields: object) -> Opinion:
    if status in ("closed", "duplicate", "escalated"):
        fields.setdefault("closed_at", utcnow())
    return Opinion(ticket=new_ticket(), source="staff", content=content, status=status, **fields)


async def busy_office(database, code: str, place: str, marker: str = "") -> Office:
    """Work waiting in every card of every role; `marker` starts every label (to find another office's)."""
    # Contacts first: its fresh term ends every live mandate of the office.
    term = await contacts.fresh_term(code)
    loop = await suggestions.office(database, code, place)
    office = Office(
        code,
        loop.staff,
        loop.viewer,
        loop.committee,
        loop.deputy,
        loop.deputy_person,
        loop.unit_user,
        loop.unit_id,
        admin=await make_caller(database, f"{place}机关管理员", {code: ["office_admin"]}),
    )
    shown, hidden = office.shown, office.hidden

    def label(text: str) -> str:
        return f"{marker}{text}{uuid.uuid4().hex[:4]}"

    # --- opinions: two received (one addressed to the deputy), one overdue at the unit (addressed to the
    # deputy), one assigned in time, one answered, one closed (not waiting).
    received, addressed, late, in_time, answered, closed = (
        label(t) for t in ("路灯不亮", "班车太少", "屋顶漏水", "道路坑洼", "水压不足", "已办结的意见")
    )
    await _write(
        code,
        _opinion(received, "received"),
        _opinion(addressed, "received", deputy_person_id=office.deputy_person),
        _opinion(
            late,
            "assigned",
            unit_id=office.unit_id,
            deputy_person_id=office.deputy_person,
            assigned_at=utcnow() - timedelta(days=20),
            deadline=TODAY - timedelta(days=4),
        ),
        _opinion(in_time, "assigned", unit_id=office.unit_id, assigned_at=utcnow(), deadline=TODAY + timedelta(days=9)),
        _opinion(answered, "answered", unit_id=office.unit_id, answer="已修复", answered_at=utcnow()),
        _opinion(closed, "closed", deputy_person_id=office.deputy_person),
    )
    shown["opinions"] = [received, addressed, late, answered]  # assigned in time: the unit's work
    shown["my-opinions"] = [addressed, late]
    shown["unit-opinions"] = [late, in_time]
    hidden.append(closed)

    # --- suggestions: two awaiting intake, one overdue at the unit, one in time, one reply to rate, one
    # whose rating window closed yesterday, one closed; one pending request of the unit.
    titles = {
        k: label(t)
        for k, t in {
            "submitted": "关于增设公交站点的建议",
            "submitted2": "关于改善农村饮水的建议",
            "late": "关于修缮中学校舍的建议",
            "in_time": "关于增加停车位的建议",
            "to_rate": "关于整治河道的建议",
            "window_closed": "关于路灯改造的建议",
            "closed": "关于已办结事项的建议",
        }.items()
    }
    await suggestions.make_suggestion(loop, status="submitted", title=titles["submitted"])
    await suggestions.make_suggestion(loop, status="submitted", title=titles["submitted2"])
    overdue = await suggestions.make_suggestion(
        loop, status="assigned", title=titles["late"], deadline=TODAY - timedelta(days=2)
    )
    await suggestions.make_suggestion(
        loop, status="assigned", title=titles["in_time"], deadline=TODAY + timedelta(days=30)
    )
    await suggestions.make_suggestion(
        loop,
        status="replied",
        title=titles["to_rate"],
        replied_at=datetime.now(UTC),
        rating_due=TODAY + timedelta(days=10),
    )
    await suggestions.make_suggestion(
        loop, status="replied", title=titles["window_closed"], rating_due=TODAY - timedelta(days=1)
    )
    await suggestions.make_suggestion(loop, status="closed", title=titles["closed"])
    await _write(
        code,
        SuggestionRequest(
            suggestion_id=overdue.id,
            unit_id=office.unit_id,
            kind="extension",
            reason="需要协调资金",
            new_deadline=TODAY + timedelta(days=60),
            requested_by=ACTOR,
        ),
    )
    shown["suggestions"] = [titles[k] for k in ("submitted", "submitted2", "late", "in_time")]
    shown["my-ratings"] = [titles["to_rate"]]
    shown["unit-suggestions"] = [titles["late"], titles["in_time"]]
    hidden += [titles["window_closed"], titles["closed"]]

    # --- contacts: two members of the current term, the first the committee member's seat; each fixed
    # to two deputies; the first has contacted one of them this quarter (behind), the second both.
    member_names = [label("委员甲"), label("委员乙")]
    first, second = await contacts.members(term, 2, user_ids=[office.committee.user_id], names=member_names)
    deputies = await contacts.deputies(term, 4)
    waiting_name = await _person_name(code, deputies[1])
    await _write(
        code,
        *(
            ContactAssignment(term_id=term.term_id, committee_member_id=member, person_id=person)
            for member, person in zip((first, first, second, second), deputies, strict=True)
        ),
    )
    for member, name, persons in ((first, member_names[0], deputies[:1]), (second, member_names[1], deputies[2:])):
        record = ContactRecord(
            term_id=term.term_id,
            committee_member_id=member,
            member_name=name,
            contacted_on=TODAY,
            mode="call",
            topics="了解代表履职情况",
            recorded_by=ACTOR,
        )
        await _write(code, record)
        await _write(code, *(RecordDeputy(record_id=record.id, person_id=p) for p in persons))
    shown["contacts"] = [member_names[0]]
    shown["my-contacts"] = [waiting_name]
    hidden.append(member_names[1])

    # --- organisation: an active station and a group without deputies; a station in use with one; an
    # inactive station without (not waiting).
    empty_station, empty_group, inactive = label("空站"), label("空小组"), label("停用站")
    used = Station(kind="liaison_station", name=label("联络站"), address="城关镇人民路 8 号", reception_days=[10, 20])
    await _write(
        code,
        Station(kind="liaison_station", name=empty_station),
        Station(kind="workroom", name=inactive, is_active=False),
        DeputyGroup(kind="professional", name=empty_group),
        used,
    )
    await _write(code, StationAssignment(station_id=used.id, person_id=office.deputy_person))
    shown["rosters"] = [empty_station, empty_group]
    hidden.append(inactive)

    # --- receptions: the deputy rostered in three days and in ten, and yesterday (past: not waiting).
    await _write(
        code,
        *(
            RosterEntry(station_id=used.id, day=TODAY + timedelta(days=n), person_id=office.deputy_person)
            for n in (3, 10, -1)
        ),
    )
    shown["my-receptions"] = [used.name]

    # --- evidence: two pending (the older first), one verified.
    pending = [label("培训佐证"), label("视察佐证")]
    verified = label("已核实佐证")
    # The verified one is of last year: it earns no points this year, whenever the ledger catches up.
    evidence = ((pending[0], "pending", 3), (pending[1], "pending", 1), (verified, "verified", 5))
    await _write(
        code,
        *(
            Evidence(
                person_id=office.deputy_person,
                year=YEAR if status == "pending" else YEAR - 1,
                kind="training",
                title=title,
                occurred_on=TODAY if status == "pending" else date(YEAR - 1, 6, 1),
                hours=Decimal(4),
                status=status,
                submitted_by=ACTOR,
                submitted_at=utcnow() - timedelta(days=days),
            )
            for title, status, days in evidence
        ),
    )
    shown["evidence"] = pending
    hidden.append(verified)

    # --- exports: one failed today, one failed 40 days ago (too old), an import's error report, one done.
    await _write(
        code,
        Export(kind="audit_log", status="failed", requested_by=f"user:x:{place}工作人员", error="boom"),
        Export(
            kind="opinions",
            status="failed",
            requested_by=ACTOR,
            created_at=utcnow() - timedelta(days=40),
            updated_at=utcnow() - timedelta(days=40),
        ),
        Export(kind="register_import_errors", status="done", requested_by=ACTOR, content=b"x", filename="r.xlsx"),
        Export(kind="audit_log", status="done", requested_by=ACTOR, content=b"x", filename="d.xlsx"),
    )

    # --- points: 12.5 this year.
    await give_points(code, office.deputy_person, YEAR, "12.5")
    return office


async def _person_name(code: str, person_id: uuid.UUID) -> str:
    async with tenant_session(await load_tenant(code), actor=ACTOR) as session:
        return (await session.get_one(Person, person_id)).name


async def link_user(code: str, person_id: uuid.UUID, user_id: uuid.UUID) -> None:
    async with tenant_session(await load_tenant(code), actor=ACTOR) as session:
        await session.execute(update(Person).where(Person.id == person_id).values(user_id=user_id))
        await session.commit()


async def figures(code: str, values: dict[str, int], year: int = YEAR) -> None:
    """An office's totals of the year in the rollups (as the workers would have written them)."""
    async with get_database().platform_session() as session:
        session.add_all(
            RollupFigure(
                office_code=code,
                metric=metric,
                period=str(year),
                scope=scope,
                dimension="",
                member="",
                value=value,
                computed_at=utcnow(),
            )
            for metric, value in values.items()
            for scope in ("own", "total")
        )
        await session.commit()


async def township_figures(code: str) -> tuple[str, str]:
    """The county's two townships: the first falls behind (opinions overdue, contacts not all covered),
    the second keeps up; returns their codes."""
    behind, keeping_up = f"{code}100", f"{code}101"
    await figures(
        behind,
        {
            "opinions.overdue": 3,
            "contacts.deputies_to_cover": 10,
            "contacts.deputies_covered": 6,
            "suggestions.assigned": 4,
            "suggestions.answered": 1,
        },
    )
    await figures(
        keeping_up,
        {
            "opinions.overdue": 0,
            "contacts.deputies_to_cover": 8,
            "contacts.deputies_covered": 8,
            "suggestions.assigned": 2,
            "suggestions.answered": 2,
            "receptions.held": 5,
        },
    )
    return behind, keeping_up


def day(value: date) -> str:
    return value.isoformat()
