"""The workbench per role, read through the service with real data in every module: what each card counts,
which items it shows (overdue first, with their deadlines), and what it leaves out."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from renda.core.auth import Principal
from renda.core.db import get_database
from renda.modules.duty.totals import points_of
from renda.modules.workbench import service as workbench
from renda.modules.workbench.schemas import Card, Workbench
from renda.tenants.scoping import TenantAccess, load_tenant, tenant_session
from tests.conftest import Caller, make_caller
from tests.modules.workbench.support import CITY, TODAY, Office, busy_office, county, township_figures

pytestmark = pytest.mark.date_sensitive
STAFF_CARDS = ["overdue", "opinions", "suggestions", "contacts", "evidence", "rosters", "failures", "beneath"]


async def bench(code: str, caller: Caller, *roles: str, read_only: bool = False) -> Workbench:
    tenant = await load_tenant(code)
    access = TenantAccess(tenant, Principal(caller.user_id, "测试用户", False), frozenset(roles), read_only=read_only)
    async with tenant_session(tenant, actor="system:test") as session:
        return await workbench.office_workbench(session, access, TODAY)


def cards(found: Workbench) -> dict[str, Card]:
    return {c.key: c for c in found.cards}


def counts(card: Card) -> dict[str, int | Decimal]:
    return {f.label: f.value for f in card.figures}


def labels(card: Card) -> list[str]:
    return [i.label for i in card.items]


def shows(card: Card, label: str) -> bool:
    return any(label in i.label for i in card.items)


@pytest.fixture(scope="module")
async def office(database) -> Office:
    return await busy_office(database, await county(database, "430102", "芙蓉区"), "芙蓉区")


async def test_staff_see_every_kind_of_work_of_the_office(office: Office) -> None:
    found = cards(await bench(office.code, office.staff, "staff"))
    assert list(found) == STAFF_CARDS
    assert counts(found["opinions"]) == {"待分析交办": 2, "已逾期待督办": 1, "已答复待办结": 1}
    assert counts(found["suggestions"]) == {"待审查": 2, "办理中": 2, "已逾期": 1, "待审批申请": 1}
    assert counts(found["contacts"]) == {"本季度联系滞后的组成人员": 1}
    assert counts(found["evidence"]) == {"待核实": 2}
    assert counts(found["rosters"]) == {"没有代表的家站室": 1, "没有成员的代表小组": 1}
    assert counts(found["failures"]) == {"近 30 天导出失败": 1, "近 30 天导入有错误": 1}
    assert counts(found["overdue"]) == {"群众意见": 1, "代表建议": 1}
    for key in ("opinions", "suggestions", "contacts", "evidence", "rosters"):
        for label in office.shown[key]:
            assert shows(found[key], label), (key, label, labels(found[key]))
    for card in found.values():
        for hidden in [*office.hidden, *office.shown["unit-opinions"][1:]]:
            assert not shows(card, hidden), (card.key, hidden)


async def test_overdue_items_come_first_with_their_deadlines(office: Office) -> None:
    found = cards(await bench(office.code, office.staff, "staff"))
    opinions = found["opinions"].items
    assert opinions[0].overdue and opinions[0].due == TODAY - timedelta(days=4) and opinions[0].days_left == -4
    assert [i.overdue for i in opinions] == [True] + [False] * (len(opinions) - 1)
    assert all(i.due is None and i.since == TODAY for i in opinions[1:])  # waiting since they were received
    assert opinions[0].href == f"/t/{office.code}/opinions/" + opinions[0].href.rsplit("/", 1)[1]
    suggestions = found["suggestions"].items
    assert suggestions[0].overdue and suggestions[0].due == TODAY - timedelta(days=2)
    assert suggestions[1].due == TODAY + timedelta(days=30) and not suggestions[1].overdue
    overdue = found["overdue"].items
    assert [i.due for i in overdue] == [TODAY - timedelta(days=4), TODAY - timedelta(days=2)]
    assert all(i.overdue for i in overdue)
    # A quarter's contacts are due at its end; evidence waits since it was submitted, the oldest first.
    quarter_end = found["contacts"].items[0].due
    assert quarter_end is not None and quarter_end >= TODAY and (quarter_end + timedelta(days=1)).day == 1
    assert [i.label for i in found["evidence"].items] == office.shown["evidence"]


async def test_every_count_links_to_its_list_filtered(office: Office) -> None:
    found = cards(await bench(office.code, office.staff, "staff"))
    links = {f.label: f.href for c in found.values() for f in c.figures if c.key != "overdue"}
    base = f"/t/{office.code}"
    assert links["待分析交办"] == f"{base}/opinions?status=received"
    assert links["已逾期待督办"] == f"{base}/opinions?overdue=1"
    assert links["已逾期"] == f"{base}/suggestions/items?overdue=1"
    assert links["本季度联系滞后的组成人员"] == f"{base}/contacts?tab=coverage&behind=1"
    assert links["没有代表的家站室"] == f"{base}/organisation?tab=stations&active=true&empty=1"
    assert links["近 30 天导出失败"] == f"{base}/exports?status=failed&days=30"


async def test_a_committee_member_sees_the_deputies_to_contact_this_quarter(office: Office) -> None:
    found = cards(await bench(office.code, office.committee, "committee_member"))
    assert list(found) == ["my-contacts"]
    card = found["my-contacts"]
    assert counts(card) == {"本季度待联系": 1, "固定联系代表": 2}
    assert labels(card) == office.shown["my-contacts"]
    assert card.items[0].due is not None and card.items[0].due_label == "季度末"


async def test_a_deputy_sees_receptions_opinions_ratings_and_points(office: Office) -> None:
    found = cards(await bench(office.code, office.deputy, "deputy"))
    assert list(found) == ["my-receptions", "my-opinions", "my-ratings", "my-points"]
    receptions = found["my-receptions"]
    assert counts(receptions) == {"待接待": 2}
    assert [i.due for i in receptions.items] == [TODAY + timedelta(days=3), TODAY + timedelta(days=10)]
    assert labels(receptions) == [office.shown["my-receptions"][0]] * 2
    assert counts(found["my-opinions"]) == {"办理中": 2, "已逾期": 1}
    assert found["my-opinions"].items[0].overdue
    assert {i.label for i in found["my-opinions"].items} == set(office.shown["my-opinions"])
    ratings = found["my-ratings"]
    assert counts(ratings) == {"待评价": 1}
    assert shows(ratings, office.shown["my-ratings"][0]) and ratings.items[0].due == TODAY + timedelta(days=10)
    assert ratings.items[0].href.endswith("/rate")
    async with tenant_session(await load_tenant(office.code), actor="system:test") as session:
        total = (await points_of(session, TODAY.year, [office.deputy_person]))[office.deputy_person].total
    assert total >= Decimal("12.5")  # given to the deputy; the ledger's worker may add what their work earns
    assert counts(found["my-points"]) == {f"{TODAY.year}年积分": total}


async def test_a_deputy_not_in_the_register_gets_empty_cards(database, office: Office) -> None:
    stranger = await make_caller(database, "未关联代表", {office.code: ["deputy"]})
    found = cards(await bench(office.code, stranger, "deputy"))
    assert all(not c.items for c in found.values())
    assert counts(found["my-opinions"]) == {"办理中": 0, "已逾期": 0}
    assert counts(found["my-points"]) == {f"{TODAY.year}年积分": 0}


async def test_a_handling_unit_sees_its_items_by_deadline(office: Office) -> None:
    found = cards(await bench(office.code, office.unit_user, "handling_unit"))
    assert list(found) == ["unit-suggestions", "unit-opinions"]
    suggestions = found["unit-suggestions"]
    assert counts(suggestions) == {"办理中": 2, "已逾期": 1}
    assert [i.due for i in suggestions.items] == [TODAY - timedelta(days=2), TODAY + timedelta(days=30)]
    assert suggestions.items[0].overdue and suggestions.items[0].href.endswith("/handling")
    assert counts(found["unit-opinions"]) == {"待答复": 2, "已逾期": 1}
    assert set(labels(found["unit-opinions"])) == set(office.shown["unit-opinions"])


async def test_a_viewer_sees_the_offices_beneath_falling_behind_first(office: Office) -> None:
    behind, keeping_up = await township_figures(office.code)
    found = cards(await bench(office.code, office.viewer, "viewer"))
    assert list(found) == ["beneath"]
    table = found["beneath"].table
    assert table is not None
    assert [r.href for r in table.rows] == [f"/t/{behind}/", f"/t/{keeping_up}/"]
    assert [r.behind for r in table.rows] == [True, False]
    assert table.headers == ["机关", "逾期未答复群众意见", "代表建议办结率(%)", "联系代表覆盖率(%)", "接待选民次数"]
    assert table.rows[0].cells[0] == "3" and table.rows[0].cells[1] == "25%" and table.rows[0].cells[2] == "60%"
    assert table.rows[1].cells == ["0", "100%", "100%", "5"]
    assert counts(found["beneath"]) == {"下级机关": 2, "需关注": 1}


async def test_a_parent_office_reads_the_offices_beneath_not_the_staff_cards(database, office: Office) -> None:
    city_admin = await make_caller(database, "长沙市代表工委", {CITY: ["office_admin"]})
    found = cards(await bench(office.code, city_admin, "office_admin", read_only=True))
    assert list(found) == ["beneath"]


async def test_a_city_office_compares_its_counties(database, office: Office) -> None:
    city_staff = await make_caller(database, "长沙市工作人员", {CITY: ["staff"]})
    found = cards(await bench(CITY, city_staff, "staff"))
    assert list(found) == ["beneath", *STAFF_CARDS[:-1]]  # its counties first
    table = found["beneath"].table
    assert table is not None and f"/t/{office.code}/" in [r.href for r in table.rows]


async def test_the_workbench_never_shows_another_offices_items(database, office: Office) -> None:
    other = await busy_office(database, await county(database, "430103", "天心区"), "天心区", "乙机关")
    found = await bench(office.code, office.staff, "staff")
    mine = await bench(other.code, other.staff, "staff")
    assert any("乙机关" in i.label for c in mine.cards for i in c.items)
    assert not any("乙机关" in i.label for c in found.cards for i in c.items)
    # Its counts are its own: the same data in each office gives the same figures.
    assert {c.key: counts(c) for c in found.cards if c.key != "beneath"} == {
        c.key: counts(c) for c in mine.cards if c.key != "beneath"
    }


async def test_the_platform_administrators_workbench(database) -> None:
    async with get_database().platform_session() as session:
        found = await workbench.platform_workbench(session)
    by_key = {c.key: c for c in found.cards}
    assert list(by_key) == ["offices", "health", "providers"]
    assert by_key["offices"].figures[0].label == "机关总数" and by_key["offices"].figures[0].value >= 4
    assert by_key["health"].figures[0].href == "/platform/operations#dead-jobs"
