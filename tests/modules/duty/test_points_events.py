"""The events that earn points, found where they are recorded: duty's own attendance and evidence, and
the suggestions, receptions and invited attendance of the other modules (through their facades)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from renda.modules.duty.events import collect_events, event_kind
from renda.tenants.scoping import load_tenant, tenant_session
from tests.modules.duty.support import ACTOR
from tests.modules.duty.support_points import (
    YEAR,
    activity,
    attend,
    evidence,
    invitation,
    moment,
    points_office,
    reception,
    suggestion,
)


async def events_of(code: str, persons, year: int = YEAR) -> set[tuple]:
    async with tenant_session(await load_tenant(code), actor=ACTOR, read_only=True) as session:
        found = await collect_events(session, year, persons)
    return {(e.person_id, e.event_kind, e.quantity) for e in found}


def test_what_a_source_row_is_worth() -> None:
    assert event_kind("duty_activity", "session:present") == "session"
    assert event_kind("duty_activity", "session:leave") == "session_leave"
    assert event_kind("duty_activity", "session:absent") == "absence"
    assert event_kind("duty_activity", "inspection:absent") == "absence"
    assert event_kind("duty_activity", "inspection:leave") is None  # on leave from an activity: nothing
    assert event_kind("duty_activity", "other:present") == "other_activity"
    assert event_kind("duty_evidence", "award:city") == "award_city"
    assert event_kind("duty_evidence", "award:") is None  # an award without a level cannot be priced
    assert event_kind("duty_evidence", "people:") == "people"
    assert event_kind("suggestion", "lead:motion") == "motion_lead"
    assert event_kind("suggestion", "key") == "key_suggestion"


async def test_attendance_becomes_events_by_kind_and_status(database, offices) -> None:
    office = await points_office(database, offices["a"], "远安", deputies=3)
    a, b, c = office.persons
    session = await activity(office.code, "session")
    for person, status in ((a, "present"), (b, "leave"), (c, "absent")):
        await attend(office.code, session, person, status)
    inspection = await activity(office.code, "inspection")
    for person, status in ((a, "present"), (b, "leave"), (c, "absent")):
        await attend(office.code, inspection, person, status)
    other = await activity(office.code, "other")
    await attend(office.code, other, a)
    # A training counts its hours; one without hours its length; a cancelled one nothing.
    await attend(office.code, await activity(office.code, "training", hours=Decimal("3.5")), a)
    await attend(office.code, await activity(office.code, "training", length=timedelta(hours=2, minutes=30)), b)
    await attend(office.code, await activity(office.code, "research", status="cancelled"), c)
    # Another year's activity is not this year's event.
    await attend(office.code, await activity(office.code, "research", on=date(YEAR + 1, 1, 2)), c)

    found = await events_of(office.code, office.persons)

    one = Decimal(3)  # a session's or an inspection's quantity is its length: only a training's counts
    assert found == {
        (a, "session", one),
        (b, "session_leave", one),
        (c, "absence", one),
        (a, "inspection", one),
        (c, "absence", one),
        (a, "other_activity", one),
        (a, "training", Decimal("3.5")),
        (b, "training", Decimal("2.5")),
    }


async def test_verified_evidence_counts_by_its_kind(database, offices) -> None:
    office = await points_office(database, offices["a"], "远安", deputies=2)
    a, b = office.persons
    await evidence(office.code, a, "training", hours=Decimal(6))
    await evidence(office.code, a, "award", award_level="provincial")
    await evidence(office.code, a, "people")
    await evidence(office.code, a, "other")
    await evidence(office.code, b, "inspection", status="pending")
    await evidence(office.code, b, "research", status="rejected")

    found = await events_of(office.code, office.persons)

    assert found == {
        (a, "training", Decimal(6)),
        (a, "award_provincial", Decimal(1)),
        (a, "people", Decimal(1)),
        (a, "other_activity", Decimal(1)),
    }


async def test_suggestions_count_for_the_lead_and_confirmed_cosigners_once_filed(database, offices) -> None:
    office = await points_office(database, offices["a"], "远安", deputies=3)
    lead, cosigner, declined = office.persons
    counted = {}
    for status in ("submitted", "accepted", "assigned", "replied", "closed", "merged"):
        counted[status] = await suggestion(
            office.code, office.term_id, lead, status=status, cosigners={cosigner: "confirmed", declined: "declined"}
        )
    for status in ("draft", "returned", "withdrawn", "converted"):
        await suggestion(office.code, office.term_id, lead, status=status, cosigners={cosigner: "confirmed"})
    await suggestion(office.code, office.term_id, lead, kind="motion", cosigners={cosigner: "requested"})
    key_at = moment(date(YEAR, 7, 1))
    await suggestion(office.code, office.term_id, lead, status="assigned", is_key=True, key_chosen_at=key_at)
    # Chosen as a key suggestion only in the next year: the bonus is that year's.
    await suggestion(office.code, office.term_id, cosigner, is_key=True, key_chosen_at=moment(date(YEAR + 1, 1, 5)))

    async with tenant_session(await load_tenant(office.code), actor=ACTOR, read_only=True) as session:
        found = await collect_events(session, YEAR, office.persons)
        next_year = await collect_events(session, YEAR + 1, office.persons)

    kinds = sorted((e.person_id == lead, e.event_kind) for e in found)
    assert kinds.count((True, "suggestion_lead")) == 6 + 1 + 0  # six filed, the key one; not the four others
    assert kinds.count((True, "motion_lead")) == 1
    assert kinds.count((True, "key_suggestion")) == 1
    assert kinds.count((False, "suggestion_cosign")) == 6  # confirmed on the six filed ones only
    assert kinds.count((False, "suggestion_lead")) == 1
    assert not any(e.person_id == declined for e in found)
    assert [(e.person_id, e.event_kind) for e in next_year] == [(cosigner, "key_suggestion")]
    labels = {e.event_kind: e.label for e in found}
    assert labels["suggestion_lead"].startswith("领衔提出建议:关于改善出行条件的建议")


async def test_receptions_and_invited_attendance_come_from_their_modules(database, offices) -> None:
    office = await points_office(database, offices["a"], "远安", deputies=3)
    a, b, c = office.persons
    await reception(office.code, [a, b])
    await reception(office.code, [a], held_on=date(YEAR - 1, 12, 30))  # last year's
    await invitation(office.code, office.term_id, a, "attended")
    for status in ("invited", "absent", "excused"):
        await invitation(office.code, office.term_id, c, status)

    found = await events_of(office.code, office.persons)

    assert found == {(a, "reception", Decimal(1)), (b, "reception", Decimal(1)), (a, "invited_attendance", Decimal(1))}
    assert await events_of(office.code, [b]) == {(b, "reception", Decimal(1))}
