"""The points store's API: staff keep the items; a deputy spends last year's points; staff hand over or
cancel; a refused call of any kind leaves the store, the balance, the audit log and the inbox as they were."""

from __future__ import annotations

import uuid
from datetime import date

import pytest
from sqlalchemy import select

from renda.modules.audit.models import AuditLog
from renda.tenants.scoping import load_tenant, tenant_session
from tests.modules.duty.support import ACTOR, duty_office
from tests.modules.duty.support_store import SPRING_DAY, at, give_points, make_item, notices_of, store_state

pytestmark = pytest.mark.date_sensitive

SPRING = SPRING_DAY


def api(code: str) -> str:
    return f"/api/v1/t/{code}/duty/store"


async def audit_of(code: str, entity: str, entity_id: uuid.UUID) -> list[tuple[str, str, dict]]:
    async with tenant_session(await load_tenant(code), actor=ACTOR, read_only=True) as session:
        rows = await session.execute(
            select(AuditLog.action, AuditLog.actor, AuditLog.changes)
            .where(AuditLog.entity == entity, AuditLog.entity_id == str(entity_id))
            .order_by(AuditLog.at)
        )
        return [tuple(r) for r in rows]


# --- items ---------------------------------------------------------------------------------------------------
async def test_staff_keep_the_items_and_every_change_is_audited(client, database, offices) -> None:
    office = await duty_office(database, offices["a"], "远安超市", deputies=1)
    url, staff = api(office.code), office.staff.headers
    made = await client.post(
        f"{url}/items",
        json={"name": "  红色笔记本 ", "description": "A5,100页", "price": 30, "stock": 5},
        headers=staff,
    )
    assert made.status_code == 201, made.text
    item = made.json()
    assert (item["name"], item["description"], item["price"], item["stock"], item["active"]) == (
        "红色笔记本",
        "A5,100页",
        30,
        5,
        True,
    )
    changed = await client.patch(f"{url}/items/{item['id']}", json={"price": 25, "active": False}, headers=staff)
    assert changed.status_code == 200 and (changed.json()["price"], changed.json()["active"]) == (25, False)
    topped = await client.post(f"{url}/items/{item['id']}/restock", json={"quantity": 10}, headers=staff)
    assert topped.status_code == 200 and topped.json()["stock"] == 15

    history = await audit_of(office.code, "duty_store_items", uuid.UUID(item["id"]))
    assert [h[0] for h in history] == ["create", "update", "update"]
    assert all(str(office.staff.user_id) in actor for _, actor, _ in history)
    assert history[1][2]["price"] == [30, 25] and history[2][2]["stock"] == [5, 15]

    # A withdrawn item is not offered to deputies; staff and viewers still see it.
    theirs = await client.get(f"{url}/items", headers=office.deputy.headers)
    assert item["id"] not in {i["id"] for i in theirs.json()["items"]}
    assert (await client.get(f"{url}/items/{item['id']}", headers=office.deputy.headers)).status_code == 200
    for caller in (office.staff, office.viewer):
        listed = await client.get(f"{url}/items", params={"page_size": 200}, headers=caller.headers)
        assert item["id"] in {i["id"] for i in listed.json()["items"]}

    # Only staff keep the items.
    for caller, code in ((office.deputy, "duty_staff_only"), (office.viewer, "permission_denied")):
        refused = await client.post(
            f"{url}/items", json={"name": "茶杯", "price": 5, "stock": 1}, headers=caller.headers
        )
        assert refused.status_code == 403 and refused.json()["code"] == code


BAD_ITEMS = [
    ({"name": "茶杯", "price": 0, "stock": 1}, "invalid_price"),
    ({"name": "茶杯", "price": -5, "stock": 1}, "invalid_price"),
    ({"name": "茶杯", "price": 100_001, "stock": 1}, "invalid_price"),
    ({"name": "茶杯", "price": 5, "stock": -1}, "invalid_stock"),
    ({"name": "   ", "price": 5, "stock": 1}, "item_name_required"),
    ({"name": "茶" * 101, "price": 5, "stock": 1}, "item_name_too_long"),
    ({"name": "茶杯", "price": 5, "stock": 1, "description": "长" * 501}, "item_description_too_long"),
    ({"name": "茶杯", "price": "五", "stock": 1}, "validation_error"),
    ({"name": "茶杯", "price": 5.5, "stock": 1}, "validation_error"),
    ({"name": "茶杯", "price": True, "stock": 1}, "validation_error"),
    ({"name": "茶杯", "price": 5, "stock": 10**12}, "invalid_stock"),  # refused before it reaches the database
    ({"name": "茶杯", "price": 5, "stock": None}, "validation_error"),
    ({"name": 12, "price": 5, "stock": 1}, "validation_error"),
    ({"price": 5, "stock": 1}, "validation_error"),
    ({"name": "茶杯", "price": 5, "stock": 1, "points": 3}, "validation_error"),
]


@pytest.mark.parametrize(("body", "code"), BAD_ITEMS)
async def test_a_bad_new_item_is_refused_and_nothing_is_made(client, database, offices, body, code) -> None:
    office = await duty_office(database, offices["a"], "远安坏物品", deputies=1)
    before = await store_state(office.code)
    refused = await client.post(f"{api(office.code)}/items", json=body, headers=office.staff.headers)
    assert refused.status_code == 400 and refused.json()["code"] == code, refused.text
    assert refused.json()["message"]  # a Chinese message to show
    assert await store_state(office.code) == before


BAD_CHANGES = [
    ("PATCH", "", {"price": -1}, "invalid_price"),
    ("PATCH", "", {"price": 0}, "invalid_price"),
    ("PATCH", "", {"stock": -3}, "invalid_stock"),
    ("PATCH", "", {"name": ""}, "item_name_required"),
    ("PATCH", "", {"name": "新名字", "price": -1}, "invalid_price"),  # the good field is not kept either
    ("PATCH", "", {"stock": "很多"}, "validation_error"),
    ("PATCH", "", {"active": "是"}, "validation_error"),
    ("POST", "/restock", {"quantity": 0}, "invalid_quantity"),
    ("POST", "/restock", {"quantity": -2}, "invalid_quantity"),
    ("POST", "/restock", {"quantity": 100_001}, "invalid_quantity"),
    ("POST", "/restock", {"quantity": "十"}, "validation_error"),
    ("POST", "/restock", {}, "validation_error"),
]


@pytest.mark.parametrize(("method", "path", "body", "code"), BAD_CHANGES)
async def test_a_bad_change_of_an_item_changes_nothing(client, database, offices, method, path, body, code) -> None:
    office = await duty_office(database, offices["a"], "远安坏修改", deputies=1)
    item = await make_item(office.code, price=10, stock=4)
    before = await store_state(office.code)
    url = f"{api(office.code)}/items/{item}{path}"
    refused = await client.request(method, url, json=body, headers=office.staff.headers)
    assert refused.status_code == 400 and refused.json()["code"] == code, refused.text
    assert await store_state(office.code) == before


async def test_an_unknown_item_is_not_found(client, database, offices) -> None:
    office = await duty_office(database, offices["a"], "远安无物品", deputies=1)
    theirs = await make_item(offices["b"], price=1, stock=1)  # another office's
    for item in (uuid.uuid4(), theirs):
        for method, path, body in (
            ("GET", "", None),
            ("PATCH", "", {"price": 3}),
            ("POST", "/restock", {"quantity": 1}),
        ):
            found = await client.request(
                method, f"{api(office.code)}/items/{item}{path}", json=body, headers=office.staff.headers
            )
            assert found.status_code == 404 and found.json()["code"] == "store_item_not_found"


# --- the balance and redeeming --------------------------------------------------------------------------------
async def test_a_deputy_spends_last_years_points_rounded_down(client, database, offices) -> None:
    office = await duty_office(database, offices["a"], "远安兑换", deputies=1)
    code, deputy = office.code, office.deputy
    await give_points(code, office.person, 2026, "45.5")
    await give_points(code, office.person, 2027, 50)  # this year's: spent next year
    await give_points(code, office.person, 2025, 80)  # the year before last: spent last year
    item = await make_item(code, price=10, stock=5, name="雨伞")
    with at(SPRING):
        balance = await client.get(f"{api(code)}/balance", headers=deputy.headers)
        assert balance.json() == {
            "person_id": str(office.person),
            "points_year": 2026,
            "earned": 45,
            "spent": 0,
            "available": 45,
        }
        made = await client.post(
            f"{api(code)}/redemptions", json={"store_item_id": str(item), "quantity": 2}, headers=deputy.headers
        )
        assert made.status_code == 201, made.text
        redemption = made.json()
        assert (redemption["points"], redemption["points_year"], redemption["quantity"]) == (20, 2026, 2)
        assert (redemption["status"], redemption["status_label"]) == ("requested", "待领取")
        assert redemption["item_name"].startswith("雨伞") and redemption["person_name"].startswith("远安兑换代表0")
        after = (await client.get(f"{api(code)}/balance", headers=deputy.headers)).json()
        assert (after["earned"], after["spent"], after["available"]) == (45, 20, 25)
        # Staff read any deputy's balance.
        staff_view = await client.get(
            f"{api(code)}/balance", params={"person_id": str(office.person)}, headers=office.staff.headers
        )
        assert staff_view.json()["available"] == 25

    shown = await client.get(f"{api(code)}/items/{item}", headers=deputy.headers)
    assert shown.json()["stock"] == 3
    # The stock taken by the conditional UPDATE is audited like any other change; so is the redemption.
    # (Found by action: at a pinned clock later than SPRING the item is made after the redemption.)
    [taken] = [row for row in await audit_of(code, "duty_store_items", item) if row[0] == "update"]
    assert taken[2] == {"stock": [5, 3]} and str(deputy.user_id) in taken[1]
    assert [r[0] for r in await audit_of(code, "duty_redemptions", uuid.UUID(redemption["id"]))] == ["create"]
    [notice] = await notices_of(code, deputy.user_id)
    assert notice[0] == "duty_redemption_ready" and "雨伞" in notice[1] and "×2" in notice[1]
    assert "2026年度履职积分20分" in notice[2]


async def _refusal_setup(database, offices, place: str):
    office = await duty_office(database, offices["a"], place, deputies=1)
    await give_points(office.code, office.person, 2026, 25)
    items = {
        "cheap": await make_item(office.code, price=10, stock=2),
        "dear": await make_item(office.code, price=30, stock=9),
        "withdrawn": await make_item(office.code, price=1, stock=9, active=False),
        "last": await make_item(office.code, price=1, stock=1),
        "empty": await make_item(office.code, price=1, stock=0),
    }
    return office, items


REFUSED_REDEMPTIONS = [
    ({"store_item_id": "cheap", "quantity": 3}, 409, "points_insufficient"),  # 30 of 25
    ({"store_item_id": "dear"}, 409, "points_insufficient"),
    ({"store_item_id": "withdrawn"}, 409, "item_unavailable"),
    ({"store_item_id": "last", "quantity": 2}, 409, "out_of_stock"),
    ({"store_item_id": "empty"}, 409, "out_of_stock"),
    ({"store_item_id": "cheap", "quantity": 0}, 400, "invalid_quantity"),
    ({"store_item_id": "cheap", "quantity": -1}, 400, "invalid_quantity"),
    ({"store_item_id": "cheap", "quantity": 11}, 400, "invalid_quantity"),
    ({"store_item_id": "cheap", "quantity": 1.5}, 400, "validation_error"),
    ({"store_item_id": "cheap", "quantity": True}, 400, "validation_error"),
    ({"store_item_id": "cheap", "quantity": 10**12}, 400, "invalid_quantity"),
    ({"store_item_id": "不是编号"}, 400, "validation_error"),
    ({"quantity": 1}, 400, "validation_error"),
    ({"store_item_id": "cheap", "person_id": "cheap"}, 400, "validation_error"),
    ({"store_item_id": "unknown"}, 404, "store_item_not_found"),
    ({"store_item_id": "other_office"}, 404, "store_item_not_found"),
]


@pytest.mark.parametrize(("body", "status", "code"), REFUSED_REDEMPTIONS)
async def test_a_refused_redemption_changes_nothing(client, database, offices, body, status, code) -> None:
    office, items = await _refusal_setup(database, offices, "远安拒绝")
    items |= {"unknown": uuid.uuid4(), "other_office": await make_item(offices["b"], price=1, stock=5)}
    sent = {k: str(items[v]) if isinstance(v, str) and v in items else v for k, v in body.items()}
    before = await store_state(office.code)
    with at(SPRING):
        refused = await client.post(f"{api(office.code)}/redemptions", json=sent, headers=office.deputy.headers)
        assert refused.status_code == status and refused.json()["code"] == code, refused.text
        assert refused.json()["message"]
        assert (await client.get(f"{api(office.code)}/balance", headers=office.deputy.headers)).json()[
            "available"
        ] == 25
    assert await store_state(office.code) == before


async def test_the_refusals_say_why_in_chinese(client, database, offices) -> None:
    office, items = await _refusal_setup(database, offices, "远安原因")
    with at(SPRING):
        short = await client.post(
            f"{api(office.code)}/redemptions", json={"store_item_id": str(items["dear"])}, headers=office.deputy.headers
        )
        assert short.json()["message"] == "2026年度积分可用 25 分,兑换需要 30 分,积分不足"
        assert short.json()["details"] == {"points_year": 2026, "available": 25, "needed": 30}
        out = await client.post(
            f"{api(office.code)}/redemptions",
            json={"store_item_id": str(items["last"]), "quantity": 2},
            headers=office.deputy.headers,
        )
        assert "库存不足(剩余 1 件)" in out.json()["message"]


async def test_only_a_deputy_redeems_for_themselves(client, database, offices) -> None:
    office, items = await _refusal_setup(database, offices, "远安非代表")
    before = await store_state(office.code)
    body = {"store_item_id": str(items["cheap"])}
    with at(SPRING):
        staff = await client.post(f"{api(office.code)}/redemptions", json=body, headers=office.staff.headers)
        assert staff.status_code == 403 and staff.json()["code"] == "duty_deputy_only"
        viewer = await client.post(f"{api(office.code)}/redemptions", json=body, headers=office.viewer.headers)
        assert viewer.status_code == 403 and viewer.json()["code"] == "permission_denied"
        # A deputy of another office is no deputy here.
        other = await duty_office(database, offices["b"], "兴山代表", deputies=1)
        elsewhere = await client.post(f"{api(office.code)}/redemptions", json=body, headers=other.deputy.headers)
        assert elsewhere.status_code == 403
    assert await store_state(office.code) == before


# --- handing over and cancelling ----------------------------------------------------------------------------
async def _redeem(client, office, item: uuid.UUID, deputy=None, quantity: int = 1) -> str:
    made = await client.post(
        f"{api(office.code)}/redemptions",
        json={"store_item_id": str(item), "quantity": quantity},
        headers=(deputy or office.deputy).headers,
    )
    assert made.status_code == 201, made.text
    return made.json()["id"]


async def test_staff_hand_over_once_and_the_deputy_is_told(client, database, offices) -> None:
    office = await duty_office(database, offices["a"], "远安领取", deputies=1)
    await give_points(office.code, office.person, 2026, 60)
    item = await make_item(office.code, price=10, stock=5, name="台灯")
    url = f"{api(office.code)}/redemptions"
    with at(SPRING):
        first = await _redeem(client, office, item)
        before = await store_state(office.code)
        by_deputy = await client.post(f"{url}/{first}/handover", json={}, headers=office.deputy.headers)
        assert by_deputy.status_code == 403 and by_deputy.json()["code"] == "duty_staff_only"
        assert await store_state(office.code) == before

        done = await client.post(f"{url}/{first}/handover", json={"note": "本人领取"}, headers=office.staff.headers)
        assert done.status_code == 200, done.text
        shown = done.json()
        assert (shown["status"], shown["status_label"], shown["note"]) == ("handed_over", "已领取", "本人领取")
        assert str(office.staff.user_id) in shown["handled_by"] and shown["handled_at"]
        # Handed over is final: neither handed over again nor cancelled.
        after = await store_state(office.code)
        again = await client.post(f"{url}/{first}/handover", json={}, headers=office.staff.headers)
        assert again.status_code == 409 and again.json()["code"] == "redemption_not_pending"
        cancelled = await client.post(f"{url}/{first}/cancel", json={"reason": "误操作"}, headers=office.staff.headers)
        assert cancelled.status_code == 409 and cancelled.json()["code"] == "redemption_not_pending"
        assert await store_state(office.code) == after
        # The points stay spent.
        assert (await client.get(f"{api(office.code)}/balance", headers=office.deputy.headers)).json()["spent"] == 10
    kinds = [n[0] for n in await notices_of(office.code, office.deputy.user_id)]
    assert kinds == ["duty_redemption_ready", "duty_redemption_handed_over"]


async def test_a_cancellation_gives_back_the_stock_and_the_points(client, database, offices) -> None:
    office = await duty_office(database, offices["a"], "远安取消", deputies=2)
    await give_points(office.code, office.person, 2026, 60)
    item = await make_item(office.code, price=10, stock=5, name="水杯")
    url, staff = f"{api(office.code)}/redemptions", office.staff.headers
    with at(SPRING):
        by_staff = await _redeem(client, office, item, quantity=2)
        own = await _redeem(client, office, item)
        assert (await client.get(f"{api(office.code)}/items/{item}", headers=staff)).json()["stock"] == 2

        # Staff give the deputy a reason; without one nothing changes.
        before = await store_state(office.code)
        for body, code in (({}, "cancel_reason_required"), ({"reason": "长" * 201}, "note_too_long")):
            refused = await client.post(f"{url}/{by_staff}/cancel", json=body, headers=staff)
            assert refused.status_code == 400 and refused.json()["code"] == code
        wrong_type = await client.post(f"{url}/{by_staff}/cancel", json={"reason": 5}, headers=staff)
        assert wrong_type.status_code == 400
        assert await store_state(office.code) == before

        done = await client.post(f"{url}/{by_staff}/cancel", json={"reason": "物品已停产"}, headers=staff)
        assert done.status_code == 200 and (done.json()["status"], done.json()["note"]) == ("cancelled", "物品已停产")
        # Another deputy can neither see nor cancel it; the deputy cancels their own without a reason.
        other = office.deputies[1]
        assert (await client.get(f"{url}/{own}", headers=other.headers)).status_code == 404
        theirs = await client.post(f"{url}/{own}/cancel", json={}, headers=other.headers)
        assert theirs.status_code == 404 and theirs.json()["code"] == "redemption_not_found"
        mine = await client.post(f"{url}/{own}/cancel", json={}, headers=office.deputy.headers)
        assert mine.status_code == 200 and mine.json()["status"] == "cancelled"

        assert (await client.get(f"{api(office.code)}/items/{item}", headers=staff)).json()["stock"] == 5
        balance = (await client.get(f"{api(office.code)}/balance", headers=office.deputy.headers)).json()
        assert (balance["spent"], balance["available"]) == (0, 60)
    notices = await notices_of(office.code, office.deputy.user_id)
    assert [n[0] for n in notices] == ["duty_redemption_ready", "duty_redemption_ready", "duty_redemption_cancelled"]
    assert "物品已停产" in notices[-1][2] and "积分20分已退回" in notices[-1][2]
    restored = await audit_of(office.code, "duty_store_items", item)
    assert [r[2]["stock"] for r in restored if r[0] == "update"] == [[5, 3], [3, 2], [2, 4], [4, 5]]


async def test_who_sees_which_redemptions(client, database, offices) -> None:
    office = await duty_office(database, offices["a"], "远安可见", deputies=2)
    one, two = office.persons
    for person in office.persons:
        await give_points(office.code, person, 2026, 50)
    item = await make_item(office.code, price=5, stock=10)
    url = f"{api(office.code)}/redemptions"
    with at(SPRING):
        mine = await _redeem(client, office, item)
        theirs = await _redeem(client, office, item, deputy=office.deputies[1])
        await client.post(f"{url}/{theirs}/handover", json={}, headers=office.staff.headers)

        listed = await client.get(url, headers=office.deputy.headers)
        assert [r["id"] for r in listed.json()["items"]] == [mine]
        asked = await client.get(url, params={"person_id": str(two)}, headers=office.deputy.headers)
        assert asked.status_code == 403 and asked.json()["code"] == "duty_not_own"
        other_balance = await client.get(
            f"{api(office.code)}/balance", params={"person_id": str(two)}, headers=office.deputy.headers
        )
        assert other_balance.status_code == 403

        for caller in (office.staff, office.viewer, office.committee):
            both = await client.get(url, params={"page_size": 200}, headers=caller.headers)
            assert {mine, theirs} <= {r["id"] for r in both.json()["items"]}
        filtered = await client.get(
            url,
            params={"person_id": str(two), "status": "handed_over", "points_year": 2026},
            headers=office.staff.headers,
        )
        assert [r["id"] for r in filtered.json()["items"]] == [theirs]
        pending = await client.get(
            url, params={"person_id": str(one), "status": "handed_over"}, headers=office.staff.headers
        )
        assert pending.json()["items"] == []

        for params, code in (
            ({"status": "lost"}, "invalid_status"),
            ({"points_year": 1900}, "invalid_year"),
            ({"page": 0}, "invalid_page"),
            ({"page_size": 500}, "invalid_page_size"),
        ):
            bad = await client.get(url, params=params, headers=office.staff.headers)
            assert bad.status_code == 400 and bad.json()["code"] == code
        not_a_year = await client.get(url, params={"points_year": "去年"}, headers=office.staff.headers)
        assert not_a_year.status_code == 400
        # The staff are no deputy: their own balance has no meaning; a person not in the register is not found.
        own = await client.get(f"{api(office.code)}/balance", headers=office.staff.headers)
        assert own.status_code == 403 and own.json()["code"] == "duty_deputy_only"
        nobody = await client.get(
            f"{api(office.code)}/balance", params={"person_id": str(uuid.uuid4())}, headers=office.staff.headers
        )
        assert nobody.status_code == 404


# --- the year boundary ------------------------------------------------------------------------------------
async def test_on_new_years_day_the_year_just_ended_is_spent(client, database, offices) -> None:
    office = await duty_office(database, offices["a"], "远安跨年", deputies=1)
    await give_points(office.code, office.person, 2026, 30)
    await give_points(office.code, office.person, 2027, 60)
    item = await make_item(office.code, price=10, stock=20)
    balance_url, deputy = f"{api(office.code)}/balance", office.deputy.headers
    # 31 December 2026, ten to midnight: 2026 is still this year; 2025 earned nothing.
    with at(date(2026, 12, 31), 23, 50):
        assert (await client.get(balance_url, headers=deputy)).json()["points_year"] == 2025
        refused = await client.post(
            f"{api(office.code)}/redemptions", json={"store_item_id": str(item)}, headers=deputy
        )
        assert refused.status_code == 409 and refused.json()["code"] == "points_insufficient"
    # Ten past midnight on 1 January 2027 (local time; still 31 December in UTC): 2026's 30 points.
    with at(date(2027, 1, 1), 0, 10):
        balance = (await client.get(balance_url, headers=deputy)).json()
        assert (balance["points_year"], balance["available"]) == (2026, 30)
        made = await client.post(
            f"{api(office.code)}/redemptions", json={"store_item_id": str(item), "quantity": 3}, headers=deputy
        )
        assert made.status_code == 201 and made.json()["points_year"] == 2026
        more = await client.post(f"{api(office.code)}/redemptions", json={"store_item_id": str(item)}, headers=deputy)
        assert more.json()["code"] == "points_insufficient"  # 2027's 60 are next year's to spend
    # A year on, 2027's points are spent, whatever was spent of 2026's.
    with at(date(2028, 1, 1), 0, 10):
        balance = (await client.get(balance_url, headers=deputy)).json()
        assert (balance["points_year"], balance["earned"], balance["spent"], balance["available"]) == (2027, 60, 0, 60)
