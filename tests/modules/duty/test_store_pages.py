"""The points store's pages: the deputy's store (balance, items, redeem, my redemptions) and the staff's
items, handovers waiting and history with its Excel export; a refused form shows the page again with the
reason and changes nothing."""

from __future__ import annotations

import io
import re
import uuid

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from renda.modules.exports import service as exports
from renda.modules.exports.models import Export
from renda.tenants.scoping import load_tenant, tenant_session
from tests.modules.duty.support import ACTOR, duty_office
from tests.modules.duty.support_store import SPRING_DAY, at, give_points, make_item, store_state

pytestmark = pytest.mark.date_sensitive

HTML = {"Accept": "text/html"}


def alert(html: str) -> str:
    found = re.search(r'role="alert">(.*?)<', html, re.S)
    return found.group(1).strip() if found else ""


async def item_row(code: str, item: uuid.UUID) -> tuple:
    return (await store_state(code)).items[item]


async def test_the_deputy_redeems_and_cancels_on_the_store_page(client, database, offices) -> None:
    office = await duty_office(database, offices["a"], "远安页面", deputies=1)
    code, deputy = office.code, {**office.deputy.headers, **HTML}
    await give_points(code, office.person, 2026, 35)
    cheap = await make_item(code, price=10, stock=2, name="笔记本")
    dear = await make_item(code, price=50, stock=5, name="电热水壶")
    empty = await make_item(code, price=5, stock=0, name="围巾")
    hidden = await make_item(code, price=5, stock=5, active=False, name="旧台历")
    url = f"/t/{code}/duty/store"
    with at(SPRING_DAY):
        page = await client.get(url, headers=deputy)
        html = page.text
        assert page.status_code == 200 and "积分超市" in html
        assert re.search(r"<strong data-balance>35</strong>", html) and "2026 年度积分 35 分,已兑换 0 分" in html
        shown = await store_state(code)
        for item in (cheap, dear, empty):
            assert shown.items[item][0] in html
        assert shown.items[hidden][0] not in html
        assert "积分不足" in html and "已兑完" in html and "还没有兑换记录" in html
        # The quantity offered is what the stock and the balance allow: 2 of the cheap one.
        card = re.search(rf"{shown.items[cheap][0]}.*?</li>", html, re.S).group(0)
        assert f'value="{cheap}"' in card and '<option value="2">2</option>' in card
        assert '<option value="3">' not in card

        done = await client.post(
            f"{url}/redeem", data={"store_item_id": str(cheap), "quantity": "2"}, headers=deputy, follow_redirects=False
        )
        assert done.status_code in (302, 303) and done.headers["location"] == f"{url}?done=redeemed"
        page = (await client.get(done.headers["location"], headers=deputy)).text
        assert "兑换成功" in page and "待领取" in page and "<strong data-balance>15</strong>" in page
        redemption = re.search(r"/duty/store/redemptions/([0-9a-f-]{36})/cancel", page).group(1)

        cancelled = await client.post(
            f"{url}/redemptions/{redemption}/cancel", data={}, headers=deputy, follow_redirects=False
        )
        assert cancelled.headers["location"] == f"{url}?done=cancelled"
        page = (await client.get(url, headers=deputy)).text
        assert "已取消" in page and "<strong data-balance>35</strong>" in page


BAD_FORMS = [
    ({"store_item_id": "cheap", "quantity": "两个"}, 400, "“数量”应为数字"),
    ({"store_item_id": "cheap", "quantity": "0"}, 400, "每次兑换数量应为 1 到 10 件"),
    ({"store_item_id": "cheap", "quantity": "4"}, 409, "2026年度积分可用 35 分,兑换需要 40 分,积分不足"),
    ({"store_item_id": "last", "quantity": "2"}, 409, "库存不足(剩余 1 件)"),
    ({"store_item_id": "withdrawn"}, 409, "已下架,暂不能兑换"),
    ({"store_item_id": "unknown"}, 404, "该兑换物品不存在"),
    ({"store_item_id": "不是编号"}, 400, "请从列表中选择“兑换物品”"),
    ({}, 400, "请填写“兑换物品”"),
]


@pytest.mark.parametrize(("form", "status", "message"), BAD_FORMS)
async def test_a_refused_redemption_form_says_why(client, database, offices, form, status, message) -> None:
    office = await duty_office(database, offices["a"], "远安页面拒绝", deputies=1)
    await give_points(office.code, office.person, 2026, 35)
    items = {
        "cheap": await make_item(office.code, price=10, stock=9),
        "last": await make_item(office.code, price=1, stock=1),
        "withdrawn": await make_item(office.code, price=1, stock=9, active=False),
        "unknown": uuid.uuid4(),
    }
    sent = {k: str(items.get(v, v)) for k, v in form.items()}
    before = await store_state(office.code)
    with at(SPRING_DAY):
        page = await client.post(
            f"/t/{office.code}/duty/store/redeem", data=sent, headers={**office.deputy.headers, **HTML}
        )
    assert page.status_code == status and message in alert(page.text), (page.status_code, alert(page.text))
    assert "<strong data-balance>35</strong>" in page.text  # the page again, as it was
    assert await store_state(office.code) == before


async def test_staff_keep_the_items_on_their_page(client, database, offices) -> None:
    office = await duty_office(database, offices["a"], "远安物品页", deputies=1)
    code, staff = office.code, {**office.staff.headers, **HTML}
    url = f"/t/{code}/duty/store"
    name = f"帆布包{uuid.uuid4().hex[:6]}"
    made = await client.post(
        f"{url}/items",
        data={"name": name, "price": "12", "stock": "3", "description": "印有代表之家标识", "active": ["0", "1"]},
        headers=staff,
        follow_redirects=False,
    )
    assert made.status_code in (302, 303) and made.headers["location"] == f"{url}/manage?done=saved"
    page = (await client.get(f"{url}/manage", headers=staff)).text
    assert name in page and "印有代表之家标识" in page and "新增物品" in page
    item = uuid.UUID(re.search(rf'data-item="{name}".*?/items/([0-9a-f-]{{36}})/restock', page, re.S).group(1))
    assert await item_row(code, item) == (name, "印有代表之家标识", 12, 3, True)

    before = await store_state(code)
    for form, message in (
        ({"name": "茶杯", "price": "-1", "stock": "3"}, "兑换所需积分应为 1 到 100000 之间的整数"),
        ({"name": "茶杯", "price": "十", "stock": "3"}, "“兑换所需积分”应为数字"),
        ({"name": "茶杯", "price": "5", "stock": "-2"}, "库存数量应为 0 到 100000 之间的整数"),
        ({"name": "", "price": "5", "stock": "2"}, "请填写物品名称"),
        ({"name": "茶杯", "price": "", "stock": "2"}, "请填写“兑换所需积分”"),
    ):
        refused = await client.post(f"{url}/items", data={"_form": "new-item", **form}, headers=staff)
        assert refused.status_code == 400 and message in alert(refused.text), alert(refused.text)
        assert 'value="茶杯"' in refused.text or not form["name"]  # what was typed is kept
    for path, form, message in (
        ("edit", {"name": name, "price": "0", "stock": "3", "description": "", "active": "1"}, "兑换所需积分应为"),
        ("restock", {"quantity": "0"}, "补充数量应为 1 到 100000 之间的整数"),
        ("restock", {"quantity": "好多"}, "“数量”应为数字"),
    ):
        refused = await client.post(f"{url}/items/{item}/{path}", data=form, headers=staff)
        assert refused.status_code == 400 and message in alert(refused.text), alert(refused.text)
    assert await store_state(code) == before

    # Withdrawn (the box unticked sends only the hidden 0), then topped up.
    edited = await client.post(
        f"{url}/items/{item}/edit",
        data={"name": name, "price": "15", "stock": "3", "description": "", "active": "0"},
        headers=staff,
        follow_redirects=False,
    )
    assert edited.status_code in (302, 303)
    topped = await client.post(
        f"{url}/items/{item}/restock", data={"quantity": "7"}, headers=staff, follow_redirects=False
    )
    assert topped.status_code in (302, 303)
    assert await item_row(code, item) == (name, "", 15, 10, False)
    row = re.search(rf'data-item="{name}".*?</tr>', (await client.get(f"{url}/manage", headers=staff)).text, re.S)
    assert "已下架" in row.group(0)
    missing = await client.post(f"{url}/items/{uuid.uuid4()}/restock", data={"quantity": "1"}, headers=staff)
    assert missing.status_code == 404


async def test_staff_hand_over_and_cancel_from_the_waiting_list(client, database, offices) -> None:
    # 兴山: its waiting list holds only this test's redemptions.
    office = await duty_office(database, offices["b"], "兴山待领", deputies=1)
    code, staff = office.code, {**office.staff.headers, **HTML}
    await give_points(code, office.person, 2026, 40)
    item = await make_item(code, price=10, stock=5, name="保温杯")
    url = f"/t/{code}/duty/store"
    with at(SPRING_DAY):
        for _ in range(2):
            await client.post(
                f"{url}/redeem", data={"store_item_id": str(item)}, headers={**office.deputy.headers, **HTML}
            )
        page = (await client.get(f"{url}/pending", headers=staff)).text
        first, second = re.findall(r'data-redemption="([0-9a-f-]{36})"', page)  # the one who waited longest first
        assert "确认已领取" in page and (await store_state(code)).items[item][0] in page

        handed = await client.post(
            f"{url}/redemptions/{first}/handover", data={"note": "本人领取"}, headers=staff, follow_redirects=False
        )
        assert handed.headers["location"] == f"{url}/pending?done=handed_over"
        before = await store_state(code)
        no_reason = await client.post(f"{url}/redemptions/{second}/cancel", data={"from": "pending"}, headers=staff)
        assert no_reason.status_code == 400 and "请填写取消原因" in alert(no_reason.text) and "待领取" in no_reason.text
        again = await client.post(f"{url}/redemptions/{first}/handover", data={}, headers=staff)
        assert again.status_code == 409 and "已领取,不能再办理" in alert(again.text)
        assert await store_state(code) == before
        cancelled = await client.post(
            f"{url}/redemptions/{second}/cancel",
            data={"from": "pending", "reason": "代表调离本地"},
            headers=staff,
            follow_redirects=False,
        )
        assert cancelled.headers["location"] == f"{url}/pending?done=cancelled"
        page = (await client.get(f"{url}/pending", headers=staff)).text
        assert first not in page and second not in page
        mine = (await client.get(url, headers={**office.deputy.headers, **HTML})).text
        assert "已领取" in mine and "取消原因:代表调离本地" in mine


async def test_the_history_filters_and_exports_to_excel(client, database, offices) -> None:
    office = await duty_office(database, offices["a"], "远安记录", deputies=1)
    code, staff = office.code, {**office.staff.headers, **HTML}
    await give_points(code, office.person, 2026, 40)
    item = await make_item(code, price=10, stock=5, name="书签")
    item_name = (await store_state(code)).items[item][0]
    url = f"/t/{code}/duty/store"
    with at(SPRING_DAY):
        await client.post(
            f"{url}/redeem",
            data={"store_item_id": str(item), "quantity": "2"},
            headers={**office.deputy.headers, **HTML},
        )
        page = await client.get(f"{url}/history", params={"status": "requested", "points_year": "2026"}, headers=staff)
        assert page.status_code == 200 and item_name in page.text and "导出 Excel" in page.text
        assert '<option value="2026" selected' in page.text
        bad = await client.get(f"{url}/history", params={"status": "lost"}, headers=staff)
        assert bad.status_code == 200 and alert(bad.text) == "兑换状态无效"

        refused = await client.post(f"{url}/history/export", data={"points_year": "明年"}, headers=staff)
        assert refused.status_code == 400 and alert(refused.text) == "积分年度无效"
        requested = await client.post(
            f"{url}/history/export",
            data={"status": "requested", "points_year": "2026"},
            headers=staff,
            follow_redirects=False,
        )
        assert requested.status_code in (302, 303)
        location = requested.headers["location"]
        assert location.startswith(f"{url}/history?") and "status=requested" in location
    export_id = uuid.UUID(location.split("export=")[1])
    async with tenant_session(await load_tenant(code), actor=ACTOR) as session:
        export = (await session.execute(select(Export).where(Export.id == export_id))).scalar_one()
        assert export.kind == "duty_redemptions" and export.params == {"status": "requested", "points_year": "2026"}
        await exports.build(session, export)
        await session.commit()
        content = (await exports.get_export(session, export_id, with_content=True)).content
    rows = list(load_workbook(io.BytesIO(content)).active.iter_rows(values_only=True))
    assert rows[0][:7] == ("兑换时间", "代表", "兑换物品", "数量", "所用积分", "积分年度", "状态")
    mine = [r for r in rows[1:] if r[2] == item_name]
    assert len(mine) == 1 and mine[0][3:7] == (2, 20, 2026, "待领取") and mine[0][1].startswith("远安记录代表0")
    notice = (await client.get(location, headers=staff)).text
    assert "导出任务已完成" in notice and f"/exports/{export_id}/file" in notice
    # A deputy exports nothing: the export belongs to who sees the whole office.
    theirs = await client.post(f"{url}/history/export", data={}, headers={**office.deputy.headers, **HTML})
    assert theirs.status_code == 403


async def test_who_reaches_which_store_page(client, database, offices) -> None:
    office = await duty_office(database, offices["a"], "远安入口", deputies=1)
    url = f"/t/{office.code}/duty/store"
    deputy, staff, viewer = ({**c.headers, **HTML} for c in (office.deputy, office.staff, office.viewer))
    store_page = (await client.get(url, headers=deputy)).text
    assert f'href="{url}">积分超市</a>' in store_page and "积分兑换管理" not in store_page
    for path in ("manage", "pending", "history"):
        assert (await client.get(f"{url}/{path}", headers=deputy)).status_code == 403
        assert (await client.get(f"{url}/{path}", headers=viewer)).status_code == 200
    staff_page = (await client.get(f"{url}/manage", headers=staff)).text
    assert f'href="{url}/pending">积分兑换管理</a>' in staff_page and "新增物品" in staff_page
    viewer_page = (await client.get(f"{url}/manage", headers=viewer)).text
    assert "新增物品" not in viewer_page and "补货" not in viewer_page
    # Who is no deputy is told so on the store page, and offered no redemption.
    shown = (await client.get(url, headers=staff)).text
    assert "没有关联代表身份" in shown and "data-balance" not in shown
    refused = await client.post(f"{url}/items", data={"name": "茶杯", "price": "5", "stock": "1"}, headers=viewer)
    assert refused.status_code == 403
