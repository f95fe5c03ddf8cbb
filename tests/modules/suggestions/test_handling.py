"""办理 by the units through the API: the three meetings, co-handlers' opinions, the classed reply and its
consequences (on time, rating window, follow-up), who may do what, and 我的承办 ordered by urgency."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from renda.core.timezone import local_today
from tests.modules.suggestions.support import add_cohandler, add_unit, get, make_suggestion, office, steps
from tests.modules.suggestions.test_assignment import api, at

# Dates matter here (on time or late against the deadline, the rating window from the reply date, meeting dates):
# CI runs these again with the clock pinned (tests/conftest.py).
pytestmark = pytest.mark.date_sensitive


@pytest.mark.smoke
async def test_meetings_opinions_and_the_reply(client, database, offices) -> None:
    place = await office(database, offices["a"], "竹山办理")
    with at(date(2027, 4, 1)):
        item = await make_suggestion(place, status="accepted")
        body = {"lead_unit_id": str(place.unit_id), "co_unit_ids": [str(place.other_unit_id)]}
        assert (
            await client.post(f"{api(place.code, item.id)}/assignment", json=body, headers=place.staff.headers)
        ).status_code == 200
    url = api(place.code, item.id)
    meeting = {"stage": "before", "held_on": "2027-04-03", "form": "visit", "note": "到代表家中了解诉求"}
    with at(date(2027, 4, 3)):
        for body, who, status, code in (
            ({**meeting, "held_on": "2027-04-04"}, place.unit_user, 400, "meeting_in_future"),
            ({**meeting, "held_on": "2027-03-31"}, place.unit_user, 400, "meeting_before_assignment"),
            ({**meeting, "form": "letter"}, place.unit_user, 400, "invalid_form"),
            ({**meeting, "stage": "later"}, place.unit_user, 400, "invalid_stage"),
            (meeting, place.other_unit_user, 403, "lead_unit_only"),
        ):
            refused = await client.post(f"{url}/meetings", json=body, headers=who.headers)
            assert (refused.status_code, refused.json()["code"]) == (status, code), refused.text
        met = await client.post(f"{url}/meetings", json=meeting, headers=place.unit_user.headers)
        assert met.status_code == 200, met.text
        assert [(m["stage_label"], m["form_label"]) for m in met.json()["meetings"]] == [("办前见面", "登门走访")]

        opinion = {"opinion": "建议同步实施路灯安装"}
        lead_tries = await client.post(f"{url}/opinion", json=opinion, headers=place.unit_user.headers)
        assert (lead_tries.status_code, lead_tries.json()["code"]) == (403, "cohandler_only")
        given = await client.post(f"{url}/opinion", json=opinion, headers=place.other_unit_user.headers)
        assert given.status_code == 200 and given.json()["my_role"] == "co"
        assert [u["opinion"] for u in given.json()["units"] if u["role"] == "co"] == ["建议同步实施路灯安装"]

    with at(date(2027, 5, 20)):
        nothing_changed = await get(place.code, item.id)
        for body, who, status, code in (
            ({"reply_text": "已列入计划"}, place.unit_user, 400, "reply_class_required"),
            ({"reply_class": "E", "reply_text": "已列入计划"}, place.unit_user, 400, "invalid_reply_class"),
            ({"reply_class": "B", "reply_text": "已列入计划"}, place.unit_user, 400, "commitments_required"),
            ({"reply_class": "A"}, place.unit_user, 400, "reply_text_required"),
            ({"reply_class": "A", "reply_text": "已办结"}, place.other_unit_user, 403, "lead_unit_only"),
        ):
            refused = await client.post(f"{url}/reply", json=body, headers=who.headers)
            assert (refused.status_code, refused.json()["code"]) == (status, code), refused.text
        assert (
            "答复类别"
            in (await client.post(f"{url}/reply", json={"reply_text": "x"}, headers=place.unit_user.headers)).json()[
                "message"
            ]
        )
        unchanged = await get(place.code, item.id)
        assert (unchanged.status, unchanged.reply_class, unchanged.updated_at) == (
            "assigned",
            None,
            nothing_changed.updated_at,
        )
        reply = {"reply_class": "B", "reply_text": "已列入2027年道路改造计划", "reply_commitments": "年底前完成硬化"}
        replied = await client.post(f"{url}/reply", json=reply, headers=place.unit_user.headers)
        assert replied.status_code == 200, replied.text
        again = await client.post(f"{url}/reply", json=reply, headers=place.unit_user.headers)
        assert (again.status_code, again.json()["code"]) == (409, "already_replied")
        late_opinion = await client.post(
            f"{url}/opinion", json={"opinion": "补充"}, headers=place.other_unit_user.headers
        )
        assert (late_opinion.status_code, late_opinion.json()["code"]) == (409, "not_in_handling")
        after = await client.post(
            f"{url}/meetings",
            json={**meeting, "stage": "after", "held_on": "2027-05-20"},
            headers=place.unit_user.headers,
        )
        assert after.status_code == 200  # 办后见面 when the reply is handed over
    done = await get(place.code, item.id)
    assert (done.status, done.reply_class, done.replied_on_time, done.follow_up) == ("replied", "B", True, "open")
    assert done.rating_due == date(2027, 6, 19)  # reply date + 30 days
    assert [s.kind for s in await steps(place.code, item.id)] == [
        "assigned",
        "meeting",
        "cohandler_opinion",
        "replied",
        "meeting",
    ]


async def test_a_late_reply_is_not_on_time_and_a_class_a_reply_needs_no_follow_up(client, database, offices) -> None:
    place = await office(database, offices["a"], "竹山逾期答复")
    item = await make_suggestion(place, status="assigned", deadline=date(2027, 2, 28))
    with at(date(2027, 3, 1)):
        replied = await client.post(
            f"{api(place.code, item.id)}/reply",
            json={"reply_class": "A", "reply_text": "已完成改造"},
            headers=place.unit_user.headers,
        )
    assert replied.status_code == 200 and replied.json()["replied_on_time"] is False
    done = await get(place.code, item.id)
    assert (done.follow_up, done.reply_commitments, done.rating_due) == ("none", None, date(2027, 3, 31))


async def test_a_unit_neither_reads_nor_acts_on_another_units_item(client, database, offices) -> None:
    place = await office(database, offices["a"], "竹山越权")
    item = await make_suggestion(place, status="assigned")
    url = api(place.code, item.id)
    for method, path, body in (
        ("GET", "/handling", None),
        ("GET", "/letter.pdf", None),
        ("POST", "/reply", {"reply_class": "A", "reply_text": "已办结"}),
        ("POST", "/meetings", {"stage": "before", "held_on": "2026-03-11", "form": "phone"}),
        ("POST", "/opinion", {"opinion": "无"}),
        ("POST", "/requests", {"kind": "reassignment", "reason": "不是我们的"}),
    ):
        answer = await client.request(method, f"{url}{path}", json=body, headers=place.other_unit_user.headers)
        assert (answer.status_code, answer.json()["code"]) == (404, "suggestion_not_found"), (path, answer.text)
    assert (await get(place.code, item.id)).status == "assigned" and [
        s.kind for s in await steps(place.code, item.id)
    ] == []
    other = await office(database, offices["b"], "竹溪越权")
    elsewhere = await client.get(f"{api(other.code, item.id)}/handling", headers=other.staff.headers)
    assert elsewhere.status_code == 404


async def test_my_items_list_overdue_first_then_by_deadline(client, database, offices) -> None:
    place = await office(database, offices["a"], "竹山我的承办")
    today = local_today()
    unit_id, user = await add_unit(place, "水利和湖泊局")
    later = await make_suggestion(place, status="assigned", lead_unit_id=unit_id, deadline=today + timedelta(days=40))
    soon = await make_suggestion(place, status="assigned", lead_unit_id=unit_id, deadline=today + timedelta(days=5))
    overdue = await make_suggestion(place, status="assigned", lead_unit_id=unit_id, deadline=today - timedelta(days=2))
    replied = await make_suggestion(
        place, status="replied", lead_unit_id=unit_id, deadline=today - timedelta(days=9), reply_class="A"
    )
    co = await make_suggestion(place, status="assigned", deadline=today + timedelta(days=20))
    await add_cohandler(place, co, unit_id, today + timedelta(days=3))
    url = f"{api(place.code)}/units/items"
    listed = (await client.get(url, headers=user.headers)).json()
    assert [i["id"] for i in listed["items"]] == [str(s.id) for s in (overdue, soon, co, later, replied)]
    first = listed["items"][0]
    assert first["overdue"] is True and first["days_left"] == -2 and first["role"] == "lead"
    assert next(i for i in listed["items"] if i["id"] == str(co.id))["opinion_due"] == str(today + timedelta(days=3))
    open_only = (await client.get(f"{url}?open_only=true", headers=user.headers)).json()
    assert str(replied.id) not in [i["id"] for i in open_only["items"]] and open_only["total"] == 4
    # Staff and deputies answer for no unit: their list is empty.
    assert (await client.get(url, headers=place.staff.headers)).json()["total"] == 0
