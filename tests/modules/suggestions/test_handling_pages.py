"""The handling pages as their users see them: staff assign with unit pickers and decide requests, the
lead unit replies from its phone, co-handlers give their opinion, errors come back on the page."""

from __future__ import annotations

from datetime import date

import pytest

from tests.modules.suggestions.support import add_unit, get, make_suggestion, office, unit_rows
from tests.modules.suggestions.test_assignment import at

# Dates matter here (the deadline the assignment form gives, extensions):
# CI runs these again with the clock pinned (tests/conftest.py).
pytestmark = pytest.mark.date_sensitive

HTML = {"Accept": "text/html"}


async def test_staff_assign_and_units_handle_through_the_pages(client, database, offices) -> None:
    place = await office(database, offices["a"], "竹山页面")
    archived, _ = await add_unit(place, "已撤销的粮食局", active=False)
    item = await make_suggestion(place, status="accepted", title="关于增设城关镇公交站点的建议")
    staff = {**place.staff.headers, **HTML}
    page_url = f"/t/{place.code}/suggestions/items/{item.id}/handling"
    page = await client.get(page_url, headers=staff)
    assert page.status_code == 200 and "交办" in page.text
    assert f'value="{place.unit_id}"' in page.text and f'value="{archived}"' not in page.text  # pickers: active only

    bad = await client.post(
        f"{page_url.removesuffix('/handling')}/assignment", data={"lead_unit_id": str(archived)}, headers=staff
    )
    assert bad.status_code == 400 and "已停用" in bad.text
    assert (await get(place.code, item.id)).status == "accepted"
    with at(date(2027, 1, 31)):
        done = await client.post(
            f"{page_url.removesuffix('/handling')}/assignment",
            data={"lead_unit_id": str(place.unit_id), "co_unit_ids": [str(place.other_unit_id)], "note": "请尽快办理"},
            headers=staff,
            follow_redirects=False,
        )
    assert done.status_code in (302, 303), done.text
    assigned = await get(place.code, item.id)
    assert (assigned.status, assigned.deadline) == ("assigned", date(2027, 4, 30))
    assert sorted(r.role for r in await unit_rows(place.code, item.id)) == ["co", "lead"]

    lead = {**place.unit_user.headers, **HTML}
    mine = await client.get(f"/t/{place.code}/suggestions/units/items?all=1", headers=lead)
    assert mine.status_code == 200 and "关于增设城关镇公交站点的建议" in mine.text and 'name="viewport"' in mine.text
    lead_page = await client.get(page_url, headers=lead)
    assert "答复代表" in lead_page.text and "提交协办意见" not in lead_page.text
    co_page = await client.get(page_url, headers={**place.other_unit_user.headers, **HTML})
    assert "提交协办意见" in co_page.text and "答复代表" not in co_page.text

    reply_url = page_url.removesuffix("/handling") + "/reply"
    classless = await client.post(reply_url, data={"_form": "reply", "reply_text": "已增设站点"}, headers=lead)
    assert classless.status_code == 400 and "请选择答复类别" in classless.text and "已增设站点" in classless.text
    replied = await client.post(
        reply_url, data={"reply_class": "A", "reply_text": "已增设站点"}, headers=lead, follow_redirects=False
    )
    assert replied.status_code in (302, 303)
    after = await client.get(page_url, headers=lead)
    assert "A类(已解决或采纳)" in after.text and "letter.pdf" in after.text


async def test_staff_see_requests_and_change_the_settings_on_pages(client, database, offices) -> None:
    place = await office(database, offices["b"], "竹溪页面")
    item = await make_suggestion(place, status="assigned", deadline=date(2027, 6, 10), year=2027)
    asked = await client.post(
        f"/api/v1/t/{place.code}/suggestions/items/{item.id}/requests",
        json={"kind": "extension", "reason": "资金未到位", "new_deadline": "2027-07-10"},
        headers=place.unit_user.headers,
    )
    assert asked.status_code == 201, asked.text
    staff = {**place.staff.headers, **HTML}
    listed = await client.get(f"/t/{place.code}/suggestions/requests", headers=staff)
    assert listed.status_code == 200 and "资金未到位" in listed.text
    assert (
        await client.get(f"/t/{place.code}/suggestions/requests", headers={**place.unit_user.headers, **HTML})
    ).status_code == 403
    decided = await client.post(
        f"/t/{place.code}/suggestions/items/{item.id}/requests/{asked.json()['id']}/decision",
        data={"approve": "1", "new_deadline": "2027-07-01"},
        headers=staff,
        follow_redirects=False,
    )
    assert decided.status_code in (302, 303)
    assert (await get(place.code, item.id)).deadline == date(2027, 7, 1)

    settings_url = f"/t/{place.code}/suggestions/settings"
    shown = await client.get(settings_url, headers=staff)
    assert shown.status_code == 200 and "办理期限" in shown.text
    wrong = await client.post(settings_url, data={"deadline_months": "20"}, headers=staff)
    assert wrong.status_code == 400 and "办理期限应在 1 至 12 个月之间" in wrong.text
    saved = await client.post(
        settings_url,
        data={
            "second_round_months": "3",
            "public_board": ["0", "1"],
            "public_fields_sent": "1",
            "public_fields": ["number", "title"],
        },
        headers=staff,
        follow_redirects=False,
    )
    assert saved.status_code in (302, 303), saved.text
    got = (await client.get(f"/api/v1/t/{place.code}/suggestions/settings", headers=place.staff.headers)).json()
    assert (got["second_round_months"], got["public_board"], got["public_fields"]) == (3, True, ["number", "title"])
    restore = {
        "second_round_months": 2,
        "public_board": False,
        "public_fields": ["number", "title", "category", "units", "status"],
    }
    assert (
        await client.put(f"/api/v1/t/{place.code}/suggestions/settings", json=restore, headers=place.staff.headers)
    ).status_code == 200


async def test_the_sidebar_leads_units_to_their_items_and_staff_to_requests(client, database, offices) -> None:
    place = await office(database, offices["a"], "竹山导航")
    unit_home = await client.get(f"/t/{place.code}/", headers={**place.unit_user.headers, **HTML})
    assert "/suggestions/units/items" in unit_home.text and "/suggestions/requests" not in unit_home.text
    staff_home = await client.get(f"/t/{place.code}/", headers={**place.staff.headers, **HTML})
    assert "/suggestions/requests" in staff_home.text and "/suggestions/units/items" not in staff_home.text
