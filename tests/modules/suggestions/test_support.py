"""The test office and a suggestion made in a given state: what every suggestion test starts from."""

from __future__ import annotations

from renda.modules.suggestions.common import SYSTEM_CALLER, add_months, get_suggestion, number_label
from renda.tenants.scoping import load_tenant, tenant_session
from tests.modules.suggestions.support import ACTOR, make_suggestion, office


async def test_an_assigned_suggestion_has_its_lead_unit_and_number(database, offices) -> None:
    place = await office(database, offices["a"], "竹山")
    made = await make_suggestion(place, status="assigned")
    async with tenant_session(await load_tenant(place.code), actor=ACTOR) as session:
        found = await get_suggestion(session, SYSTEM_CALLER, made.id)
    assert found.lead_unit_id == place.unit_id
    assert number_label(found).startswith("2026-")


def test_deadlines_fall_on_the_last_day_of_a_shorter_month() -> None:
    from datetime import date

    assert add_months(date(2026, 11, 30), 3) == date(2027, 2, 28)
    assert add_months(date(2027, 11, 30), 3) == date(2028, 2, 29)
    assert add_months(date(2026, 12, 31), 6) == date(2027, 6, 30)
    assert add_months(date(2026, 3, 10), 3) == date(2026, 6, 10)
