"""交办 and the office's settings through the API as the real roles: deadlines from the local date of
assignment (month ends, 29 February), co-handlers' due dates, the assignment notice, reassignment and
extension requests decided by staff, and the bad input that changes nothing."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
import time_machine

from renda.core.timezone import LOCAL_TZ
from tests.modules.suggestions.support import (
    add_unit,
    get,
    make_suggestion,
    notices,
    office,
    steps,
    unit_rows,
)

# Dates matter here (deadlines from the local date of assignment (month ends), the reassignment window, extensions):
# CI runs these again with the clock pinned (tests/conftest.py).
pytestmark = pytest.mark.date_sensitive


def at(day: date, hour: int = 10) -> time_machine.travel:
    return time_machine.travel(datetime(day.year, day.month, day.day, hour, tzinfo=LOCAL_TZ), tick=True)


def api(code: str, suggestion_id=None) -> str:
    base = f"/api/v1/t/{code}/suggestions"
    return f"{base}/items/{suggestion_id}" if suggestion_id else base


async def test_settings_are_read_by_all_and_changed_by_staff_within_bounds(client, database, offices) -> None:
    place = await office(database, offices["b"], "竹溪规则")
    url = f"{api(place.code)}/settings"
    shown = (await client.get(url, headers=place.viewer.headers)).json()
    assert shown["deadline_months"] == 3 and shown["broad_deadline_months"] == 6 and shown["cohandler_days"] == 30

    changed = await client.put(url, json={"cohandler_days": 20, "reassign_window_days": 5}, headers=place.staff.headers)
    assert changed.status_code == 200, changed.text
    assert changed.json()["cohandler_days"] == 20 and changed.json()["deadline_months"] == 3

    for body, code in (
        ({"deadline_months": 13}, "invalid_setting"),
        ({"deadline_months": 7}, "invalid_setting"),  # longer than the broad period (6)
        ({"rating_window_days": 0}, "invalid_setting"),
        ({"public_fields": ["title", "phone"]}, "unknown_public_field"),
    ):
        refused = await client.put(url, json=body, headers=place.staff.headers)
        assert refused.status_code == 400 and refused.json()["code"] == code, refused.text
        assert "期限" in refused.json()["message"] or "公开栏" in refused.json()["message"]
    denied = await client.put(url, json={"cohandler_days": 10}, headers=place.unit_user.headers)
    assert denied.status_code == 403
    after = (await client.get(url, headers=place.staff.headers)).json()
    assert after["cohandler_days"] == 20 and after["deadline_months"] == 3 and after["rating_window_days"] == 30
    restored = {"cohandler_days": 30, "reassign_window_days": 10}
    assert (await client.put(url, json=restored, headers=place.staff.headers)).status_code == 200


async def test_assignment_runs_the_deadline_from_the_local_date_and_tells_the_units(client, database, offices) -> None:
    place = await office(database, offices["a"], "竹山交办")
    item = await make_suggestion(place, status="accepted")
    broad = await make_suggestion(place, status="accepted")
    # 30 November 2027, 00:30 in Beijing (still 29 November in UTC): three months on is 29 February 2028.
    with time_machine.travel(datetime(2027, 11, 30, 0, 30, tzinfo=LOCAL_TZ), tick=True):
        done = await client.post(
            f"{api(place.code, item.id)}/assignment",
            json={"lead_unit_id": str(place.unit_id), "co_unit_ids": [str(place.other_unit_id)]},
            headers=place.staff.headers,
        )
        assert done.status_code == 200, done.text
        wide = await client.post(
            f"{api(place.code, broad.id)}/assignment",
            json={"lead_unit_id": str(place.unit_id), "broad": True},
            headers=place.staff.headers,
        )
    body = done.json()
    assert body["status"] == "assigned" and body["deadline"] == "2028-02-29"
    assert [(u["role"], u["opinion_due"]) for u in body["units"]] == [("lead", None), ("co", "2027-12-30")]
    assert wide.json()["deadline"] == "2028-05-30" and (await get(place.code, broad.id)).broad is True
    assert [s.kind for s in await steps(place.code, item.id)] == ["assigned"]
    for user in (place.unit_user, place.other_unit_user):
        (notice,) = await notices(place.code, user.user_id, "suggestion_assigned", item.id)
        assert "2028年2月29日" in notice.body
    # The units see it in 我的承办; the lead unit acts as lead, the co-handler as co.
    mine = (await client.get(f"{api(place.code)}/units/items", headers=place.other_unit_user.headers)).json()
    assert [(i["id"], i["role"]) for i in mine["items"] if i["id"] == str(item.id)] == [(str(item.id), "co")]


async def test_bad_assignments_change_nothing(client, database, offices) -> None:
    place = await office(database, offices["a"], "竹山错交")
    item = await make_suggestion(place, status="accepted")
    archived, _ = await add_unit(place, "已撤并的城建局", active=False)
    url = f"{api(place.code, item.id)}/assignment"
    for body, status, code in (
        ({"lead_unit_id": str(archived)}, 400, "unit_archived"),
        ({"lead_unit_id": str(place.unit_id), "co_unit_ids": [str(archived)]}, 400, "unit_archived"),
        ({"lead_unit_id": str(place.unit_id), "co_unit_ids": [str(place.unit_id)]}, 400, "lead_also_cohandler"),
        ({"lead_unit_id": "00000000-0000-4000-8000-000000000000"}, 400, "unknown_unit"),
    ):
        refused = await client.post(url, json=body, headers=place.staff.headers)
        assert (refused.status_code, refused.json()["code"]) == (status, code), refused.text
    assert (
        "已停用"
        in (await client.post(url, json={"lead_unit_id": str(archived)}, headers=place.staff.headers)).json()["message"]
    )
    as_unit = await client.post(url, json={"lead_unit_id": str(place.unit_id)}, headers=place.unit_user.headers)
    assert as_unit.status_code == 404  # a unit does not see a suggestion not assigned to it
    as_deputy = await client.post(url, json={"lead_unit_id": str(place.unit_id)}, headers=place.deputy.headers)
    assert (as_deputy.status_code, as_deputy.json()["code"]) == (403, "suggestions_staff_only")
    found = await get(place.code, item.id)
    assert found.status == "accepted" and found.lead_unit_id is None and found.deadline is None
    assert await unit_rows(place.code, item.id) == [] and await steps(place.code, item.id) == []

    submitted = await make_suggestion(place, status="submitted")
    early = await client.post(
        f"{api(place.code, submitted.id)}/assignment",
        json={"lead_unit_id": str(place.unit_id)},
        headers=place.staff.headers,
    )
    assert (early.status_code, early.json()["code"]) == (409, "cannot_assign")
    other = await office(database, offices["b"], "竹溪错交")
    elsewhere = await client.post(
        f"{api(other.code, item.id)}/assignment", json={"lead_unit_id": str(other.unit_id)}, headers=other.staff.headers
    )
    assert (elsewhere.status_code, elsewhere.json()["code"]) == (404, "suggestion_not_found")


async def _assigned(client, place, *, day: date, co: bool = True):
    item = await make_suggestion(place, status="accepted")
    body = {"lead_unit_id": str(place.unit_id), "co_unit_ids": [str(place.other_unit_id)] if co else []}
    with at(day):
        done = await client.post(f"{api(place.code, item.id)}/assignment", json=body, headers=place.staff.headers)
    assert done.status_code == 200, done.text
    return item


async def test_reassignment_within_the_window_restarts_the_clock_for_the_new_unit(client, database, offices) -> None:
    place = await office(database, offices["a"], "竹山调整")
    new_unit, new_user = await add_unit(place, "住房和城乡建设局")
    item = await _assigned(client, place, day=date(2027, 3, 1))
    url = f"{api(place.code, item.id)}/requests"
    reason = {"kind": "reassignment", "reason": "该事项属于住建部门职责"}
    with at(date(2027, 3, 12)):  # the window is 10 days: 11 March is the last
        late = await client.post(url, json=reason, headers=place.unit_user.headers)
    assert (late.status_code, late.json()["code"]) == (409, "reassign_window_closed")
    with at(date(2027, 3, 11)):
        asked = await client.post(url, json=reason, headers=place.unit_user.headers)
        assert asked.status_code == 201, asked.text
        again = await client.post(url, json=reason, headers=place.unit_user.headers)
        assert (again.status_code, again.json()["code"]) == (409, "request_pending")
        empty = await client.post(url, json={**reason, "reason": "  "}, headers=place.other_unit_user.headers)
        assert (empty.status_code, empty.json()["code"]) == (400, "reason_required")
    request_id = asked.json()["id"]
    decision = f"{url}/{request_id}/decision"
    denied = await client.post(decision, json={"approve": True}, headers=place.unit_user.headers)
    assert (denied.status_code, denied.json()["code"]) == (403, "suggestions_staff_only")
    with at(date(2027, 3, 11), hour=11):
        no_unit = await client.post(decision, json={"approve": True}, headers=place.staff.headers)
        assert (no_unit.status_code, no_unit.json()["code"]) == (400, "new_unit_required")
        decided = await client.post(
            decision, json={"approve": True, "new_unit_id": str(new_unit)}, headers=place.staff.headers
        )
    assert decided.status_code == 200, decided.text
    body = decided.json()
    assert body["lead_unit_id"] == str(new_unit) and body["deadline"] == "2027-06-11"
    rows = {u["unit_id"]: u for u in body["units"]}
    assert rows[str(place.unit_id)]["withdrawn_at"] is not None and rows[str(new_unit)]["role"] == "lead"
    assert [r["status"] for r in body["requests"]] == ["approved"]
    assert len(await notices(place.code, new_user.user_id, "suggestion_assigned", item.id)) == 1
    # The replaced unit still reads it, but no longer acts.
    assert (
        await client.get(f"{api(place.code, item.id)}/handling", headers=place.unit_user.headers)
    ).status_code == 200
    reply = {"reply_class": "A", "reply_text": "已办结"}
    stale = await client.post(f"{api(place.code, item.id)}/reply", json=reply, headers=place.unit_user.headers)
    assert (stale.status_code, stale.json()["code"]) == (403, "not_current_unit")
    kinds = [s.kind for s in await steps(place.code, item.id)]
    assert kinds == ["assigned", "reassignment_requested", "reassigned", "request_decided"]

    # A refusal needs its reason.
    with at(date(2027, 3, 11), hour=12):
        co_asks = await client.post(url, json=reason, headers=place.other_unit_user.headers)
    refuse = f"{url}/{co_asks.json()['id']}/decision"
    bare = await client.post(refuse, json={"approve": False}, headers=place.staff.headers)
    assert (bare.status_code, bare.json()["code"]) == (400, "reason_required")
    refused = await client.post(refuse, json={"approve": False, "note": "协办职责明确"}, headers=place.staff.headers)
    assert {r["id"]: r["status"] for r in refused.json()["requests"]}[co_asks.json()["id"]] == "refused"


async def test_extension_asked_by_the_lead_unit_and_decided_or_applied(client, database, offices) -> None:
    place = await office(database, offices["a"], "竹山延期")
    stranger_unit, stranger = await add_unit(place, "文化和旅游局")
    item = await _assigned(client, place, day=date(2027, 8, 31))  # deadline 30 November
    url = f"{api(place.code, item.id)}/requests"
    ask = {"kind": "extension", "reason": "需列入明年预算", "new_deadline": "2028-01-31"}
    for who, status, code in (
        (place.other_unit_user, 403, "lead_unit_only"),  # a co-handler
        (stranger, 404, "suggestion_not_found"),  # a unit not handling it
        (place.deputy, 403, "not_current_unit"),
    ):
        refused = await client.post(url, json=ask, headers=who.headers)
        assert (refused.status_code, refused.json()["code"]) == (status, code), refused.text
    for body, code in (
        ({**ask, "new_deadline": "2027-11-30"}, "extension_not_later"),
        ({**ask, "new_deadline": "2028-03-01"}, "extension_too_long"),  # six months from 31 August: 29 February
        ({**ask, "new_deadline": None}, "new_deadline_required"),
    ):
        refused = await client.post(url, json=body, headers=place.unit_user.headers)
        assert (refused.status_code, refused.json()["code"]) == (400, code), refused.text
    assert (await get(place.code, item.id)).deadline == date(2027, 11, 30)
    assert [s.kind for s in await steps(place.code, item.id)] == ["assigned"]

    asked = await client.post(url, json={**ask, "new_deadline": "2028-02-29"}, headers=place.unit_user.headers)
    assert asked.status_code == 201 and asked.json()["status"] == "pending"
    assert (await get(place.code, item.id)).deadline == date(2027, 11, 30)
    decided = await client.post(
        f"{url}/{asked.json()['id']}/decision",
        json={"approve": True, "new_deadline": "2028-01-15"},
        headers=place.staff.headers,
    )
    assert decided.status_code == 200 and decided.json()["deadline"] == "2028-01-15"
    twice = await client.post(
        f"{url}/{asked.json()['id']}/decision", json={"approve": True}, headers=place.staff.headers
    )
    assert (twice.status_code, twice.json()["code"]) == (409, "request_decided")

    # Where the office does not approve extensions, the lead unit's request applies at once.
    await client.put(
        f"{api(place.code)}/settings", json={"extension_needs_approval": False}, headers=place.staff.headers
    )
    direct = await client.post(url, json={**ask, "new_deadline": "2028-02-20"}, headers=place.unit_user.headers)
    assert direct.status_code == 201 and direct.json()["status"] == "approved"
    assert (await get(place.code, item.id)).deadline == date(2028, 2, 20)
    await client.put(
        f"{api(place.code)}/settings", json={"extension_needs_approval": True}, headers=place.staff.headers
    )
    assert stranger_unit  # the stranger's unit exists and handles nothing here


async def test_staff_see_the_requests_waiting(client, database, offices) -> None:
    place = await office(database, offices["a"], "竹山待批")
    item = await _assigned(client, place, day=date(2027, 5, 10), co=False)
    ask = {"kind": "extension", "reason": "需要更多时间", "new_deadline": None}
    deadline = (await get(place.code, item.id)).deadline
    assert deadline is not None
    ask["new_deadline"] = (deadline + timedelta(days=10)).isoformat()
    made = await client.post(f"{api(place.code, item.id)}/requests", json=ask, headers=place.unit_user.headers)
    assert made.status_code == 201, made.text
    (notice,) = await notices(place.code, place.staff.user_id, "suggestion_request", item.id)
    assert "申请延期" in notice.title and "需要更多时间" in notice.body
    listed = (await client.get(f"{api(place.code)}/requests?status=pending", headers=place.staff.headers)).json()
    assert made.json()["id"] in [r["id"] for r in listed["items"]]
    denied = await client.get(f"{api(place.code)}/requests", headers=place.unit_user.headers)
    assert denied.status_code == 403
