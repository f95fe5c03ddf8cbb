"""The office's points rules per year: what a year starts from, saving (a changed rule gets a new
version), every refusal with its Chinese message and code leaving everything as it was, and the start
of a new year on 1 January."""

from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from renda.core.errors import AppError
from renda.core.timezone import LOCAL_TZ, local_today
from renda.modules.duty import rules
from renda.modules.duty.common import SYSTEM_CALLER, DutyCaller
from renda.modules.duty.models import PointCategory, PointRule, PointsPending
from renda.modules.duty.points_tasks import start_year, year_of
from renda.modules.duty.rules import CategoryChange, RuleChange
from renda.tenants.scoping import load_tenant, tenant_session
from renda.workers.models import OutboxMessage
from renda.workers.scheduler import registered_jobs
from tests.modules.duty.support import ACTOR
from tests.modules.duty.support_points import activity, attend, own_office, points_office, reconcile, totals

pytestmark = pytest.mark.date_sensitive


async def save(code: str, year: int, categories=(), changes=(), caller: DutyCaller = SYSTEM_CALLER):
    async with tenant_session(await load_tenant(code), actor=ACTOR) as session:
        saved = await rules.save_rules(session, caller, year, list(categories), list(changes))
        await session.commit()
        return saved


async def read(code: str, year: int) -> rules.YearRules:
    async with tenant_session(await load_tenant(code), actor=ACTOR, read_only=True) as session:
        return await rules.year_rules(session, year)


async def rule_rows(code: str, year: int) -> list[tuple]:
    async with tenant_session(await load_tenant(code), actor=ACTOR, read_only=True) as session:
        found = await session.execute(
            select(PointRule.event_kind, PointRule.version, PointRule.points, PointRule.cap, PointRule.superseded_at)
            .where(PointRule.year == year)
            .order_by(PointRule.event_kind, PointRule.version)
        )
        categories = await session.execute(
            select(PointCategory.code, PointCategory.cap).where(PointCategory.year == year).order_by(PointCategory.code)
        )
        return [*map(tuple, found.all()), *map(tuple, categories.all())]


async def test_a_year_starts_from_the_defaults_and_a_save_versions_the_changed_rules(database, offices) -> None:
    code = await own_office(database, offices, "rules")
    year = local_today().year + 1
    start = await read(code, year)
    assert not start.saved and start.basis in ("defaults", "previous_year")  # shown, not written
    assert await rule_rows(code, year) == []

    first = await save(code, year, [CategoryChange("meetings", Decimal(35)), CategoryChange("people", Decimal(10))])
    versions_before = {k: r.version for k, r in first.rules.rules.items()}
    session_points = first.rules.rules["session"].points
    changed = await save(code, year, changes=[RuleChange("session", "meetings", session_points + 1, cap=Decimal(30))])

    assert changed.changed_rules == ["session"] and changed.changed_categories == []
    now = changed.rules
    assert now.saved and now.basis == "saved"
    assert now.rules["session"].version == versions_before["session"] + 1
    assert now.rules["session"].created_by == SYSTEM_CALLER.actor
    assert {k: r.version for k, r in now.rules.items() if k != "session"} == {
        k: v for k, v in versions_before.items() if k != "session"
    }
    assert now.categories["meetings"].cap == Decimal(35)
    async with tenant_session(await load_tenant(code), actor=ACTOR, read_only=True) as session:
        sessions = (
            (
                await session.execute(
                    select(PointRule)
                    .where(PointRule.year == year, PointRule.event_kind == "session")
                    .order_by(PointRule.version)
                )
            )
            .scalars()
            .all()
        )
        pending = await session.get(PointsPending, 1)
        asked = await session.scalar(
            select(func.count())
            .select_from(OutboxMessage)
            .where(OutboxMessage.actor_name == "reprice_office", OutboxMessage.tenant_code == code)
        )
    assert [r.superseded_at is None for r in sessions][-2:] == [False, True]  # the old version stepped aside
    assert pending is not None and asked >= 1  # the ledger re-prices after the commit

    # Saving the same values again changes nothing.
    same = await save(code, year, changes=[RuleChange("session", "meetings", session_points + 1, cap=Decimal(30))])
    assert not same.changed and same.rules.rules["session"].version == now.rules["session"].version


REFUSED = [
    ([CategoryChange("meetings", Decimal(-1))], [], "cap_negative"),
    ([], [RuleChange("inspection", "activities", Decimal(5), cap=Decimal(-5))], "cap_negative"),
    ([CategoryChange("meetings", Decimal(40))], [], "caps_exceed_base"),  # 40+25+20+15+10 > 100
    ([CategoryChange("learning", None)], [], "category_cap_required"),
    ([], [RuleChange("training", "learning", Decimal(1), "hour", Decimal(12))], "rule_cap_exceeds_category"),
    ([CategoryChange("meetings", Decimal(10))], [], "rule_cap_exceeds_category"),  # below a rule's cap of 20
    (
        [],
        [RuleChange("reception", "people", Decimal(3)), RuleChange("reception", "people", Decimal(4))],
        "rule_overlap",
    ),
    ([CategoryChange("bonus", Decimal(30)), CategoryChange("bonus", Decimal(20))], [], "category_overlap"),
    ([], [RuleChange("inspection", "activities", Decimal(-2))], "deduction_not_allowed"),
    ([], [RuleChange("absence", "activities", Decimal(2))], "absence_not_positive"),
    ([], [RuleChange("inspection", "activities", Decimal(5), "hour")], "invalid_unit"),
    ([], [RuleChange("inspection", "activities", Decimal(5), "day")], "invalid_unit"),
    ([], [RuleChange("inspection", "activities", Decimal("0.05"))], "invalid_points"),
    ([], [RuleChange("inspection", "activities", Decimal(150))], "points_out_of_range"),
    ([], [RuleChange("walk", "activities", Decimal(1))], "unknown_event_kind"),
    ([], [RuleChange("inspection", "sports", Decimal(1))], "unknown_category"),
    ([CategoryChange("sports", Decimal(1))], [], "unknown_category"),
]


@pytest.mark.parametrize(("categories", "changes", "code"), REFUSED, ids=[r[2] for r in REFUSED])
async def test_bad_rules_are_refused_and_leave_everything_unchanged(
    database, offices, categories, changes, code
) -> None:
    office = await own_office(database, offices, "rules")
    year = local_today().year
    # A rule cap of 20 in meetings, for the category cap check.
    await save(office, year, changes=[RuleChange("session", "meetings", Decimal(20), cap=Decimal(20))])
    before = await rule_rows(office, year)
    with pytest.raises(AppError) as refused:
        await save(office, year, categories, changes)
    assert refused.value.code == code and refused.value.status_code == 400
    assert any("\u4e00" <= ch <= "\u9fff" for ch in refused.value.message)  # a Chinese message
    assert await rule_rows(office, year) == before


async def test_only_staff_may_save_and_only_nearby_years(database, offices) -> None:
    office = await own_office(database, offices, "rules")
    deputy = DutyCaller(None, "user:x:代表", full=False, manage=False, person_id=None)
    with pytest.raises(AppError) as refused:
        await save(office, local_today().year, changes=[RuleChange("session", "meetings", Decimal(1))], caller=deputy)
    assert refused.value.code == "duty_staff_only"
    with pytest.raises(AppError) as refused:
        await save(office, local_today().year - 2, [CategoryChange("bonus", None)])
    assert refused.value.code == "year_not_editable"


async def test_on_new_year_the_rules_carry_over_and_every_deputy_starts_at_zero(database, offices) -> None:
    code = await own_office(database, offices, "new_year")
    office = await points_office(database, code, "西陵", deputies=1)
    (a,) = office.persons
    year = local_today().year
    await save(code, year, changes=[RuleChange("inspection", "activities", Decimal(7))])
    inspection = await activity(code, "inspection", on=date(year, 1, 1))
    await attend(code, inspection, a)
    await reconcile(code, year, [a])
    assert (await totals(code, [a], year))[a].total == 7

    job = registered_jobs()["duty.points_year"]
    new_year = datetime.combine(date(year + 1, 1, 1), time(0, 30), LOCAL_TZ)
    period = job.schedule.period_start(new_year)
    assert period == datetime.combine(date(year + 1, 1, 1), time(0, 10), LOCAL_TZ)
    assert job.actor.actor_name == "fan_out" and year_of(period.isoformat(timespec="minutes")) == year + 1
    await start_year(code, year + 1)
    await start_year(code, year + 1)  # a second delivery: no change

    current, following = await read(code, year), await read(code, year + 1)
    assert following.saved
    assert {k: r.priced_alike for k, r in following.rules.items()} == {
        k: r.priced_alike for k, r in current.rules.items()
    }
    assert {c.code: c.cap for c in following.categories.values()} == {
        c.code: c.cap for c in current.categories.values()
    }
    assert all(r.version == 1 and r.created_by == rules.CARRIED_ACTOR for r in following.rules.values())
    assert following.rules["inspection"].points == 7
    assert (await totals(code, [a], year + 1))[a].total == 0  # nothing carried over
    assert (await totals(code, [a], year))[a].total == 7  # the old year keeps its points
