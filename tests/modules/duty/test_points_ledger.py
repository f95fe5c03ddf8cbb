"""The reconcile of the append-only ledger: a new event gets an entry (a 0-point one too), undoing it a
reversal, a rule changed mid-year re-prices by adding entries, and a second run adds nothing."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from renda.core.timezone import local_today
from renda.modules.duty import ledger, rules
from renda.modules.duty.common import SYSTEM_CALLER
from renda.modules.duty.events import Event
from renda.modules.duty.models import PointRule
from renda.modules.duty.rules import RuleChange, RuleSetting
from renda.tenants.scoping import load_tenant, tenant_session
from tests.modules.duty.support import ACTOR
from tests.modules.duty.support_points import (
    YEAR,
    activity,
    attend,
    entries,
    evidence,
    moment,
    own_office,
    points_office,
    reconcile,
    set_activity,
    set_attendance,
    set_evidence,
    set_suggestion,
    suggestion,
    totals,
)

pytestmark = pytest.mark.date_sensitive


def summary(found) -> list[tuple]:
    return [(e.event_kind, e.category, e.points, e.reason) for e in found]


async def test_events_get_entries_once_and_undoing_them_reverses(database, offices) -> None:
    office = await points_office(database, offices["a"], "远安", deputies=2)
    a, b = office.persons
    inspection = await activity(office.code, "inspection")
    await attend(office.code, inspection, a, "present")
    await attend(office.code, inspection, b, "absent")

    first = await reconcile(office.code, persons=office.persons)
    again = await reconcile(office.code, persons=office.persons)

    assert first.added == {"event": 2} and again.entries == 0
    mine, theirs = await entries(office.code, [a]), await entries(office.code, [b])
    assert summary(mine) == [("inspection", "activities", Decimal(5), "event")]
    # Absent without leave: nothing by default, and the deputy still sees the entry.
    assert summary(theirs) == [("absence", "activities", Decimal(0), "event")]
    assert theirs[0].source == "duty_activity" and theirs[0].source_id == inspection
    assert theirs[0].source_label.startswith("无故缺席:inspection活动")
    async with tenant_session(await load_tenant(office.code), actor=ACTOR, read_only=True) as session:
        rule = await session.get_one(PointRule, mine[0].rule_id)
    assert (rule.year, rule.event_kind, rule.points, rule.version) == (YEAR, "inspection", Decimal(5), 1)
    assert rule.created_by == rules.DEFAULTS_ACTOR  # the year's rules are the defaults, written when first priced

    # The attendance was recorded by mistake; the absence is corrected to leave (nothing for an activity).
    await set_attendance(office.code, inspection, a, None)
    await set_attendance(office.code, inspection, b, "leave")
    undone = await reconcile(office.code, persons=office.persons)
    assert undone.added == {"reversal": 2}
    assert summary(await entries(office.code, [a]))[1:] == [("inspection", "activities", Decimal(-5), "reversal")]
    assert summary(await entries(office.code, [b]))[1:] == [("absence", "activities", Decimal(0), "reversal")]
    assert (await reconcile(office.code, persons=office.persons)).entries == 0
    assert (await totals(office.code, [a]))[a].total == 0

    # Recorded again: a new event after its reversal.
    await attend(office.code, inspection, a, "present")
    assert (await reconcile(office.code, persons=office.persons)).added == {"event": 1}
    assert (await totals(office.code, [a]))[a].total == 5


async def test_evidence_and_suggestions_reverse_when_rejected_or_withdrawn(database, offices) -> None:
    office = await points_office(database, offices["a"], "远安", deputies=1)
    (a,) = office.persons
    training = await evidence(office.code, a, "training", hours=Decimal(4))
    led = await suggestion(office.code, office.term_id, a)
    await reconcile(office.code, persons=[a])
    assert (await totals(office.code, [a]))[a].total == 4 + 5

    # Staff correct the hours: the difference under the same rule.
    await set_evidence(office.code, training, hours=Decimal(6))
    assert (await reconcile(office.code, persons=[a])).added == {"event": 1}
    # Rejected after all; the suggestion withdrawn.
    await set_evidence(office.code, training, status="rejected")
    await set_suggestion(office.code, led, status="withdrawn")
    assert (await reconcile(office.code, persons=[a])).added == {"reversal": 2}
    assert summary(await entries(office.code, [a])) == [
        ("training", "learning", Decimal(4), "event"),
        ("suggestion_lead", "suggestions", Decimal(5), "event"),
        ("training", "learning", Decimal(2), "event"),
        ("training", "learning", Decimal(-6), "reversal"),
        ("suggestion_lead", "suggestions", Decimal(-5), "reversal"),
    ]
    assert (await totals(office.code, [a]))[a].total == 0


async def test_an_activity_moved_to_another_year_leaves_one_and_enters_the_other(database, offices) -> None:
    office = await points_office(database, offices["a"], "远安", deputies=1)
    (a,) = office.persons
    research = await activity(office.code, "research", on=date(YEAR, 12, 30))
    await attend(office.code, research, a)
    await reconcile(office.code, persons=[a])
    moved = moment(date(YEAR + 1, 1, 3))
    await set_activity(office.code, research, starts_at=moved, ends_at=moved + timedelta(hours=2), year=YEAR + 1)
    await reconcile(office.code, persons=[a])
    await reconcile(office.code, YEAR + 1, persons=[a])
    assert (await totals(office.code, [a]))[a].total == 0
    assert (await totals(office.code, [a], YEAR + 1))[a].total == 5


async def test_a_rule_changed_mid_year_reprices_by_adding_entries(database, offices) -> None:
    code = await own_office(database, offices, "ledger")
    office = await points_office(database, code, "长阳", deputies=2)
    a, b = office.persons
    year = local_today().year
    on = date(year, 1, 1)
    session = await activity(code, "session", on=on)
    await attend(code, session, a)
    await attend(code, session, b, "absent")
    keyed = await suggestion(code, office.term_id, a, year=year, is_key=True)
    await reconcile(code, year, office.persons)
    before = [(e.id, e.points, e.rule_id) for e in await entries(code, office.persons, year)]
    assert (await totals(code, [a], year))[a].total == 20 + 5 + 5  # session, lead, key bonus

    async with tenant_session(await load_tenant(code), actor=ACTOR) as db:
        saved = await rules.save_rules(
            db,
            SYSTEM_CALLER,
            year,
            [],
            [
                RuleChange("session", "meetings", Decimal(25)),
                RuleChange("absence", "activities", Decimal(-3)),  # absence now costs points
                RuleChange("key_suggestion", "suggestions", Decimal(5)),  # the bonus moves into the base
            ],
        )
        await db.commit()
    assert sorted(saved.changed_rules) == ["absence", "key_suggestion", "session"]

    repriced = await reconcile(code, year, office.persons)
    assert repriced.added == {"reprice": 4}
    after = await entries(code, office.persons, year)
    # The old entries are as they were; the new ones carry the new rules.
    assert [(e.id, e.points, e.rule_id) for e in after][: len(before)] == before
    new = {(e.person_id, e.event_kind, e.category, e.points) for e in after[len(before) :]}
    assert new == {
        (a, "session", "meetings", Decimal(5)),
        (b, "absence", "activities", Decimal(-3)),
        (a, "key_suggestion", "bonus", Decimal(-5)),
        (a, "key_suggestion", "suggestions", Decimal(5)),
    }
    assert all(e.reason == "reprice" for e in after[len(before) :])
    live = {r.event_kind: r.id for r in saved.rules.rules.values()}
    assert all(e.rule_id == live[e.event_kind] for e in after[len(before) :])
    found = await totals(code, office.persons, year)
    assert (found[a].total, found[a].bonus) == (25 + 5 + 5, 0)
    assert found[b].total == 0  # a category never goes below zero
    assert (await reconcile(code, year, office.persons)).entries == 0
    assert keyed is not None


def rule(kind: str, category: str, points: int, unit: str = "event", version: int = 1) -> RuleSetting:
    return RuleSetting(kind, category, Decimal(points), unit, None, uuid.uuid5(uuid.NAMESPACE_OID, f"{kind}{version}"))


def test_the_differences_of_a_training_by_hours() -> None:
    person, source = uuid.uuid4(), uuid.uuid4()
    event = Event(person, YEAR, "training", "duty_evidence", source, date(YEAR, 3, 1), "参加培训:x(3学时)", Decimal(3))
    hourly = {"training": rule("training", "learning", 2, "hour")}
    first = ledger.differences([event], hourly, {})
    assert [(e.points, e.reason) for e in first] == [(Decimal(6), "event")]
    held = {
        event.key: {
            "learning": ledger.Balance(Decimal(6), 1, "event", hourly["training"].id, event.label, event.occurred_on)
        }
    }
    assert ledger.differences([event], hourly, held) == []
    per_event = {"training": rule("training", "learning", 2, "event", version=2)}
    assert [(e.points, e.reason) for e in ledger.differences([event], per_event, held)] == [(Decimal(-4), "reprice")]


@pytest.mark.smoke
async def test_a_reconcile_of_the_whole_office_prices_every_deputy(database, offices) -> None:
    code = await own_office(database, offices, "ledger")
    office = await points_office(database, code, "长阳", deputies=2)
    year = YEAR + 3  # a year nobody else prices in this office
    research = await activity(code, "research", on=date(year, 2, 1))
    for person in office.persons:
        await attend(code, research, person)
    result = await reconcile(code, year)
    assert result.events == 2 and result.added == {"event": 2}
    async with tenant_session(await load_tenant(code), actor=ACTOR, read_only=True) as session:
        kinds = (await session.execute(select(PointRule.event_kind).where(PointRule.year == year))).scalars().all()
    assert len(kinds) == 21  # one live rule per kind of event


async def test_the_rankings_sums_follow_the_ledger(database, offices) -> None:
    """Every reconcile folds what it appended (and any entry written around it) into the sums the
    ranking reads, so they always equal the ledger's own sums."""
    from sqlalchemy import func

    from renda.modules.duty.models import PointEntry, PointSum, PointSumMark

    office = await points_office(database, offices["a"], "远安", deputies=2)
    a, b = office.persons
    year = YEAR + 5
    inspection = await activity(office.code, "inspection", on=date(year, 4, 1))
    await attend(office.code, inspection, a)
    await attend(office.code, inspection, b, "absent")
    await reconcile(office.code, year, office.persons)
    await set_attendance(office.code, inspection, a, None)
    await evidence(office.code, b, "training", on=date(year, 5, 1), hours=Decimal(3))
    await reconcile(office.code, year, office.persons)
    await reconcile(office.code, year, office.persons)

    async with tenant_session(await load_tenant(office.code), actor=ACTOR, read_only=True) as session:
        keys = (PointEntry.person_id, PointEntry.category, PointEntry.event_kind)
        ledger_sums = dict(
            ((p, c, k), v)
            for p, c, k, v in (
                await session.execute(
                    select(*keys, func.sum(PointEntry.points))
                    .where(PointEntry.year == year, PointEntry.person_id.in_(office.persons))
                    .group_by(*keys)
                )
            ).all()
        )
        kept = dict(
            ((p, c, k), v)
            for p, c, k, v in (
                await session.execute(
                    select(PointSum.person_id, PointSum.category, PointSum.event_kind, PointSum.points).where(
                        PointSum.year == year, PointSum.person_id.in_(office.persons)
                    )
                )
            ).all()
        )
        mark = await session.get(PointSumMark, year)
        last = await session.scalar(select(func.max(PointEntry.id)).where(PointEntry.year == year))
    assert kept == ledger_sums and len(kept) == 3  # a's inspection (reversed to 0), b's absence and training
    assert mark is not None and mark.through_id == last
